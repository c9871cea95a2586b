"""The interpreter's notion of time (ACPI 6.5 sections 19.6.125 Sleep, 19.6.128 Stall, 19.6.139 Timer).

Time is simulated: ``Sleep``/``Stall`` and timed-out ``Wait``/``Acquire``
advance the clock instead of blocking. Any object with ``now_ns()`` and
``advance_ns(ns)`` can be passed in (the ``hw`` layer's discrete-event clock
does); :class:`SimpleClock` is the default.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

NS_PER_MS = 1_000_000
NS_PER_US = 1_000
#: ``Timer`` counts in 100 ns units (ACPI 6.5 section 19.6.139).
TIMER_TICK_NS = 100


@runtime_checkable
class Clock(Protocol):
    def now_ns(self) -> int: ...

    def advance_ns(self, ns: int) -> None: ...


class SimpleClock:
    """A monotonic counter of nanoseconds that only moves when told to."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def advance_ns(self, ns: int) -> None:
        if ns > 0:
            self._now += ns
