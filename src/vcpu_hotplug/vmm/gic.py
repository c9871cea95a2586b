"""A GICv3 model: one distributor and one redistributor per possible vCPU.

Follows the Arm GICv3/v4 architecture specification (IHI 0069) as far as a
guest at boot and a hotplug flow need it, and QEMU ``virt``'s layout:

- the distributor (GICD) at ``dist_base``, 64 KiB: ``GICD_CTLR``, ``GICD_TYPER``
  (ITLinesNumber for 32 + ``num_spis`` INTIDs), ``GICD_IIDR``, the SPI
  enable/pending banks and ``GICD_IROUTER<n>``, ``GICD_PIDR2`` (ArchRev 3);
- one redistributor per *possible* vCPU (KVM creates them all, and the MADT
  describes them as always-on GICR ranges), each two 64 KiB frames
  (RD_base, SGI_base). ``GICR_TYPER`` carries the vCPU's affinity in bits
  63:32, its processor number in bits 23:8 and ``Last`` (bit 4) on the last
  frame of each contiguous range, so a guest can walk a range the way
  Linux's ``gic_iterate_rdists()`` does (``drivers/irqchip/irq-gic-v3.c``).
  ``GICR_WAKER.ChildrenAsleep`` follows ``ProcessorSleep`` at once.

Frames fill the given regions in order. With QEMU ``virt``'s regions (123
frames at 0x080A0000, then 512 at 0x40_0000_0000), vCPUs 0..122 are in the
first range and the rest in the second, as QEMU does for more than 123 vCPUs.

SPIs: a device asserts an INTID with :meth:`GicV3.raise_spi`; when the SPI
is enabled it is delivered to the guest through the hardware interrupt
lines, otherwise it stays pending (``GICD_ISPENDR``) and is delivered when the
guest enables it; every write that enables an SPI is also reported to
:attr:`GicV3.on_spi_enabled` (the machine re-announces hotplug events that
survived a reset once the new guest unmasks the GED's interrupt).
Simplifications, documented: SPIs leave reset *enabled*
(as if firmware had enabled them; a guest that disables SPIs at init like
Linux does, then enables the one it requests, sees hardware behaviour);
routing (``GICD_IROUTER``) is stored but every SPI goes to the one guest
interrupt sink; priorities, groups and the CPU interface are not modelled.
Registers not listed read as zero and ignore writes (RAZ/WI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vcpu_hotplug.arm.gic import (GIC_IIDR_IMPLEMENTER_ARM, GIC_PIDR2_ARCH_GICV3, GICD_SIZE, GICD_TYPER_IDBITS_SHIFT,
                                  GICR_FRAME_SIZE, SPI_BASE, GicdReg, GicrReg, GicrTyper, GicrWaker,
                                  gicr_typer_affinity)
from vcpu_hotplug.hw.errors import AccessRejected
from vcpu_hotplug.hw.irq import InterruptLines
from vcpu_hotplug.hw.mmio import MmioBus
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.errors import ConfigError
from vcpu_hotplug.vmm.vcpu import VcpuSet

GICD_CTLR_WRITABLE = 0x37
"""EnableGrp0, EnableGrp1NS, EnableGrp1S, ARE_S, ARE_NS."""

GICD_ID_BITS = 10
"""INTIDs 0..1019 need 10 bits (no LPIs are modelled)."""

PIDR2_VALUE = GIC_PIDR2_ARCH_GICV3 | 0xB
"""ArchRev 3, JEP106 designer bits as Arm's GIC-500/600 report them."""


@dataclass(frozen=True)
class RedistributorRange:
    """A contiguous run of redistributor frames (one MADT GICR structure)."""

    base: int
    length: int
    first_vcpu: int
    count: int


def _access(words: "_Words", offset: int, size: int) -> int:
    """Read ``size`` bytes at ``offset`` from 32-bit registers (8-byte reads span two)."""
    aligned = offset & ~3
    value = words.read32(aligned)
    if size == 8:
        value |= words.read32(aligned + 4) << 32
        return value
    return (value >> (8 * (offset - aligned))) & ((1 << (8 * size)) - 1)


