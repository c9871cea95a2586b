"""Extended and Root System Description Tables (ACPI 6.5 sections 5.2.8 and 5.2.7).

After the SDT header the XSDT holds an array of 64-bit physical addresses
of the other tables (the RSDT the same with 32-bit entries).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import spec_field
from vcpu_hotplug.acpi.header import HEADER_LENGTH, SdtHeader, SystemTable, split_table

XSDT_SIGNATURE = "XSDT"
RSDT_SIGNATURE = "RSDT"
XSDT_REVISION = 1


@dataclass
class Xsdt(SystemTable):
    """The XSDT: a list of 64-bit table addresses."""

    header: SdtHeader
    entries: list[int] = spec_field("Entry", [], hex=True)

    SIGNATURE = XSDT_SIGNATURE
    ENTRY_SIZE = 8
    _FMT = "Q"

    @classmethod
    def new(cls, entries: list[int] | None = None) -> "Xsdt":
        return cls(header=SdtHeader(cls.SIGNATURE, revision=XSDT_REVISION), entries=list(entries or []))

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "Xsdt":
        header, body = split_table(data, cls.SIGNATURE, lenient=lenient)
        if len(body) % cls.ENTRY_SIZE:
            raise TableError(cls.SIGNATURE, HEADER_LENGTH + len(body) - len(body) % cls.ENTRY_SIZE,
                             f"body of {len(body)} bytes is not a whole number of "
                             f"{cls.ENTRY_SIZE}-byte entries")
        count = len(body) // cls.ENTRY_SIZE
        return cls(header=header, entries=list(struct.unpack(f"<{count}{cls._FMT}", body)))

    def encode_body(self) -> bytes:
        return struct.pack(f"<{len(self.entries)}{self._FMT}", *self.entries)


@dataclass
class Rsdt(Xsdt):
    """The RSDT: a list of 32-bit table addresses."""

    SIGNATURE = RSDT_SIGNATURE
    ENTRY_SIZE = 4
    _FMT = "I"
