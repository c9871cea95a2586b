"""The path a hotplug took through the system, read from the machine's one trace.

A QMP command that plugs or unplugs a vCPU crosses every layer: the QMP
server, the VMM's admin operation, the GED (event register and interrupt),
the guest's ACPI interpreter running ``_EVT`` against the CPU hotplug
register block (QEMU ``docs/specs/acpi_cpu_hotplug.rst``), ``Notify``,
``_STA``, the processor driver registering or unregistering the CPU,
``_OST`` (ACPI 6.5 section 6.3.5), PSCI ``CPU_ON`` / ``CPU_OFF`` (DEN0022)
and the kernel's own log. :class:`TraceRecorder` collects the trace events
of one such operation and :func:`path_steps` turns them into
:class:`PathStep` s a person can read:

- each non-MMIO event is a step with a :class:`Stage` and a one-line detail;
- MMIO accesses (VM exits) are not steps: they are counted, per device, on
  the step they follow (``_EVT`` then its register accesses);
- consecutive identical steps collapse into one with a repeat count.

The recorder counts VM exits from the trace's counters, so the figures stay
right when the trace buffer is bounded or disabled (then ``steps`` is empty).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable, Optional

from vcpu_hotplug.acpi.notify import DEVICE_SPECIFIC_NOTIFY, NotifyValue, OstEvent, OstStatus, PowerButtonNotify
from vcpu_hotplug.arm.psci import AffinityInfo, PsciFunction, PsciReturn
from vcpu_hotplug.guest.klog import TRACEPOINT_PREFIX
from vcpu_hotplug.hw.hvc import signed32
from vcpu_hotplug.hw.trace import MMIO_KINDS, TraceEvent, TraceKind
from vcpu_hotplug.qmp.machine_backend import QMP_TRACE_PREFIX
from vcpu_hotplug.vm import ExitCounts, VirtualMachine

#: The guest's tracepoint for an AML method call (``acpi evaluate \\_SB.C004._STA()``).
AML_EVALUATE_PREFIX = "acpi evaluate "


class Stage(str, enum.Enum):
    """Where a step happened (the layers of DESIGN.md section 2)."""

    QMP = "QMP"
    """A QMP command reached the machine (the server's trace line)."""
    VMM = "VMM"
    """The VMM's own log: admin operations, GED events, eject completion."""
    INTERRUPT = "interrupt"
    AML = "AML"
    """The guest evaluated an ACPI method (``_EVT``, ``_STA``, ``_OST``, ``_EJ0``)."""
    NOTIFY = "Notify"
    OST = "_OST"
    PSCI = "PSCI"
    VCPU = "vCPU"
    """A vCPU started running at its entry point."""
    GUEST = "guest"
    """A guest kernel action (registration, udev, cpu_up / cpu_down)."""
    KERNEL_LOG = "dmesg"
    QMP_EVENT = "QMP event"
    """An event the QMP client received (added by whoever drives the client)."""


@dataclass(frozen=True)
class PathStep:
    """One step of a path; ``mmio`` counts the register accesses that followed it, per device."""

    time_ns: int
    stage: Stage
    detail: str
    mmio: tuple[tuple[str, int], ...] = ()
    repeat: int = 1

    @property
    def mmio_total(self) -> int:
        return sum(count for _, count in self.mmio)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"time_ns": self.time_ns, "stage": self.stage.value,
                                  "detail": self.detail}
        if self.repeat != 1:
            out["repeat"] = self.repeat
        if self.mmio:
            out["mmio"] = dict(self.mmio)
        return out


@dataclass
class HotplugPath:
    """What one operation cost and the steps it took."""

    start_ns: int
    end_ns: int
    exits: ExitCounts
    steps: list[PathStep] = field(default_factory=list)

    @property
    def sim_ns(self) -> int:
        return self.end_ns - self.start_ns

    def to_json(self) -> dict[str, object]:
        return {"sim_ns": self.sim_ns, "exits": self.exits.to_json(),
                "steps": [s.to_json() for s in self.steps]}


def _enum_name(kind: type[enum.IntEnum], value: int) -> str:
    try:
        return kind(value).name.replace("_", " ").lower()
    except ValueError:
        return "unknown"


def _notify_name(value: int) -> str:
    """A Notify value's name; a device-specific one (0x80..) by the only device class that uses one here."""
    return _enum_name(PowerButtonNotify if value >= DEVICE_SPECIFIC_NOTIFY else NotifyValue, value)


def _w0(result: Optional[tuple[int, ...]]) -> int:
    """x0 as Linux reads a PSCI return: w0, signed (PSCI returns are 32-bit signed values)."""
    return signed32(result[0] if result else 0)


