"""The MMIO bus: dispatch by address, VM exits counted and traced, bad accesses named."""

import pytest

from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.errors import BusError, MappingError
from vcpu_hotplug.hw.trace import TraceKind


class Scratch:
    """A device that remembers writes per offset and reads them back."""

    def __init__(self):
        self.regs = {}
        self.log = []

    def read(self, offset, size):
        self.log.append(("r", offset, size))
        return self.regs.get(offset, 0)

    def write(self, offset, size, value):
        self.log.append(("w", offset, size, value))
        self.regs[offset] = value


def test_accesses_reach_the_device_with_offsets_relative_to_its_base():
    hw = HardwareBoundary()
    a, b = Scratch(), Scratch()
    hw.bus.map(0x0900_0000, 0x1000, a, "a")
    hw.bus.map(0x0908_0000, 0x10, b, "b")
    hw.bus.write(0x0908_0008, 4, 0xDEADBEEF)
    assert b.log == [("w", 8, 4, 0xDEADBEEF)] and a.log == []
    assert hw.bus.read(0x0908_0008, 4) == 0xDEADBEEF


@pytest.mark.parametrize("size", [1, 2, 4, 8])
def test_values_are_truncated_to_the_access_size(size):
    hw = HardwareBoundary()
    dev = Scratch()
    hw.bus.map(0x1000, 0x100, dev, "dev")
    hw.bus.write(0x1000, size, -1)
    assert dev.regs[0] == (1 << (8 * size)) - 1


def test_every_access_is_one_counted_and_traced_exit():
    hw = HardwareBoundary()
    hw.bus.map(0x1000, 0x100, Scratch(), "dev")
    hw.clock.advance_ns(500)
    hw.bus.write(0x1004, 1, 7)
    hw.bus.read(0x1004, 1)
    assert hw.bus.exits == 2 and hw.bus.exits_by_device["dev"] == 2
    assert hw.trace.mmio_exits() == 2
    write, read = hw.trace.filter(device="dev")
    assert (write.kind, write.offset, write.size, write.value, write.time_ns) == (TraceKind.MMIO_WRITE, 4, 1, 7, 500)
    assert (read.kind, read.value, read.address) == (TraceKind.MMIO_READ, 7, 0x1004)


def test_unmapped_access_names_the_address():
    hw = HardwareBoundary()
    hw.bus.map(0x1000, 0x100, Scratch(), "dev")
    with pytest.raises(BusError, match="0x1100"):
        hw.bus.read(0x1100, 4)
    with pytest.raises(BusError, match="0xfff"):
        hw.bus.write(0xFFF, 1, 0)
    assert hw.bus.exits == 0


def test_access_straddling_the_end_of_a_device_is_rejected():
    hw = HardwareBoundary()
    hw.bus.map(0x1000, 0xC, Scratch(), "cpuhp")
    with pytest.raises(BusError, match="past the end of cpuhp"):
        hw.bus.read(0x100A, 4)


@pytest.mark.parametrize("size", [0, 3, 16])
def test_only_architectural_access_sizes(size):
    hw = HardwareBoundary()
    hw.bus.map(0x1000, 0x100, Scratch(), "dev")
    with pytest.raises(BusError, match="access size"):
        hw.bus.read(0x1000, size)


def test_overlapping_mappings_are_refused_and_unmap_frees_the_range():
    hw = HardwareBoundary()
    hw.bus.map(0x2000, 0x1000, Scratch(), "first")
    with pytest.raises(MappingError, match="overlaps first"):
        hw.bus.map(0x1800, 0x1000, Scratch(), "second")
    with pytest.raises(MappingError, match="overlaps first"):
        hw.bus.map(0x2FFF, 0x10, Scratch(), "third")
    hw.bus.map(0x3000, 0x10, Scratch(), "adjacent")
    hw.bus.unmap(0x2000)
    with pytest.raises(BusError):
        hw.bus.read(0x2000, 4)
    hw.bus.map(0x1800, 0x800, Scratch(), "second")
    assert [r.name for r in hw.bus.regions] == ["second", "adjacent"]
