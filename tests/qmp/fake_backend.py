"""FakeCpuBackend: a test double of the machine for QMP protocol tests.

It models only what the QMP layer observes: which vCPU slots are plugged,
and the events a Linux guest causes (ACPI 6.5 section 6.3.5 ``_OST`` codes,
``Documentation/arch/arm64/cpu-hotplug.rst`` flow): a Device Check is
acknowledged with ``_OST(0x01, success)``; an Eject Request with
``_OST(0x03, eject in progress)``, then ``_EJ0`` (the device is deleted), then
``_OST(0x03, success)``. A slot listed in ``refuse_unplug`` answers the eject
with ``_OST(0x03, busy)`` and stays plugged. Work runs only in
``run_pending``, as the simulated machine does; ``hold`` keeps it queued
(a guest that has not reacted yet).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable

from vcpu_hotplug.qmp.backend import BackendEvent, HotpluggableCpu, GuestCpuView, RunState
from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed
from vcpu_hotplug.qmp.errors import BackendError

OST_SOURCE_DEVICE_CHECK = 0x01
OST_SOURCE_EJECT_REQUEST = 0x03
OST_SUCCESS = 0x00
OST_BUSY = 0x82
OST_EJECT_IN_PROGRESS = 0x84
BOOT_VCPU = 0


@dataclass(frozen=True)
class Topology:
    sockets: int = 1
    clusters: int = 1
    cores: int = 4
    threads: int = 1

    @property
    def maxcpus(self) -> int:
        return self.sockets * self.clusters * self.cores * self.threads


class FakeCpuBackend:
    """Plug/unplug state and guest events, nothing more."""

    def __init__(self, topology: Topology = Topology(), boot_cpus: int = 2,
                 cpu_type: str = "host-arm-cpu") -> None:
        self.topology = topology
        self._cpu_type = cpu_type
        self.plugged = set(range(boot_cpus))
        self.refuse_unplug: set[int] = set()
        self.run_state = RunState.RUNNING
        self.calls: list[tuple[str, int]] = []
        self.run_pending_calls = 0
        #: While True, run_pending leaves the guest's work queued (a slow guest).
        self.hold = False
        self._subscribers: list[Callable[[BackendEvent], None]] = []
        self._work: deque[Callable[[], None]] = deque()

    def cpu_type(self) -> str:
        return self._cpu_type

    def cpu_slots(self) -> list[HotpluggableCpu]:
        t = self.topology
        slots = []
        for index in range(t.maxcpus):
            thread = index % t.threads
            core = index // t.threads % t.cores
            cluster = index // (t.threads * t.cores) % t.clusters
            socket = index // (t.threads * t.cores * t.clusters)
            arch_id = (socket << 16) | (cluster << 8) | core if t.threads == 1 else \
                (socket << 24) | (cluster << 16) | (core << 8) | thread
            slots.append(HotpluggableCpu(index, socket, cluster, core, thread, index in self.plugged,
                                 arch_id))
        return slots

    def plug(self, index: int) -> None:
        self.calls.append(("plug", index))
        if index in self.plugged:
            raise BackendError(f"vCPU {index} is already enabled")
        self.plugged.add(index)
        self._work.append(lambda: self._emit(
            OstReport(index, OST_SOURCE_DEVICE_CHECK, OST_SUCCESS, 0)))

    def unplug(self, index: int) -> None:
        self.calls.append(("unplug", index))
        if index == BOOT_VCPU:
            raise BackendError(f"vCPU {index} is the boot vCPU and cannot be disabled")
        if index not in self.plugged:
            raise BackendError(f"vCPU {index} is not enabled")
        self._work.append(lambda: self._eject(index))

    def _eject(self, index: int) -> None:
        if index in self.refuse_unplug:
            self._emit(OstReport(index, OST_SOURCE_EJECT_REQUEST, OST_BUSY, 0))
            self._emit(UnplugFailed(index, "CPU is busy", 0))
            return
        self._emit(OstReport(index, OST_SOURCE_EJECT_REQUEST, OST_EJECT_IN_PROGRESS, 0))
        self.plugged.discard(index)
        self._emit(DeviceDeleted(index, 0))
        self._emit(OstReport(index, OST_SOURCE_EJECT_REQUEST, OST_SUCCESS, 0))

    def subscribe(self, callback: Callable[[BackendEvent], None]) -> None:
        self._subscribers.append(callback)

    def _emit(self, event: BackendEvent) -> None:
        for callback in self._subscribers:
            callback(event)

    def run_pending(self) -> None:
        self.run_pending_calls += 1
        while self._work and not self.hold:
            self._work.popleft()()

    def guest_cpus(self) -> GuestCpuView:
        everything = tuple(range(self.topology.maxcpus))
        enabled = tuple(sorted(self.plugged))
        return GuestCpuView(everything, everything, enabled, enabled,
                            tuple(f"CPU{i}: Booted secondary processor" for i in enabled))

    def status(self) -> RunState:
        return self.run_state

    def resume(self) -> None:
        self.calls.append(("resume", -1))
        self.run_state = RunState.RUNNING

    def pause(self) -> None:
        self.calls.append(("pause", -1))
        self.run_state = RunState.PAUSED

    def power_button(self) -> None:
        self.calls.append(("power_button", -1))

    def set_reboot_shuts_down(self, shuts_down: bool) -> None:
        self.calls.append(("reboot_shuts_down", int(shuts_down)))

    def system_reset(self) -> None:
        self.calls.append(("system_reset", -1))
        if self.run_state is not RunState.RUNNING:
            self.run_state = RunState.PRELAUNCH
