"""Pacing: how the simulated machine's time relates to the wall clock while QMP is served.

Two paces (``--pace`` of ``vcpu-hotplug run`` and ``vcpu-hotplug-system-aarch64``):

- :attr:`Pace.INSTANT` (:class:`InstantPacer`): after each successful command the guest runs until it
  is idle, before the server reads the next command. The reply still goes out first, but every event
  the command causes follows it at once, before the next reply. Reproducible and fast: the tests, the
  benchmarks and ``vcpu-hotplug demo`` use it.
- :attr:`Pace.REALTIME` (:class:`RealtimePacer`, the command lines' default): simulated time runs
  with the wall clock (``factor`` wall seconds per simulated second). A command is answered first;
  the guest handles what the command started when it gets there, and its events (``ACPI_DEVICE_OST``,
  ``DEVICE_DELETED``, ``DEVICE_UNPLUG_GUEST_ERROR``, ...) reach every client later, as on a real VM,
  where an orchestrator meets its own races (issue 13: the hot-add ``ACPI_DEVICE_OST`` of a real
  QEMU arrived after the replies to the next two commands).

Realtime never polls: the pacer keeps one event-loop timer (``loop.call_at``) for the wall time of
the next simulated event and none while the machine is idle, paused or not started. Before a
command is dispatched it brings the machine up to the wall clock's present, and the events that
fell due go out before that command's reply; time spent paused or in prelaunch does not count.
All clients get events from the server's one broadcast, so they see them in the same order.

**Step latencies.** The guest model's own steps take microseconds of simulated time; a real guest
takes milliseconds (under TCG tens of them) for the steps a client waits for. Under realtime the
pacer gives them the time :class:`StepLatencies` says, watching the hardware boundary (the trace)
for the crossing that starts each step and postponing on the clock (:meth:`SimClock.postpone`) the
work that step queued:

- *ACPI notify handling*: the GED interrupt; the GED's IRQ thread, which runs ``_EVT`` (the scan of
  the register block and a ``Notify`` per processor with an event), runs ``acpi_notify_ns`` later, so
  a ``device_add`` or ``device_del`` sent meanwhile is found by the same ``_EVT``, as on real Linux;
- the *hot-add work*: a Device Check ``Notify``; its ``kacpi_hotplug`` work (``acpi_device_hotplug``,
  ``acpi_processor_add``, up to the ``_OST`` that is the hot-add's ``ACPI_DEVICE_OST``) is postponed
  by ``hot_add_work_ns``. A further processor the same ``_EVT`` notified takes ``next_device_ns``
  after the one before (two ``device_add`` s sent back to back answer ``_OST`` a few ms apart on real
  Linux, not a whole hot-add apart);
- an Eject Request's work, in the steps real Linux takes time for (``acpi_device_hotplug`` in
  ``drivers/acpi/scan.c``; the guest model runs the last one as a clock event of its own,
  :mod:`vcpu_hotplug.guest.acpi_scan`): it starts with ``_OST(3, 0x84)`` (eject in progress), so the
  0x84 ``ACPI_DEVICE_OST`` comes ``acpi_notify_ns`` after the ``device_del``; then
  ``acpi_scan_try_to_offline`` offlines the CPU: ``cpu_down``'s teardown, up to the dying vCPU's PSCI
  ``CPU_OFF`` and ``cpu_kill`` ("psci: CPUn killed"), is a clock event of the guest model's own
  (:data:`~vcpu_hotplug.guest.smp.CPU_TEARDOWN_LABEL`) charged ``cpu_off_ns``, so the CPU stays online
  and goes down ``cpu_off_ns`` after the 0x84, as on real Linux; then *_EJ0* (``eject_ns``) is charged
  to the step that evaluates ``_EJ0``, so ``DEVICE_DELETED`` (QEMU sends it at the ``_EJ0`` write)
  comes ``acpi_notify_ns + cpu_off_ns + eject_ns`` after the ``device_del``; the last step (the
  ``_STA`` check, ``post_eject``, :data:`~vcpu_hotplug.guest.acpi_scan.POST_EJECT_LABEL`) gives the
  final ``_OST`` ``post_eject_ns`` after that, as real Linux does. A CPU that was already offline has no teardown and costs ``eject_ns`` alone (real Linux
  ejected a never-onlined CPU in about 2 ms), and a refused offline (a busy CPU) answers its ``_OST``
  at once, as the offline fails;
- *CPU bring-up*: a successful PSCI ``CPU_ON``; the vCPU's start at the secondary entry, and with it
  "CPUn: Booted secondary processor" and the CPU going online, comes ``cpu_up_ns`` later.

The steps are seen in the machine's trace, so realtime needs it enabled (``run`` and the emulator
always have it; only benchmarks turn it off, and they run instant).

``kacpi_hotplug`` is an ordered workqueue, so Notify work queues behind the work before it (an eject
queued behind another starts when that one ends, as on real Linux: work queued behind an eject moves
later when the eject's ``_EJ0`` step is charged). Bring-up and hotplug work exclude each other through
the guest model's own ``cpu_hotplug_lock``.

The defaults (:data:`DEFAULT_LATENCIES`) are the medians of real Linux 6.12.95 under real QEMU RFC V5
with TCG, recorded with timestamps in ``tests/data/real-linux/`` (its README has the timing table);
the README's "Pacing" section gives the figures and how each was derived.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from vcpu_hotplug.acpi.notify import NotifyValue, OstStatus
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest.acpi_scan import POST_EJECT_LABEL
from vcpu_hotplug.guest.smp import CPU_TEARDOWN_LABEL
from vcpu_hotplug.hw.clock import NS_PER_MS, NS_PER_S, ScheduledEvent
from vcpu_hotplug.hw.trace import TraceEvent, TraceKind

from .backend import CpuBackend
from .errors import QmpError
from .machine_backend import MachineBackend


class Pace(str, enum.Enum):
    """How simulated time passes while QMP is served (``--pace``)."""

    REALTIME = "realtime"
    """Simulated time runs with the wall clock; replies first, events when the guest gets there."""
    INSTANT = "instant"
    """The guest runs until idle after each command (tests, benchmarks, the demo)."""


class PacingError(QmpError):
    """A pace that cannot be set up (a bad factor, a backend without simulated time)."""


@dataclass(frozen=True)
class StepLatencies:
    """How long the guest's hotplug steps take under :attr:`Pace.REALTIME`, in simulated time."""

    acpi_notify_ns: int
    """GED interrupt to its ``_EVT`` scanning the register block and notifying the processors (the IRQ
    thread); the eject's work starts then, with its ``_OST`` 0x84."""
    hot_add_work_ns: int
    """A Device Check's ``kacpi_hotplug`` work, ``Notify`` to ``_OST`` (``acpi_processor_add``)."""
    next_device_ns: int
    """Each further processor the same ``_EVT`` notified: its work after the one before."""
    cpu_up_ns: int
    """PSCI ``CPU_ON`` to the secondary running ``secondary_start_kernel`` (the CPU going online)."""
    cpu_off_ns: int
    """An eject's offline of an online CPU: ``_OST`` 0x84 to ``cpu_down``'s end, the dying CPU's
    ``CPU_OFF`` and ``cpu_kill`` ("psci: CPUn killed")."""
    eject_ns: int
    """The offline's end to ``_EJ0``'s register write and the VMM's unplug of the vCPU (``DEVICE_DELETED``)."""
    post_eject_ns: int = 0
    """``_EJ0`` to the eject's final ``_OST`` (the ``_STA`` check and ``post_eject``)."""

    def __post_init__(self) -> None:
        for name in ("acpi_notify_ns", "hot_add_work_ns", "next_device_ns", "cpu_up_ns", "cpu_off_ns",
                     "eject_ns", "post_eject_ns"):
            if getattr(self, name) < 0:
                raise PacingError(f"step latency {name} must not be negative")

    @property
    def hot_add_ost_ns(self) -> int:
        """``device_add`` to its ``ACPI_DEVICE_OST``."""
        return self.acpi_notify_ns + self.hot_add_work_ns

    @property
    def eject_started_ns(self) -> int:
        """``device_del`` to the eject's ``_OST`` 0x84 (``ACPI_DEVICE_OST``, eject in progress)."""
        return self.acpi_notify_ns

    @property
    def device_deleted_ns(self) -> int:
        """``device_del`` of an online CPU to ``DEVICE_DELETED``."""
        return self.acpi_notify_ns + self.cpu_off_ns + self.eject_ns

    @property
    def eject_done_ns(self) -> int:
        """``device_del`` of an online CPU to the eject's final ``_OST`` (the work's end)."""
        return self.device_deleted_ns + self.post_eject_ns


