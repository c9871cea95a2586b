"""The firmware tables of a :class:`~vcpu_hotplug.vmm.machine.Machine`, laid out in guest memory.

The VMM plays firmware, so it hands the guest what UEFI would: ACPI tables
in a table area of guest RAM and the RSDP's address (UEFI's configuration
table entry, ``EFI_ACPI_20_TABLE_GUID``). A guest that has only guest memory
and that address finds everything: RSDP -> XSDT -> FADT (-> X_DSDT), MADT,
GTDT, PPTT.

What each table says, following QEMU's ``hw/arm/virt-acpi-build.c`` and the
arm64 vCPU hotplug RFC (``reference-tables/qemu-rfc-v5``), and
``Documentation/arch/arm64/cpu-hotplug.rst``:

- RSDP revision 2 (ACPI 6.5 section 5.2.5.3) with the XSDT's address.
- XSDT: FADT, MADT, GTDT, PPTT.
- FADT (5.2.9): hardware reduced, ``ARM_BOOT_ARCH`` PSCI compliant with the
  HVC conduit, ``X_DSDT``; QEMU's hypervisor vendor identity is replaced by
  ours.
- MADT (5.2.12): the GICD; one GICC per *possible* vCPU, ``_UID`` = ACPI
  Processor UID = CPU interface number = vCPU index, MPIDR = the vCPU's
  affinity, the PMU PPI; the boot vCPU *Enabled*, every other vCPU *Online
  Capable* and not Enabled, including those policy enables at boot (their
  ``_STA`` says enabled and PSCI lets them start): firmware may disable them
  later, and ``cpu-hotplug.rst`` asks that a CPU Enabled in the MADT never
  change its ``_STA`` (kexec re-reads the static tables), as the arm64 RFC
  marks only CPU 0 Enabled; GICC ``GICR Base Address`` 0 because one
  GICR structure per redistributor range (always-on, what hotplug needs)
  covers every redistributor (:attr:`~vcpu_hotplug.vmm.gic.GicV3.ranges`:
  two ranges beyond 123 vCPUs, as on QEMU); the ITS. :class:`FirmwareOptions`
  chooses the ACPI 6.5 layout (MADT revision 6, 82-byte GICC) or 6.4
  (revision 5, 80-byte GICC, for tools that predate ACPI 6.5 such as iasl
  20200925).
- GTDT (5.2.25): the architected timer PPIs of QEMU virt, no memory-mapped
  counter block.
- PPTT (5.2.30): QEMU's ``build_pptt()`` (``hw/acpi/aml-build.c``): for
  every vCPU in index order a socket node (physical package) when the socket
  changes, a cluster node when the machine has more than one cluster per
  socket (QEMU: when ``clusters`` was given), then either a leaf (ACPI
  processor id valid) when there is one thread per core, or a core node and
  a thread leaf. Leaves carry the vCPU index as ACPI processor id, the same
  as the MADT UID.
- DSDT: :mod:`vcpu_hotplug.vmm.dsdt` (ours), or QEMU RFC V5's own
  (:mod:`vcpu_hotplug.vmm.dsdt_qemu`).

:class:`FirmwareOptions` holds every choice where QEMU RFC V5's tables differ
from ours (``vcpu_hotplug.profiles`` names the two sets): the header
identity (QEMU: OEM ``BOCHS ``/``BXPC``, creator ``BXPC`` 1), the MADT
layout (QEMU: revision 4, 80-byte GICC), the GICR structures
(:class:`GicrRanges`: QEMU describes the whole redistributor region of its
memory map, 0xF60000 bytes, whatever the vCPU count), the FADT minor version
(QEMU: 3) and hypervisor vendor (QEMU: "QEMU"), the PPTT cluster level
(:class:`PpttClusterLevel`: QEMU keeps it whenever ``-smp`` names
``clusters``, even ``clusters=1``) and the DSDT (:class:`DsdtStyle`).

Layout: one table area, RSDP first, then XSDT, FADT, DSDT, MADT, GTDT, PPTT,
each 8-byte aligned. By default the area ends at the top of RAM (where EDK2
puts its ACPI reclaim memory), aligned down to 64 KiB.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from vcpu_hotplug.acpi.fadt import ArmBootArch, Fadt, FadtFlags
from vcpu_hotplug.acpi.gtdt import Gtdt, TimerFlags
from vcpu_hotplug.acpi.header import SdtHeader
from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, Gicd, GicIts, Gicr, GicVersion, Madt, MadtLayout
from vcpu_hotplug.acpi.pptt import Pptt, ProcessorFlags, ProcessorNode
from vcpu_hotplug.acpi.rsdp import Rsdp
from vcpu_hotplug.acpi.xsdt import Xsdt
from vcpu_hotplug.arm.gic import SPI_BASE
from vcpu_hotplug.hw.memory import GuestMemory
from vcpu_hotplug.vmm.dsdt import DsdtConfig, build_dsdt
from vcpu_hotplug.vmm.dsdt_qemu import build_qemu_dsdt
from vcpu_hotplug.vmm.errors import ConfigError
from vcpu_hotplug.vmm.machine import GED_INTID, UART_SPI, VIRT_PPIS, Machine
from vcpu_hotplug.vmm.vcpu import BOOT_VCPU

OEM_ID = "VCPUHP"
OEM_TABLE_ID = "VCPUHPVM"

CREATOR_ID = "VCHP"
HYPERVISOR_VENDOR = b"VCPUHPLG"
"""FADT Hypervisor Vendor Identity, 8 bytes as they lie in the table (QEMU puts "QEMU" there)."""
HYPERVISOR_VENDOR_ID = int.from_bytes(HYPERVISOR_VENDOR, "little")

FADT_MINOR_6_4 = 4
FADT_MINOR_6_5 = 5
PPTT_REVISION_QEMU = 2
"""QEMU's build_pptt() emits revision 2 (processor nodes are the same in 3)."""

