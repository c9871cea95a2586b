"""Host-side observers of the simulation, and the boundary that keeps their faults off the guest.

The management plane watches the machine through callbacks: the trace's
listeners (the live view), the machine's observers (QMP events). They are
host code, and they run in the middle of a guest step: a guest register
write that completes an eject tells the observers before the write returns.
On real hardware nothing the host's management software does can make the
guest's write fail; here a bug in a callback would otherwise unwind through
the AML interpreter and surface as a failed ``_EJ0`` and a failing ``_OST``.

:class:`HostFaults` is the one way callbacks are dispatched: it calls every
callback, keeps what one raises (bounded), and lets the guest's step
complete. The host side re-raises the kept faults after the step, as a
:class:`HostFault` (:meth:`HostFaults.raise_pending`): ``System``'s and the
QMP backend's operations do so once the simulation has settled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vcpu_hotplug.hw.errors import HwError

#: Faults kept until the host collects them; more are counted, not kept.
MAX_PENDING_FAULTS = 16


class HostFault(HwError):
    """A host-side callback raised while the guest ran; the guest's step completed regardless.

    ``faults`` are the exceptions kept (the first is also ``__cause__``),
    ``count`` how many there were in all.
    """

    def __init__(self, faults: list[Exception], count: int) -> None:
        first = faults[0]
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"a host callback failed during a guest step{more}: "
                         f"{type(first).__name__}: {first}")
        self.faults = faults
        self.count = count


class HostFaults:
    """Dispatches host callbacks and keeps their faults for the host to collect."""

    def __init__(self) -> None:
        self._pending: list[Exception] = []
        self._count = 0

    @property
    def pending(self) -> int:
        """Faults raised since the last :meth:`raise_pending`."""
        return self._count

    def call(self, callback: Callable[..., object], *args: object) -> None:
        """Call one host callback; a fault it raises is kept, not propagated."""
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001 - host code must not reach the guest
            self._count += 1
            if len(self._pending) < MAX_PENDING_FAULTS:
                self._pending.append(exc)

    def dispatch(self, callbacks: Iterable[Callable[..., object]], *args: object) -> None:
        """Call every callback (a snapshot of the list) with ``args``."""
        for callback in list(callbacks):
            self.call(callback, *args)

    def raise_pending(self) -> None:
        """On the host side, after a guest step: raise the kept faults as one :class:`HostFault`."""
        if not self._count:
            return
        faults, count = self._pending, self._count
        self._pending, self._count = [], 0
        raise HostFault(faults, count) from faults[0]
