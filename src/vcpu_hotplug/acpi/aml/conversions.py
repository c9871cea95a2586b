"""Implicit and explicit data conversions (ACPI 6.5 sections 19.3.5.4-19.3.5.7).

The rules follow ACPICA (``exconvrt.c``, ``utstrtoul64.c``), which is what
firmware is tested against:

* String to Integer, implicit: hexadecimal, an optional ``0x`` prefix, stops
  at the first non-hex character; explicit (``ToInteger``): decimal unless a
  ``0x`` prefix says hex.
* Buffer to Integer: the first 8 (4 for revision-1 tables) bytes,
  little-endian; an empty buffer is an error.
* Integer to String, implicit: all hex digits of the integer width, upper
  case; Buffer to String, implicit: ``"0x01 0x02"``.
* Integer to Buffer: the integer width in bytes; String to Buffer: the
  characters plus a terminating NUL.

``width`` is the integer width in bytes (8, or 4 when the definition block
revision is below 2). Strings are :class:`~.objects.AmlString`.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.objects import AmlString, type_name
from vcpu_hotplug.acpi.errors import AmlError

_HEX = frozenset(b"0123456789abcdefABCDEF")
_WHITESPACE = b" \t\n\r\v\f"


def _digits(raw: bytes, base: int, width: int) -> int:
    value = 0
    limit = 1 << (8 * width)
    for ch in raw:
        if base == 16:
            if ch not in _HEX:
                break
            digit = int(chr(ch), 16)
        else:
            if not 0x30 <= ch <= 0x39:
                break
            digit = ch - 0x30
        new = value * base + digit
        if new >= limit:
            break
        value = new
    return value


def string_to_integer(text, width: int, explicit: bool = False) -> int:
    raw = bytes(text).lstrip(_WHITESPACE)
    has_prefix = raw[:2] in (b"0x", b"0X")
    if explicit and not has_prefix:
        return _digits(raw, 10, width)
    return _digits(raw[2:] if has_prefix else raw, 16, width)


def nt_string_to_integer(text, width: int) -> int:
    """NT's ``ToInteger`` of a String (:mod:`.semantics` ``to-integer-string``), as uACPI's
    ``uacpi_string_to_integer`` with ``UACPI_BASE_AUTO`` (``source/utilities.c``): leading
    white space, an optional ``+`` or ``-`` (which negates), then ``0x``/``0X`` for hex, a
    leading ``0`` for octal, else decimal, up to the first character that is not a digit of
    the base; a number past 64 bits is Ones. The result is cut to ``width`` bytes."""
    raw = bytes(text)
    i, n = 0, len(raw)
    while i < n and raw[i] in _WHITESPACE:
        i += 1
    negative = False
    if i < n and raw[i] in b"+-":
        negative = raw[i] == 0x2D
        i += 1
    base = 10
    if i < n and raw[i] == 0x30:
        base = 8
        i += 1
        if i < n and raw[i] in b"xX":
            base = 16
            i += 1
    limit = 1 << 64
    value = 0
    while i < n:
        ch = raw[i]
        if 0x30 <= ch <= 0x39:
            digit = ch - 0x30
        elif base == 16 and ch in _HEX:
            digit = int(chr(ch), 16)
        else:
            break
        if digit >= base:
            break
        value = value * base + digit
        if value >= limit:
            value = limit - 1
            break
        i += 1
    if negative:
        value = -value
    return value & ((1 << (8 * width)) - 1)


def buffer_to_integer(data, width: int) -> int:
    if not data:
        raise AmlError("cannot convert an empty Buffer to Integer")
    return int.from_bytes(bytes(data[:width]), "little")


def to_integer(value, width: int, explicit: bool = False) -> int:
    """Integer, String or Buffer to Integer (anything else is an AmlError)."""
    t = type(value)
    if t is int:
        return value
    if t is AmlString:
        return string_to_integer(value, width, explicit)
    if t is bytearray or t is bytes:
        return buffer_to_integer(value, width)
    if t is bool:
        return int(value)
    raise AmlError(f"cannot convert {type_name(value)} to Integer")


def integer_to_buffer(value: int, width: int) -> bytearray:
    return bytearray((value & ((1 << (8 * width)) - 1)).to_bytes(width, "little"))


def to_buffer(value, width: int) -> bytearray:
    """Integer, String or Buffer to a new Buffer."""
    t = type(value)
    if t is bytearray or t is bytes:
        return bytearray(value)
    if t is int:
        return integer_to_buffer(value, width)
    if t is AmlString:
        return bytearray(value) + b"\x00"
    raise AmlError(f"cannot convert {type_name(value)} to Buffer")


def integer_to_hex_string(value: int, width: int) -> AmlString:
    """Implicit Integer to String: every hex digit of the width, upper case."""
    return AmlString(f"{value & ((1 << (8 * width)) - 1):0{2 * width}X}".encode())


def buffer_to_hex_string(data, separator: str = " ") -> AmlString:
    return AmlString(separator.join(f"0x{b:02X}" for b in data).encode())


def to_string(value, width: int) -> AmlString:
    """Implicit conversion to a new String (ACPICA ``ACPI_IMPLICIT_CONVERT_HEX``)."""
    t = type(value)
    if t is AmlString:
        return AmlString(value)
    if t is int:
        return integer_to_hex_string(value, width)
    if t is bytearray or t is bytes:
        return buffer_to_hex_string(value)
    raise AmlError(f"cannot convert {type_name(value)} to String")


def buffer_to_plain_string(data, length: int | None = None) -> AmlString:
    """``ToString``: bytes up to the first NUL (or ``length``) as characters."""
    raw = bytes(data)
    end = raw.find(b"\x00")
    if end < 0:
        end = len(raw)
    if length is not None and length < end:
        end = length
    return AmlString(raw[:end])


def to_hex_string(value, width: int) -> AmlString:
    """``ToHexString`` (ACPI 6.5 section 19.6.136)."""
    t = type(value)
    if t is AmlString:
        return AmlString(value)
    if t is int:
        # As current ACPICA, uACPI and NT: "0x" and no leading zeros (ACPICA 20200925 printed
        # every digit of the width without a prefix).
        return AmlString(f"0x{value:X}".encode())
    if t is bytearray or t is bytes:
        return buffer_to_hex_string(value, ",")
    raise AmlError(f"cannot convert {type_name(value)} to a hex String")


def to_decimal_string(value, width: int) -> AmlString:
    """``ToDecimalString`` (ACPI 6.5 section 19.6.135)."""
    t = type(value)
    if t is AmlString:
        return AmlString(value)
    if t is int:
        return AmlString(str(value).encode())
    if t is bytearray or t is bytes:
        return AmlString(",".join(str(b) for b in value).encode())
    raise AmlError(f"cannot convert {type_name(value)} to a decimal String")
