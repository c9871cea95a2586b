"""Helpers for guest and system tests: trace milestones and table surgery."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vcpu_hotplug.acpi.header import checksum
from vcpu_hotplug.guest.klog import TRACEPOINT_PREFIX
from vcpu_hotplug.guest.psci import PsciFn
from vcpu_hotplug.hw.trace import TraceEvent, TraceKind

Step = tuple[str, Callable[[TraceEvent], bool]]


def guest_line(text: str) -> Step:
    return (f"guest: {text}", lambda e: e.kind is TraceKind.GUEST_LOG and text in (e.message or ""))


def evaluated(path_suffix: str) -> Step:
    return guest_line(f"{TRACEPOINT_PREFIX}acpi evaluate {path_suffix}")


def irq(intid: int) -> Step:
    return (f"irq {intid}", lambda e: e.kind is TraceKind.IRQ and e.gsi == intid)


def mmio(device: str) -> Step:
    return (f"mmio {device}", lambda e: e.kind in (TraceKind.MMIO_READ, TraceKind.MMIO_WRITE)
            and e.device == device)


def notify(path: str, value: int) -> Step:
    return (f"Notify({path}, {value})", lambda e: e.kind is TraceKind.NOTIFY and e.path == path
            and e.value == value)


def ost(source: int, status: int) -> Step:
    return (f"_OST({source:#x}, {status:#x})", lambda e: e.kind is TraceKind.OST and e.source == source
            and e.status == status)


def hvc(fn: PsciFn, *, target: int | None = None, caller: int | None = None, ret: int | None = None) -> Step:
    def match(e: TraceEvent) -> bool:
        if e.kind is not TraceKind.HVC or e.function != fn:
            return False
        if target is not None and (e.args or (None,))[0] != target:
            return False
        if caller is not None and e.vcpu != caller:
            return False
        if ret is not None and (e.result[0] & 0xFFFF_FFFF) != (ret & 0xFFFF_FFFF):
            return False
        return True
    return (f"HVC {fn.name} target={target} ret={ret}", match)


def vcpu_start(vcpu: int) -> Step:
    return (f"vcpu{vcpu} start", lambda e: e.kind is TraceKind.VCPU_START and e.vcpu == vcpu)


def assert_path(events: Iterable[TraceEvent], steps: list[Step]) -> None:
    """``steps`` occur in ``events`` in this order (other events may come between)."""
    events = list(events)
    i = 0
    for name, match in steps:
        while i < len(events) and not match(events[i]):
            i += 1
        if i == len(events):
            shown = "\n".join(e.describe() for e in events[-60:])
            raise AssertionError(f"trace has no {name!r} after the previous steps; trace tail:\n{shown}")
        i += 1


def with_checksum(table: bytes) -> bytes:
    """``table`` with its SDT checksum fixed."""
    data = bytearray(table)
    data[9] = 0
    data[9] = checksum(data)
    return bytes(data)