DEFAULT_LATENCIES = StepLatencies(
    acpi_notify_ns=12 * NS_PER_MS,
    hot_add_work_ns=27 * NS_PER_MS,
    next_device_ns=3 * NS_PER_MS,
    cpu_up_ns=6 * NS_PER_MS,
    cpu_off_ns=96 * NS_PER_MS,
    eject_ns=8 * NS_PER_MS,
    post_eject_ns=6 * NS_PER_MS,
)
"""Real Linux 6.12.95 under real QEMU RFC V5 with TCG (``tests/data/real-linux/``; README "Pacing")."""

DEFAULT_FACTOR = 1.0
"""Wall seconds per simulated second under realtime."""

_NOTIFY_WORK = frozenset({NotifyValue.BUS_CHECK, NotifyValue.DEVICE_CHECK, NotifyValue.EJECT_REQUEST})
_CPU_ON = frozenset({PsciFunction.CPU_ON, PsciFunction.CPU_ON_32})
_CROSSINGS = frozenset({TraceKind.MMIO_READ, TraceKind.MMIO_WRITE, TraceKind.HVC, TraceKind.IRQ,
                        TraceKind.VCPU_START, TraceKind.NOTIFY, TraceKind.OST})
"""Trace kinds that are a crossing of the boundary (log lines are not)."""
_RECENT_EVENTS = 8
"""Events scheduled since the last crossing that are remembered (a PSCI call schedules one)."""

