"""What ``vcpu-hotplug run`` shows: the rich live view and the ``--no-tui`` plain log.

Both are fed by a real VM (machine + Linux guest model); the live view is
rendered into a recording ``rich`` console and read back as text.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from vcpu_hotplug.cli.live_view import (LiveView, PlainLog, backend_event_line,
                                        describe_backend_event, terminal_supports_live)
from vcpu_hotplug.guest import GuestConfig, GuestKnobs
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm
from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed


def vm_with(smp: str = "cpus=2,maxcpus=4", **knobs: object) -> VirtualMachine:
    return build_vm(VmSpec(smp=smp, guest=GuestConfig(knobs=GuestKnobs(**knobs))))  # type: ignore[arg-type]


def settle_plug(vm: VirtualMachine, index: int) -> None:
    vm.backend.plug(index)
    vm.backend.run_pending()


def settle_unplug(vm: VirtualMachine, index: int) -> None:
    vm.backend.unplug(index)
    vm.backend.run_pending()


def recording_console(width: int = 140, height: int = 50) -> Console:
    return Console(record=True, width=width, height=height, file=io.StringIO(),
                   color_system=None)


def rendered(view: LiveView) -> str:
    view.console.print(view.render())
    return view.console.export_text()


# ------------------------------------------------------------------ plain log

def test_plain_log_prints_the_path_of_a_hotplug_without_mmio_lines() -> None:
    vm = vm_with()
    out = io.StringIO()
    log = PlainLog(vm, out)
    log.attach()
    settle_plug(vm, 3)
    lines = out.getvalue().splitlines()
    text = "\n".join(lines)
    for expected in ("qmp: plug vCPU 3", "INTID 41 from ged", "Notify(\\_SB.C003, 0x1)",
                     "register_cpu cpu3", "_OST(CPU slot 3, source=0x1, status=0x0)",
                     "qmp-event  ACPI_DEVICE_OST vCPU 3 source=0x1 status=0x0",
                     "fn=0xc4000003", "CPU3: Booted secondary processor"):
        assert expected in text, expected
    assert not any(" mmio-" in line for line in lines)
    # Every line in the trace's columns: time in us, the kind, the text.
    assert all(re.match(r"^ *\d+\.\d{3}us \S+ +\S", line) for line in lines), lines


def test_plain_log_reports_deleted_and_failed_unplugs() -> None:
    vm = vm_with(busy_cpus=frozenset({2}))
    out = io.StringIO()
    PlainLog(vm, out).attach()
    settle_plug(vm, 2)
    settle_plug(vm, 3)
    settle_unplug(vm, 3)
    settle_unplug(vm, 2)
    text = out.getvalue()
    assert "qmp-event  DEVICE_DELETED vCPU 3" in text
    assert "qmp-event  DEVICE_UNPLUG_GUEST_ERROR vCPU 2: guest reported _OST" in text
    assert "DEVICE_DELETED vCPU 2" not in text


def test_plain_log_summary_line() -> None:
    vm = vm_with()
    log = PlainLog(vm, io.StringIO())
    assert re.fullmatch(r"vcpus: enabled 0-1 online 0-1; simulated \d+\.\d{3} ms; VM exits \d+",
                        log.summary())
    settle_plug(vm, 3)
    assert log.summary().startswith("vcpus: enabled 0-1,3 online 0-1,3;")
    out = io.StringIO()
    PlainLog(vm, out).line("hello")
    assert out.getvalue() == "hello\n"


def test_backend_event_lines() -> None:
    assert describe_backend_event(DeviceDeleted(4, 0)) == "DEVICE_DELETED vCPU 4"
    assert describe_backend_event(OstReport(4, 3, 0x84, 0)) == \
        "ACPI_DEVICE_OST vCPU 4 source=0x3 status=0x84"
    assert describe_backend_event(UnplugFailed(4, "busy", 0)) == \
        "DEVICE_UNPLUG_GUEST_ERROR vCPU 4: busy"
    assert backend_event_line(1_500, DeviceDeleted(1, 0)) == \
        "       1.500us qmp-event  DEVICE_DELETED vCPU 1"


# ------------------------------------------------------------------ live view

def test_live_view_shows_a_row_per_vcpu_and_the_trace_tail() -> None:
    vm = vm_with(auto_online=False)
    view = LiveView(vm, recording_console(), "vcpu-hotplug: test", ["unix:/tmp/q.sock"])
    view.attach()
    settle_plug(vm, 2)
    text = rendered(view)
    assert "vcpu-hotplug: test" in text and "QMP unix:/tmp/q.sock" in text
    assert re.search(r"VM exits \d+ \(MMIO \d+, HVC \d+\)", text)
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^(\d) +\S+ +0x\w+ .*$", text, re.M)}
    assert set(rows) == {"0", "1", "2", "3"}
    assert re.search(r"enabled +online +yes", rows["0"])
    assert re.search(r"enabled +offline +no", rows["2"])    # registered; no udev auto-online
    assert re.search(r"disabled +present +no", rows["3"])
    assert "0:0:2:0" in rows["2"]
    assert "trace" in text and "register_cpu cpu2" in text
    assert "qmp-event  ACPI_DEVICE_OST vCPU 2" in text


def test_live_view_marks_an_unplug_in_flight() -> None:
    vm = vm_with(smp="cpus=2,maxcpus=4", ignore_notifications=True)
    vm.backend.unplug(1)  # the guest never answers: pending until the simulated timeout
    text = rendered(LiveView(vm, recording_console(), "t", []))
    assert re.search(r"^1 .*unplugging", text, re.M)


def test_live_view_uses_a_grid_when_the_vcpus_do_not_fit() -> None:
    vm = vm_with(smp="cpus=2,maxcpus=80")
    settle_plug(vm, 70)
    view = LiveView(vm, recording_console(height=30), "big", [])
    text = rendered(view)
    assert "# online  o registered, offline  . present  x unplugging" in text
    grid = [line for line in text.splitlines() if re.match(r"^ +(0|64) [#.]", line)]
    assert grid[0].split(" ", 4)[-1].startswith("##" + "." * 62)
    assert grid[1].split()[1] == "." * 6 + "#" + "." * 9


def test_live_view_redraws_only_after_a_change() -> None:
    vm = vm_with()
    console = Console(file=io.StringIO(), width=120, height=40, color_system=None)
    view = LiveView(vm, console, "t", [])
    view.attach()
    renders = []
    real_render = view.render

    def counting_render():
        renders.append(1)
        return real_render()
    view.render = counting_render  # type: ignore[method-assign]
    with view:
        start = len(renders)
        view.refresh()
        assert len(renders) == start  # nothing happened
        settle_plug(vm, 2)
        view.refresh()
        view.refresh()
        assert len(renders) == start + 1
        view.note("stopped: quit")
        view.refresh()
        assert len(renders) == start + 2
    assert "stopped: quit" in view.lines[-1]


@pytest.mark.parametrize("force_terminal, expected", [(True, True), (False, False)])
def test_terminal_detection(force_terminal: bool, expected: bool) -> None:
    console = Console(file=io.StringIO(), force_terminal=force_terminal)
    assert terminal_supports_live(console) is expected