NO_COUNTER_BLOCK = 0xFFFF_FFFF_FFFF_FFFF
"""GTDT CntControlBase/CntReadBase: not provided (section 5.2.25)."""

TABLE_ALIGN = 8
AREA_ALIGN = 0x1_0000
"""64 KiB: the table area starts on a page of any arm64 granule."""

SIGNATURE_ORDER = ("RSDP", "XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT")
"""Memory order of the tables in the area."""
XSDT_LISTED = ("FACP", "APIC", "GTDT", "PPTT")


class GicrRanges(enum.Enum):
    """What the MADT's GICR structures cover."""

    USED = "used"
    """One per redistributor range the machine's vCPUs use (:attr:`GicV3.ranges`)."""
    MEMMAP = "memmap"
    """QEMU ``build_madt``: the whole ``VIRT_GIC_REDIST`` region (0xF60000 bytes), plus
    ``VIRT_HIGH_GIC_REDIST2`` when it holds vCPUs (``virt_gicv3_redist_region_count``)."""


class PpttClusterLevel(enum.Enum):
    """When the PPTT has a cluster node between socket and core."""

    SEVERAL = "several"
    """Only when a socket has more than one cluster (a level of one node says nothing)."""
    NAMED = "named"
    """QEMU ``build_pptt``: whenever ``-smp`` names ``clusters`` (``smp_props.has_clusters``)."""


class DsdtStyle(enum.Enum):
    """Which AML the DSDT carries."""

    REFERENCE = "reference"
    """:mod:`vcpu_hotplug.vmm.dsdt`: processor devices ``\\_SB.Cxxx``, constant cost per event, on the
    register block's fast path."""
    REFERENCE_QEMU_BLOCK = "reference-qemu-block"
    """The same AML on QEMU's 12-byte interface only (``DsdtConfig.fast_path`` False): what a VMM whose
    block is QEMU's can run, such as real QEMU RFC V5 in the real-Linux rig."""
    QEMU_RFC_V5 = "qemu-rfc-v5"
    """:mod:`vcpu_hotplug.vmm.dsdt_qemu`: ``\\_SB.CPUS.Cxxx``, QEMU's bytes."""


