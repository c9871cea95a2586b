"""A simulated discrete-event clock.

Time in the simulated machine is an integer count of nanoseconds that moves
only when somebody advances it, so every run is reproducible and no test
sleeps. Callbacks are scheduled at an absolute time; events due at the same
instant fire in the order they were scheduled (a sequence number breaks
ties), and an event scheduled while others fire runs in the same pass when it
falls inside the window being advanced.

Whoever runs the clock against the wall clock (:mod:`vcpu_hotplug.pacing`)
may watch what gets scheduled (:attr:`SimClock.schedule_listeners`) and move a
pending event later (:meth:`SimClock.postpone`): a guest step that takes
longer gets there later, and everything it queued with it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from vcpu_hotplug.hw.errors import ClockError

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000

DEFAULT_EVENT_LIMIT = 1_000_000
"""How many events :meth:`SimClock.run_until_idle` fires before it calls the loop runaway."""


@dataclass(order=True)
class ScheduledEvent:
    """One pending callback; :meth:`cancel` keeps it from firing."""

    when_ns: int
    seq: int
    callback: Callable[[], object] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Keep this event from firing (a no-op once it has fired)."""
        self.cancelled = True


class SimClock:
    """Simulated time with an ordered event queue."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns
        self._queue: list[ScheduledEvent] = []
        self._seq = itertools.count()
        self.fired = 0
        """How many events have fired since creation."""
        self.schedule_listeners: list[Callable[[ScheduledEvent], None]] = []
        """Called with every event as it is scheduled (after it is queued)."""

    def now_ns(self) -> int:
        """Current simulated time in nanoseconds."""
        return self._now

    def schedule(self, delay_ns: int, callback: Callable[[], object], label: str = "") -> ScheduledEvent:
        """Run ``callback`` ``delay_ns`` nanoseconds from now."""
        if delay_ns < 0:
            raise ClockError(f"cannot schedule {label or 'an event'} {delay_ns} ns in the past")
        return self.schedule_at(self._now + delay_ns, callback, label)

    def schedule_at(self, when_ns: int, callback: Callable[[], object], label: str = "") -> ScheduledEvent:
        """Run ``callback`` at absolute time ``when_ns`` (not before now)."""
        if when_ns < self._now:
            raise ClockError(f"cannot schedule {label or 'an event'} at {when_ns} ns, before now ({self._now} ns)")
        event = ScheduledEvent(when_ns, next(self._seq), callback, label)
        heapq.heappush(self._queue, event)
        for listener in self.schedule_listeners:
            listener(event)
        return event

    def postpone(self, event: ScheduledEvent, when_ns: int) -> None:
        """Move the pending ``event`` to ``when_ns`` (not earlier than it was); the caller's handle stays
        valid (cancelling it still works). A fired or cancelled event is left alone."""
        if event.cancelled:
            return
        if when_ns < event.when_ns:
            raise ClockError(f"cannot postpone {event.label or 'an event'} to {when_ns} ns, "
                             f"before its time ({event.when_ns} ns)")
        if when_ns == event.when_ns:
            return
        event.when_ns = when_ns
        heapq.heapify(self._queue)

    def pending(self) -> int:
        """How many events are scheduled and not cancelled."""
        return sum(1 for e in self._queue if not e.cancelled)

    def next_event_ns(self) -> int | None:
        """Time of the next live event, or None when idle."""
        self._drop_cancelled()
        return self._queue[0].when_ns if self._queue else None

    def _drop_cancelled(self) -> None:
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)

    def _fire_next(self) -> None:
        event = heapq.heappop(self._queue)
        self._now = event.when_ns
        self.fired += 1
        event.cancelled = True
        event.callback()

    def advance_ns(self, ns: int) -> int:
        """Move time forward by ``ns``, firing every event that falls due, in order.

        Returns how many events fired.
        """
        if ns < 0:
            raise ClockError(f"cannot advance the clock by {ns} ns")
        deadline = self._now + ns
        count = 0
        while True:
            self._drop_cancelled()
            if not self._queue or self._queue[0].when_ns > deadline:
                break
            self._fire_next()
            count += 1
        self._now = max(self._now, deadline)  # an event may itself have advanced time past the deadline
        return count

    def run_until_idle(self, limit: int = DEFAULT_EVENT_LIMIT) -> int:
        """Fire events in order until none is left; returns how many fired.

        Raises :class:`ClockError` after ``limit`` events (an event loop that
        keeps rescheduling itself would otherwise never end).
        """
        count = 0
        while True:
            self._drop_cancelled()
            if not self._queue:
                return count
            if count >= limit:
                raise ClockError(f"still busy after {limit} events: an event keeps rescheduling itself")
            self._fire_next()
            count += 1
