"""GICv3/v4 register offsets and fields (Arm GIC architecture specification IHI 0069), named as the spec names them.

The VMM's GIC model (:mod:`vcpu_hotplug.vmm.gic`) implements these
registers; the guest's irqchip driver (:mod:`vcpu_hotplug.guest.gic`,
Linux's ``drivers/irqchip/irq-gic-v3.c``) reads and writes them.
"""

from __future__ import annotations

import enum

SGI_BASE = 0
"""INTIDs 0..15 are SGIs (IHI 0069, "INTIDs")."""

PPI_BASE = 16
"""INTIDs 16..31 are PPIs: QEMU's ``PPI(n)`` is n + 16."""

PPI_COUNT = 16
"""PPIs without the extended PPI range."""

SPI_BASE = 32
"""First SPI INTID; an ACPI GSI is the INTID (SPI number + 32)."""

MAX_SPI_INTID = 1019
"""Last SPI INTID (1020..1023 are special)."""

GIC_FRAME_SIZE = 0x10000
"""Every GIC register frame is 64 KiB."""

GICD_SIZE = GIC_FRAME_SIZE
"""The distributor's frame."""

GICR_SGI_OFFSET = GIC_FRAME_SIZE
"""SGI_base: the redistributor's second frame."""

GICR_FRAME_SIZE = 2 * GIC_FRAME_SIZE
"""One GICv3 redistributor: RD_base + SGI_base (128 KiB)."""

GICR_FRAME_SIZE_VLPI = 4 * GIC_FRAME_SIZE
"""One GICv4 redistributor with virtual LPIs: RD_base, SGI_base, VLPI_base, reserved (256 KiB)."""


class GicdReg(enum.IntEnum):
    """Distributor register offsets (IHI 0069 section 12.9)."""

    CTLR = 0x0000
    TYPER = 0x0004
    IIDR = 0x0008
    ISENABLER = 0x0100
    ICENABLER = 0x0180
    ISPENDR = 0x0200
    ICPENDR = 0x0280
    IROUTER = 0x6000
    PIDR2 = 0xFFE8


class GicrReg(enum.IntEnum):
    """Redistributor register offsets (IHI 0069 section 12.11); SGI_base ones include the 64 KiB."""

    CTLR = 0x0000
    IIDR = 0x0004
    TYPER = 0x0008
    STATUSR = 0x0010
    WAKER = 0x0014
    PIDR2 = 0xFFE8
    ISENABLER0 = GICR_SGI_OFFSET + 0x0100
    ICENABLER0 = GICR_SGI_OFFSET + 0x0180
    ISPENDR0 = GICR_SGI_OFFSET + 0x0200
    ICPENDR0 = GICR_SGI_OFFSET + 0x0280


GICD_TYPER_ITLINES_MASK = 0x1F
"""``GICD_TYPER.ITLinesNumber`` (bits 4:0): the GIC has 32 * (N + 1) INTIDs."""

GICD_TYPER_IDBITS_SHIFT = 19
"""``GICD_TYPER.IDbits`` (bits 23:19): INTID bits minus one."""


class GicrTyper(enum.IntEnum):
    """``GICR_TYPER`` fields (IHI 0069, GICR_TYPER)."""

    VLPIS = 1 << 1
    """The redistributor supports virtual LPIs: it has four frames."""
    LAST = 1 << 4
    """The last redistributor of a contiguous range."""
    PROCESSOR_NUMBER_SHIFT = 8
    AFFINITY_SHIFT = 32
    """Bits 63:32: Aff3.Aff2.Aff1.Aff0 of the redistributor's PE."""


class GicrWaker(enum.IntFlag):
    """``GICR_WAKER`` bits."""

    PROCESSOR_SLEEP = 1 << 1
    CHILDREN_ASLEEP = 1 << 2


GIC_PIDR2_ARCH_SHIFT = 4
GIC_PIDR2_ARCH_MASK = 0xF0
"""``GICD_PIDR2``/``GICR_PIDR2`` ArchRev field (bits 7:4)."""
GIC_PIDR2_ARCH_GICV3 = 0x30
GIC_PIDR2_ARCH_GICV4 = 0x40

GIC_IIDR_IMPLEMENTER_ARM = 0x43B
"""``GICD_IIDR``/``GICR_IIDR`` implementer: Arm (JEP106 code 0x43B)."""


def gicr_typer_affinity(mpidr: int) -> int:
    """``GICR_TYPER[63:32]`` of the PE with affinity ``mpidr``: Aff3.Aff2.Aff1.Aff0 packed in 32 bits."""
    return ((mpidr >> 32) & 0xFF) << 24 | (mpidr & 0xFF_FFFF)
