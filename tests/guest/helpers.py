"""Helpers for guest and system tests: trace milestones, table surgery and sysfs views."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vcpu_hotplug.acpi.header import checksum
from vcpu_hotplug.acpi.madt import Madt
from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.guest.klog import TRACEPOINT_PREFIX
from vcpu_hotplug.hw.trace import TraceEvent, TraceKind
from vcpu_hotplug.vmm.firmware_tables import DsdtStyle, FirmwareOptions, build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

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


def hvc(fn: PsciFunction, *, target: int | None = None, caller: int | None = None, ret: int | None = None) -> Step:
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


# --- building and editing tables --------------------------------------------------------------------

CPU_SYSFS = "/sys/devices/system/cpu"
MASK_NAMES = ("possible", "present", "enabled", "online", "offline")
PLACED_BY_SYSTEM = ("RSDP", "XSDT")
"""Tables :func:`vcpu_hotplug.system.place_tables` makes itself."""


def own_tables(smp: str, qemu_block: bool = False) -> dict[str, bytes]:
    """The VMM's firmware tables for ``-smp smp`` (the same bytes :meth:`System.build` installs).

    ``qemu_block``: our AML on QEMU's 12-byte register interface (``DsdtStyle.REFERENCE_QEMU_BLOCK``),
    whose ``CSTA`` helper computes ``_STA`` in the AML, for tests that rewrite that computation."""
    options = FirmwareOptions(dsdt=DsdtStyle.REFERENCE_QEMU_BLOCK) if qemu_block else None
    return dict(build_firmware(Machine(MachineConfig(smp=smp)), options).tables)


def table_list(tables: dict[str, bytes]) -> list[bytes]:
    """What ``System.build(tables=...)`` takes: every table but the RSDP and XSDT."""
    return [data for sig, data in tables.items() if sig not in PLACED_BY_SYSTEM]


def edit_madt(data: bytes, edit: Callable[[Madt], None]) -> bytes:
    """Decode a MADT, let ``edit`` change it in place, encode it again (checksum included)."""
    madt = Madt.decode(data)
    edit(madt)
    return madt.encode()


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with the single occurrence of ``old`` replaced by ``new`` (same length), checksum fixed."""
    assert len(old) == len(new), "AML surgery must keep lengths"
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times"
    return with_checksum(data.replace(old, new))


def cpu_masks(system) -> dict[str, str]:
    """``/sys/devices/system/cpu/{possible,present,enabled,online,offline}`` without the newline."""
    out = {}
    for name in MASK_NAMES:
        text = system.sysfs.read(f"{CPU_SYSFS}/{name}")
        assert text.endswith("\n"), f"{name} must end with a newline, as sysfs files do"
        out[name] = text[:-1]
    return out


def log_lines(system) -> list[str]:
    """The kernel log's texts, oldest first (every level)."""
    return system.kernel.klog.lines()
