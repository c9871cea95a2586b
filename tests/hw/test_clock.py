"""The simulated clock: deterministic order, ties in scheduling order, no real sleeping."""

import pytest

from vcpu_hotplug.hw.clock import SimClock
from vcpu_hotplug.hw.errors import ClockError


def test_events_fire_in_time_order_with_ties_in_scheduling_order():
    clock = SimClock()
    fired = []
    clock.schedule(30, lambda: fired.append(("c", clock.now_ns())))
    clock.schedule(10, lambda: fired.append(("a", clock.now_ns())))
    clock.schedule(10, lambda: fired.append(("b", clock.now_ns())))
    assert clock.advance_ns(20) == 2
    assert fired == [("a", 10), ("b", 10)]
    assert clock.now_ns() == 20
    clock.advance_ns(10)
    assert fired[-1] == ("c", 30)


def test_an_event_scheduled_while_advancing_fires_in_the_same_window():
    clock = SimClock()
    fired = []
    clock.schedule(5, lambda: clock.schedule(5, lambda: fired.append(clock.now_ns())))
    clock.advance_ns(100)
    assert fired == [10]


def test_cancelled_events_never_fire():
    clock = SimClock()
    fired = []
    event = clock.schedule(5, lambda: fired.append(1))
    event.cancel()
    assert clock.pending() == 0 and clock.next_event_ns() is None
    clock.run_until_idle()
    assert fired == []


def test_run_until_idle_jumps_to_each_event_and_stops_a_runaway_loop():
    clock = SimClock()
    clock.schedule(1_000_000, lambda: None)
    assert clock.run_until_idle() == 1 and clock.now_ns() == 1_000_000

    def again():
        clock.schedule(1, again)
    clock.schedule(1, again)
    with pytest.raises(ClockError, match="rescheduling"):
        clock.run_until_idle(limit=50)


def test_time_never_goes_backwards():
    clock = SimClock()
    with pytest.raises(ClockError):
        clock.advance_ns(-1)
    with pytest.raises(ClockError):
        clock.schedule(-5, lambda: None)
    clock.advance_ns(10)
    with pytest.raises(ClockError):
        clock.schedule_at(3, lambda: None)
