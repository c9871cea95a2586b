"""Our machine's layout agrees with what QEMU's arm64 RFC describes for -smp cpus=2,maxcpus=6.

The real tables are the witness: distributor, ITS and redistributor bases,
one GICC MPIDR per possible vCPU, the PMU PPI and the timer PPIs.
"""

from vcpu_hotplug.acpi.gtdt import Gtdt
from vcpu_hotplug.acpi.madt import Gicd, GicIts, Gicr, Madt
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP, VIRT_PPIS, Machine, MachineConfig

from tests.conftest import require

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"


def read(reference_tables, name):
    path = reference_tables / RFC / name
    require(path.is_file(), str(path))
    return path.read_bytes()


def test_gic_layout_and_mpidrs_match_the_rfc_madt(reference_tables):
    madt = Madt.decode(read(reference_tables, "APIC"))
    m = Machine(MachineConfig(smp="cpus=2,maxcpus=6"))
    (gicd,) = madt.of_type(Gicd)
    (gicr,) = madt.of_type(Gicr)
    (its,) = madt.of_type(GicIts)
    assert gicd.physical_base_address == m.gic.dist_base == VIRT_MEMMAP.gic_dist[0]
    assert its.physical_base_address == VIRT_MEMMAP.gic_its[0]
    assert (gicr.discovery_range_base_address, gicr.discovery_range_length) == VIRT_MEMMAP.gic_redist
    assert m.gic.ranges[0].base == gicr.discovery_range_base_address
    assert [g.mpidr for g in madt.giccs] == [v.mpidr for v in m.vcpus]
    assert {g.performance_interrupt_gsiv for g in madt.giccs} == {VIRT_PPIS.pmu}


def test_timer_ppis_match_the_rfc_gtdt(reference_tables):
    gtdt = Gtdt.decode(read(reference_tables, "GTDT"))
    assert gtdt.secure_el1_timer_gsiv == VIRT_PPIS.timer_s_el1
    assert gtdt.non_secure_el1_timer_gsiv == VIRT_PPIS.timer_ns_el1
    assert gtdt.virtual_el1_timer_gsiv == VIRT_PPIS.timer_virt
    assert gtdt.el2_timer_gsiv == VIRT_PPIS.timer_ns_el2