def describe_hvc(event: TraceEvent) -> str:
    """``CPU_ON(target 0x4) = SUCCESS`` and the like."""
    function = event.function or 0
    args = event.args or ()
    try:
        name = PsciFunction(function).name
    except ValueError:
        return f"vcpu{event.vcpu} fn={function:#x} = {_w0(event.result)}"
    ret = _w0(event.result)
    if function == PsciFunction.AFFINITY_INFO and ret >= 0:
        shown = _enum_name(AffinityInfo, ret).upper()
    elif function in (PsciFunction.PSCI_VERSION, PsciFunction.PSCI_FEATURES) and ret >= 0:
        shown = f"{ret:#x}"
    else:
        try:
            shown = PsciReturn(ret).name
        except ValueError:
            shown = str(ret)
    if function in (PsciFunction.CPU_ON, PsciFunction.CPU_ON_32, PsciFunction.AFFINITY_INFO) and args:
        return f"{name}(target {args[0]:#x}) from vcpu{event.vcpu} = {shown}"
    return f"{name} from vcpu{event.vcpu} = {shown}"


def describe_step(event: TraceEvent) -> tuple[Stage, str]:
    """The stage and detail of one non-MMIO trace event."""
    kind = event.kind
    message = event.message or ""
    if kind is TraceKind.VMM_LOG:
        if message.startswith(QMP_TRACE_PREFIX):
            return Stage.QMP, message[len(QMP_TRACE_PREFIX):]
        return Stage.VMM, message
    if kind is TraceKind.IRQ:
        source = f" from {event.device}" if event.device else ""
        return Stage.INTERRUPT, f"INTID {event.gsi}{source}"
    if kind is TraceKind.NOTIFY:
        value = event.value or 0
        return Stage.NOTIFY, f"Notify({event.path}, {value:#x} {_notify_name(value)})"
    if kind is TraceKind.OST:
        source, status = event.source or 0, event.status or 0
        return Stage.OST, (f"{event.path}: source {source:#x} {_enum_name(OstEvent, source)}, "
                           f"status {status:#x} {_enum_name(OstStatus, status)}")
    if kind is TraceKind.HVC:
        return Stage.PSCI, describe_hvc(event)
    if kind is TraceKind.VCPU_START:
        return Stage.VCPU, f"vcpu{event.vcpu} runs from {event.address or 0:#x}"
    if kind is TraceKind.GUEST_LOG:
        if message.startswith(TRACEPOINT_PREFIX):
            text = message[len(TRACEPOINT_PREFIX):]
            if text.startswith(AML_EVALUATE_PREFIX):
                return Stage.AML, text[len(AML_EVALUATE_PREFIX):]
            return Stage.GUEST, text
        return Stage.KERNEL_LOG, message
    return Stage.VMM, event.describe().strip()


def path_steps(events: Iterable[TraceEvent]) -> list[PathStep]:
    """The readable steps of a window of trace events (see the module docstring)."""
    steps: list[PathStep] = []
    mmio: dict[str, int] = {}
    leading: dict[str, int] = {}

    def close_mmio() -> None:
        if not mmio:
            return
        counts = tuple(sorted(mmio.items(), key=lambda item: (-item[1], item[0])))
        if steps:
            last = steps[-1]
            merged = dict(last.mmio)
            for device, count in counts:
                merged[device] = merged.get(device, 0) + count
            steps[-1] = PathStep(last.time_ns, last.stage, last.detail,
                                 tuple(sorted(merged.items(), key=lambda i: (-i[1], i[0]))),
                                 last.repeat)
        else:
            for device, count in counts:
                leading[device] = leading.get(device, 0) + count
        mmio.clear()

    for event in events:
        if event.kind in MMIO_KINDS:
            device = event.device or "?"
            mmio[device] = mmio.get(device, 0) + 1
            continue
        close_mmio()
        stage, detail = describe_step(event)
        if steps and steps[-1].stage is stage and steps[-1].detail == detail:
            last = steps[-1]
            steps[-1] = PathStep(last.time_ns, stage, detail, last.mmio, last.repeat + 1)
        else:
            steps.append(PathStep(event.time_ns, stage, detail))
    close_mmio()
    if leading:
        first_time = steps[0].time_ns if steps else 0
        steps.insert(0, PathStep(first_time, Stage.VMM, "register accesses before the first step",
                                 tuple(sorted(leading.items(), key=lambda i: (-i[1], i[0])))))
    return steps


class TraceRecorder:
    """Collects the trace events of one operation at a time, and its cost.

    It subscribes to the trace once; between :meth:`begin` and :meth:`end`
    it keeps the events, otherwise it ignores them (a listener that costs
    one attribute test per event).
    """

    def __init__(self, vm: VirtualMachine) -> None:
        self._vm = vm
        self._events: Optional[list[TraceEvent]] = None
        self._start_ns = 0
        self._start_exits = ExitCounts(0, 0)
        vm.trace.subscribe(self._on_event)

    def _on_event(self, event: TraceEvent) -> None:
        if self._events is not None:
            self._events.append(event)

    @property
    def recording(self) -> bool:
        return self._events is not None

    def begin(self) -> None:
        """Start a window (a window already open is discarded)."""
        self._events = []
        self._start_ns = self._vm.now_ns()
        self._start_exits = self._vm.exits()

    def end(self) -> HotplugPath:
        """Close the window and return its path."""
        events = self._events if self._events is not None else []
        self._events = None
        return HotplugPath(self._start_ns, self._vm.now_ns(),
                           self._vm.exits() - self._start_exits, path_steps(events))


__all__ = ["HotplugPath", "PathStep", "Stage", "TraceRecorder", "describe_step", "path_steps"]
