"""Root System Description Pointer, revision 2 (ACPI 6.5 section 5.2.5.3).

=======  ====  ======================================================
offset   size  field
=======  ====  ======================================================
0        8     Signature ``"RSD PTR "``
8        1     Checksum (of the first 20 bytes)
9        6     OEMID
15       1     Revision (0 = ACPI 1.0, 20 bytes; 2 = ACPI 2.0+, 36 bytes)
16       4     RsdtAddress
20       4     Length (of the whole structure, revision 2)
24       8     XsdtAddress
32       1     Extended Checksum (of the whole structure)
33       3     Reserved
=======  ====  ======================================================

The RSDP has no SDT header. Both checksums are computed on encode; a bad
one is a :class:`TableError` unless decoded with ``lenient=True``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import spec_field, to_jsonable
from vcpu_hotplug.acpi.header import DEFAULT_OEM_ID, checksum, sums_to_zero

RSDP_SIGNATURE = b"RSD PTR "
RSDP_V1_LENGTH = 20
RSDP_V2_LENGTH = 36
RSDP_REVISION_2 = 2
CHECKSUM_OFFSET = 8
EXTENDED_CHECKSUM_OFFSET = 32
LENGTH_OFFSET = 20
TABLE_NAME = "RSDP"

_V1 = struct.Struct("<8sB6sBI")
_V2_TAIL = struct.Struct("<IQB3s")


@dataclass
class Rsdp:
    """The RSDP. ``checksum``/``extended_checksum``/``length`` are as read; encode recomputes them."""

    oem_id: str = spec_field("OEMID", DEFAULT_OEM_ID)
    revision: int = spec_field("Revision", RSDP_REVISION_2)
    rsdt_address: int = spec_field("RsdtAddress", hex=True)
    xsdt_address: int = spec_field("XsdtAddress", hex=True)
    length: int = spec_field("Length", RSDP_V2_LENGTH)
    checksum: int = spec_field("Checksum", hex=True)
    extended_checksum: int = spec_field("Extended Checksum", hex=True)
    reserved: bytes = spec_field("Reserved", b"\0\0\0")
    checksum_ok: bool = True
    extended_checksum_ok: bool = True

    SIGNATURE = "RSDP"

    @property
    def signature(self) -> str:
        return self.SIGNATURE

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "Rsdp":
        """Decode an RSDP of revision 0 (20 bytes) or 2 (36 bytes)."""
        if len(data) < RSDP_V1_LENGTH:
            raise TableError(TABLE_NAME, len(data),
                             f"truncated: {len(data)} bytes, an RSDP needs at least {RSDP_V1_LENGTH}")
        sig, csum, oem_id, revision, rsdt = _V1.unpack_from(data)
        if sig != RSDP_SIGNATURE:
            raise TableError(TABLE_NAME, 0, f"signature is {sig!r}, expected {RSDP_SIGNATURE!r}")
        ok = sums_to_zero(data[:RSDP_V1_LENGTH])
        if not ok and not lenient:
            raise TableError(TABLE_NAME, CHECKSUM_OFFSET, f"bad checksum {csum:#04x}")
        rsdp = cls(oem_id=oem_id.decode("latin-1"), revision=revision, rsdt_address=rsdt,
                   checksum=csum, checksum_ok=ok, length=RSDP_V1_LENGTH)
        if revision < RSDP_REVISION_2:
            return rsdp
        if len(data) < RSDP_V2_LENGTH:
            raise TableError(TABLE_NAME, len(data),
                             f"truncated: {len(data)} bytes, a revision {revision} RSDP needs {RSDP_V2_LENGTH}")
        length, xsdt, ext, reserved = _V2_TAIL.unpack_from(data, LENGTH_OFFSET)
        if length < RSDP_V2_LENGTH or length > len(data):
            raise TableError(TABLE_NAME, LENGTH_OFFSET,
                             f"length field {length} is not between {RSDP_V2_LENGTH} and the "
                             f"{len(data)} bytes given")
        ext_ok = sums_to_zero(data[:length])
        if not ext_ok and not lenient:
            raise TableError(TABLE_NAME, EXTENDED_CHECKSUM_OFFSET, f"bad extended checksum {ext:#04x}")
        rsdp.length, rsdp.xsdt_address, rsdp.extended_checksum = length, xsdt, ext
        rsdp.reserved, rsdp.extended_checksum_ok = reserved, ext_ok
        return rsdp

    def encode(self) -> bytes:
        """Encode with both checksums computed (20 bytes for revision 0, 36 otherwise)."""
        oem = self.oem_id.encode("latin-1").ljust(6, b" ")[:6]
        head = bytearray(_V1.pack(RSDP_SIGNATURE, 0, oem, self.revision, self.rsdt_address))
        head[CHECKSUM_OFFSET] = checksum(head)
        if self.revision < RSDP_REVISION_2:
            return bytes(head)
        whole = head + _V2_TAIL.pack(RSDP_V2_LENGTH, self.xsdt_address, 0, self.reserved)
        whole[EXTENDED_CHECKSUM_OFFSET] = checksum(whole)
        return bytes(whole)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view; ``signature`` is ``RSDP`` like acpidump's label."""
        return {"signature": self.SIGNATURE, **to_jsonable(self)}
