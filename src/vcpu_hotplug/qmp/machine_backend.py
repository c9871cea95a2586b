"""Adapter from the VMM's :class:`~vcpu_hotplug.vmm.machine.Machine` to :class:`CpuBackend`.

The mapping is the one ``vmm/machine.py`` documents for QMP:

- ``plug(i)`` is ``Machine.enable(i)``, ``unplug(i)`` is ``Machine.disable(i)``;
  the VMM's :class:`~vcpu_hotplug.vmm.errors.AdminError` s become
  :class:`BackendError` (GenericError) carrying the VMM's sentence;
- a slot is *plugged* while its vCPU's admin state is ENABLED, which lasts
  until the guest's eject completes (so a vCPU with a pending unplug is
  still plugged, as a QEMU device is until ``DEVICE_DELETED``);
- the machine's observers feed the events: "device deleted" ->
  :class:`DeviceDeleted`, "_OST written" -> :class:`OstReported`, "unplug
  failed" -> :class:`UnplugFailed`;
- ``run_pending`` runs the simulated clock until nothing is scheduled, so the
  guest (when one is wired on the same hardware boundary) handles the GED
  interrupt, ejects, reports ``_OST``; with no guest, an unplug times out in
  simulated time and fails, as it would on a guest that ignores it. A
  ``settle`` callable replaces that policy (e.g. for a guest with periodic
  timers).

The guest's own view (``x-query-guest-cpus``) comes from ``guest_view``,
given by whoever wires a guest to the machine.
"""

from __future__ import annotations

from typing import Callable, Optional

from vcpu_hotplug.vmm.errors import AdminError
from vcpu_hotplug.vmm.machine import DeviceDeleted as VmmDeviceDeleted
from vcpu_hotplug.vmm.machine import Machine
from vcpu_hotplug.vmm.machine import OstReport as VmmOstReport
from vcpu_hotplug.vmm.machine import UnplugFailed as VmmUnplugFailed

from .backend import (CpuSlot, DeviceDeleted, EventCallback, GuestCpuView, OstReported, RunState,
                      UnplugFailed)
from .errors import BackendError

#: The CPU model of a KVM guest (``-cpu host``), as QEMU's arm64 RFC hot-plugs it.
DEFAULT_CPU_TYPE = "host-arm-cpu"


class MachineBackend:
    """A :class:`~vcpu_hotplug.qmp.backend.CpuBackend` over a :class:`Machine`."""

    def __init__(self, machine: Machine, *, cpu_type: str = DEFAULT_CPU_TYPE,
                 guest_view: Optional[Callable[[], GuestCpuView]] = None,
                 settle: Optional[Callable[[], object]] = None) -> None:
        self.machine = machine
        self._cpu_type = cpu_type
        self._guest_view = guest_view
        self._settle = settle
        self._subscribers: list[EventCallback] = []
        machine.observers.device_deleted.append(self._device_deleted)
        machine.observers.ost.append(self._ost)
        machine.observers.unplug_failed.append(self._unplug_failed)

    def cpu_type(self) -> str:
        return self._cpu_type

    def cpu_slots(self) -> list[CpuSlot]:
        slots = []
        for vcpu in self.machine.vcpus:
            socket, cluster, core, thread = vcpu.topology.ids
            slots.append(CpuSlot(vcpu.index, socket, cluster, core, thread, vcpu.enabled,
                                 vcpu.mpidr))
        return slots

    def plug(self, index: int) -> None:
        try:
            self.machine.enable(index)
        except AdminError as err:
            raise BackendError(str(err)) from err

    def unplug(self, index: int) -> None:
        try:
            self.machine.disable(index)
        except AdminError as err:
            raise BackendError(str(err)) from err

    def subscribe(self, callback: EventCallback) -> None:
        self._subscribers.append(callback)

    def run_pending(self) -> None:
        if self._settle is not None:
            self._settle()
        else:
            self.machine.clock.run_until_idle()

    def guest_cpus(self) -> GuestCpuView:
        if self._guest_view is None:
            raise BackendError("No guest is attached to this machine")
        return self._guest_view()

    def status(self) -> RunState:
        return RunState.RUNNING

    # machine observers -> backend events ---------------------------------

    def _publish(self, event: DeviceDeleted | OstReported | UnplugFailed) -> None:
        for callback in list(self._subscribers):
            callback(event)

    def _device_deleted(self, event: VmmDeviceDeleted) -> None:
        self._publish(DeviceDeleted(event.cpu))

    def _ost(self, report: VmmOstReport) -> None:
        self._publish(OstReported(report.cpu, report.source, report.status))

    def _unplug_failed(self, event: VmmUnplugFailed) -> None:
        self._publish(UnplugFailed(event.cpu, event.reason))
