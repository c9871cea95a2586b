"""The Generic Event Device driver: ``drivers/acpi/evged.c``.

At probe the driver walks the GED's ``_CRS`` for interrupts (ACPI 6.5
section 6.4.3.6, Extended Interrupt Descriptor); for each GSI it picks the
event method: ``_Exx``/``_Lxx`` (edge/level, ``xx`` the GSI in hex) for a GSI
up to 255 when the device has one, else ``_EVT`` ("cannot locate _EVT
method" otherwise), and requests the interrupt as a threaded, oneshot IRQ
(unmasking the SPI in the distributor). When the interrupt fires, the IRQ
thread runs the method with the GSI as its argument
(``acpi_execute_simple_method(handle, NULL, gsi)``); a failure is "IRQ
method execution failed", logged once.

The IRQ thread is scheduled on the simulated clock a short latency after
the hardware interrupt, as a threaded handler runs after the hard IRQ.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

from vcpu_hotplug.acpi.aml.resources import InterruptFlag, ResourceTag
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.guest.acpi_utils import AcpiCore, AcpiDevice
from vcpu_hotplug.guest.gic import GicV3Driver
from vcpu_hotplug.guest.klog import LogLevel
from vcpu_hotplug.guest.services import KernelServices
from vcpu_hotplug.hw import HardwareBoundary


class GedKernel(KernelServices, Protocol):
    """What the GED driver uses of the running kernel besides :class:`KernelServices`."""

    acpi: AcpiCore
    gic: GicV3Driver
    hw: HardwareBoundary


LARGE_ITEM = 0x80
SMALL_LENGTH_MASK = 0x07
LARGE_HEADER = 3
EXT_IRQ_FLAGS_OFFSET = 3
EXT_IRQ_COUNT_OFFSET = 4
EXT_IRQ_TABLE_OFFSET = 5
MAX_GSI_FOR_EXX = 255


@dataclass(frozen=True)
class GedInterrupt:
    """One interrupt of a ``_CRS``."""

    gsi: int
    edge: bool


def parse_interrupts(template: bytes) -> list[GedInterrupt]:
    """Extended Interrupt descriptors of a resource template (others are skipped)."""
    out: list[GedInterrupt] = []
    pos = 0
    while pos < len(template):
        tag = template[pos]
        if tag == ResourceTag.END_TAG:
            break
        if tag & LARGE_ITEM:
            if pos + LARGE_HEADER > len(template):
                break
            (length,) = struct.unpack_from("<H", template, pos + 1)
            body_end = pos + LARGE_HEADER + length
            if tag == ResourceTag.EXTENDED_INTERRUPT and body_end <= len(template):
                flags = template[pos + EXT_IRQ_FLAGS_OFFSET]
                count = template[pos + EXT_IRQ_COUNT_OFFSET]
                for i in range(count):
                    at = pos + EXT_IRQ_TABLE_OFFSET + 4 * i
                    if at + 4 > body_end:
                        break
                    (gsi,) = struct.unpack_from("<I", template, at)
                    out.append(GedInterrupt(gsi, bool(flags & InterruptFlag.EDGE)))
            pos = body_end
        else:
            pos += 1 + (tag & SMALL_LENGTH_MASK)
    return out


@dataclass
class AcpiGedEvent:
    """``struct acpi_ged_event``."""

    device: AcpiDevice
    gsi: int
    method: str


class GedDriver:
    """The ``acpi-ged`` platform driver."""

    def __init__(self, kernel: GedKernel) -> None:
        self.k = kernel
        self.events: dict[int, AcpiGedEvent] = {}
        self.irqs_handled = 0

    def probe(self, adev: AcpiDevice) -> bool:
        """``ged_probe``: request every interrupt of ``_CRS``; True when at least one works."""
        k = self.k
        dev = f"acpi-ged {adev.name}"
        try:
            crs = k.acpi.evaluate(adev.path + "._CRS", trace=False)
        except AcpiError:
            k.klog.err(f"{dev}: unable to parse the _CRS record")
            return False
        if not isinstance(crs, bytes):
            k.klog.err(f"{dev}: unable to parse the _CRS record")
            return False
        ok = False
        for irq in parse_interrupts(crs):
            method = None
            if irq.gsi <= MAX_GSI_FOR_EXX:
                name = f"_{'E' if irq.edge else 'L'}{irq.gsi:02X}"
                if k.acpi.exists(f"{adev.path}.{name}"):
                    method = name
            if method is None:
                if k.acpi.exists(f"{adev.path}._EVT"):
                    method = "_EVT"
                else:
                    k.klog.err(f"{dev}: cannot locate _EVT method")
                    continue
            if irq.gsi in self.events:
                k.klog.err(f"{dev}: failed to setup event handler for irq {irq.gsi}")
                continue
            self.events[irq.gsi] = AcpiGedEvent(adev, irq.gsi, method)
            k.hw.irq.register(irq.gsi, self._hardirq)
            k.gic.enable_spi(irq.gsi)
            k.klog.debug(f"{dev}: GED listening GSI {irq.gsi} @ IRQ {irq.gsi}")
            ok = True
        return ok

    def _hardirq(self, intid: int) -> None:
        self.k.clock.schedule(self.k.config.latency.irq_thread_ns, lambda: self._thread(intid),
                              f"guest ACPI:Ged irq thread {intid}")

    def _thread(self, intid: int) -> None:
        """``acpi_ged_irq_handler``."""
        event = self.events.get(intid)
        if event is None:
            return
        self.irqs_handled += 1
        try:
            self.k.acpi.evaluate(f"{event.device.path}.{event.method}", event.gsi)
        except AcpiError as e:
            self.k.klog.once(f"ged-irq-{event.device.name}", LogLevel.ERR,
                             f"acpi-ged {event.device.name}: IRQ method execution failed")
            self.k.klog.tracepoint(f"GED method failed: {e}")
