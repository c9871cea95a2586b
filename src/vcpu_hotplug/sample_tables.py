"""Static ACPI tables of a sample arm64 ``virt``-like machine with hotpluggable vCPUs.

Builds RSDP, XSDT, FADT, an empty DSDT, MADT, GTDT and PPTT the way
``../shared/DESIGN.md`` section 1 describes: a GICC for every *possible*
vCPU (``0 .. cpus-1`` Enabled, the rest Online Capable only, as Linux's
``Documentation/arch/arm64/cpu-hotplug.rst`` expects), one always-on GICR
discovery range covering every redistributor, a GIC ITS, one processor
package in the PPTT with a leaf per vCPU, and the architected timers in the
GTDT. Addresses follow QEMU's ``hw/arm/virt.c`` memory map.

This is the ``make demo`` stand-in until the VMM's own table builder
exists; the VMM will replace it.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcpu_hotplug.acpi.fadt import FADT_LENGTH, ArmBootArch, Fadt, FadtFlags
from vcpu_hotplug.acpi.generic import GenericTable
from vcpu_hotplug.acpi.gtdt import Gtdt, TimerFlags
from vcpu_hotplug.acpi.header import HEADER_LENGTH, SdtHeader
from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, Gicd, GicIts, Gicr, GicVersion, Madt, MadtLayout
from vcpu_hotplug.acpi.pptt import Pptt, ProcessorFlags, ProcessorNode
from vcpu_hotplug.acpi.registry import AnyTable
from vcpu_hotplug.acpi.rsdp import RSDP_V2_LENGTH, Rsdp
from vcpu_hotplug.acpi.xsdt import Xsdt

# QEMU hw/arm/virt.c memory map (GICv3)
GICD_BASE = 0x0800_0000
GIC_ITS_BASE = 0x0808_0000
GICR_BASE = 0x080A_0000
GICR_STRIDE = 0x2_0000
"""One GICv3 redistributor: RD_base and SGI_base frames of 64 KiB each."""

TABLES_BASE = 0x4000_0000
"""Where the sample places its tables (start of RAM on virt)."""
TABLE_ALIGN = 8

MAX_VCPUS = 512
"""KVM's maximum number of vCPUs per VM (DESIGN.md section 3)."""

PPI_BASE_GSIV = 16
PMU_PPI = 7
SECURE_EL1_TIMER_PPI = 13
NON_SECURE_EL1_TIMER_PPI = 14
VIRTUAL_EL1_TIMER_PPI = 11
EL2_TIMER_PPI = 10
NO_COUNTER_BLOCK = 0xFFFF_FFFF_FFFF_FFFF
"""CntControlBase/CntReadBase value meaning "not provided" (5.2.25)."""

HYPERVISOR_VENDOR_ID = int.from_bytes(b"VCPUHPLG", "little")
DSDT_REVISION = 2

# MPIDR affinity packing for the sample (DESIGN.md section 3: at most 16 CPUs per Aff0 with GICv3)
CPUS_PER_AFF0 = 16
AFF1_SPAN = 256
AFF1_SHIFT = 8
AFF2_SHIFT = 16


