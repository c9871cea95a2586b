"""Where a powered-on vCPU starts running guest code.

When firmware (PSCI ``CPU_ON``, DEN0022 section 5.6) powers a vCPU on, the
vCPU begins executing at the requested entry point with the context id in
x0, at EL1 with the MMU off. The guest registers one entry handler (its
``secondary_entry`` path); the VMM calls :meth:`VcpuPort.start` once the
vCPU is running. The boot vCPU is started by the machine itself, not here.
"""

from __future__ import annotations

from collections.abc import Callable

from vcpu_hotplug.hw.errors import HwError
from vcpu_hotplug.hw.trace import Trace, TraceKind

EntryHandler = Callable[[int, int, int], None]
"""``handler(vcpu_index, entry_point, context_id)``: the guest's code starts running."""


class VcpuPort:
    """VMM side starts vCPUs; guest side says what running means."""

    def __init__(self, trace: Trace | None = None) -> None:
        self.trace = trace
        self._entry: EntryHandler | None = None
        self.started = 0

    def register_entry(self, handler: EntryHandler | None) -> None:
        """Guest side: called each time a secondary vCPU starts at an entry point."""
        if handler is not None and self._entry is not None:
            raise HwError("a vCPU entry handler is already registered")
        self._entry = handler

    def start(self, vcpu_index: int, entry_point: int, context_id: int) -> None:
        """VMM side: vCPU ``vcpu_index`` is now executing at ``entry_point`` (x0 = ``context_id``)."""
        self.started += 1
        if self.trace is not None:
            self.trace.record(TraceKind.VCPU_START, vcpu=vcpu_index, address=entry_point, value=context_id)
        if self._entry is not None:
            self._entry(vcpu_index, entry_point, context_id)