class _Words:
    """A device read as 32-bit words: subclasses define read32/write32."""

    name = "gic"

    def read32(self, offset: int) -> int:
        raise NotImplementedError

    def write32(self, offset: int, value: int, mask: int) -> None:
        raise NotImplementedError

    def read(self, offset: int, size: int) -> int:
        if offset % size:
            raise AccessRejected(f"unaligned {size}-byte access")
        return _access(self, offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset % size:
            raise AccessRejected(f"unaligned {size}-byte access")
        if size == 8:
            self.write32(offset, value & 0xFFFF_FFFF, 0xFFFF_FFFF)
            self.write32(offset + 4, value >> 32, 0xFFFF_FFFF)
            return
        aligned = offset & ~3
        shift = 8 * (offset - aligned)
        mask = ((1 << (8 * size)) - 1) << shift
        self.write32(aligned, (value << shift) & mask, mask)


class Distributor(_Words):
    """GICD: SPI enable/pending state and routing registers."""

    name = "gicd"

    def __init__(self, gic: GicV3, num_spis: int) -> None:
        self.gic = gic
        self.num_spis = num_spis
        self.reset()

    def reset(self) -> None:
        """The state at power-on, again at every warm reset (QEMU hw/intc/arm_gicv3_common.c
        ``arm_gicv3_common_reset_hold``): control cleared, nothing pending, no routing."""
        self.ctlr = 0
        self.enabled: set[int] = set(range(SPI_BASE, SPI_BASE + self.num_spis))
        self.pending: set[int] = set()
        self.irouter: dict[int, int] = {}

    @property
    def it_lines(self) -> int:
        """GICD_TYPER.ITLinesNumber: 32 * (N + 1) INTIDs."""
        return (SPI_BASE + self.num_spis + 31) // 32 - 1

    def _bank(self, offset: int, base: int, members: set[int]) -> int:
        first = (offset - base) * 8
        return sum(1 << bit for bit in range(32) if first + bit in members)

    def _bank_ids(self, offset: int, base: int, value: int) -> list[int]:
        first = (offset - base) * 8
        return [first + bit for bit in range(32)
                if value >> bit & 1 and SPI_BASE <= first + bit < SPI_BASE + self.num_spis]

    def read32(self, offset: int) -> int:
        bank_end = self.it_lines * 4 + 4
        if offset == GicdReg.CTLR:
            return self.ctlr
        if offset == GicdReg.TYPER:
            return (GICD_ID_BITS - 1) << GICD_TYPER_IDBITS_SHIFT | self.it_lines
        if offset == GicdReg.IIDR:
            return GIC_IIDR_IMPLEMENTER_ARM
        if offset == GicdReg.PIDR2:
            return PIDR2_VALUE
        for base, members in ((GicdReg.ISENABLER, self.enabled), (GicdReg.ICENABLER, self.enabled),
                              (GicdReg.ISPENDR, self.pending), (GicdReg.ICPENDR, self.pending)):
            if base <= offset < base + bank_end:
                return self._bank(offset, base, members)
        if GicdReg.IROUTER <= offset < GicdReg.IROUTER + 8 * (SPI_BASE + self.num_spis):
            intid, high = divmod(offset - GicdReg.IROUTER, 8)
            route = self.irouter.get(intid, 0)
            return (route >> 32) if high else (route & 0xFFFF_FFFF)
        return 0

    def write32(self, offset: int, value: int, mask: int) -> None:
        bank_end = self.it_lines * 4 + 4
        if offset == GicdReg.CTLR:
            self.ctlr = (self.ctlr & ~mask) | (value & mask & GICD_CTLR_WRITABLE)
            return
        if GicdReg.ISENABLER <= offset < GicdReg.ISENABLER + bank_end:
            for intid in self._bank_ids(offset, GicdReg.ISENABLER, value):
                self.enabled.add(intid)
                if intid in self.pending:
                    self.pending.discard(intid)
                    self.gic.deliver(intid)
                for observer in list(self.gic.on_spi_enabled):
                    observer(intid)
        elif GicdReg.ICENABLER <= offset < GicdReg.ICENABLER + bank_end:
            self.enabled.difference_update(self._bank_ids(offset, GicdReg.ICENABLER, value))
        elif GicdReg.ISPENDR <= offset < GicdReg.ISPENDR + bank_end:
            for intid in self._bank_ids(offset, GicdReg.ISPENDR, value):
                self.gic.raise_spi(intid)
        elif GicdReg.ICPENDR <= offset < GicdReg.ICPENDR + bank_end:
            self.pending.difference_update(self._bank_ids(offset, GicdReg.ICPENDR, value))
        elif GicdReg.IROUTER <= offset < GicdReg.IROUTER + 8 * (SPI_BASE + self.num_spis):
            intid, high = divmod(offset - GicdReg.IROUTER, 8)
            if intid >= SPI_BASE:
                shift = 32 if high else 0
                old = self.irouter.get(intid, 0)
                self.irouter[intid] = (old & ~(mask << shift)) | ((value & mask) << shift)


class Redistributor(_Words):
    """GICR of one vCPU: identification, wake state, SGI/PPI enables."""

    def __init__(self, vcpu_index: int, affinity: int, last: bool) -> None:
        self.vcpu_index = vcpu_index
        self.affinity = affinity
        self.last = last
        self.name = f"gicr{vcpu_index}"
        self.typer = self._typer()
        """GICR_TYPER, fixed at creation (every CPU's redistributor walk reads it, frame by frame)."""
        self.reset()

    def reset(self) -> None:
        """The state at power-on, again at every warm reset (``arm_gicv3_common_reset_hold``: the
        redistributor asleep, GICR_WAKER.ProcessorSleep and ChildrenAsleep set, no PPI/SGI enabled)."""
        self.ctlr = 0
        self.waker = GicrWaker.PROCESSOR_SLEEP | GicrWaker.CHILDREN_ASLEEP
        self.ppi_sgi_enabled = 0
        self.ppi_sgi_pending = 0

    def _typer(self) -> int:
        """GICR_TYPER: affinity, processor number, Last."""
        value = self.affinity_value << GicrTyper.AFFINITY_SHIFT
        value |= (self.vcpu_index & 0xFFFF) << GicrTyper.PROCESSOR_NUMBER_SHIFT
        if self.last:
            value |= GicrTyper.LAST
        return value

    @property
    def affinity_value(self) -> int:
        """Aff3.Aff2.Aff1.Aff0 packed in 32 bits, as GICR_TYPER[63:32] holds it."""
        return gicr_typer_affinity(self.affinity)

    def read(self, offset: int, size: int) -> int:
        if size == 8 and offset == GicrReg.TYPER:
            return self.typer      # the redistributor walk's read: no need to split it in words
        return super().read(offset, size)

    def read32(self, offset: int) -> int:
        if offset == GicrReg.CTLR:
            return self.ctlr
        if offset == GicrReg.IIDR:
            return GIC_IIDR_IMPLEMENTER_ARM
        if offset == GicrReg.TYPER:
            return self.typer & 0xFFFF_FFFF
        if offset == GicrReg.TYPER + 4:
            return self.typer >> 32
        if offset == GicrReg.WAKER:
            return int(self.waker)
        if offset == GicrReg.PIDR2:
            return PIDR2_VALUE
        if offset in (GicrReg.ISENABLER0, GicrReg.ICENABLER0):
            return self.ppi_sgi_enabled
        if offset in (GicrReg.ISPENDR0, GicrReg.ICPENDR0):
            return self.ppi_sgi_pending
        return 0

    def write32(self, offset: int, value: int, mask: int) -> None:
        value &= mask
        if offset == GicrReg.WAKER:
            sleep = bool(value & GicrWaker.PROCESSOR_SLEEP) if mask & GicrWaker.PROCESSOR_SLEEP else \
                bool(self.waker & GicrWaker.PROCESSOR_SLEEP)
            self.waker = (GicrWaker.PROCESSOR_SLEEP | GicrWaker.CHILDREN_ASLEEP) if sleep else GicrWaker(0)
        elif offset == GicrReg.ISENABLER0:
            self.ppi_sgi_enabled |= value
        elif offset == GicrReg.ICENABLER0:
            self.ppi_sgi_enabled &= ~value
        elif offset == GicrReg.ISPENDR0:
            self.ppi_sgi_pending |= value
        elif offset == GicrReg.ICPENDR0:
            self.ppi_sgi_pending &= ~value


class GicV3:
    """The distributor and every redistributor, mapped on the MMIO bus."""

    def __init__(self, bus: MmioBus, lines: InterruptLines, vcpus: VcpuSet, dist_base: int,
                 redist_regions: list[tuple[int, int]], num_spis: int) -> None:
        self.lines = lines
        self.trace = bus.trace
        self.dist_base = dist_base
        self.on_spi_enabled: list[Callable[[int], None]] = []
        """Called with the INTID after a guest write to ``GICD_ISENABLER<n>`` enables an SPI."""
        self.distributor = Distributor(self, num_spis)
        bus.map(dist_base, GICD_SIZE, self.distributor, "gicd")
        self.redistributors: list[Redistributor] = []
        self.ranges: list[RedistributorRange] = []
        remaining = len(vcpus)
        index = 0
        for base, size in redist_regions:
            if remaining == 0:
                break
            count = min(remaining, size // GICR_FRAME_SIZE)
            if count == 0:
                continue
            self.ranges.append(RedistributorRange(base, count * GICR_FRAME_SIZE, index, count))
            for k in range(count):
                vcpu = vcpus[index]
                rd = Redistributor(index, vcpu.mpidr, last=(k == count - 1))
                bus.map(base + k * GICR_FRAME_SIZE, GICR_FRAME_SIZE, rd, rd.name)
                self.redistributors.append(rd)
                index += 1
            remaining -= count
        if remaining:
            raise ConfigError("maxcpus", f"{len(vcpus)} vCPUs need more redistributor space than the "
                                         f"machine's GICR regions hold ({index} frames)")

    def reset(self) -> None:
        """Warm reset: the distributor and every redistributor as at power-on; an SPI left pending
        before the reset is lost (the device re-raises what it still has, see vmm/machine.py)."""
        self.distributor.reset()
        for rd in self.redistributors:
            rd.reset()

    def redistributor_base(self, vcpu_index: int) -> int:
        """Guest physical address of vCPU ``vcpu_index``'s redistributor (RD_base)."""
        for r in self.ranges:
            if r.first_vcpu <= vcpu_index < r.first_vcpu + r.count:
                return r.base + (vcpu_index - r.first_vcpu) * GICR_FRAME_SIZE
        raise IndexError(vcpu_index)

    def raise_spi(self, intid: int, source: str | None = None) -> None:
        """Device side: assert SPI ``intid`` (an edge); delivered now if enabled, else left pending."""
        d = self.distributor
        if not SPI_BASE <= intid < SPI_BASE + d.num_spis:
            raise ConfigError("intid", f"INTID {intid} is not an SPI of this GIC "
                                       f"({SPI_BASE}..{SPI_BASE + d.num_spis - 1})")
        if intid in d.enabled:
            self.deliver(intid, source)
        else:
            d.pending.add(intid)
            if self.trace is not None:
                self.trace.log(TraceKind.VMM_LOG, f"SPI {intid} from {source or 'device'} pending: disabled")

    def deliver(self, intid: int, source: str | None = None) -> None:
        """Signal ``intid`` to the guest through the interrupt lines."""
        self.lines.deliver(intid, source)
