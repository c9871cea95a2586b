"""The cloud-scaling story, run by an orchestrator over a real QMP socket.

The seed talk's use case (Salil Mehta, James Morse, KVM Forum 2023: "Cloud
orchestration: pre-deploy a VM, then scale it by adding CPUs when the
workload is deployed"), end to end:

1. **pre-deploy**: a VM boots with ``cpus`` of ``maxcpus`` vCPUs; every
   possible vCPU is described from boot, the VMM (playing firmware) answers
   PSCI ``CPU_ON`` with ``DENIED`` for the disabled ones;
2. **workload arrives**: the orchestrator plugs every free slot, one
   ``device_add`` per vCPU as libvirt does (``query-hotpluggable-cpus``
   gives the slots and their ``props``), and waits for the guest's
   ``ACPI_DEVICE_OST`` of the Device Check;
3. **workload leaves**: it unplugs the vCPUs it added, highest first, one
   ``device_del`` each, and waits for ``DEVICE_DELETED`` (libvirt's
   ``qemuDomainWaitForDeviceRemoval``).

The orchestrator is the ``qemu.qmp`` client library (the one QEMU's own
tools use) on a unix socket served by :class:`~vcpu_hotplug.qmp.server.QmpServer`
in the same process; after each change it asks the guest's view with
``x-query-guest-cpus``. The :class:`~vcpu_hotplug.story.hotplug_path.TraceRecorder`
reads the machine's one trace to show the path each change took and what it
cost (VM exits, simulated time). The result is data (:class:`ScalingReport`);
the CLI renders it.
"""

from __future__ import annotations

import asyncio
import enum
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from qemu.qmp import EventListener, ExecuteError, QMPClient
from qemu.qmp.error import QMPError as ClientError

from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.hw.hvc import signed32
from vcpu_hotplug.hw.trace import TraceKind

from vcpu_hotplug.qmp.backend import GuestCpuView
from vcpu_hotplug.qmp.devices import EventName
from vcpu_hotplug.qmp.errors import QmpError
from vcpu_hotplug.qmp.server import QmpServer, UnixAddress
from vcpu_hotplug.vm import ExitCounts, VirtualMachine, VmSpec, build_vm, guest_kernel_name

from .hotplug_path import HotplugPath, PathStep, Stage, TraceRecorder

#: Bound on every wait for the server (wall seconds); the simulated guest answers at once.
CLIENT_TIMEOUT_S = 10.0
#: The name the orchestrator gives itself (qemu.qmp logs it).
CLIENT_NAME = "cloud-orchestrator"
#: Socket file inside the temporary directory.
SOCKET_NAME = "qmp.sock"
#: The events an orchestrator listens to while it scales.
WATCHED_EVENTS = (EventName.ACPI_DEVICE_OST.value, EventName.DEVICE_DELETED.value,
                  EventName.DEVICE_UNPLUG_GUEST_ERROR.value)


class ScalingError(QmpError):
    """The story could not be completed (the server refused a command, the guest did not follow)."""


class StepKind(str, enum.Enum):
    """The three steps of the story."""

    PRE_DEPLOY = "pre-deploy"
    SCALE_UP = "workload arrives"
    SCALE_DOWN = "workload leaves"


@dataclass(frozen=True)
class QmpEventSeen:
    """An event as the orchestrator received it (timestamp left out: it is wall-clock)."""

    name: str
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, object]:
        return {"event": self.name, "data": dict(self.data)}

    def describe(self) -> str:
        info = self.data.get("info") if isinstance(self.data.get("info"), Mapping) else None
        if info is not None:
            fields = ", ".join(f"{k}={_short(v)}" for k, v in info.items())
        else:
            fields = ", ".join(f"{k}={_short(v)}" for k, v in self.data.items())
        return f"{self.name} {fields}".rstrip()