ErrorSink = Callable[[BaseException], object]


class Pacer(Protocol):
    """What the QMP server asks of a pace around each command."""

    def attach(self, loop: asyncio.AbstractEventLoop, on_error: ErrorSink) -> None:
        """The server runs on ``loop``; failures of the machine outside a command go to ``on_error``."""
        ...

    def before_command(self) -> None:
        """A command is about to run: bring the machine up to the present."""
        ...

    def after_command(self, succeeded: bool) -> None:
        """The command has been answered: let the machine process what it started."""
        ...

    def close(self) -> None:
        """The server is closing: no more timers."""
        ...


class InstantPacer:
    """:attr:`Pace.INSTANT`: after each successful command the backend runs until idle (``run_pending``)."""

    pace = Pace.INSTANT

    def __init__(self, backend: CpuBackend) -> None:
        self._backend = backend

    def attach(self, loop: asyncio.AbstractEventLoop, on_error: ErrorSink) -> None:
        pass

    def before_command(self) -> None:
        pass

    def after_command(self, succeeded: bool) -> None:
        if succeeded:
            self._backend.run_pending()

    def close(self) -> None:
        pass


class RealtimePacer:
    """:attr:`Pace.REALTIME` for a :class:`MachineBackend`: simulated time follows the event loop's clock.

    ``factor`` wall seconds pass per simulated second (2.0: everything takes twice as long); the
    guest's steps take ``latencies``. Simulated time is anchored to the loop's monotonic clock at a
    (wall, simulated) pair, re-anchored whenever the machine is not running or someone else moved
    its clock ahead (a boot at ``cont``, a guest agent command that blocks).
    """

    pace = Pace.REALTIME

    def __init__(self, backend: MachineBackend, latencies: StepLatencies = DEFAULT_LATENCIES,
                 factor: float = DEFAULT_FACTOR) -> None:
        if not factor > 0 or factor == float("inf"):
            raise PacingError(f"the pace factor must be a positive number, not {factor}")
        if not backend.machine.trace.enabled:
            raise PacingError("realtime pacing sees the guest's steps in the machine's trace: enable it")
        self.backend = backend
        self.latencies = latencies
        self.factor = factor
        self._clock = backend.machine.clock
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._on_error: ErrorSink = lambda exc: None
        self._timer: Optional[asyncio.TimerHandle] = None
        self._armed_ns: Optional[int] = None
        self._wall0 = 0.0
        self._sim0 = 0
        self._closed = False
        # step latencies
        self._charge_next: Optional[int] = None
        """Latency for the next event scheduled (armed by a Notify whose work is not queued yet), if any."""
        self._since_crossing: deque[ScheduledEvent] = deque(maxlen=_RECENT_EVENTS)
        self._ged_gsi = backend.machine.config.ged_gsi
        self._charge_workqueue = False
        """The pending charge is a ``kacpi_hotplug`` work item's (queued behind the one before)."""
        self._last_notify_ns: Optional[int] = None
        """When the last processor Notify was (Notifies of one ``_EVT`` share its simulated instant)."""
        self._workqueue_busy_until_ns = 0
        """Simulated time the guest's ordered ``kacpi_hotplug`` workqueue is busy until."""
        self._queued_work: deque[tuple[ScheduledEvent, int]] = deque()
        """Work items postponed on the workqueue and not run yet, each with its own latency."""
        self._ejecting: Optional[int] = None
        """When an eject's work said ``_OST`` 0x84 (or its offline's teardown ran), until it schedules
        its ``_EJ0`` step or ends (each step schedules the next in its own instant, so a later event
        is none of its)."""
        self._teardown: Optional[ScheduledEvent] = None
        """An eject's offline teardown, charged and not run yet or just run (its ``_EJ0`` step follows it)."""
        self.charged = 0
        """Steps given their latency so far."""
        self._clock.schedule_listeners.append(self._scheduled)
        backend.machine.trace.subscribe(self._crossed)

    # --------------------------------------------------------------- server side

    def attach(self, loop: asyncio.AbstractEventLoop, on_error: ErrorSink) -> None:
        self._loop = loop
        self._on_error = on_error
        self._anchor()
        self._arm()

    def before_command(self) -> None:
        self._catch_up()

    def after_command(self, succeeded: bool) -> None:
        self._catch_up()  # a command that ran the clock itself (a boot at cont) re-anchors here
        self._arm()

    def close(self) -> None:
        self._closed = True
        self._disarm()

    @property
    def timer_armed(self) -> bool:
        """A wake-up is set for the next simulated event (False while idle, paused or closed)."""
        return self._timer is not None

    # ------------------------------------------------------------------- timing

    def _wall(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _anchor(self) -> None:
        if self._loop is not None:
            self._wall0 = self._wall()
            self._sim0 = self._clock.now_ns()

    def sim_due_ns(self) -> int:
        """The simulated time the wall clock has reached (since the anchor)."""
        return self._sim0 + int((self._wall() - self._wall0) * NS_PER_S / self.factor)

    def _catch_up(self, at_least_ns: Optional[int] = None) -> None:
        """Fire the simulated events the wall clock has passed (all of them up to ``at_least_ns``)."""
        if self._loop is None:
            return
        if not self.backend.running():
            self._anchor()
            return
        now = self._clock.now_ns()
        target = self.sim_due_ns()
        if at_least_ns is not None:
            target = max(target, at_least_ns)
        if target < now:
            self._anchor()  # the clock was run ahead outside the pacer: it is the present now
            return
        if target > now:
            self.backend.run_for(target - now)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed_ns = None

    def _arm(self) -> None:
        """One timer, for the wall time of the next simulated event (none when idle or stopped)."""
        self._disarm()
        if self._closed or self._loop is None or self._loop.is_closed() or not self.backend.running():
            return
        nxt = self._clock.next_event_ns()
        if nxt is None:
            return
        due = self._wall0 + (nxt - self._sim0) * self.factor / NS_PER_S
        self._armed_ns = nxt
        self._timer = self._loop.call_at(due, self._fire)

    def _fire(self) -> None:
        armed, self._timer, self._armed_ns = self._armed_ns, None, None
        try:
            self._catch_up(armed)  # the loop may wake a hair early: still fire what it woke for
        except Exception as exc:  # the machine's fault; the server counts it and keeps serving
            self._on_error(exc)
        finally:
            self._arm()

    # ----------------------------------------------------------- step latencies

    def _crossed(self, event: TraceEvent) -> None:
        """A crossing of the hardware boundary: does it start a step that takes time?"""
        if event.kind not in _CROSSINGS:
            return
        if event.kind is TraceKind.OST:
            # the eject's work starts with _OST(3, 0x84); any other _OST while it runs is its end
            started = event.source == NotifyValue.EJECT_REQUEST and event.status == OstStatus.EJECT_IN_PROGRESS
            self._ejecting = event.time_ns if started else None
            self._charge_next = None
        elif event.kind is TraceKind.IRQ and event.gsi == self._ged_gsi:
            self._charge_next = self.latencies.acpi_notify_ns  # the GED driver wakes its IRQ thread
            self._charge_workqueue = False
        elif event.kind is TraceKind.NOTIFY and event.value in _NOTIFY_WORK:
            lat = self.latencies
            if event.time_ns == self._last_notify_ns:  # the same _EVT notified another processor
                cost = lat.next_device_ns
            elif event.value == NotifyValue.EJECT_REQUEST:
                cost = 0  # its _OST 0x84 starts the work; the offline and _EJ0 are charged later
            else:
                cost = lat.hot_add_work_ns
            self._last_notify_ns = event.time_ns
            self._charge_next = cost  # acpi_hotplug_schedule queues the work right after the Notify
            self._charge_workqueue = True
        elif (event.kind is TraceKind.HVC and event.function in _CPU_ON and event.result
              and event.result[0] == PsciReturn.SUCCESS):
            for started in self._since_crossing:  # the VMM scheduled the vCPU's start inside the call
                self._clock.postpone(started, started.when_ns + self.latencies.cpu_up_ns)
                self.charged += 1
        else:
            self._charge_next = None  # a Notify nobody queued work for (ignored, no device)
        self._since_crossing.clear()

    def _scheduled(self, event: ScheduledEvent) -> None:
        if event.label.startswith(POST_EJECT_LABEL):
            # an eject's last step after _EJ0 (the _STA check, post_eject, the final _OST)
            self._clock.postpone(event, event.when_ns + self.latencies.post_eject_ns)
            self.charged += 1
            self._requeue_behind(event.when_ns)
            return
        teardown = self._teardown
        if teardown is not None and teardown.cancelled:  # it has run: its _EJ0 step comes in its instant
            self._teardown = None
            if teardown.when_ns == event.when_ns:
                self._ejecting = event.when_ns
        if self._ejecting is not None and self._ejecting != event.when_ns:
            self._ejecting = None  # the work stopped in its offline (the guest halted): nothing to charge
        if self._ejecting is not None and event.label.startswith(CPU_TEARDOWN_LABEL):
            # the offline's cpuhp teardown, up to the dying CPU's CPU_OFF; the _EJ0 step follows it
            self._ejecting = None
            self._clock.postpone(event, event.when_ns + self.latencies.cpu_off_ns)
            self._teardown = event
            self.charged += 1
            self._requeue_behind(event.when_ns)
        elif self._ejecting is not None:
            # the eject's _EJ0 step, queued by the work once its offline is done
            self._ejecting = None
            self._clock.postpone(event, event.when_ns + self.latencies.eject_ns)
            self.charged += 1
            self._requeue_behind(event.when_ns)
        elif self._charge_next is not None:
            cost, self._charge_next = self._charge_next, None
            if self._charge_workqueue:
                when = max(event.when_ns, self._workqueue_busy_until_ns) + cost
                self._workqueue_busy_until_ns = when
                self._forget_run_work()
                self._queued_work.append((event, cost))
            else:
                when = event.when_ns + cost
            self._clock.postpone(event, when)
            self.charged += 1
        else:
            self._since_crossing.append(event)

    def _forget_run_work(self) -> None:
        while self._queued_work and self._queued_work[0][0].cancelled:  # fired (or cancelled)
            self._queued_work.popleft()

    def _requeue_behind(self, busy_until_ns: int) -> None:
        """The running work item goes on until ``busy_until_ns``: the items queued behind it follow then."""
        self._forget_run_work()
        busy = busy_until_ns
        for queued, cost in self._queued_work:
            if not queued.cancelled:
                self._clock.postpone(queued, max(queued.when_ns, busy + cost))
                busy = queued.when_ns
        self._workqueue_busy_until_ns = max(self._workqueue_busy_until_ns, busy)


def make_pacer(pace: Pace, backend: CpuBackend, *, latencies: StepLatencies = DEFAULT_LATENCIES,
               factor: float = DEFAULT_FACTOR) -> Pacer:
    """The pacer for ``pace``; realtime needs a backend over a simulated machine."""
    if pace is Pace.INSTANT:
        return InstantPacer(backend)
    if not isinstance(backend, MachineBackend):
        raise PacingError("realtime pacing needs a machine with simulated time")
    return RealtimePacer(backend, latencies, factor)


__all__ = ["DEFAULT_FACTOR", "DEFAULT_LATENCIES", "InstantPacer", "Pace", "Pacer", "PacingError",
           "RealtimePacer", "StepLatencies", "make_pacer"]
