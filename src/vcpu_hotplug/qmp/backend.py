"""What the QMP server needs from a machine: the ``CpuBackend`` protocol.

The QMP layer owns the *device model* QEMU shows to management (ids, QOM
paths, which vCPUs are plugged devices, when ``DEVICE_DELETED`` fires); the
machine underneath only knows vCPU slots, an admin operation per slot and the
events the guest causes. This module is that boundary:

- :class:`HotpluggableCpu`: one possible vCPU, with the topology ids QEMU puts in
  ``CpuInstanceProperties`` (qapi/machine.json) and its architectural id
  (the MPIDR affinity the arm64 RFC calls ``arch-id``);
- :class:`CpuBackend`: ``plug``/``unplug`` (raise
  :class:`~vcpu_hotplug.qmp.errors.BackendError` with a user-facing reason),
  ``subscribe`` to :data:`BackendEvent` s, ``run_pending`` to let the
  simulated machine and guest process what a command started;
- the events, the VMM's own types (:data:`BackendEvent`): the guest
  finished an eject, evaluated ``_OST``, or refused an unplug.

An adapter onto the real VMM lives in ``machine_backend.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Protocol, Sequence, Union, runtime_checkable

from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed
from vcpu_hotplug.vmm.psci import SystemEvent


@dataclass(frozen=True)
class HotpluggableCpu:
    """One possible vCPU of the machine.

    ``index`` is QEMU's ``cpu-index`` (the order of the possible-CPU list);
    ``arch_id`` is the MPIDR affinity value (hw-id) the VMM gives the vCPU.
    """

    index: int
    socket_id: int
    cluster_id: int
    core_id: int
    thread_id: int
    plugged: bool
    arch_id: int
    unplug_refusal: str | None = None
    """Why the machine never unplugs this vCPU, checked before anything else (QEMU RFC V5 refuses
    every cold-booted vCPU: ``hw/arm/virt.c`` ``virt_cpu_unplug_request``); None: no such rule."""
    unplug_repeats: bool = False
    """True: a ``device_del`` while this vCPU's unplug is pending asks the guest again, as QEMU's CPU
    hotplug does (``qmp_device_del`` refuses only a device with ``pending_deleted_event``, which a CPU
    sets only when unrealized); False: it is refused as already in the process of unplug."""

    @property
    def topology(self) -> tuple[int, int, int, int]:
        """(socket, cluster, core, thread)."""
        return (self.socket_id, self.cluster_id, self.core_id, self.thread_id)


class RunState(str, Enum):
    """The subset of QEMU's ``RunState`` (qapi/run-state.json) a machine can be in."""

    PRELAUNCH = "prelaunch"
    RUNNING = "running"
    PAUSED = "paused"
    SHUTDOWN = "shutdown"
    INTERNAL_ERROR = "internal-error"
    INMIGRATE = "inmigrate"
    """Started with ``-incoming``: waiting for the saved state (nothing runs)."""
    POSTMIGRATE = "postmigrate"
    """The state was migrated away: the source stays stopped (``cont`` runs it again)."""


#: What the guest caused, as the VMM reports it: the guest completed an eject
#: (``DeviceDeleted``), evaluated ``_OST`` (``OstReport``, ACPI 6.5 section 6.3.5), or
#: refused or never completed an unplug (``UnplugFailed``). ``cpu`` is the vCPU index.
#: ``SystemEvent`` is the guest's PSCI SYSTEM_OFF or SYSTEM_RESET.
BackendEvent = Union[DeviceDeleted, OstReport, UnplugFailed, SystemEvent]
EventCallback = Callable[[BackendEvent], None]


@dataclass(frozen=True)
class GuestCpuView:
    """The guest's own view of its CPUs (Linux sysfs masks) and its recent kernel log."""

    possible: tuple[int, ...] = ()
    present: tuple[int, ...] = ()
    enabled: tuple[int, ...] = ()
    online: tuple[int, ...] = ()
    log: tuple[str, ...] = field(default_factory=tuple)
    kernel_release: str = ""
    """The Linux release the guest models (``--guest-kernel``, e.g. ``"7.2"``); empty if unknown."""
    kernel_description: str = ""
    """What that release does on the hotplug path, one line."""
    panic: str = ""
    """The guest kernel panicked: its message (``Attempted to kill the idle task!``); empty while it runs."""

    def to_wire(self) -> dict[str, object]:
        wire: dict[str, object] = {
            "possible": list(self.possible),
            "present": list(self.present),
            "enabled": list(self.enabled),
            "online": list(self.online),
            "log": list(self.log),
        }
        if self.kernel_release:
            wire["kernel"] = {"release": self.kernel_release, "description": self.kernel_description}
        if self.panic:
            wire["panic"] = self.panic      # the guest is dead: nothing it shows will change
        return wire


@runtime_checkable
class CpuBackend(Protocol):
    """The machine as the QMP server drives it."""

    def cpu_type(self) -> str:
        """The QOM type of the machine's vCPUs, e.g. ``"host-arm-cpu"`` or ``"max-arm-cpu"``."""
        ...

    def cpu_slots(self) -> Sequence[HotpluggableCpu]:
        """Every possible vCPU, ordered by ``index``."""
        ...

    def plug(self, index: int) -> None:
        """Enable vCPU ``index`` (admin operation); raise ``BackendError`` if refused."""
        ...

    def unplug(self, index: int) -> None:
        """Ask the guest to eject vCPU ``index``; completion arrives as ``DeviceDeleted``."""
        ...

    def subscribe(self, callback: EventCallback) -> None:
        """Call ``callback`` for every :data:`BackendEvent` from now on."""
        ...

    def run_pending(self) -> None:
        """Let the machine and guest process everything already started, then return."""
        ...

    def guest_cpus(self) -> GuestCpuView:
        """The guest's view; raise ``BackendError`` when no guest is attached."""
        ...

    def status(self) -> RunState:
        """QEMU's run state: prelaunch (``-S``), running, paused, shutdown."""
        ...

    def resume(self) -> None:
        """``cont``: run the machine (the first time, firmware starts the guest)."""
        ...

    def pause(self) -> None:
        """``stop``: the vCPUs stop; the guest does nothing until :meth:`resume`."""
        ...

    def power_button(self) -> None:
        """``system_powerdown``: press the machine's power button (the guest decides)."""
        ...

    def system_reset(self) -> None:
        """``system_reset``: reset the machine; the guest reboots (a running VM keeps running, a paused or
        shut-down one is in prelaunch afterwards, as QEMU's main loop leaves it)."""
        ...

    def set_reboot_shuts_down(self, shuts_down: bool) -> None:
        """``-no-reboot`` / ``set-action reboot=shutdown``: the guest's own reset powers the machine off
        (``SHUTDOWN`` with reason ``guest-reset``, state ``shutdown``) instead of rebooting it."""
        ...
