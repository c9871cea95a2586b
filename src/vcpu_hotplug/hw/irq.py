"""Interrupt lines between the interrupt controller and the guest.

The device side (through the VMM's GIC model) *delivers* an interrupt by its
GIC INTID (for an SPI: GSI = SPI number + 32, as ACPI ``_CRS`` and the
devicetree's ``interrupts`` property count them); the guest side registers a
handler per INTID (its ``request_irq``) or one catch-all sink (its GIC
driver's ``handle_irq``). Interrupts are edge events: each delivery calls the
handler once. A delivery nobody handles is counted and traced as spurious.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from vcpu_hotplug.hw.errors import IrqError
from vcpu_hotplug.hw.trace import Trace, TraceKind

MAX_INTID = 1019
"""Largest INTID a GICv3 SPI can have (1020..1023 are special)."""

IrqHandler = Callable[[int], None]
"""Called with the INTID being delivered."""


class InterruptLines:
    """The wires from the interrupt controller to the guest's handlers."""

    def __init__(self, trace: Trace | None = None) -> None:
        self.trace = trace
        self._handlers: dict[int, IrqHandler] = {}
        self._sink: IrqHandler | None = None
        self.delivered: Counter[int] = Counter()
        self.spurious: Counter[int] = Counter()

    def register(self, intid: int, handler: IrqHandler) -> None:
        """Guest side: handle INTID ``intid`` (one handler per INTID)."""
        if not 0 <= intid <= MAX_INTID:
            raise IrqError(f"INTID {intid} is out of range 0..{MAX_INTID}")
        if intid in self._handlers:
            raise IrqError(f"INTID {intid} already has a handler")
        self._handlers[intid] = handler

    def unregister(self, intid: int) -> None:
        """Guest side: stop handling ``intid``."""
        self._handlers.pop(intid, None)

    def set_sink(self, sink: IrqHandler | None) -> None:
        """Guest side: a catch-all for INTIDs without their own handler."""
        self._sink = sink

    def deliver(self, intid: int, source: str | None = None) -> bool:
        """Controller side: signal ``intid`` to the guest; True when somebody handled it."""
        self.delivered[intid] += 1
        if self.trace is not None:
            self.trace.record(TraceKind.IRQ, gsi=intid, device=source)
        handler = self._handlers.get(intid, self._sink)
        if handler is None:
            self.spurious[intid] += 1
            return False
        handler(intid)
        return True
