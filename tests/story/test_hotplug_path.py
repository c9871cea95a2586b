"""The path of a hotplug read from the trace: steps, register accesses, cost."""

from __future__ import annotations

from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.hw.trace import TraceEvent, TraceKind
from vcpu_hotplug.story.hotplug_path import (PathStep, Stage, TraceRecorder, describe_hvc,
                                           describe_step, path_steps)
from vcpu_hotplug.vm import VmSpec, build_vm


def mmio(t: int, device: str, kind: TraceKind = TraceKind.MMIO_READ) -> TraceEvent:
    return TraceEvent(t, kind, device, 0, 4, 0, 0)


def log(t: int, kind: TraceKind, message: str) -> TraceEvent:
    return TraceEvent(t, kind, message=message)


def test_register_accesses_count_on_the_step_they_follow() -> None:
    steps = path_steps([
        mmio(0, "ged"),  # before any step
        log(1, TraceKind.VMM_LOG, "qmp: plug vCPU 2 (device_add)"),
        log(2, TraceKind.GUEST_LOG, "trace: acpi evaluate \\_SB.GED._EVT(0x29)"),
        mmio(2, "cpuhp"), mmio(2, "cpuhp", TraceKind.MMIO_WRITE), mmio(2, "ged"),
        TraceEvent(3, TraceKind.NOTIFY, path="\\_SB.C002", value=1),
    ])
    assert steps == [
        PathStep(1, Stage.VMM, "register accesses before the first step", (("ged", 1),)),
        PathStep(1, Stage.QMP, "plug vCPU 2 (device_add)"),
        PathStep(2, Stage.AML, "\\_SB.GED._EVT(0x29)", (("cpuhp", 2), ("ged", 1))),
        PathStep(3, Stage.NOTIFY, "Notify(\\_SB.C002, 0x1 device check)"),
    ]
    assert steps[2].mmio_total == 3
    assert steps[2].to_json() == {"time_ns": 2, "stage": "AML", "detail": "\\_SB.GED._EVT(0x29)",
                                  "mmio": {"cpuhp": 2, "ged": 1}}


def test_repeated_steps_collapse() -> None:
    sta = "trace: acpi evaluate \\_SB.C002._STA()"
    steps = path_steps([log(5, TraceKind.GUEST_LOG, sta), mmio(5, "cpuhp"),
                        log(5, TraceKind.GUEST_LOG, sta), mmio(5, "cpuhp"),
                        log(6, TraceKind.GUEST_LOG, "CPU2: Booted secondary processor")])
    assert steps == [PathStep(5, Stage.AML, "\\_SB.C002._STA()", (("cpuhp", 2),), repeat=2),
                     PathStep(6, Stage.KERNEL_LOG, "CPU2: Booted secondary processor")]
    assert steps[0].to_json()["repeat"] == 2


def test_every_kind_has_a_stage() -> None:
    cases = [
        (TraceEvent(0, TraceKind.IRQ, gsi=41, device="ged"),
         (Stage.INTERRUPT, "INTID 41 from ged")),
        (TraceEvent(0, TraceKind.OST, path="CPU slot 4", source=3, status=0x84),
         (Stage.OST, "CPU slot 4: source 0x3 eject request, status 0x84 eject in progress")),
        (TraceEvent(0, TraceKind.VCPU_START, vcpu=4, address=0x40210000, value=0),
         (Stage.VCPU, "vcpu4 runs from 0x40210000")),
        (log(0, TraceKind.GUEST_LOG, "trace: register_cpu cpu4"),
         (Stage.GUEST, "register_cpu cpu4")),
        (log(0, TraceKind.VMM_LOG, "vCPU 4 ejected: disabled"),
         (Stage.VMM, "vCPU 4 ejected: disabled")),
        (TraceEvent(0, TraceKind.NOTIFY, path="\\_SB.C004", value=3),
         (Stage.NOTIFY, "Notify(\\_SB.C004, 0x3 eject request)")),
    ]
    for event, expected in cases:
        assert describe_step(event) == expected


def test_psci_calls_are_named_with_their_results() -> None:
    def hvc(function: int, args: tuple[int, ...], x0: int, vcpu: int = 0) -> TraceEvent:
        return TraceEvent(0, TraceKind.HVC, vcpu=vcpu, function=function, args=args,
                          result=(x0 & 0xFFFF_FFFF_FFFF_FFFF, 0, 0, 0))
    assert describe_hvc(hvc(PsciFunction.CPU_ON, (0x4, 0x40210000, 0), PsciReturn.DENIED)) == \
        "CPU_ON(target 0x4) from vcpu0 = DENIED"
    assert describe_hvc(hvc(PsciFunction.CPU_OFF, (0x10000, 0, 0), 0, vcpu=4)) == \
        "CPU_OFF from vcpu4 = SUCCESS"
    assert describe_hvc(hvc(PsciFunction.AFFINITY_INFO, (0x4, 0, 0), 1)) == \
        "AFFINITY_INFO(target 0x4) from vcpu0 = OFF"
    assert describe_hvc(hvc(PsciFunction.PSCI_VERSION, (0, 0, 0), 0x10001)) == \
        "PSCI_VERSION from vcpu0 = 0x10001"
    assert describe_hvc(hvc(0xC2000001, (0, 0, 0), -1)) == "vcpu0 fn=0xc2000001 = -1"


def test_recorder_reads_the_path_of_a_real_hot_add_and_unplug() -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=6"))
    recorder = TraceRecorder(vm)
    recorder.begin()
    vm.backend.plug(4)
    vm.backend.run_pending()
    plug = recorder.end()
    stages = [s.stage for s in plug.steps]
    details = " | ".join(s.detail for s in plug.steps)
    for needle in ("plug vCPU 4", "vCPU 4 enabled", "INTID 41", "_EVT", "Notify(\\_SB.C004, 0x1",
                   "_STA", "register_cpu cpu4", "source 0x1 device check, status 0x0 success",
                   "CPU_ON(target 0x4) from vcpu0 = SUCCESS", "CPU4: Booted secondary processor"):
        assert needle in details, needle
    assert stages[0] is Stage.QMP and Stage.PSCI in stages and Stage.VCPU in stages
    assert plug.exits.total == sum(s.mmio_total for s in plug.steps) + stages.count(Stage.PSCI)
    assert plug.sim_ns == plug.end_ns - plug.start_ns > 0
    assert not recorder.recording

    recorder.begin()
    vm.backend.unplug(4)
    vm.backend.run_pending()
    unplug = recorder.end()
    details = [s.detail for s in unplug.steps]
    order = ["unplug vCPU 4", "Notify(\\_SB.C004, 0x3 eject request)", "status 0x84",
             "CPU_OFF from vcpu4", "_EJ0", "vCPU 4 ejected", "unregister_cpu cpu4",
             "source 0x3 eject request, status 0x0 success"]
    positions = [next(i for i, d in enumerate(details) if needle in d) for needle in order]
    assert positions == sorted(positions)
    assert unplug.to_json()["exits"]["hvc"] == 2  # CPU_OFF, AFFINITY_INFO


def test_recorder_ignores_events_outside_a_window_and_counts_with_the_trace_off() -> None:
    vm = build_vm(VmSpec(smp="cpus=1,maxcpus=3", trace_enabled=False))
    recorder = TraceRecorder(vm)
    vm.backend.plug(1)
    vm.backend.run_pending()
    recorder.begin()
    vm.backend.plug(2)
    vm.backend.run_pending()
    path = recorder.end()
    assert path.steps == []
    assert path.exits.mmio > 0 and path.exits.hvc == 1
