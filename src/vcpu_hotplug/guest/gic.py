"""The GICv3 driver as far as CPU hotplug goes: ``drivers/irqchip/irq-gic-v3.c``.

At boot (``gic_acpi_init``):

- the distributor comes from the MADT GICD; the driver reads ``GICD_PIDR2``
  and ``GICD_TYPER`` over MMIO and logs "%d SPIs implemented";
- redistributors come either from MADT GICR structures (one discovery range
  each, "always on") or, when there are none, from the GICC structures'
  ``gicr_base_address`` (``single_redist``). The two are mutually exclusive
  (``gic_acpi_count_gicr_regions`` uses GICR structures whenever there is
  one). In the GICC case, only an *Enabled* GICC's redistributor is known to
  be accessible: for an Online Capable but disabled GICC Linux logs
  "CPU %u's redistributor is inaccessible: this CPU can't be brought
  online" and puts the CPU in ``broken_rdists``; ``gic_check_rdist`` (the
  ``irqchip/arm/gicv3:checkrdist`` hotplug state) then fails its bring-up
  with ``-EINVAL`` before any PSCI call.

**The redistributor walk** (``gic_iterate_rdists``) goes through each region
frame by frame: ``GICR_PIDR2`` once at the region's start, then ``GICR_TYPER``
of each frame, stepping 128 KiB (256 KiB with ``VLPIS``) until a frame's
``TYPER.Last`` is set. It never looks at the region's length: a MADT GICR
structure whose Discovery Range Length is shorter than the redistributors
the VMM put there (QEMU sets ``Last`` only on its last one) walks past the end
of what ``gic_acpi_parse_madt_redist`` mapped (``ioremap(base, length)``,
whole 4 KiB pages) into the guard page vmalloc leaves after it, and the load
faults. The first walk is ``gic_update_rdist_properties``, inlined in
``gic_init_bases`` right after "Root IRQ handler: gic_handle_irq": it visits
every frame (its callback never matches), so a range too short for the
redistributors faults there, at boot, in the idle task: the Oops and "Kernel
panic - not syncing: Attempted to kill the idle task!" (:mod:`.panic`; real
Linux 6.12.95 did exactly this, ``tests/data/real-linux/ours-gicrshort.json``).
A walk that ends within the mapped range (on ``Last``) never faults later.
The model raises :class:`~vcpu_hotplug.guest.panic.KernelFault` for a read at
or past the mapped length, with the recorded build's call trace
(:data:`BOOT_WALK_BACKTRACE`). Virtual addresses: the first GICR region is
mapped at :data:`IOREMAP_BASE`, the address the recorded run's ``ioremap``
gave it (an address of that run, reproduced); each further region follows
the previous mapping and its guard page. Only the offsets within a region
come from the tables and the machine.

When a CPU starts (``gic_starting_cpu`` -> ``gic_populate_rdist``) it walks
the redistributor regions frame by frame over MMIO, reading ``GICR_PIDR2``
and ``GICR_TYPER`` until the affinity matches its MPIDR ("CPU%d: found
redistributor %lx region %d:%pa") or a frame has ``Last`` set; no match
is "CPU%d: mpidr %lx has no re-distributor!".

``request_irq`` on an SPI unmasks it with a write to ``GICD_ISENABLER<n>``.

The boot log follows ``gic_init_bases`` in Linux 6.12: "%d SPIs
implemented", "%d Extended SPIs implemented", "Root IRQ handler:
gic_handle_irq" (``set_handle_irq``), "GICv3 features: %d PPIs"
(``gic_update_rdist_properties``), "GICD_CTRL.DS=%d, SCR_EL3.FIQ=%d"
(``gic_prio_init``, new in 6.12; renamed GICD_CTLR in 6.17), then
``gic_cpu_init`` on the boot CPU ("CPU0: found redistributor ..."), then,
when the GIC has LPIs, ``its_init`` and ``its_cpu_init`` (below). The GIC
of QEMU ``virt`` (and KVM's) implements one security state, so
``GICD_CTLR.DS`` is RAO, and a guest at non-secure EL1 without an EL3 can
reach Group 0 (``gic_has_group0``): "GICD_CTRL.DS=1, SCR_EL3.FIQ=0". The
VMM's GIC model does not implement ``GICD_CTLR.DS`` yet, so the driver
states QEMU's value instead of reading it.

**ITS and LPIs** (``drivers/irqchip/irq-gic-v3-its.c``), only when the MADT
describes a GIC ITS (QEMU ``virt`` with ``gic-version=3`` has one at
0x08080000 and then also sets ``GICD_TYPER.LPIS``; the VMM's GIC does not
model LPIs, so the MADT's ITS structure is what turns them on here):
``its_acpi_probe`` -> ``its_probe_one`` logs "ITS [mem %#010llx-%#010llx]"
(the ITS frame, ``ACPI_GICV3_ITS_MEM_SIZE`` = 128 KiB) and
``its_alloc_tables`` "ITS@%pa: allocated 8192 Devices @%lx (indirect, esz
8, psz 64K, shr 1)" and "... 8192 Interrupt Collections ... (flat, ...)"
(QEMU's ITS: 8-byte entries, 64 KiB pages, Inner Shareable);
``allocate_lpi_tables`` logs "GICv3: using LPI property table @%pa" and
allocates a pending table for every *possible* CPU; ``its_cpu_init_lpis``
logs "GICv3: CPU%d: using allocated LPI pending table @%pa" the first time
each CPU starts (``RD_LOCAL_LPI_ENABLED`` stays set, so an offline/online
cycle or a re-plug of the same logical CPU does not print it again). The
tables' physical addresses are this model's (64 KiB pages handed out in
order from :data:`LPI_TABLES_BASE`); real Linux's depend on its page
allocator. Nothing is written to them: the VMM does not model LPIs.

A MADT whose GICD says GICv2 (QEMU's ``virt`` default, as in its reference
tables) is driven by ``drivers/irqchip/irq-gic.c`` instead
(``IRQCHIP_ACPI_DECLARE`` matches the GICD's version): there are no
redistributors to find or to be inaccessible, so CPU bring-up does not
depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, Gicd, GicIts, Gicr, GicVersion, Madt
from vcpu_hotplug.arm.gic import (GIC_PIDR2_ARCH_GICV3, GIC_PIDR2_ARCH_GICV4, GIC_PIDR2_ARCH_MASK,
                                  GICD_TYPER_ITLINES_MASK, GICR_FRAME_SIZE, GICR_FRAME_SIZE_VLPI, MAX_SPI_INTID,
                                  PPI_COUNT, SPI_BASE, GicdReg, GicrReg, GicrTyper, gicr_typer_affinity)
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.guest.panic import Backtrace, KernelFault
from vcpu_hotplug.hw.errors import BusError
from vcpu_hotplug.hw.mmio import MmioBus

GICD_CTLR_DS = 1
"""``GICD_CTLR.DS`` of QEMU virt's GIC: one security state (RAO)."""
SCR_EL3_FIQ = 0
"""``SCR_EL3.FIQ`` as the guest infers it: Group 0 is reachable from non-secure EL1 (no EL3)."""

