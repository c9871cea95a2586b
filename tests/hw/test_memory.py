"""Guest physical memory: sparse, little-endian, bounded by the physical address width."""

import pytest

from vcpu_hotplug.hw.errors import GuestMemoryError, HwError
from vcpu_hotplug.hw.memory import PAGE_SIZE, GuestMemory


def test_unwritten_memory_reads_zero_and_allocates_nothing():
    mem = GuestMemory()
    assert mem.read(0x4000_0000, 16) == bytes(16)
    assert mem.pages_in_use == 0


def test_write_across_a_page_boundary_reads_back():
    mem = GuestMemory()
    data = bytes(range(200))
    address = 3 * PAGE_SIZE - 100
    mem.write(address, data)
    assert mem.read(address, 200) == data
    assert mem.pages_in_use == 2


def test_integers_are_little_endian():
    mem = GuestMemory()
    mem.write_u64(0x1000, 0x1122334455667788)
    assert mem.read(0x1000, 8) == bytes.fromhex("8877665544332211")
    assert mem.read_u32(0x1000) == 0x55667788
    assert mem.read_u16(0x1006) == 0x1122
    mem.write_u8(0x1000, 0x1FF)  # only the low byte is stored
    assert mem.read_u8(0x1000) == 0xFF


def test_access_beyond_the_address_space_names_the_address():
    mem = GuestMemory(address_bits=32)
    with pytest.raises(GuestMemoryError, match="0xfffffffe") as info:
        mem.write_u32(0xFFFF_FFFE, 1)
    assert isinstance(info.value, HwError)
