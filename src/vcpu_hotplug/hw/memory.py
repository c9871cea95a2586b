"""Sparse guest physical memory.

Guest RAM as a hypervisor sees it: a flat physical address space of
``address_bits`` bits (48 by default, the arm64 ``PARange`` KVM offers most
often), stored as 4 KiB pages that exist only once written. Unwritten memory
reads as zeros, like freshly mapped anonymous memory. Integers are
little-endian, as on arm64 with ``SCTLR_EL1.EE == 0`` and as ACPI tables are.
"""

from __future__ import annotations

from vcpu_hotplug.hw.errors import GuestMemoryError

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
"""Granule of the page dictionary (4 KiB)."""

DEFAULT_ADDRESS_BITS = 48
"""Physical address width (ID_AA64MMFR0_EL1.PARange = 0b0101, 48 bits)."""


class GuestMemory:
    """Guest physical memory, page-granular and sparse."""

    def __init__(self, address_bits: int = DEFAULT_ADDRESS_BITS) -> None:
        self.limit = 1 << address_bits
        self._pages: dict[int, bytearray] = {}

    def _check(self, address: int, length: int) -> None:
        if address < 0 or length < 0 or address + length > self.limit:
            raise GuestMemoryError(address, length,
                                   f"outside the {self.limit.bit_length() - 1}-bit physical address space")

    @property
    def pages_in_use(self) -> int:
        """How many 4 KiB pages have been written (the sparse footprint)."""
        return len(self._pages)

    def read(self, address: int, length: int) -> bytes:
        """``length`` bytes at ``address``; unwritten bytes read as zero."""
        self._check(address, length)
        out = bytearray()
        while length > 0:
            page, off = divmod(address, PAGE_SIZE)
            chunk = min(length, PAGE_SIZE - off)
            data = self._pages.get(page)
            out += data[off:off + chunk] if data is not None else bytes(chunk)
            address += chunk
            length -= chunk
        return bytes(out)

    def write(self, address: int, data: bytes) -> None:
        """Store ``data`` at ``address``, allocating pages as needed."""
        self._check(address, len(data))
        view = memoryview(data)
        while view:
            page, off = divmod(address, PAGE_SIZE)
            chunk = min(len(view), PAGE_SIZE - off)
            buf = self._pages.get(page)
            if buf is None:
                buf = self._pages[page] = bytearray(PAGE_SIZE)
            buf[off:off + chunk] = view[:chunk]
            address += chunk
            view = view[chunk:]

    def read_int(self, address: int, size: int) -> int:
        """Little-endian unsigned integer of ``size`` bytes."""
        return int.from_bytes(self.read(address, size), "little")

    def write_int(self, address: int, size: int, value: int) -> None:
        """Store the low ``size`` bytes of ``value`` little-endian."""
        self.write(address, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    def read_u8(self, address: int) -> int:
        return self.read_int(address, 1)

    def read_u16(self, address: int) -> int:
        return self.read_int(address, 2)

    def read_u32(self, address: int) -> int:
        return self.read_int(address, 4)

    def read_u64(self, address: int) -> int:
        return self.read_int(address, 8)

    def write_u8(self, address: int, value: int) -> None:
        self.write_int(address, 1, value)

    def write_u16(self, address: int, value: int) -> None:
        self.write_int(address, 2, value)

    def write_u32(self, address: int, value: int) -> None:
        self.write_int(address, 4, value)

    def write_u64(self, address: int, value: int) -> None:
        self.write_int(address, 8, value)
