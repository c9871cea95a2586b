"""Mutexes and events (ACPI 6.5 sections 19.6.1 Acquire, 19.6.87 Mutex, 19.6.116 Release,
19.6.46 Event, 19.6.121 Signal, 19.6.145 Wait, 19.6.118 Reset; sync levels of 19.6.85).

The interpreter runs AML on one thread, so a Mutex is either free or held by
that thread; as in ACPICA (``exmutex.c``) a holder may acquire again
(recursion), a Mutex of a lower SyncLevel than the current one cannot be
acquired, and every Mutex still held when the outermost method returns is
released. A timed wait for something that cannot happen advances the
simulated clock by the timeout and reports a timeout.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.aml.clock import NS_PER_MS
from vcpu_hotplug.acpi.aml.objects import Event, Mutex
from vcpu_hotplug.acpi.errors import AmlError

WAIT_FOREVER = 0xFFFF
#: Highest SyncLevel (section 19.6.87).
MAX_SYNC_LEVEL = 15


class SyncState:
    """The AML thread's held mutexes and current SyncLevel."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.level = 0
        self.held: list[Mutex] = []

    def acquire(self, mutex: Mutex, timeout: int, frame=None) -> bool:
        """True when acquired (``Acquire`` returns Zero), False on timeout."""
        if mutex.depth > 0:
            mutex.depth += 1
            return True
        if mutex.sync_level < self.level:
            raise AmlError(f"cannot acquire a mutex of SyncLevel {mutex.sync_level} "
                           f"while at SyncLevel {self.level}")
        mutex.depth = 1
        mutex.previous_sync = self.level
        self.level = mutex.sync_level
        self.held.append(mutex)
        return True

    def release(self, mutex: Mutex, frame=None) -> None:
        if mutex.depth == 0:
            raise AmlError("Release of a mutex that is not held")
        if mutex.sync_level < self.level:
            raise AmlError(f"cannot release a mutex of SyncLevel {mutex.sync_level} "
                           f"while at SyncLevel {self.level}")
        mutex.depth -= 1
        if mutex.depth == 0:
            self.level = mutex.previous_sync
            self.held.remove(mutex)

    def release_method(self, mutex: Mutex) -> None:
        """Release a Serialized method's mutex at its exit (no ordering check, as ACPICA)."""
        if mutex.depth == 0:
            return
        mutex.depth -= 1
        if mutex.depth == 0:
            self.level = mutex.previous_sync
            if mutex in self.held:
                self.held.remove(mutex)

    def release_all(self) -> None:
        for mutex in reversed(self.held):
            mutex.depth = 0
        self.held.clear()
        self.level = 0

    def signal(self, event: Event) -> None:
        event.count += 1

    def reset(self, event: Event) -> None:
        event.count = 0

    def wait(self, event: Event, timeout_ms: int) -> bool:
        """True when an event was pending (``Wait`` returns Zero), False on timeout."""
        if event.count > 0:
            event.count -= 1
            return True
        if timeout_ms >= WAIT_FOREVER:
            raise AmlError("Wait forever on an Event that nothing can signal")
        self.clock.advance_ns(timeout_ms * NS_PER_MS)
        return False
