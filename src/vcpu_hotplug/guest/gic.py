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

When a CPU starts (``gic_starting_cpu`` -> ``gic_populate_rdist``) it walks
the redistributor regions frame by frame over MMIO, reading ``GICR_PIDR2``
and ``GICR_TYPER`` until the affinity matches its MPIDR ("CPU%d: found
redistributor %lx region %d:%pa") or a frame has ``Last`` set; no match
is "CPU%d: mpidr %lx has no re-distributor!".

``request_irq`` on an SPI unmasks it with a write to ``GICD_ISENABLER<n>``.

A MADT whose GICD says GICv2 (QEMU's ``virt`` default, as in its reference
tables) is driven by ``drivers/irqchip/irq-gic.c`` instead
(``IRQCHIP_ACPI_DECLARE`` matches the GICD's version): there are no
redistributors to find or to be inaccessible, so CPU bring-up does not
depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, Gicd, Gicr, GicVersion, Madt
from vcpu_hotplug.arm.gic import (GIC_PIDR2_ARCH_GICV3, GIC_PIDR2_ARCH_GICV4, GIC_PIDR2_ARCH_MASK,
                                  GICD_TYPER_ITLINES_MASK, GICR_FRAME_SIZE, GICR_FRAME_SIZE_VLPI, MAX_SPI_INTID,
                                  PPI_COUNT, SPI_BASE, GicdReg, GicrReg, GicrTyper, gicr_typer_affinity)
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.hw.errors import BusError
from vcpu_hotplug.hw.mmio import MmioBus

@dataclass
class RedistRegion:
    """One redistributor region as the driver records it."""

    base: int
    size: int
    single: bool = False
    """From a GICC: exactly one redistributor, no Last bit walk needed."""


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

    def init(self, madt: Madt, cpu_for_uid: dict[int, int]) -> bool:
        """``gic_acpi_init``; ``cpu_for_uid`` is ``get_cpu_for_acpi_id``. False when there is no GIC."""
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
        self.klog.info(f"GICv3: GICv3 features: {PPI_COUNT} PPIs")
        self._collect_redistributors(madt, cpu_for_uid, arch)
        return True

    def _collect_redistributors(self, madt: Madt, cpu_for_uid: dict[int, int], arch: int) -> None:
        gicrs = madt.of_type(Gicr)
        if gicrs:
            self.single_redist = False
            for g in gicrs:
                self.regions.append(RedistRegion(g.discovery_range_base_address, g.discovery_range_length))
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
                self.regions.append(RedistRegion(g.gicr_base_address, size, single=True))

    def check_rdist(self, cpu: int) -> int:
        """``gic_check_rdist``: 0 or -EINVAL for a CPU whose redistributor is inaccessible."""
        return -Errno.EINVAL if cpu in self.broken_rdists else 0

    def populate_rdist(self, cpu: int, mpidr: int) -> bool:
        """``gic_populate_rdist`` on CPU ``cpu`` as it starts; True when its redistributor is found."""
        if self.gicv2:
            return True
        aff = gicr_typer_affinity(mpidr)
        read = self.bus.read
        for index, region in enumerate(self.regions):
            # gic_iterate_rdists: GICR_PIDR2 once per region, then frame by frame until TYPER.Last.
            ptr = region.base
            end = region.base + region.size
            try:
                pidr2 = read(ptr + GicrReg.PIDR2, 4) & GIC_PIDR2_ARCH_MASK
            except BusError:
                continue
            if pidr2 not in (GIC_PIDR2_ARCH_GICV3, GIC_PIDR2_ARCH_GICV4):
                self.klog.warn(f"GICv3: No redistributor present @0x{ptr:016x}")
                break
            while ptr < end:
                try:
                    typer = read(ptr + GicrReg.TYPER, 8)
                    # __gic_populate_rdist reads GICR_TYPER again to match the affinity.
                    if read(ptr + GicrReg.TYPER, 8) >> GicrTyper.AFFINITY_SHIFT == aff:
                        self.rdist_of[cpu] = ptr
                        self.klog.info(f"GICv3: CPU{cpu}: found redistributor {mpidr:x} region {index}:"
                                       f"0x{ptr:016x}")
                        return True
                except BusError:
                    break
                if region.single or typer & GicrTyper.LAST:
                    break
                ptr += GICR_FRAME_SIZE_VLPI if typer & GicrTyper.VLPIS else GICR_FRAME_SIZE
        self.klog.warn(f"CPU{cpu}: mpidr {mpidr:x} has no re-distributor!")
        return False

    def enable_spi(self, intid: int) -> None:
        """``gic_unmask_irq`` for an SPI: set its bit in ``GICD_ISENABLER<n>``."""
        if self.dist_base is None or not SPI_BASE <= intid <= MAX_SPI_INTID:
            return
        reg = self.dist_base + GicdReg.ISENABLER + 4 * (intid // 32)
        self.bus.write(reg, 4, 1 << (intid % 32))


__all__ = ["GicV3Driver", "Gicc", "RedistRegion"]
