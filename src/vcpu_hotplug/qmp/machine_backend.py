"""Adapter from the VMM's :class:`~vcpu_hotplug.vmm.machine.Machine` to :class:`CpuBackend`.

The mapping is the one ``vmm/machine.py`` documents for QMP:

- ``plug(i)`` is ``Machine.enable(i)``, ``unplug(i)`` is ``Machine.disable(i)``;
  the VMM's :class:`~vcpu_hotplug.vmm.errors.AdminError` s become
  :class:`BackendError` (GenericError) carrying the VMM's sentence;
- a slot is *plugged* while its vCPU's admin state is ENABLED, which lasts
  until the guest's eject completes (so a vCPU with a pending unplug is
  still plugged, as a QEMU device is until ``DEVICE_DELETED``);
- the machine's observers are the events: its
  :class:`~vcpu_hotplug.vmm.machine.DeviceDeleted`,
  :class:`~vcpu_hotplug.vmm.machine.OstReport` and
  :class:`~vcpu_hotplug.vmm.machine.UnplugFailed` go to the subscribers as
  they are (one event type per crossing);
- each ``plug``/``unplug`` is written to the machine's trace as a VMM log
  line starting with :data:`QMP_TRACE_PREFIX`, so the trace shows the whole
  path of an event from the management plane to the guest;
- the run state is QEMU's: ``prelaunch`` when built stopped (``-S``; ``start``
  boots the guest at the first ``resume``), ``running``, ``paused`` after
  ``pause`` (the clock does not run, so the guest does nothing), ``shutdown``
  once the guest has called PSCI SYSTEM_OFF. ``system_reset`` resets the
  machine (whoever runs the guest boots a new kernel on the clock): a running
  VM stays ``running``; a paused or shut-down one is ``prelaunch`` afterwards
  and its guest boots at ``cont`` (QEMU's ``main_loop_should_exit``: after
  ``qemu_system_reset`` a VM that is not running goes to
  ``RUN_STATE_PRELAUNCH``); before the first launch nothing has run and the
  reset changes nothing. The guest's own SYSTEM_RESET keeps it ``running``;
- ``run_pending`` (while running) runs the simulated clock until nothing is scheduled, so the
  guest (when one is wired on the same hardware boundary) handles the GED
  interrupt, ejects, reports ``_OST``; with no guest, an unplug times out in
  simulated time and fails, as it would on a guest that ignores it. A
  ``settle`` callable replaces that policy (e.g. for a guest with periodic
  timers). Under realtime pacing (:mod:`.pacing`) ``run_pending`` is not used:
  the pacer lets simulated time pass with the wall clock through :meth:`MachineBackend.run_for`.

The guest's own view (``x-query-guest-cpus``) comes from ``guest_view``,
given by whoever wires a guest to the machine.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.errors import AdminError
from vcpu_hotplug.vmm.machine import Machine

from vcpu_hotplug.vmm.psci import SystemEvent

from .backend import BackendEvent, HotpluggableCpu, EventCallback, GuestCpuView, RunState
from .errors import BackendError

#: The CPU model of a KVM guest (``-cpu host``), as QEMU's arm64 RFC hot-plugs it.
DEFAULT_CPU_TYPE = "host-arm-cpu"
#: Prefix of the trace lines that record a QMP command reaching the machine.
QMP_TRACE_PREFIX = "qmp: "


class MachineBackend:
    """A :class:`~vcpu_hotplug.qmp.backend.CpuBackend` over a :class:`Machine`."""

    def __init__(self, machine: Machine, *, cpu_type: str = DEFAULT_CPU_TYPE,
                 guest_view: Optional[Callable[[], GuestCpuView]] = None,
                 settle: Optional[Callable[[], object]] = None,
                 start: Optional[Callable[[], object]] = None) -> None:
        """``start`` given: the machine is in prelaunch until :meth:`resume` calls it once."""
        self.machine = machine
        self._start = start
        self._state = RunState.PRELAUNCH if start is not None else RunState.RUNNING
        self._launched = start is None
        """The guest has been started once (later starts are the reset's new kernel, booted on the clock)."""
        #: Called once the guest has been started by the first ``resume`` of a prelaunch machine.
        self.on_guest_started: list[Callable[[], None]] = []
        self._cpu_type = cpu_type
        self._guest_view = guest_view
        self._settle = settle
        self._subscribers: list[EventCallback] = []
        machine.observers.device_deleted.append(self._publish)
        machine.observers.ost.append(self._publish)
        machine.observers.unplug_failed.append(self._publish)
        machine.observers.system.append(self._system_event)
        #: Saves and restores this VM (``migrate``, ``-incoming``): set by
        #: :func:`vcpu_hotplug.migration.vm_state.enable_migration`; None: the VM cannot migrate.
        self.vm_state: Optional[Any] = None
        #: The migration jobs of ``qmp/migration.py`` (created at the first migration command).
        self.migration: Optional[Any] = None
        #: QEMU's ``autostart`` (no ``-S``): an incoming VM runs once its state is loaded.
        self.autostart = start is None

    def cpu_type(self) -> str:
        return self._cpu_type

    def cpu_slots(self) -> list[HotpluggableCpu]:
        slots = []
        for vcpu in self.machine.vcpus:
            socket, cluster, core, thread = vcpu.topology.ids
            slots.append(HotpluggableCpu(vcpu.index, socket, cluster, core, thread, vcpu.enabled,
                                 vcpu.mpidr, self.machine.unplug_refusal(vcpu.index),
                                 self.machine.config.unplug_request_stands))
        return slots

    def plug(self, index: int) -> None:
        self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}plug vCPU {index} (device_add)")
        try:
            self.machine.enable(index)
        except AdminError as err:
            raise BackendError(str(err)) from err

    def unplug(self, index: int) -> None:
        self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}unplug vCPU {index} (device_del)")
        try:
            self.machine.disable(index)
        except AdminError as err:
            raise BackendError(str(err)) from err

    def subscribe(self, callback: EventCallback) -> None:
        self._subscribers.append(callback)

    def run_pending(self) -> None:
        if self._state is not RunState.RUNNING:
            return
        if self._settle is not None:
            self._settle()
        else:
            self.machine.clock.run_until_idle()
        self.machine.hw.faults.raise_pending()  # a host callback's fault, after the guest's step

    def running(self) -> bool:
        """The vCPUs run (QEMU's ``running`` state): simulated time may pass."""
        return self._state is RunState.RUNNING

    def run_for(self, ns: int) -> None:
        """Let ``ns`` of simulated time pass, firing what falls due (the realtime pacer's step);
        nothing happens unless running. A host callback's fault is raised afterwards."""
        if self._state is not RunState.RUNNING:
            return
        self.machine.clock.advance_ns(ns)
        self.machine.hw.faults.raise_pending()

    def guest_cpus(self) -> GuestCpuView:
        if self._guest_view is None:
            raise BackendError("No guest is attached to this machine")
        return self._guest_view()

    def status(self) -> RunState:
        return self._state

    def begin_incoming(self) -> None:
        """``-incoming``: the VM waits for a saved state (QEMU's ``inmigrate``); nothing boots or runs."""
        self._state = RunState.INMIGRATE
        self._launched = True  # the state brings a guest that has booted already

    def finish_incoming(self, state: RunState) -> None:
        """The saved state is loaded: the VM is in ``state`` (running, paused, shutdown, ...)."""
        self._state = state
        self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}incoming migration loaded ({state.value})")

    def finish_outgoing(self) -> None:
        """The state has been migrated away: stopped in ``postmigrate``."""
        self._state = RunState.POSTMIGRATE

    def resume(self) -> None:
        if self._state is RunState.INMIGRATE:
            self.autostart = True  # QEMU's qmp_cont: run once the incoming state is loaded
            return
        if self._state is RunState.SHUTDOWN:
            raise BackendError("The guest has powered off; it cannot run again until a reset")
        started = self._state is RunState.PRELAUNCH and not self._launched
        if started:
            self._launched = True
            if self._start is not None:
                self._start()
        self._state = RunState.RUNNING
        if started:
            for callback in list(self.on_guest_started):
                callback()
        self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}vCPUs running (cont)")

    def pause(self) -> None:
        if self._state is RunState.RUNNING:
            self._state = RunState.PAUSED
            self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}vCPUs stopped (stop)")

    def power_button(self) -> None:
        self.machine.power_button()

    def system_reset(self) -> None:
        if not self._launched:
            self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}system reset before the first "
                                                      "start: nothing has run (system_reset)")
            return
        self.machine.trace.log(TraceKind.VMM_LOG, f"{QMP_TRACE_PREFIX}system reset (system_reset)")
        self.machine.reset()
        if self._state is not RunState.RUNNING:
            self._state = RunState.PRELAUNCH

    def set_reboot_shuts_down(self, shuts_down: bool) -> None:
        self.machine.reboot_shuts_down = shuts_down

    def _system_event(self, event: SystemEvent) -> None:
        if self.machine.powered_off:  # SYSTEM_OFF, or SYSTEM_RESET under -no-reboot
            self._state = RunState.SHUTDOWN
        self._publish(event)

    def _publish(self, event: BackendEvent) -> None:
        self.machine.hw.faults.dispatch(self._subscribers, event)