@dataclass(frozen=True)
class FirmwareOptions:
    """Choices a VMM user can make about the tables (defaults: this project's design)."""

    madt_layout: MadtLayout = MadtLayout.ACPI_6_5
    area_base: int | None = None
    """Guest physical address of the table area; None = at the top of RAM."""
    oem_id: str = OEM_ID
    oem_table_id: str = OEM_TABLE_ID
    creator_id: str = CREATOR_ID
    creator_revision: int = 1
    oem_revision: int = 1
    gicr_ranges: GicrRanges = GicrRanges.USED
    fadt_minor_version: int | None = None
    """None: follow :attr:`madt_layout` (4 for ACPI 6.4, else 5)."""
    hypervisor_vendor: bytes = HYPERVISOR_VENDOR
    pptt_cluster_level: PpttClusterLevel = PpttClusterLevel.SEVERAL
    dsdt: DsdtStyle = DsdtStyle.REFERENCE

    def __post_init__(self) -> None:
        if len(self.hypervisor_vendor) > 8:
            raise ConfigError("hypervisor_vendor", f"{self.hypervisor_vendor!r} is longer than 8 bytes")


@dataclass
class FirmwareImage:
    """The encoded tables and where they go: ``tables[signature]`` is at ``addresses[signature]``.

    The RSDP is under the key ``"RSDP"``; :attr:`rsdp_address` is what the
    guest is handed.
    """

    rsdp_address: int
    tables: dict[str, bytes]
    addresses: dict[str, int]
    area_base: int
    area_size: int
    placed_in: list[GuestMemory] = field(default_factory=list, repr=False)

    def place(self, memory: GuestMemory) -> int:
        """Write every table into ``memory`` at its address; returns the RSDP address (the hand-off)."""
        for signature in SIGNATURE_ORDER:
            memory.write(self.addresses[signature], self.tables[signature])
        self.placed_in.append(memory)
        return self.rsdp_address

    def in_memory_order(self) -> list[tuple[str, int, bytes]]:
        """``(signature, address, bytes)`` for each table, by address."""
        return [(s, self.addresses[s], self.tables[s]) for s in SIGNATURE_ORDER]


# ------------------------------------------------------------------ tables --


def _header(signature: str, revision: int, options: FirmwareOptions) -> SdtHeader:
    return SdtHeader(signature, revision=revision, oem_id=options.oem_id, oem_table_id=options.oem_table_id,
                     oem_revision=options.oem_revision, creator_id=options.creator_id,
                     creator_revision=options.creator_revision)


def build_madt(machine: Machine, layout: MadtLayout = MadtLayout.ACPI_6_5,
               options: FirmwareOptions | None = None) -> Madt:
    """GICD, a GICC per possible vCPU, a GICR per redistributor range, the ITS."""
    options = options or FirmwareOptions(madt_layout=layout)
    madt = Madt(header=_header("APIC", layout.revision, options))
    madt.subtables.append(Gicd(physical_base_address=machine.memmap.gic_dist[0], gic_version=GicVersion.GICV3))
    for vcpu in machine.vcpus:
        flags = GiccFlags.ENABLED if vcpu.is_boot else GiccFlags.ONLINE_CAPABLE
        madt.subtables.append(Gicc(cpu_interface_number=vcpu.index, acpi_processor_uid=vcpu.index,
                                   flags=flags, performance_interrupt_gsiv=VIRT_PPIS.pmu,
                                   gicr_base_address=0, mpidr=vcpu.mpidr))
    for base, length in _gicr_ranges(machine, options.gicr_ranges):
        madt.subtables.append(Gicr(discovery_range_base_address=base, discovery_range_length=length))
    madt.subtables.append(GicIts(physical_base_address=machine.memmap.gic_its[0]))
    return madt


def _gicr_ranges(machine: Machine, which: GicrRanges) -> list[tuple[int, int]]:
    used = [(rng.base, rng.length) for rng in machine.gic.ranges]
    if which is GicrRanges.USED:
        return used
    regions = [machine.memmap.gic_redist, machine.memmap.high_gic_redist2]
    return regions[:len(used)]


