"""Data operators whose rules are more than one line (ACPI 6.5 section 19.6).

Concatenate (19.6.12), ConcatenateResTemplate (19.6.13), Mid (19.6.86),
Match (19.6.82), FromBCD/ToBCD (19.6.51, 19.6.132), FindSetLeftBit/
FindSetRightBit (19.6.49, 19.6.50), SizeOf (19.6.126) and the comparisons of
LEqual/LGreater/LLess on Strings and Buffers (19.6.70 ff.). Operand
conversions follow ACPICA ``exoparg2.c``/``exmisc.c``: the second operand is
converted to the type of the first.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.conversions import (
    to_buffer,
    to_integer,
    to_string,
)
from vcpu_hotplug.acpi.aml.objects import AmlString, Package, type_name
from vcpu_hotplug.acpi.errors import AmlError

#: Small-resource End Tag (ACPI 6.5 section 6.4.2.9): tag byte and total length.
END_TAG = 0x78
END_TAG_LENGTH = 2

#: Match operators (section 19.6.82).
MTR, MEQ, MLE, MLT, MGE, MGT = range(6)


def compare(a, b, width: int) -> int:
    """-1, 0 or 1: ``b`` is converted to the type of ``a`` (Integer, String or Buffer)."""
    ta = type(a)
    if ta is int:
        b = to_integer(b, width)
        return (a > b) - (a < b)
    if ta is AmlString:
        b = to_string(b, width)
    elif ta is bytearray or ta is bytes:
        b = to_buffer(b, width)
    else:
        raise AmlError(f"cannot compare a {type_name(a)}")
    ba, bb = bytes(a), bytes(b)
    return (ba > bb) - (ba < bb)


def concatenate(a, b, width: int):
    """``Concatenate``: the result has the type of ``a`` (an Integer makes a Buffer).

    ACPICA (``exconcat.c`` AcpiExDoConcatenate, its operands ARGI_ANYTYPE): an
    operand that is not an Integer, String or Buffer (a Package, a Reference,
    a Device ...) first becomes the String ``[<type> Object]``
    (AcpiExConvertToObjectTypeString), then the usual implicit conversion to
    the type of ``a`` applies (so an Integer ``a`` reads that String as 0).
    """
    ta = type(a)
    if ta is not int and ta is not AmlString and ta is not bytearray and ta is not bytes:
        a = AmlString(f"[{type_name(a)} Object]".encode())
        ta = AmlString
    tb = type(b)
    if tb is not int and tb is not AmlString and tb is not bytearray and tb is not bytes:
        b = AmlString(f"[{type_name(b)} Object]".encode())
    if ta is int:
        b = to_integer(b, width)
        mask = (1 << (8 * width)) - 1
        return bytearray((a & mask).to_bytes(width, "little") + (b & mask).to_bytes(width, "little"))
    if ta is AmlString:
        return AmlString(bytes(a) + bytes(to_string(b, width)))
    return bytearray(bytes(a) + bytes(to_buffer(b, width)))


def _strip_end_tag(data: bytes) -> bytes:
    if len(data) >= END_TAG_LENGTH and data[-END_TAG_LENGTH] == END_TAG | 1:
        return data[:-END_TAG_LENGTH]
    if len(data) == 0:
        return data
    raise AmlError("resource template does not end with an End Tag")


def concatenate_res(a, b, width: int) -> bytearray:
    """``ConcatenateResTemplate``: both end tags dropped, one new End Tag with checksum 0."""
    first = _strip_end_tag(bytes(to_buffer(a, width)) if type(a) is not bytearray else bytes(a))
    second = _strip_end_tag(bytes(to_buffer(b, width)) if type(b) is not bytearray else bytes(b))
    return bytearray(first + second + bytes((END_TAG | 1, 0)))


def mid(source, index: int, length: int, width: int):
    t = type(source)
    if t is not AmlString and t is not bytearray and t is not bytes:
        source = to_buffer(source, width)
        t = bytearray
    raw = bytes(source)
    piece = raw[index:index + length] if index < len(raw) else b""
    return AmlString(piece) if t is AmlString else bytearray(piece)


def _match_one(op: int, element, value, width: int) -> bool:
    """``P[i] op M``, computed as ACPICA does (exoparg6.c AcpiExDoMatch): as ``M op' P[i]``, so
    the element is converted to the type of the match value, not the other way round."""
    if op == MTR:
        return True
    try:
        c = compare(value, element, width)
    except AmlError:
        return False
    return {MEQ: c == 0, MLE: c >= 0, MLT: c > 0, MGE: c <= 0, MGT: c < 0}.get(op, False)


def match(package, op1: int, v1, op2: int, v2, start: int, width: int, ones: int) -> int:
    """Index of the first element from ``start`` satisfying both comparisons, else Ones."""
    if type(package) is not Package:
        raise AmlError(f"Match needs a Package, not a {type_name(package)}")
    if op1 > MGT or op2 > MGT:
        raise AmlError(f"invalid Match operator {max(op1, op2)}")
    if start >= len(package):
        raise AmlError(f"Match start index {start} beyond a package of {len(package)}")
    for i in range(start, len(package)):
        element = package[i]
        if type(element) not in (int, AmlString, bytearray):
            continue
        if _match_one(op1, element, v1, width) and _match_one(op2, element, v2, width):
            return i
    return ones


def from_bcd(value: int) -> int:
    result = 0
    scale = 1
    while value:
        digit = value & 0xF
        if digit > 9:
            raise AmlError(f"FromBCD: invalid BCD digit {digit:#x}")
        result += digit * scale
        scale *= 10
        value >>= 4
    return result


def to_bcd(value: int, width: int) -> int:
    if value >= 10 ** (2 * width):
        raise AmlError(f"ToBCD: {value} does not fit a {8 * width}-bit BCD integer")
    result = 0
    shift = 0
    while value:
        result |= (value % 10) << shift
        value //= 10
        shift += 4
    return result


def find_set_left_bit(value: int) -> int:
    """One-based index of the most significant set bit, 0 if none."""
    return value.bit_length()


def find_set_right_bit(value: int) -> int:
    """One-based index of the least significant set bit, 0 if none."""
    return (value & -value).bit_length()


def size_of(value, width: int) -> int:
    """Length of a String, Buffer or Package; an Integer's byte width (as ACPICA)."""
    t = type(value)
    if t is AmlString or t is bytearray or t is bytes or t is Package:
        return len(value)
    if t is int:
        return width
    raise AmlError(f"SizeOf a {type_name(value)} is not defined")
