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

import struct
from dataclasses import dataclass

from vcpu_hotplug.acpi.fields import spec_field

GAS_LENGTH = 12
_FORMAT = struct.Struct("<BBBBQ")


@dataclass
class GenericAddress:
    """One Generic Address Structure; all zero means "not present".

    ``address_space_id`` takes the values of
    :class:`vcpu_hotplug.acpi.aml.regions.RegionSpace` (table 5.1 is table 19.28's list).
    """

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