def _clusters_named(machine: Machine) -> bool:
    """True when the machine's ``-smp`` text names ``clusters`` (QEMU's ``has_clusters``)."""
    smp = machine.config.smp
    if not isinstance(smp, str):
        return machine.smp.clusters > 1
    return any(part.split("=", 1)[0].strip() == "clusters" for part in smp.split(","))


def build_gtdt(options: FirmwareOptions | None = None) -> Gtdt:
    """QEMU virt's timers (level triggered, active high; the NS EL1 timer always-on capable)."""
    options = options or FirmwareOptions()
    gtdt = Gtdt.new(cnt_control_base=NO_COUNTER_BLOCK, cnt_read_base=NO_COUNTER_BLOCK,
                    secure_el1_timer_gsiv=VIRT_PPIS.timer_s_el1,
                    non_secure_el1_timer_gsiv=VIRT_PPIS.timer_ns_el1,
                    non_secure_el1_timer_flags=TimerFlags.ALWAYS_ON_CAPABLE,
                    virtual_el1_timer_gsiv=VIRT_PPIS.timer_virt,
                    el2_timer_gsiv=VIRT_PPIS.timer_ns_el2,
                    virtual_el2_timer_gsiv=0, virtual_el2_timer_flags=TimerFlags(0))
    gtdt.header = _header("GTDT", gtdt.header.revision, options)
    return gtdt


def build_pptt(machine: Machine, options: FirmwareOptions | None = None) -> Pptt:
    """The whole ``-smp`` topology, node for node as QEMU's ``build_pptt()``."""
    options = options or FirmwareOptions()
    smp = machine.smp
    pptt = Pptt(header=_header("PPTT", PPTT_REVISION_QEMU, options))
    socket = cluster = core = None
    socket_off = cluster_off = core_off = 0
    leaf = ProcessorFlags.ACPI_PROCESSOR_ID_VALID | ProcessorFlags.NODE_IS_A_LEAF
    for t in machine.topology.cpus:
        if t.socket_id != socket:
            socket, cluster, core = t.socket_id, None, None
            socket_off = pptt.add(ProcessorNode(flags=ProcessorFlags.PHYSICAL_PACKAGE, parent=0,
                                                acpi_processor_id=t.socket_id))
        if smp.clusters > 1 or (options.pptt_cluster_level is PpttClusterLevel.NAMED
                                and _clusters_named(machine)):
            if t.cluster_id != cluster:
                cluster, core = t.cluster_id, None
                cluster_off = pptt.add(ProcessorNode(parent=socket_off, acpi_processor_id=t.cluster_id))
        else:
            cluster_off = socket_off
        if smp.threads == 1:
            pptt.add(ProcessorNode(flags=leaf, parent=cluster_off, acpi_processor_id=t.index))
        else:
            if t.core_id != core:
                core = t.core_id
                core_off = pptt.add(ProcessorNode(parent=cluster_off, acpi_processor_id=t.core_id))
            pptt.add(ProcessorNode(flags=leaf | ProcessorFlags.PROCESSOR_IS_A_THREAD, parent=core_off,
                                   acpi_processor_id=t.index))
    return pptt


def build_fadt(dsdt_address: int, options: FirmwareOptions | None = None) -> Fadt:
    """Hardware-reduced FADT: PSCI over HVC, X_DSDT."""
    options = options or FirmwareOptions()
    minor = options.fadt_minor_version
    if minor is None:
        minor = FADT_MINOR_6_4 if options.madt_layout is MadtLayout.ACPI_6_4 else FADT_MINOR_6_5
    fadt = Fadt.new(flags=FadtFlags.HW_REDUCED_ACPI,
                    arm_boot_arch=ArmBootArch.PSCI_COMPLIANT | ArmBootArch.PSCI_USE_HVC,
                    minor_version=minor, x_dsdt=dsdt_address,
                    hypervisor_vendor_identity=int.from_bytes(options.hypervisor_vendor, "little"))
    fadt.header = _header("FACP", fadt.header.revision, options)
    return fadt


