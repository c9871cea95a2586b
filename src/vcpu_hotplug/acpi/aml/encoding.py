"""AML primitive encodings (ACPI 6.5 section 20.2, "AML Grammar Definition").

The tree's encoder (:meth:`vcpu_hotplug.acpi.aml.tree.Node.encode`) and the
builder use these:

* PkgLength (20.2.4): one byte when the encoded length (which counts the
  PkgLength bytes themselves) is below 64; otherwise the lead byte holds the
  number of following bytes in bits 7:6 and the low nibble in bits 3:0, and
  1-3 more bytes hold the rest, least significant first, up to 2**28 - 1.
* Field element bit lengths (20.2.5.2, NamedField/ReservedField) use the same
  byte layout but encode the value as is (iasl does the same).
* NameSeg / NameString (20.2.2): four characters ``[A-Z_][A-Z_0-9]{3}``
  (short names padded with ``_``), an optional root ``\\`` or any number of
  ``^`` parent prefixes, then one segment, a DualNamePrefix (0x2E) with two,
  a MultiNamePrefix (0x2F) with a count and up to 255, or a NullName (0x00).
  :func:`name_path` turns an ASL name path into a
  :class:`~vcpu_hotplug.acpi.aml.opcodes.NameString`, which encodes itself.
* Integers (20.2.3, 19.6.98): :func:`integer_bytes` picks the encoding iasl
  picks, ``Zero``, ``One``, ``Ones`` (all bits set at the block's integer
  width), else the smallest of ByteConst/WordConst/DWordConst/QWordConst.
  The width is 64 bits unless an :func:`integer_width` block says 32 (a
  definition block of revision < 2).

Every malformed input raises :class:`AmlError` naming the offending value.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from vcpu_hotplug.acpi.aml.opcodes import (
    NameString,
    Opcode,
    check_name_seg,
    encode_field_length,
    encode_pkg_length,
)
from vcpu_hotplug.acpi.errors import AmlError

MAX_MULTI_NAME_SEGMENTS = 255
"""The MultiNamePrefix SegCount is one byte."""

#: The builder's names for the grammar's encoders (one implementation, in :mod:`.opcodes`).
pkg_length = encode_pkg_length
field_length = encode_field_length


def split_name_string(path: str, context: str = "name") -> tuple[str, list[str]]:
    """Split an ASL name path into its prefix (``""``, ``"\\\\"`` or ``"^^..."``) and padded segments.

    ``"\\\\"`` alone is the root (no segments); ``""`` is not a valid name.
    """
    if not isinstance(path, str):
        raise AmlError(f"{context}: a name must be a string, not {type(path).__name__}")
    if path.startswith("\\"):
        prefix, rest = "\\", path[1:]
    else:
        stripped = path.lstrip("^")
        prefix, rest = "^" * (len(path) - len(stripped)), stripped
    if rest == "":
        if prefix == "\\":
            return prefix, []
        raise AmlError(f"{context}: {path!r} is not a name")
    segs = [check_name_seg(seg, f"{context} {path!r}") for seg in rest.split(".")]
    if len(segs) > MAX_MULTI_NAME_SEGMENTS:
        raise AmlError(f"{context}: {path!r} has {len(segs)} segments, "
                       f"at most {MAX_MULTI_NAME_SEGMENTS} are allowed")
    return prefix, segs


def name_path(path: str, context: str = "name") -> NameString:
    """An ASL name path (``"CPU0"``, ``"\\\\_SB.CPUS"``, ``"^^GED"``, ``"\\\\"``) as a validated NameString."""
    prefix, segs = split_name_string(path, context)
    root = prefix == "\\"
    return NameString(root, 0 if root else len(prefix), tuple(segs))


def name_string(path: str, context: str = "name") -> bytes:
    """Encode an ASL name path as a NameString (section 20.2.2)."""
    return name_path(path, context).encode()


# ---------------------------------------------------------------------------
# Integers (section 20.2.3) at the block's integer width (section 19.6.98)
# ---------------------------------------------------------------------------

INTEGER_WIDTH_32 = 32
INTEGER_WIDTH_64 = 64
FIRST_64_BIT_REVISION = 2
"""Definition blocks of revision 2 and later have 64-bit integers."""

_integer_width: contextvars.ContextVar[int] = contextvars.ContextVar(
    "aml_integer_width", default=INTEGER_WIDTH_64)

_CONST_PREFIXES = ((0xFF, Opcode.BYTE_PREFIX, 1), (0xFFFF, Opcode.WORD_PREFIX, 2),
                   (0xFFFF_FFFF, Opcode.DWORD_PREFIX, 4), ((1 << 64) - 1, Opcode.QWORD_PREFIX, 8))
_ZERO = Opcode.ZERO.encoding
_ONE = Opcode.ONE.encoding
_ONES = Opcode.ONES.encoding


def block_integer_width(revision: int) -> int:
    """32 for a definition block of revision < 2, else 64 (section 19.6.98)."""
    return INTEGER_WIDTH_32 if revision < FIRST_64_BIT_REVISION else INTEGER_WIDTH_64


@contextmanager
def integer_width(bits: int) -> Iterator[None]:
    """Encode integers for a ``bits``-wide block (32 or 64) inside the ``with``."""
    if bits not in (INTEGER_WIDTH_32, INTEGER_WIDTH_64):
        raise AmlError(f"integer width must be 32 or 64, not {bits}")
    token = _integer_width.set(bits)
    try:
        yield
    finally:
        _integer_width.reset(token)


def current_integer_width() -> int:
    """The integer width set by the innermost :func:`integer_width` (64 outside any)."""
    return _integer_width.get()


def integer_bytes(value: int, width: int) -> bytes:
    """``value`` encoded as iasl does in a ``width``-bit block: Zero, One, Ones, else the smallest prefix.

    Raises :class:`AmlError` when ``value`` does not fit ``width`` bits.
    """
    if value == 0:
        return _ZERO
    if value == 1:
        return _ONE
    if value >= 1 << width:
        raise AmlError(f"integer {value:#x} does not fit the {width}-bit integers "
                       f"of a revision < {FIRST_64_BIT_REVISION} definition block")
    if value == (1 << width) - 1:
        return _ONES
    for top, prefix, size in _CONST_PREFIXES:
        if value <= top:
            return prefix.encoding + value.to_bytes(size, "little")
    raise AmlError(f"integer {value:#x} does not fit 64 bits")  # pragma: no cover - checked above
