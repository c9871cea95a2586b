"""The Generic Event Device (ACPI 6.5 section 5.6.9, ``ACPI0013``).

Follows QEMU's ``hw/acpi/generic_event_device.c``: one 32-bit event selector
register at offset 0 (``ESEL``); an event ORs its bit into the selector and
pulses the GED's interrupt; a guest read returns the selector and clears it
(the ``_EVT`` method reads it once and dispatches on the bits); writes are
ignored; only 4-byte accesses are decoded, others are a bus error. Event bits are QEMU's ``ACPI_GED_*_EVT``; the CPU hotplug event is
0x8. On QEMU ``virt`` the GED's interrupt is SPI 9 (``a15irqmap[VIRT_ACPI_GED]``),
so GSI/INTID 41 in its ``_CRS`` (edge, active high).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from vcpu_hotplug.hw.errors import AccessRejected
from vcpu_hotplug.hw.trace import Trace, TraceKind

GED_REGION_SIZE = 4
"""ACPI_GED_EVT_SEL_LEN: just the selector."""

GED_EVT_SEL_OFFSET = 0
"""ACPI_GED_EVT_SEL_OFFSET."""

GED_ACCESS_SIZE = 4
"""QEMU's ``ged_evt_ops`` accept 4-byte accesses only (valid min = max = 4)."""


class GedEvent(enum.IntFlag):
    """Event selector bits (QEMU ``include/hw/acpi/generic_event_device.h``)."""

    MEM_HOTPLUG = 0x1
    PWR_DOWN = 0x2
    NVDIMM_HOTPLUG = 0x4
    CPU_HOTPLUG = 0x8


class GenericEventDevice:
    """The GED's MMIO register plus its interrupt line."""

    name = "ged"

    def __init__(self, raise_irq: Callable[[], None], trace: Trace | None = None) -> None:
        self._raise_irq = raise_irq
        self.trace = trace
        self.selector = 0
        self.raised = 0
        """Interrupts pulsed since creation."""

    def event(self, bits: GedEvent) -> None:
        """Latch ``bits`` into the selector and pulse the interrupt."""
        self.selector |= int(bits)
        self.raised += 1
        if self.trace is not None:
            self.trace.log(TraceKind.VMM_LOG, f"GED event {GedEvent(bits).name} ({int(bits):#x})")
        self._raise_irq()

    def read(self, offset: int, size: int) -> int:
        if size != GED_ACCESS_SIZE:
            raise AccessRejected(f"the GED decodes {GED_ACCESS_SIZE}-byte accesses only")
        if offset != GED_EVT_SEL_OFFSET:
            return 0
        value, self.selector = self.selector, 0
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        """The selector is read-only: the write is ignored."""
        if size != GED_ACCESS_SIZE:
            raise AccessRejected(f"the GED decodes {GED_ACCESS_SIZE}-byte accesses only")
