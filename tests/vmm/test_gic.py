"""GICv3: a redistributor per possible vCPU that a guest can find by walking GICR_TYPER."""

import pytest

from vcpu_hotplug.arm.gic import GICR_FRAME_SIZE, GicdReg, GicrReg, GicrTyper, GicrWaker
from vcpu_hotplug.hw.errors import BusError
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP, Machine, MachineConfig


def walk_redistributors(m, base):
    """Linux's gic_iterate_rdists: read PIDR2 and TYPER frame by frame until Last."""
    found = []
    while True:
        assert (m.bus.read(base + GicrReg.PIDR2, 4) >> 4) & 0xF == 3
        typer = m.bus.read(base + GicrReg.TYPER, 8)
        found.append(typer >> GicrTyper.AFFINITY_SHIFT)
        if typer & GicrTyper.LAST:
            return found
        base += GICR_FRAME_SIZE


def aff_value(mpidr):
    return ((mpidr >> 32) & 0xFF) << 24 | (mpidr & 0xFF_FFFF)


@pytest.mark.parametrize("maxcpus", [1, 6, 123, 512])
def test_every_possible_vcpu_has_a_redistributor_with_its_affinity(maxcpus):
    m = Machine(MachineConfig(smp=f"cpus=1,maxcpus={maxcpus}"))
    seen = []
    for r in m.gic.ranges:
        seen += walk_redistributors(m, r.base)
    assert seen == [aff_value(v.mpidr) for v in m.vcpus]
    assert m.gic.ranges[0].base == 0x080A_0000
    assert sum(r.count for r in m.gic.ranges) == maxcpus
    if maxcpus > 123:
        assert m.gic.ranges[1].base == VIRT_MEMMAP.high_gic_redist2[0]


def test_redistributor_32_bit_typer_halves_and_waker():
    m = Machine(MachineConfig(smp="cpus=1,maxcpus=40"))
    base = m.gic.redistributor_base(17)
    assert m.bus.read(base + GicrReg.TYPER + 4, 4) == 0x101
    assert (m.bus.read(base + GicrReg.TYPER, 4) >> GicrTyper.PROCESSOR_NUMBER_SHIFT) & 0xFFFF == 17
    assert m.bus.read(base + GicrReg.WAKER, 4) & GicrWaker.CHILDREN_ASLEEP
    m.bus.write(base + GicrReg.WAKER, 4, 0)
    assert m.bus.read(base + GicrReg.WAKER, 4) == 0


def test_distributor_identifies_as_gicv3_with_room_for_the_spis():
    m = Machine(MachineConfig(smp="2"))
    dist = VIRT_MEMMAP.gic_dist[0]
    assert (m.bus.read(dist + GicdReg.PIDR2, 4) >> 4) & 0xF == 3
    it_lines = m.bus.read(dist + GicdReg.TYPER, 4) & 0x1F
    assert 32 * (it_lines + 1) >= 32 + 256
    m.bus.write(dist + GicdReg.IROUTER + 8 * 41, 8, 0x103)
    assert m.bus.read(dist + GicdReg.IROUTER + 8 * 41, 8) == 0x103


def test_unaligned_gic_access_is_a_bus_error():
    m = Machine(MachineConfig(smp="2"))
    with pytest.raises(BusError, match="0x8000002.*gicd\\+0x2: unaligned"):
        m.bus.read(VIRT_MEMMAP.gic_dist[0] + 2, 4)


def test_a_warm_reset_puts_the_gic_back_as_at_power_on():
    """QEMU's arm_gicv3_common_reset_hold: a new guest finds every redistributor asleep, the
    distributor disabled, no routing and no SPI left pending from the old guest."""
    m = Machine(MachineConfig(smp="cpus=2,maxcpus=4"))
    dist = VIRT_MEMMAP.gic_dist[0]
    rd1 = m.gic.redistributor_base(1)
    fresh = (m.bus.read(dist + GicdReg.CTLR, 4), m.bus.read(rd1 + GicrReg.WAKER, 4),
             m.bus.read(dist + GicdReg.IROUTER + 8 * 41, 8))
    m.bus.write(rd1 + GicrReg.WAKER, 4, 0)                       # the old guest woke CPU 1's redistributor
    m.bus.write(dist + GicdReg.CTLR, 4, 0x12)                    # enabled Group 1 with affinity routing
    m.bus.write(dist + GicdReg.IROUTER + 8 * 41, 8, 0x1)         # routed the GED's SPI to CPU 1
    m.bus.write(dist + GicdReg.ICENABLER + 4 * (41 // 32), 4, 1 << (41 % 32))
    m.gic.raise_spi(41, "ged")                                   # a GED pulse while it was masked
    assert 41 in m.gic.distributor.pending
    assert (m.bus.read(dist + GicdReg.CTLR, 4), m.bus.read(rd1 + GicrReg.WAKER, 4)) != fresh[:2]
    m.reset()
    assert (m.bus.read(dist + GicdReg.CTLR, 4), m.bus.read(rd1 + GicrReg.WAKER, 4),
            m.bus.read(dist + GicdReg.IROUTER + 8 * 41, 8)) == fresh
    assert not m.gic.distributor.pending