ITS_MEM_SIZE = 0x2_0000
"""``ACPI_GICV3_ITS_MEM_SIZE``: the ITS register frames Linux maps (128 KiB)."""
ITS_PAGE_SIZE = 0x1_0000
"""``psz``: the ITS table page size Linux picks first and QEMU's ITS accepts (64 KiB)."""
ITS_ENTRY_SIZE = 8
"""``esz``: QEMU's ITS device and collection table entries (``GITS_DTE_SIZE``, ``GITS_CTE_SIZE``)."""
ITS_SHAREABILITY = 1
"""``shr``: Inner Shareable, which QEMU's ``GITS_BASER`` keeps as written."""
LPI_TABLE_SIZE = 0x1_0000
"""``LPI_PROPBASE_SZ`` and ``LPI_PENDBASE_SZ`` for 16 LPI ID bits (QEMU's), each rounded to 64 KiB."""
LPI_TABLES_BASE = 0x4400_0000
"""Where this model's ITS and LPI tables are allocated (64 MiB into QEMU virt's RAM); see the module."""

PAGE_SIZE = 0x1000
"""arm64 with 4 KiB pages (Debian's build): ``ioremap`` maps whole pages."""
IOREMAP_BASE = 0xffff_8000_82b8_0000
"""Where ``ioremap`` put the first GICR region in the recorded run (its Oops faulted at this + 0x40008)."""
IOREMAP_GUARD = PAGE_SIZE
"""The unmapped guard page vmalloc leaves after each mapping."""

