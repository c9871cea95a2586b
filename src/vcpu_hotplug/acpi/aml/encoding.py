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

from vcpu_hotplug.acpi.aml.opcodes import (
    Prefix,
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


def with_pkg_length(body: bytes) -> bytes:
    """``PkgLength`` followed by ``body``."""
    return pkg_length(len(body)) + body


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