def _short(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:#x}" if value > 9 else str(value)
    return str(value)


@dataclass
class VcpuChange:
    """One ``device_add`` or ``device_del``, with the path it took and the events it caused."""

    vcpu: int
    device: str
    command: str
    arguments: dict[str, object]
    path: HotplugPath
    events: list[QmpEventSeen]
    online_after: bool

    def to_json(self) -> dict[str, object]:
        return {"vcpu": self.vcpu, "device": self.device,
                "qmp": {"execute": self.command, "arguments": dict(self.arguments)},
                "events": [e.to_json() for e in self.events], "online_after": self.online_after,
                **self.path.to_json()}


@dataclass
class BootFacts:
    """What the pre-deploy boot did: each secondary's ``CPU_ON`` answer, its cost."""

    cpu_on: dict[int, str]
    """vCPU index -> PSCI return name of its CPU_ON at boot (``SUCCESS``, ``DENIED``)."""
    exits: ExitCounts
    sim_ns: int

    def to_json(self) -> dict[str, object]:
        return {"cpu_on": {str(k): v for k, v in sorted(self.cpu_on.items())},
                "exits": self.exits.to_json(), "sim_ns": self.sim_ns}


@dataclass
class ScalingStep:
    """One step of the story and the guest's view once it is done."""

    kind: StepKind
    title: str
    target: int
    guest: GuestCpuView
    exits: ExitCounts
    sim_ns: int
    changes: list[VcpuChange] = field(default_factory=list)
    slots: list[dict[str, object]] = field(default_factory=list)
    """``query-hotpluggable-cpus`` before the step."""

    def to_json(self) -> dict[str, object]:
        view = self.guest.to_wire()
        view.pop("log", None)
        return {"step": self.kind.value, "title": self.title, "target_vcpus": self.target,
                "guest": view, "exits": self.exits.to_json(), "sim_ns": self.sim_ns,
                "changes": [c.to_json() for c in self.changes]}


@dataclass
class ScalingReport:
    """The whole story: the VM, the socket used, the boot and the three steps."""

    smp: str
    cpu_type: str
    guest_kernel: str
    socket: str
    boot: BootFacts
    steps: list[ScalingStep]
    version: dict[str, object]
    shutdown: bool
    """The server answered ``quit`` and broadcast ``SHUTDOWN``."""

    @property
    def exits(self) -> ExitCounts:
        total = ExitCounts(0, 0)
        for step in self.steps:
            total = ExitCounts(total.mmio + step.exits.mmio, total.hvc + step.exits.hvc)
        return total

    def to_json(self) -> dict[str, object]:
        return {"vm": {"smp": self.smp, "cpu_type": self.cpu_type,
                       "guest_kernel": self.guest_kernel},
                "qmp": {"socket": "unix", "version": self.version, "shutdown": self.shutdown},
                "boot": self.boot.to_json(),
                "steps": [s.to_json() for s in self.steps]}


def boot_facts(vm: VirtualMachine) -> BootFacts:
    """The boot's ``CPU_ON`` answers (one pass over the trace, right after boot) and cost."""
    cpu_on: dict[int, str] = {}
    for event in vm.trace.filter(TraceKind.HVC):
        if event.function in (PsciFunction.CPU_ON, PsciFunction.CPU_ON_32) and event.args:
            target = vm.machine.vcpus.by_mpidr(event.args[0])
            ret = signed32(event.result[0] if event.result else 0)
            try:
                name = PsciReturn(ret).name
            except ValueError:
                name = str(ret)
            if target is not None:
                cpu_on[target.index] = name
    return BootFacts(cpu_on, vm.exits(), vm.now_ns())


def _guest_view(reply: object) -> GuestCpuView:
    if not isinstance(reply, Mapping):
        raise ScalingError(f"x-query-guest-cpus returned {reply!r}")
    return GuestCpuView(tuple(reply.get("possible", ())), tuple(reply.get("present", ())),
                        tuple(reply.get("enabled", ())), tuple(reply.get("online", ())),
                        tuple(reply.get("log", ())))


class Orchestrator:
    """The orchestrator's side: a ``qemu.qmp`` client plus the trace recorder of the VM it watches."""

    def __init__(self, vm: VirtualMachine, client: QMPClient, listener: EventListener) -> None:
        self.vm = vm
        self.client = client
        self.listener = listener
        self.recorder = TraceRecorder(vm)

    async def execute(self, command: str, arguments: Optional[Mapping[str, object]] = None) -> Any:
        try:
            return await asyncio.wait_for(self.client.execute(command, arguments),
                                          CLIENT_TIMEOUT_S)
        except ExecuteError as exc:
            raise ScalingError(f"{command}: {exc}") from exc
        except (ClientError, asyncio.TimeoutError, EOFError) as exc:
            raise ScalingError(f"{command}: no answer from the QMP server ({exc!r})") from exc

    async def guest(self) -> GuestCpuView:
        return _guest_view(await self.execute("x-query-guest-cpus"))

    async def wait_event(self, name: str, device: str, seen: list[QmpEventSeen]) -> QmpEventSeen:
        """Wait for event ``name`` about ``device`` (keeping the others in ``seen``)."""
        for event in seen:
            if event.name == name and _names_device(event, device):
                return event
        while True:
            try:
                message = await asyncio.wait_for(self.listener.get(), CLIENT_TIMEOUT_S)
            except asyncio.TimeoutError:
                raise ScalingError(f"no {name} for {device} within {CLIENT_TIMEOUT_S:g} s") from None
            event = QmpEventSeen(message["event"], dict(message.get("data", {})))
            seen.append(event)
            if event.name == EventName.DEVICE_UNPLUG_GUEST_ERROR.value and _names_device(event, device):
                raise ScalingError(f"the guest refused to eject {device}")
            if event.name == name and _names_device(event, device):
                return event

    def drain(self, seen: list[QmpEventSeen]) -> None:
        for message in self.listener.clear():
            seen.append(QmpEventSeen(message["event"], dict(message.get("data", {}))))

    async def change(self, vcpu: int, device: str, command: str, arguments: dict[str, object],
                     wait_for: str) -> VcpuChange:
        """Send one command, wait for its completion event, then read the guest's view."""
        seen: list[QmpEventSeen] = []
        self.recorder.begin()
        try:
            await self.execute(command, arguments)
            await self.wait_event(wait_for, device, seen)
            view = await self.guest()
            self.drain(seen)  # every event sent before the reply to x-query-guest-cpus
        finally:
            path = self.recorder.end()
        shown = " ".join(f"{k}={v}" for k, v in arguments.items())
        path.steps.insert(0, PathStep(path.start_ns, Stage.QMP, f"-> {command} {shown}"))
        path.steps.extend(PathStep(path.end_ns, Stage.QMP_EVENT, f"<- {e.describe()}")
                          for e in seen)
        return VcpuChange(vcpu, device, command, arguments, path, seen, vcpu in view.online)


def _names_device(event: QmpEventSeen, device: str) -> bool:
    if event.name == EventName.ACPI_DEVICE_OST.value:
        info = event.data.get("info", {})
        return isinstance(info, Mapping) and info.get("device") == device
    return event.data.get("device") == device


def _slot_index(slots: list[dict[str, object]]) -> list[tuple[int, dict[str, object]]]:
    """(cpu-index, slot) pairs: QEMU lists slots highest index first."""
    return list(enumerate(reversed(slots)))


async def scale_up(orch: Orchestrator, target: int) -> ScalingStep:
    """``device_add`` every free slot below ``target``, lowest first."""
    start_ns, start_exits = orch.vm.now_ns(), orch.vm.exits()
    slots = await orch.execute("query-hotpluggable-cpus")
    changes = []
    for index, slot in _slot_index(slots):
        if "qom-path" in slot or index >= target:
            continue
        device = f"vcpu{index}"
        arguments: dict[str, object] = {"driver": slot["type"], "id": device, **slot["props"]}
        change = await orch.change(index, device, "device_add", arguments,
                                   EventName.ACPI_DEVICE_OST.value)
        if not change.online_after:
            raise ScalingError(f"{device} was plugged but the guest did not bring it online")
        changes.append(change)
    view = await orch.guest()
    return ScalingStep(StepKind.SCALE_UP, f"the workload arrives: scale to {target} vCPUs", target,
                       view, orch.vm.exits() - start_exits, orch.vm.now_ns() - start_ns, changes,
                       slots)


async def scale_down(orch: Orchestrator, target: int, added: list[VcpuChange]) -> ScalingStep:
    """``device_del`` the devices the orchestrator added, highest first, down to ``target``."""
    start_ns, start_exits = orch.vm.now_ns(), orch.vm.exits()
    slots = await orch.execute("query-hotpluggable-cpus")
    changes = []
    for plugged in sorted(added, key=lambda c: c.vcpu, reverse=True):
        if plugged.vcpu < target:
            continue
        change = await orch.change(plugged.vcpu, plugged.device, "device_del",
                                   {"id": plugged.device}, EventName.DEVICE_DELETED.value)
        if change.online_after:
            raise ScalingError(f"{plugged.device} was deleted but the guest still has it online")
        changes.append(change)
    view = await orch.guest()
    return ScalingStep(StepKind.SCALE_DOWN, f"the workload leaves: scale back to {target} vCPUs",
                       target, view, orch.vm.exits() - start_exits, orch.vm.now_ns() - start_ns,
                       changes, slots)


async def run_scaling(spec: VmSpec, socket_dir: Optional[Path] = None) -> ScalingReport:
    """Boot the VM of ``spec``, serve it on a temporary unix socket and run the three steps."""
    vm = build_vm(spec)
    boot = boot_facts(vm)
    smp = vm.machine.smp
    with tempfile.TemporaryDirectory(prefix="vcpu-hotplug-demo-", dir=socket_dir) as tmp:
        path = Path(tmp) / SOCKET_NAME
        server = QmpServer(vm.backend)
        await server.start(UnixAddress(path))
        client = QMPClient(CLIENT_NAME)
        try:
            try:
                await asyncio.wait_for(client.connect(str(path)), CLIENT_TIMEOUT_S)
            except (ClientError, OSError, asyncio.TimeoutError) as exc:
                raise ScalingError(f"cannot connect to the QMP socket {path}: {exc}") from exc
            with client.listener(WATCHED_EVENTS) as listener:
                orch = Orchestrator(vm, client, listener)
                version = await orch.execute("query-version")
                slots = await orch.execute("query-hotpluggable-cpus")
                pre = ScalingStep(StepKind.PRE_DEPLOY,
                                  f"pre-deploy: boot with {smp.cpus} of {smp.maxcpus} vCPUs",
                                  smp.cpus, await orch.guest(), boot.exits, boot.sim_ns, [], slots)
                up = await scale_up(orch, smp.maxcpus)
                down = await scale_down(orch, smp.cpus, up.changes)
            shutdown = await _quit(client)
        finally:
            await _disconnect(client)
            await server.close()
    return ScalingReport(smp.to_option(), vm.spec.cpu_type, guest_kernel_name(vm.spec.guest.kernel), str(path),
                         boot, [pre, up, down], version, shutdown)


async def _quit(client: QMPClient) -> bool:
    """``quit`` and see the ``SHUTDOWN`` broadcast; the server then hangs up."""
    with client.listener("SHUTDOWN") as listener:
        try:
            await asyncio.wait_for(client.execute("quit"), CLIENT_TIMEOUT_S)
            await asyncio.wait_for(listener.get(), CLIENT_TIMEOUT_S)
        except (ClientError, asyncio.TimeoutError, EOFError):
            return False
    return True


async def _disconnect(client: QMPClient) -> None:
    """Stop the client's reader and writer tasks, whatever state the session is in."""
    try:
        await asyncio.wait_for(client.disconnect(), CLIENT_TIMEOUT_S)
    except (ClientError, asyncio.TimeoutError, EOFError, OSError):
        pass  # after quit the server hangs up first, as QEMU does


__all__ = ["BootFacts", "QmpEventSeen", "ScalingError", "ScalingReport", "ScalingStep",
           "StepKind", "VcpuChange", "run_scaling"]