def mpidr_of(cpu: int) -> int:
    """MPIDR of vCPU ``cpu``: Aff0 = id % 16, Aff1 = (id / 16) % 256, Aff2 = id / 4096."""
    aff0 = cpu % CPUS_PER_AFF0
    aff1 = (cpu // CPUS_PER_AFF0) % AFF1_SPAN
    aff2 = cpu // (CPUS_PER_AFF0 * AFF1_SPAN)
    return aff0 | aff1 << AFF1_SHIFT | aff2 << AFF2_SHIFT


@dataclass
class PlacedTable:
    """A table with the guest physical address it is placed at and its encoded bytes."""

    address: int
    table: AnyTable
    data: bytes


def build_madt(cpus: int, maxcpus: int, layout: MadtLayout) -> Madt:
    madt = Madt.new(layout)
    madt.subtables.append(Gicd(physical_base_address=GICD_BASE, gic_version=GicVersion.GICV3))
    for cpu in range(maxcpus):
        flags = GiccFlags.ENABLED if cpu < cpus else GiccFlags.ONLINE_CAPABLE
        madt.subtables.append(Gicc(acpi_processor_uid=cpu, flags=flags, mpidr=mpidr_of(cpu),
                                   performance_interrupt_gsiv=PPI_BASE_GSIV + PMU_PPI))
    madt.subtables.append(Gicr(discovery_range_base_address=GICR_BASE,
                               discovery_range_length=GICR_STRIDE * maxcpus))
    madt.subtables.append(GicIts(physical_base_address=GIC_ITS_BASE))
    return madt


def build_pptt(maxcpus: int) -> Pptt:
    pptt = Pptt.new()
    package = pptt.add(ProcessorNode(flags=ProcessorFlags.PHYSICAL_PACKAGE))
    for cpu in range(maxcpus):
        pptt.add(ProcessorNode(flags=ProcessorFlags.ACPI_PROCESSOR_ID_VALID | ProcessorFlags.NODE_IS_A_LEAF,
                               parent=package, acpi_processor_id=cpu))
    return pptt


def build_gtdt() -> Gtdt:
    return Gtdt.new(cnt_control_base=NO_COUNTER_BLOCK, cnt_read_base=NO_COUNTER_BLOCK,
                    secure_el1_timer_gsiv=PPI_BASE_GSIV + SECURE_EL1_TIMER_PPI,
                    non_secure_el1_timer_gsiv=PPI_BASE_GSIV + NON_SECURE_EL1_TIMER_PPI,
                    non_secure_el1_timer_flags=TimerFlags.ALWAYS_ON_CAPABLE,
                    virtual_el1_timer_gsiv=PPI_BASE_GSIV + VIRTUAL_EL1_TIMER_PPI,
                    el2_timer_gsiv=PPI_BASE_GSIV + EL2_TIMER_PPI,
                    virtual_el2_timer_gsiv=0, virtual_el2_timer_flags=TimerFlags(0))


def _align(value: int) -> int:
    return (value + TABLE_ALIGN - 1) // TABLE_ALIGN * TABLE_ALIGN


def build_sample_tables(cpus: int, maxcpus: int, *, layout: MadtLayout = MadtLayout.ACPI_6_5,
                        base: int = TABLES_BASE) -> list[PlacedTable]:
    """The static tables of a machine with ``cpus`` enabled of ``maxcpus`` possible vCPUs.

    Returned in memory order: RSDP, XSDT, FADT, DSDT, MADT, GTDT, PPTT,
    with the XSDT and FADT pointing at the others' addresses.
    """
    if not 1 <= cpus <= maxcpus:
        raise ValueError(f"need 1 <= cpus <= maxcpus, got cpus={cpus} maxcpus={maxcpus}")
    if maxcpus > MAX_VCPUS:
        raise ValueError(f"maxcpus {maxcpus} exceeds KVM's limit of {MAX_VCPUS} vCPUs")
    minor = 4 if layout is MadtLayout.ACPI_6_4 else 5
    dsdt = GenericTable(header=SdtHeader("DSDT", revision=DSDT_REVISION))
    madt = build_madt(cpus, maxcpus, layout)
    gtdt = build_gtdt()
    pptt = build_pptt(maxcpus)
    fadt = Fadt.new(flags=FadtFlags.HW_REDUCED_ACPI,
                    arm_boot_arch=ArmBootArch.PSCI_COMPLIANT | ArmBootArch.PSCI_USE_HVC,
                    minor_version=minor, hypervisor_vendor_identity=HYPERVISOR_VENDOR_ID)
    listed = [fadt, madt, gtdt, pptt]
    xsdt = Xsdt.new([0] * len(listed))
    rsdp = Rsdp()

    sizes = [RSDP_V2_LENGTH, HEADER_LENGTH + Xsdt.ENTRY_SIZE * len(listed), FADT_LENGTH,
             len(dsdt.encode()), len(madt.encode()), len(gtdt.encode()), len(pptt.encode())]
    order: list[AnyTable] = [rsdp, xsdt, fadt, dsdt, madt, gtdt, pptt]
    addresses = []
    pos = base
    for size in sizes:
        addresses.append(pos)
        pos = _align(pos + size)
    at = dict(zip(map(id, order), addresses))
    rsdp.xsdt_address = at[id(xsdt)]
    xsdt.entries = [at[id(t)] for t in listed]
    fadt.x_dsdt = at[id(dsdt)]
    return [PlacedTable(at[id(t)], t, t.encode()) for t in order]
