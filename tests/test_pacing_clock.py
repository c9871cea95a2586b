"""The simulated clock's hooks that realtime pacing uses: watching what is scheduled, postponing it."""

import pytest

from vcpu_hotplug.hw.clock import SimClock
from vcpu_hotplug.hw.errors import ClockError


def test_listeners_see_every_scheduled_event():
    clock = SimClock()
    seen = []
    clock.schedule_listeners.append(seen.append)
    first = clock.schedule(10, lambda: None, "a")
    second = clock.schedule_at(5, lambda: None, "b")
    assert seen == [first, second]


def test_a_postponed_event_fires_later_and_keeps_its_place_among_later_ones():
    clock = SimClock()
    fired = []
    late = clock.schedule(10, lambda: fired.append(("late", clock.now_ns())))
    clock.schedule(20, lambda: fired.append(("other", clock.now_ns())))
    clock.postpone(late, 30)
    clock.run_until_idle()
    assert fired == [("other", 20), ("late", 30)]


def test_a_postponed_event_can_still_be_cancelled_through_its_handle():
    clock = SimClock()
    fired = []
    event = clock.schedule(10, lambda: fired.append(1))
    clock.postpone(event, 50)
    event.cancel()
    assert clock.run_until_idle() == 0 and fired == []


def test_postponing_into_the_past_or_a_fired_event_is_refused_or_ignored():
    clock = SimClock()
    event = clock.schedule(10, lambda: None, "step")
    with pytest.raises(ClockError, match="step"):
        clock.postpone(event, 5)
    clock.run_until_idle()
    clock.postpone(event, 100)  # fired: nothing to move
    assert clock.next_event_ns() is None
