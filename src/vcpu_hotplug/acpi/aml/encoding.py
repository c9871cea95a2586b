"""AML primitive encodings for the builder (ACPI 6.5 section 20.2, "AML Grammar Definition").

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

Every malformed input raises :class:`AmlError` naming the offending value.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.opcodes import NAME_SEG_SIZE as NAME_SEG_LENGTH
from vcpu_hotplug.acpi.aml.opcodes import PKG_LENGTH_MAX, Prefix
from vcpu_hotplug.acpi.errors import AmlError

MAX_MULTI_NAME_SEGMENTS = 255
"""The MultiNamePrefix SegCount is one byte."""
_ONE_BYTE_MAX = 0x3F
_LEAD_NIBBLE_BITS = 4
_FOLLOWING_COUNT_SHIFT = 6
_MAX_FOLLOWING = 3

_LEAD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _LEAD_CHARS | frozenset("0123456789")


def _length_bytes(value: int, following: int) -> bytes:
    lead = (following << _FOLLOWING_COUNT_SHIFT) | (value & 0x0F)
    rest = value >> _LEAD_NIBBLE_BITS
    return bytes([lead]) + rest.to_bytes(following, "little")


def pkg_length(body_length: int) -> bytes:
    """The PkgLength bytes for a package whose contents after the PkgLength are ``body_length`` bytes.

    The encoded value counts the PkgLength bytes themselves, so a 63-byte body
    needs the 2-byte form (63 + 1 = 64 does not fit the 6-bit one-byte form).
    """
    if body_length < 0:
        raise AmlError(f"negative package length {body_length}")
    if body_length + 1 <= _ONE_BYTE_MAX:
        return bytes([body_length + 1])
    for following in range(1, _MAX_FOLLOWING + 1):
        total = body_length + 1 + following
        if total < 1 << (_LEAD_NIBBLE_BITS + 8 * following):
            return _length_bytes(total, following)
    raise AmlError(f"package body of {body_length} bytes is too long for a PkgLength "
                   f"(max {PKG_LENGTH_MAX} bytes in all)")


def field_length(bits: int) -> bytes:
    """A field element's bit length (NamedField/ReservedField) in the PkgLength layout.

    The value is stored as is, but the number of bytes is chosen as for a
    PkgLength, as if the value counted its own bytes: 62 bits fit one byte,
    63 take two. That is what iasl emits (ACPICA's parser reads either).
    """
    if bits < 0:
        raise AmlError(f"negative field length {bits}")
    if bits + 1 <= _ONE_BYTE_MAX:
        return bytes([bits])
    for following in range(1, _MAX_FOLLOWING + 1):
        if bits + 1 + following < 1 << (_LEAD_NIBBLE_BITS + 8 * following):
            return _length_bytes(bits, following)
    raise AmlError(f"field length {bits} does not fit a PkgLength (max {PKG_LENGTH_MAX})")


def with_pkg_length(body: bytes) -> bytes:
    """``PkgLength`` followed by ``body``."""
    return pkg_length(len(body)) + body


def check_name_seg(seg: str, context: str = "name") -> str:
    """Validate a 1-4 character name segment; return it padded with ``_`` to 4 characters."""
    if not isinstance(seg, str):
        raise AmlError(f"{context}: name segment must be a string, not {type(seg).__name__}")
    if not 1 <= len(seg) <= NAME_SEG_LENGTH:
        raise AmlError(f"{context}: name segment {seg!r} must have 1 to 4 characters")
    if seg[0] not in _LEAD_CHARS:
        raise AmlError(f"{context}: name segment {seg!r} must start with A-Z or '_'")
    bad = [c for c in seg if c not in _NAME_CHARS]
    if bad:
        raise AmlError(f"{context}: name segment {seg!r} has invalid character {bad[0]!r} "
                       f"(only A-Z, 0-9 and '_')")
    return seg.ljust(NAME_SEG_LENGTH, "_")


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


def name_string(path: str, context: str = "name") -> bytes:
    """Encode an ASL name path (``"CPU0"``, ``"\\\\_SB.CPUS"``, ``"^^GED"``, ``"\\\\"``) as a NameString."""
    prefix, segs = split_name_string(path, context)
    out = bytearray(prefix.encode("ascii"))
    if not segs:
        out.append(Prefix.NULL_NAME)
    elif len(segs) == 1:
        out += segs[0].encode("ascii")
    elif len(segs) == 2:
        out.append(Prefix.DUAL_NAME)
        out += "".join(segs).encode("ascii")
    else:
        out.append(Prefix.MULTI_NAME)
        out.append(len(segs))
        out += "".join(segs).encode("ascii")
    return bytes(out)


def is_single_segment(path: str) -> bool:
    """True when ``path`` is a bare 1-4 character name (no prefix, no dots)."""
    return "." not in path and not path.startswith(("\\", "^"))
