"""Generic Address Structure (ACPI 6.5 section 5.2.3.2), 12 bytes.

=======  ====  =====================
offset   size  field
=======  ====  =====================
0        1     Address Space ID
1        1     Register Bit Width
2        1     Register Bit Offset
3        1     Access Size
4        8     Address
=======  ====  =====================
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from vcpu_hotplug.acpi.fields import spec_field

GAS_LENGTH = 12
_FORMAT = struct.Struct("<BBBBQ")


class AddressSpace(enum.IntEnum):
    """Address Space ID values (Table 5.1) used by the tables here."""

    SYSTEM_MEMORY = 0
    SYSTEM_IO = 1
    PCI_CONFIG = 2
    EMBEDDED_CONTROLLER = 3
    SMBUS = 4
    SYSTEM_CMOS = 5
    PCI_BAR_TARGET = 6
    IPMI = 7
    GENERAL_PURPOSE_IO = 8
    GENERIC_SERIAL_BUS = 9
    PCC = 0x0A
    PRM = 0x0B
    FUNCTIONAL_FIXED_HARDWARE = 0x7F


@dataclass
class GenericAddress:
    """One Generic Address Structure; all zero means "not present"."""

    address_space_id: int = spec_field("Address Space ID")
    register_bit_width: int = spec_field("Register Bit Width")
    register_bit_offset: int = spec_field("Register Bit Offset")
    access_size: int = spec_field("Access Size")
    address: int = spec_field("Address", hex=True)

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> "GenericAddress":
        """Decode the 12 bytes at ``offset`` (caller checks they exist)."""
        return cls(*_FORMAT.unpack_from(data, offset))

    def encode(self) -> bytes:
        return _FORMAT.pack(self.address_space_id, self.register_bit_width,
                            self.register_bit_offset, self.access_size, self.address)
