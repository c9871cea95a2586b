"""QEMU's real x86 CPU hotplug AML (reference-tables/qemu/x86-q35/DSDT.cphp) against a test
implementation of QEMU's register block (QEMU docs/specs/acpi_cpu_hotplug.rst, DESIGN.md
section 3), here at SystemIO 0x0cd8 as that DSDT declares; and the arm64 RFC v5 DSDT
(qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6), whose block is MMIO at 0x090C0000 with a "present"
flag (bit 5) and whose GED ``_EVT`` reads its event register and scans on bit 0x8.

``\\_SB.CPUS.CSCN`` must Notify(Cxxx, 1) for a CPU with an insert event and Notify(Cxxx, 3)
for a CPU with a remove event, and clear those events; each ``Cxxx._STA`` must follow the
block's "enabled" bit (0x0F or 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vcpu_hotplug.acpi.aml import Interpreter, RegionSpace

BASE = 0x0CD8
BLOCK_LENGTH = 12
# Register offsets and bits of docs/specs/acpi_cpu_hotplug.rst.
SELECTOR, FLAGS, COMMAND, DATA = 0x0, 0x4, 0x5, 0x8
ENABLED, INSERT, REMOVE, EJECT, PRESENT = 0x01, 0x02, 0x04, 0x08, 0x20
CMD_NEXT_EVENT, CMD_OST_EVENT, CMD_OST_STATUS, CMD_ARCH_ID = 0, 1, 2, 3
CPU_COUNT = 6


@dataclass
class Cpu:
    enabled: bool = False
    present: bool = True
    inserting: bool = False
    removing: bool = False
    ejected: bool = False


@dataclass
class CpuHotplugBlock:
    """QEMU's CPU hotplug register block (hw/acpi/cpu.c behaviour), one access at a time."""

    cpus: list[Cpu]
    space: int = RegionSpace.SYSTEM_IO
    base: int = BASE
    selector: int = 0
    command: int = 0
    ost: list[tuple[int, int]] = field(default_factory=list)
    accesses: list[tuple[str, int, int, int]] = field(default_factory=list)
    memory: dict = field(default_factory=dict)

    def read(self, space, address, size):
        if space != self.space or not self.base <= address < self.base + BLOCK_LENGTH:
            return 0
        off = address - self.base
        cpu = self.cpus[self.selector] if self.selector < len(self.cpus) else Cpu()
        value = 0
        if off == FLAGS and size == 1:
            value = (ENABLED if cpu.enabled else 0) | (INSERT if cpu.inserting else 0) | \
                    (REMOVE if cpu.removing else 0) | (PRESENT if cpu.present else 0)
        elif off == DATA and size == 4:
            if self.command == CMD_NEXT_EVENT:
                value = self.selector
            elif self.command == CMD_ARCH_ID:
                value = self.selector
        self.accesses.append(("read", off, size, value))
        return value

    def write(self, space, address, size, value):
        if space != self.space or not self.base <= address < self.base + BLOCK_LENGTH:
            return
        off = address - self.base
        self.accesses.append(("write", off, size, value))
        if off == SELECTOR and size == 4:
            self.selector = value
        elif off == FLAGS and size == 1:
            cpu = self.cpus[self.selector]
            if value & INSERT:
                cpu.inserting = False
            if value & REMOVE:
                cpu.removing = False
            if value & EJECT:
                cpu.ejected, cpu.enabled = True, False
        elif off == COMMAND and size == 1:
            self.command = value
            if value == CMD_NEXT_EVENT:
                for i in range(self.selector, len(self.cpus)):
                    if self.cpus[i].inserting or self.cpus[i].removing:
                        self.selector = i
                        break
        elif off == DATA and size == 4:
            self.ost.append((self.command, value))


@pytest.fixture()
def dsdt(reference_tables):
    return (reference_tables / "qemu" / "x86-q35" / "DSDT.cphp").read_bytes()


def _machine(dsdt, enabled=(0, 1)):
    block = CpuHotplugBlock([Cpu(enabled=i in enabled) for i in range(CPU_COUNT)])
    notes = []
    interp = Interpreter(handler=block, notify=lambda path, value: notes.append((path, value)))
    interp.load(dsdt)
    return interp, block, notes


def test_table_loads_completely(dsdt):
    interp, _, _ = _machine(dsdt)
    assert interp.load_errors == []
    cpus = [path for path, _ in interp.devices("ACPI0007")]
    assert cpus == [f"\\_SB.CPUS.C00{i}" for i in range(CPU_COUNT)]
    for name in ("CSCN", "CSTA", "CEJ0", "COST", "CTFY"):
        assert interp.object_type(f"\\_SB.CPUS.{name}") == "Method"
    assert interp.object_type("\\_SB.PCI0.PRES.CPEN") == "FieldUnit"


