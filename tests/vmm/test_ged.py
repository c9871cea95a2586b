"""GED: the event selector clears on read; enable and disable pulse INTID 41."""

import pytest

from vcpu_hotplug.arm.gic import GicdReg
from vcpu_hotplug.hw.errors import BusError
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.ged import GedEvent
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine, MachineConfig

ESEL = VIRT_MEMMAP.ged[0]


def machine():
    m = Machine(MachineConfig(smp="cpus=2,maxcpus=6"))
    fired = []
    m.hw.irq.register(GED_INTID, lambda intid: fired.append((intid, m.bus.read(ESEL, 4))))
    return m, fired


def test_ged_is_where_qemu_virt_puts_it():
    assert ESEL == 0x0908_0000 and GED_INTID == 41 and GedEvent.CPU_HOTPLUG == 0x8


def test_enable_and_disable_fire_the_interrupt_and_the_handler_reads_the_cpu_event():
    m, fired = machine()
    m.enable(4)
    m.disable(1)
    assert fired == [(41, 0x8), (41, 0x8)]
    assert m.trace.count(TraceKind.IRQ, gsi=41) == 2


def test_selector_clears_on_read_and_accumulates_until_read():
    m = Machine(MachineConfig(smp="cpus=2,maxcpus=6"))
    m.ged.event(GedEvent.PWR_DOWN)
    m.enable(4)
    assert m.bus.read(ESEL, 4) == 0x8 | 0x2
    assert m.bus.read(ESEL, 4) == 0
    m.bus.write(ESEL, 4, 0xFFFF_FFFF)      # read-only: a write never raises an event
    assert m.bus.read(ESEL, 4) == 0


def test_a_masked_ged_interrupt_is_held_pending_and_delivered_on_unmask():
    m, fired = machine()
    bank = (GED_INTID // 32) * 4
    m.bus.write(VIRT_MEMMAP.gic_dist[0] + GicdReg.ICENABLER + bank, 4, 1 << (GED_INTID % 32))
    m.enable(4)
    assert fired == []
    assert m.bus.read(VIRT_MEMMAP.gic_dist[0] + GicdReg.ISPENDR + bank, 4) == 1 << (GED_INTID % 32)
    m.bus.write(VIRT_MEMMAP.gic_dist[0] + GicdReg.ISENABLER + bank, 4, 1 << (GED_INTID % 32))
    assert fired == [(41, 0x8)]


def test_only_4_byte_accesses_decode_like_qemus_ged():
    m = Machine(MachineConfig(smp="2"))
    m.ged.event(GedEvent.CPU_HOTPLUG)
    for size in (1, 2):
        with pytest.raises(BusError, match="4-byte accesses only"):
            m.bus.read(ESEL, size)
    assert m.bus.read(ESEL, 4) == 0x8       # a rejected access did not clear the selector
