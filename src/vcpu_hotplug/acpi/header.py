"""The 36-byte System Description Table header (ACPI 6.5 section 5.2.6).

Every static table except the RSDP and FACS starts with this header:

=========  ======  ===========================================
offset     size    field
=========  ======  ===========================================
0          4       Signature
4          4       Length (of the whole table, header included)
8          1       Revision
9          1       Checksum (whole table sums to zero, mod 256)
10         6       OEMID
16         8       OEM Table ID
24         4       OEM Revision
28         4       Creator ID
32         4       Creator Revision
=========  ======  ===========================================

:func:`split_table` validates a table's framing (truncation, a length field
past the end of the data, checksum) and :func:`build_table` frames a body,
computing length and checksum, so every table module encodes the same way.
Text fields are kept as latin-1 strings with their padding so a decoded
header re-encodes byte for byte; a shorter id given to a new header is
padded with spaces, as QEMU's ids are (ACPICA's iasl pads with NULs; the
AML builder's tests rely on the space padding).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace
from typing import Any

from vcpu_hotplug.acpi.errors import TableError

HEADER_LENGTH = 36
"""Size of the SDT header in bytes."""

CHECKSUM_OFFSET = 9
"""Offset of the checksum byte inside the header."""

LENGTH_OFFSET = 4
"""Offset of the table length field inside the header."""

REVISION_OFFSET = 8
"""Offset of the revision byte inside the header."""

_FORMAT = struct.Struct("<4sIBB6s8sI4sI")

DEFAULT_OEM_ID = "VCPUHP"
DEFAULT_OEM_TABLE_ID = "VCPUHPTB"
DEFAULT_CREATOR_ID = "VCHP"


def checksum(data: bytes) -> int:
    """The byte that makes ``data`` (with a zero in that byte's place) sum to zero mod 256."""
    return (-sum(data)) & 0xFF


def sums_to_zero(data: bytes) -> bool:
    """True when the bytes of ``data`` sum to zero modulo 256 (a valid ACPI checksum)."""
    return sum(data) & 0xFF == 0


def signature_of(data: bytes) -> str:
    """Best-effort printable signature of raw table bytes, for error messages."""
    sig = data[:4]
    if len(sig) == 4 and all(0x20 < b < 0x7F for b in sig):
        return sig.decode("ascii")
    return "table"


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def _raw(text: str, size: int, name: str) -> bytes:
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{name} {text!r} is not latin-1 text") from exc
    if len(raw) > size:
        raise ValueError(f"{name} {text!r} is longer than {size} bytes")
    return raw.ljust(size, b" " if name != "signature" else b"\0")


@dataclass
class SdtHeader:
    """The SDT header. ``length`` and ``checksum`` are as read; encoding recomputes them.

    ``checksum_ok`` is False only for a header decoded with ``lenient=True``
    from a table whose bytes did not sum to zero.
    """

    signature: str
    length: int = HEADER_LENGTH
    revision: int = 1
    checksum: int = 0
    oem_id: str = DEFAULT_OEM_ID
    oem_table_id: str = DEFAULT_OEM_TABLE_ID
    oem_revision: int = 1
    creator_id: str = DEFAULT_CREATOR_ID
    creator_revision: int = 1
    checksum_ok: bool = field(default=True, compare=False)

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "SdtHeader":
        """Decode and validate the header of the table in ``data``.

        Raises :class:`TableError` if ``data`` is shorter than a header, the
        length field is smaller than a header or runs past the end of
        ``data``, or (unless ``lenient``) the table's checksum is wrong.
        """
        sig = signature_of(data)
        if len(data) < HEADER_LENGTH:
            raise TableError(sig, len(data),
                             f"truncated: {len(data)} bytes, an SDT header needs {HEADER_LENGTH}")
        (signature, length, revision, csum, oem_id, oem_table_id, oem_revision,
         creator_id, creator_revision) = _FORMAT.unpack_from(data)
        if length < HEADER_LENGTH:
            raise TableError(sig, LENGTH_OFFSET,
                             f"length field {length} is smaller than the {HEADER_LENGTH}-byte header")
        if length > len(data):
            raise TableError(sig, LENGTH_OFFSET,
                             f"length field {length} runs past the end of the data ({len(data)} bytes)")
        ok = sums_to_zero(data[:length])
        if not ok and not lenient:
            expected = (csum - sum(data[:length])) & 0xFF
            raise TableError(sig, CHECKSUM_OFFSET,
                             f"bad checksum {csum:#04x} (the table needs {expected:#04x})")
        return cls(signature=_text(signature), length=length, revision=revision, checksum=csum,
                   oem_id=_text(oem_id), oem_table_id=_text(oem_table_id), oem_revision=oem_revision,
                   creator_id=_text(creator_id), creator_revision=creator_revision, checksum_ok=ok)

    def encode(self) -> bytes:
        """The 36 header bytes exactly as the fields say (no recomputation)."""
        return _FORMAT.pack(_raw(self.signature, 4, "signature"), self.length, self.revision,
                            self.checksum, _raw(self.oem_id, 6, "oem_id"),
                            _raw(self.oem_table_id, 8, "oem_table_id"), self.oem_revision,
                            _raw(self.creator_id, 4, "creator_id"), self.creator_revision)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view (spec field names in snake case)."""
        return {
            "signature": self.signature, "length": self.length, "revision": self.revision,
            "checksum": self.checksum, "checksum_ok": self.checksum_ok,
            "oem_id": self.oem_id, "oem_table_id": self.oem_table_id,
            "oem_revision": self.oem_revision, "creator_id": self.creator_id,
            "creator_revision": self.creator_revision,
        }


def split_table(data: bytes, signature: str | None = None, *,
                lenient: bool = False) -> tuple[SdtHeader, bytes]:
    """Validate the framing of one table and return its header and body.

    ``signature``, when given, must match. The body is the ``length - 36``
    bytes after the header; bytes past ``length`` are ignored.
    """
    header = SdtHeader.decode(data, lenient=lenient)
    if signature is not None and header.signature != signature:
        raise TableError(signature, 0, f"signature is {header.signature!r}, expected {signature!r}")
    return header, bytes(data[HEADER_LENGTH:header.length])


def build_table(header: SdtHeader, body: bytes) -> bytes:
    """Frame ``body`` with ``header``, computing the length and checksum fields."""
    framed = replace(header, length=HEADER_LENGTH + len(body), checksum=0).encode() + body
    csum = checksum(framed)
    return framed[:CHECKSUM_OFFSET] + bytes([csum]) + framed[CHECKSUM_OFFSET + 1:]


def need(table: str, body: bytes, offset: int, size: int, what: str) -> None:
    """Raise a :class:`TableError` unless ``body`` has ``size`` bytes at body ``offset``.

    Offsets in the error are table offsets (header included).
    """
    if offset + size > len(body):
        raise TableError(table, HEADER_LENGTH + offset,
                         f"truncated: {what} needs {size} bytes, "
                         f"{max(len(body) - offset, 0)} left")


class SystemTable:
    """Base of every table dataclass that starts with an :class:`SdtHeader`.

    Subclasses define ``SIGNATURE``, a ``header`` field, ``decode`` and
    ``encode_body``; :meth:`encode` frames the body and computes length
    and checksum.
    """

    SIGNATURE: str = ""
    header: SdtHeader

    @property
    def signature(self) -> str:
        """The table's signature, from its header."""
        return self.header.signature

    def encode_body(self) -> bytes:  # pragma: no cover - abstract
        """The bytes after the header."""
        raise NotImplementedError

    def encode(self) -> bytes:
        """The whole table, with length and checksum computed."""
        return build_table(self.header, self.encode_body())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view of the table (header and every field)."""
        from vcpu_hotplug.acpi.fields import to_jsonable

        return to_jsonable(self)