def test_sta_follows_enabled_bit(dsdt):
    interp, block, _ = _machine(dsdt, enabled=(0, 1))
    assert [interp.evaluate(f"\\_SB.CPUS.C00{i}._STA") for i in range(CPU_COUNT)] == \
        [0x0F, 0x0F, 0, 0, 0, 0]
    block.cpus[4].enabled = True
    assert interp.evaluate("\\_SB.CPUS.C004._STA") == 0x0F
    # CSTA selects the CPU with one DWORD write and reads the flags byte once.
    block.accesses.clear()
    interp.evaluate("\\_SB.CPUS.C004._STA")
    assert block.accesses == [("write", SELECTOR, 4, 4), ("read", FLAGS, 1, ENABLED | PRESENT)]


def test_scan_notifies_insert_and_remove(dsdt):
    interp, block, notes = _machine(dsdt, enabled=(0, 1, 2))
    block.cpus[3].enabled = block.cpus[3].inserting = True       # hot-added
    block.cpus[1].removing = True                                # unplug requested
    interp.evaluate("\\_SB.CPUS.CSCN")
    assert notes == [("\\_SB.CPUS.C001", 3), ("\\_SB.CPUS.C003", 1)]
    assert not any(c.inserting or c.removing for c in block.cpus)
    # Acknowledging an event writes the flags byte once, WriteAsZeros: no read first.
    acks = [a for a in block.accesses if a[0] == "write" and a[1] == FLAGS]
    assert acks == [("write", FLAGS, 1, REMOVE), ("write", FLAGS, 1, INSERT)]
    assert interp.evaluate("\\_SB.CPUS.C003._STA") == 0x0F


def test_scan_without_events_notifies_nothing(dsdt):
    interp, block, notes = _machine(dsdt)
    interp.evaluate("\\_SB.CPUS.CSCN")
    assert notes == []


def test_eject_and_ost_reach_the_block(dsdt):
    interp, block, _ = _machine(dsdt, enabled=(0, 1))
    interp.evaluate("\\_SB.CPUS.C001._OST", 0x03, 0x80, b"")
    assert block.ost == [(CMD_OST_EVENT, 0x03), (CMD_OST_STATUS, 0x80)]
    interp.evaluate("\\_SB.CPUS.C001._EJ0", 1)
    assert block.cpus[1].ejected and interp.evaluate("\\_SB.CPUS.C001._STA") == 0


ARM_BLOCK = 0x090C0000
GED_EVENT = 0x09080000
GED_CPU_EVENT = 0x8


class ArmMachine(CpuHotplugBlock):
    """The RFC's MMIO block plus the GED event selector register (read clears it)."""

    ged_event: int = 0

    def read(self, space, address, size):
        if space == RegionSpace.SYSTEM_MEMORY and address == GED_EVENT:
            value, self.ged_event = self.ged_event, 0
            return value
        return super().read(space, address, size)


@pytest.fixture()
def arm_dsdt(reference_tables):
    return (reference_tables / "qemu-rfc-v5" / "aarch64-virt-cpus2-maxcpus6" / "DSDT").read_bytes()


def test_arm64_rfc_sta_is_present_not_enabled(arm_dsdt):
    block = ArmMachine([Cpu(enabled=i < 2) for i in range(CPU_COUNT)], space=RegionSpace.SYSTEM_MEMORY,
                       base=ARM_BLOCK)
    interp = Interpreter(handler=block)
    interp.load(arm_dsdt)
    assert interp.load_errors == []
    assert [interp.evaluate(f"\\_SB.CPUS.C00{i}._STA") for i in range(CPU_COUNT)] == \
        [0x0F, 0x0F, 0x0D, 0x0D, 0x0D, 0x0D]
    block.cpus[5].present = False
    assert interp.evaluate("\\_SB.CPUS.C005._STA") == 0


def test_arm64_rfc_ged_event_scans_cpus(arm_dsdt):
    block = ArmMachine([Cpu(enabled=i < 2) for i in range(CPU_COUNT)], space=RegionSpace.SYSTEM_MEMORY,
                       base=ARM_BLOCK)
    notes = []
    interp = Interpreter(handler=block, notify=lambda p, v: notes.append((p, v)))
    interp.load(arm_dsdt)
    block.cpus[2].enabled = block.cpus[2].inserting = True
    block.ged_event = GED_CPU_EVENT
    interp.evaluate("\\_SB.GED._EVT", 0x29)
    assert notes == [("\\_SB.CPUS.C002", 1)]
    assert interp.evaluate("\\_SB.CPUS.C002._STA") == 0x0F
    notes.clear()
    interp.evaluate("\\_SB.GED._EVT", 0x29)          # event register cleared: nothing to do
    assert notes == []