def dsdt_config(machine: Machine, options: FirmwareOptions | None = None) -> DsdtConfig:
    """What the DSDT is built from: the machine's register block, GED and UART."""
    options = options or FirmwareOptions()
    mm = machine.memmap
    return DsdtConfig(maxcpus=machine.smp.maxcpus, cpuhp_base=mm.cpuhp[0], ged_base=mm.ged[0],
                      ged_gsi=GED_INTID, boot_vcpu=BOOT_VCPU, uart=mm.uart, uart_gsi=SPI_BASE + UART_SPI,
                      oem_id=options.oem_id, oem_table_id=options.oem_table_id,
                      creator_id=options.creator_id, creator_revision=options.creator_revision,
                      fast_path=options.dsdt is DsdtStyle.REFERENCE)


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def build_firmware(machine: Machine, options: FirmwareOptions | None = None) -> FirmwareImage:
    """Encode every table of ``machine`` and give each its guest physical address."""
    options = options or FirmwareOptions()
    layout = options.madt_layout
    config = dsdt_config(machine, options)
    dsdt = build_qemu_dsdt(config) if options.dsdt is DsdtStyle.QEMU_RFC_V5 else build_dsdt(config)
    madt = build_madt(machine, layout, options).encode(layout)
    gtdt = build_gtdt(options).encode()
    pptt = build_pptt(machine, options).encode()
    xsdt_size = len(Xsdt.new([0] * len(XSDT_LISTED)).encode())
    fadt_size = len(build_fadt(0, options).encode())
    rsdp_size = len(Rsdp().encode())
    sizes = {"RSDP": rsdp_size, "XSDT": xsdt_size, "FACP": fadt_size, "DSDT": len(dsdt),
             "APIC": len(madt), "GTDT": len(gtdt), "PPTT": len(pptt)}
    offsets: dict[str, int] = {}
    pos = 0
    for signature in SIGNATURE_ORDER:
        offsets[signature] = pos
        pos = _align(pos + sizes[signature], TABLE_ALIGN)
    area_size = _align(pos, AREA_ALIGN)

    ram_base = machine.memmap.ram_base
    ram_end = ram_base + machine.config.ram_size
    base = options.area_base
    if base is None:
        base = (ram_end - area_size) // AREA_ALIGN * AREA_ALIGN
    if base % TABLE_ALIGN or base < ram_base or base + pos > ram_end:
        raise ConfigError("area_base", f"the {pos}-byte table area at {base:#x} must be {TABLE_ALIGN}-byte "
                                       f"aligned and inside RAM [{ram_base:#x}, {ram_end:#x})")
    addresses = {s: base + offsets[s] for s in SIGNATURE_ORDER}
    fadt = build_fadt(addresses["DSDT"], options).encode()
    xsdt_table = Xsdt.new([addresses[s] for s in XSDT_LISTED])
    xsdt_table.header = _header("XSDT", xsdt_table.header.revision, options)
    xsdt = xsdt_table.encode()
    rsdp = Rsdp(oem_id=options.oem_id, xsdt_address=addresses["XSDT"]).encode()
    tables = {"RSDP": rsdp, "XSDT": xsdt, "FACP": fadt, "DSDT": dsdt, "APIC": madt, "GTDT": gtdt,
              "PPTT": pptt}
    return FirmwareImage(rsdp_address=addresses["RSDP"], tables=tables, addresses=addresses,
                         area_base=base, area_size=area_size)


def install_firmware(machine: Machine, options: FirmwareOptions | None = None) -> FirmwareImage:
    """Build the tables and place them in the machine's guest memory (what booting with UEFI does)."""
    image = build_firmware(machine, options)
    image.place(machine.memory)
    return image


__all__ = ["DsdtStyle", "FirmwareImage", "FirmwareOptions", "GicrRanges", "PpttClusterLevel", "build_fadt", "build_firmware", "build_gtdt", "build_madt",
           "build_pptt", "dsdt_config", "install_firmware"]