BOOT_WALK_BACKTRACE = Backtrace(
    pc="gic_iterate_rdists+0x74/0x118",
    lr="gic_iterate_rdists+0x80/0x118",
    frames=("gic_iterate_rdists+0x74/0x118", "gic_init_bases+0x1b4/0x740", "gic_acpi_init+0x124/0x2c0",
            "acpi_match_madt+0x58/0x90", "acpi_parse_entries_array+0x1e4/0x2d0",
            "acpi_table_parse_entries_array+0xac/0x150", "acpi_table_parse_madt+0x68/0xa0",
            "__acpi_probe_device_table+0xd8/0x128", "irqchip_init+0x3c/0x50", "init_IRQ+0xa8/0xc8",
            "start_kernel+0x348/0x7e8", "__primary_switched+0x80/0x90"))
"""The boot walk's fault as the recorded Debian 6.12.95 build prints it (``gic_update_rdist_properties`` is
inlined in ``gic_init_bases``; ``gic_acpi_init`` runs from ``irqchip_init`` in ``init_IRQ``). The pc is the
``GICR_TYPER`` load's; a range shorter than one 64 KiB frame faults on the region's ``GICR_PIDR2`` load
instead, at an offset of the same function no run recorded: the model prints this pc for it too."""


@dataclass
class RedistRegion:
    """One redistributor region as the driver records it."""

    base: int
    size: int
    single: bool = False
    """From a GICC: exactly one redistributor, no Last bit walk needed."""
    virt: int = 0
    """Where ``ioremap`` mapped it (see the module)."""

    @property
    def mapped(self) -> int:
        """Bytes ``ioremap`` mapped: ``size`` rounded up to whole pages."""
        return -(-self.size // PAGE_SIZE) * PAGE_SIZE


@dataclass
class GicV3Driver:
    """The GICv3 irqchip driver state of one guest."""

    bus: MmioBus
    klog: KernelLog
    dist_base: int | None = None
    regions: list[RedistRegion] = field(default_factory=list)
    broken_rdists: set[int] = field(default_factory=set)
    single_redist: bool = False
    spis: int = 0
    rdist_of: dict[int, int] = field(default_factory=dict)
    """Logical CPU -> RD_base found for it."""
    gicv2: bool = False
    """The MADT describes a GICv2: the irq-gic.c driver, no redistributors."""
    lpis: bool = False
    """``its_init`` found an ITS: LPIs are in use and each starting CPU enables them."""
    pending_tables: dict[int, int] = field(default_factory=dict)
    """Logical CPU -> physical address of its LPI pending table (every possible CPU, from boot)."""
    lpi_enabled: set[int] = field(default_factory=set)
    """CPUs whose redistributor has LPIs enabled (``RD_LOCAL_LPI_ENABLED``)."""
    _next_table: int = LPI_TABLES_BASE

    def init(self, madt: Madt, cpu_for_uid: dict[int, int]) -> bool:
        """``gic_acpi_init``; ``cpu_for_uid`` is ``get_cpu_for_acpi_id``. False when there is no GIC.

        Raises :class:`~vcpu_hotplug.guest.panic.KernelFault` when the boot's redistributor walk reads past
        a mapped GICR region (the kernel then dies)."""
        gicds = madt.of_type(Gicd)
        if not gicds:
            self.klog.err("GICv3: no GICD structure in the MADT")
            return False
        self.dist_base = gicds[0].physical_base_address
        if gicds[0].gic_version == GicVersion.GICV2:
            self.gicv2 = True
            self.klog.tracepoint("GICD says GICv2: irq-gic.c driver, no redistributors")
            return True
        try:
            pidr2 = self.bus.read(self.dist_base + GicdReg.PIDR2, 4)
            typer = self.bus.read(self.dist_base + GicdReg.TYPER, 4)
        except BusError:
            self.klog.err(f"GICv3: no distributor detected at @0x{self.dist_base:016x}, giving up")
            self.dist_base = None
            return False
        arch = pidr2 & GIC_PIDR2_ARCH_MASK
        if arch not in (GIC_PIDR2_ARCH_GICV3, GIC_PIDR2_ARCH_GICV4):
            self.klog.err(f"GICv3: no distributor detected at @0x{self.dist_base:016x}, giving up")
            self.dist_base = None
            return False
        lines = 32 * ((typer & GICD_TYPER_ITLINES_MASK) + 1)
        self.spis = min(lines, MAX_SPI_INTID + 1) - SPI_BASE
        self.klog.info(f"GICv3: {self.spis} SPIs implemented")
        self.klog.info("GICv3: 0 Extended SPIs implemented")
        self.klog.info("Root IRQ handler: gic_handle_irq")
        self._collect_redistributors(madt, cpu_for_uid, arch)
        self.update_rdist_properties()
        self.klog.info(f"GICv3: GICv3 features: {PPI_COUNT} PPIs")
        self.klog.info(f"GICv3: GICD_CTRL.DS={GICD_CTLR_DS}, SCR_EL3.FIQ={SCR_EL3_FIQ}")
        return True

    def _allocate_table(self) -> int:
        address = self._next_table
        self._next_table += ITS_PAGE_SIZE
        return address

    def its_init(self, madt: Madt, possible: list[int]) -> None:
        """``its_init``: probe each MADT ITS, allocate its tables, the LPI property table and a pending
        table for every possible CPU. Nothing when there is no GICv3 or no ITS."""
        its_entries = madt.of_type(GicIts)
        if self.gicv2 or self.dist_base is None or not its_entries:
            return
        entries = ITS_PAGE_SIZE // ITS_ENTRY_SIZE
        for its in its_entries:
            base = its.physical_base_address
            self.klog.info(f"ITS [mem 0x{base:08x}-0x{base + ITS_MEM_SIZE - 1:08x}]")
            for what, layout in (("Devices", "indirect"), ("Interrupt Collections", "flat")):
                self.klog.info(f"ITS@0x{base:016x}: allocated {entries} {what} @{self._allocate_table():x} "
                               f"({layout}, esz {ITS_ENTRY_SIZE}, psz {ITS_PAGE_SIZE // 1024}K, "
                               f"shr {ITS_SHAREABILITY})")
        self.klog.info(f"GICv3: using LPI property table @0x{self._allocate_table():016x}")
        for cpu in possible:
            self.pending_tables[cpu] = self._allocate_table()
        self.lpis = True

    def its_cpu_init(self, cpu: int) -> None:
        """``its_cpu_init`` -> ``its_cpu_init_lpis`` on CPU ``cpu``: once per CPU, log its pending table."""
        if not self.lpis or cpu in self.lpi_enabled or cpu not in self.pending_tables:
            return
        self.lpi_enabled.add(cpu)
        self.klog.info(f"GICv3: CPU{cpu}: using allocated LPI pending table @0x{self.pending_tables[cpu]:016x}")

    def starting_cpu(self, cpu: int, mpidr: int) -> bool:
        """``gic_starting_cpu`` on a secondary: ``gic_cpu_init`` (find the redistributor), then the ITS part.
        True when the redistributor was found."""
        if not self.populate_rdist(cpu, mpidr):
            return False
        self.its_cpu_init(cpu)
        return True

    def _collect_redistributors(self, madt: Madt, cpu_for_uid: dict[int, int], arch: int) -> None:
        gicrs = madt.of_type(Gicr)
        if gicrs:
            self.single_redist = False
            for g in gicrs:
                self._map(RedistRegion(g.discovery_range_base_address, g.discovery_range_length))
            return
        self.single_redist = True
        size = GICR_FRAME_SIZE_VLPI if arch == GIC_PIDR2_ARCH_GICV4 else GICR_FRAME_SIZE
        enabled_rdists = sum(1 for g in madt.giccs if g.flags & GiccFlags.ENABLED and g.gicr_base_address)
        if enabled_rdists == 0:
            self.klog.info("GICv3: No valid GICR entries exist")
            return
        for g in madt.giccs:
            if not g.flags & (GiccFlags.ENABLED | GiccFlags.ONLINE_CAPABLE):
                continue
            if not g.flags & GiccFlags.ENABLED:
                cpu = cpu_for_uid.get(g.acpi_processor_uid, -1)
                self.klog.warn(f"GICv3: CPU {cpu}'s redistributor is inaccessible: "
                               f"this CPU can't be brought online")
                if cpu >= 0:
                    self.broken_rdists.add(cpu)
                continue
            if g.gicr_base_address:
                self._map(RedistRegion(g.gicr_base_address, size, single=True))

    def _map(self, region: RedistRegion) -> None:
        """``ioremap`` the region (virtual addresses: see the module) and record it."""
        last = self.regions[-1] if self.regions else None
        region.virt = IOREMAP_BASE if last is None else last.virt + last.mapped + IOREMAP_GUARD
        self.regions.append(region)

    def _read(self, region: RedistRegion, ptr: int, offset: int, size: int) -> int:
        """A load from the region's mapping at frame ``ptr`` + ``offset``: past the mapped pages it faults."""
        at = ptr - region.base + offset
        if at + size > region.mapped:
            raise KernelFault(region.virt + at, f"the GICR range @0x{region.base:x} is 0x{region.size:x} bytes long "
                                                f"and no GICR_TYPER in it has Last, so the redistributor walk read "
                                                f"0x{at:x} bytes into it, past the 0x{region.mapped:x} mapped",
                              BOOT_WALK_BACKTRACE)
        return self.bus.read(ptr + offset, size)

    def update_rdist_properties(self) -> None:
        """``gic_update_rdist_properties``: ``gic_iterate_rdists`` with a callback that reads each frame's
        ``GICR_TYPER`` and never matches, so every frame of every region is visited until its ``Last``."""
        self._iterate_rdists(lambda region, ptr, typer: False)

    def check_rdist(self, cpu: int) -> int:
        """``gic_check_rdist``: 0 or -EINVAL for a CPU whose redistributor is inaccessible."""
        return -Errno.EINVAL if cpu in self.broken_rdists else 0

    def populate_rdist(self, cpu: int, mpidr: int) -> bool:
        """``gic_populate_rdist`` on CPU ``cpu`` as it starts; True when its redistributor is found."""
        if self.gicv2:
            return True
        aff = gicr_typer_affinity(mpidr)
        affinity_shift = int(GicrTyper.AFFINITY_SHIFT)
        found = self._iterate_rdists(lambda region, ptr, typer: typer >> affinity_shift == aff)
        if found is not None:
            index, ptr = found
            self.rdist_of[cpu] = ptr
            self.klog.info(f"GICv3: CPU{cpu}: found redistributor {mpidr:x} region {index}:0x{ptr:016x}")
            return True
        self.klog.warn(f"CPU{cpu}: mpidr {mpidr:x} has no re-distributor!")
        return False

    def _iterate_rdists(self, fn) -> tuple[int, int] | None:
        """``gic_iterate_rdists``: ``fn(region, ptr, typer)`` on each frame until it returns True; the
        (region index, RD_base) it matched, or None. A region whose ``GICR_PIDR2`` is not a GICv3/v4 one
        ends the walk ("No redistributor present"); a frame the bus does not answer ends its region. Reads
        past a region's mapping raise :class:`~vcpu_hotplug.guest.panic.KernelFault`, as the loads fault."""
        read = self._read
        bus_read = self.bus.read
        # The walk reads every frame before a starting CPU's (1,000 reads at 512 vCPUs): plain ints here,
        # not enum members, whose attribute lookups and IntFlag results cost on every frame; the bounds
        # check is made once per frame, and only a frame past the mapping goes through _read (to fault).
        typer_offset = int(GicrReg.TYPER)
        last, vlpis = int(GicrTyper.LAST), int(GicrTyper.VLPIS)
        for index, region in enumerate(self.regions):
            ptr = region.base
            try:
                pidr2 = read(region, ptr, GicrReg.PIDR2, 4) & GIC_PIDR2_ARCH_MASK
            except BusError:
                continue
            if pidr2 not in (GIC_PIDR2_ARCH_GICV3, GIC_PIDR2_ARCH_GICV4):
                self.klog.warn(f"GICv3: No redistributor present @0x{ptr:016x}")
                break
            typer_end = region.base + region.mapped - typer_offset - 8   # the last frame whose TYPER is mapped
            while True:
                try:
                    if ptr > typer_end:
                        read(region, ptr, typer_offset, 8)                # past the mapping: faults
                    typer = bus_read(ptr + typer_offset, 8)
                    # the callback (__gic_populate_rdist, __gic_update_rdist_properties) reads GICR_TYPER again
                    if fn(region, ptr, bus_read(ptr + typer_offset, 8)):
                        return index, ptr
                except BusError:
                    break
                if region.single or typer & last:
                    break
                ptr += GICR_FRAME_SIZE_VLPI if typer & vlpis else GICR_FRAME_SIZE
        return None

    def enable_spi(self, intid: int) -> None:
        """``gic_unmask_irq`` for an SPI: set its bit in ``GICD_ISENABLER<n>``."""
        if self.dist_base is None or not SPI_BASE <= intid <= MAX_SPI_INTID:
            return
        reg = self.dist_base + GicdReg.ISENABLER + 4 * (intid // 32)
        self.bus.write(reg, 4, 1 << (intid % 32))


__all__ = ["BOOT_WALK_BACKTRACE", "GicV3Driver", "Gicc", "IOREMAP_BASE", "RedistRegion"]
