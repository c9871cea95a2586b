"""The cloud-scaling story as the orchestrator (qemu.qmp) runs it over a real unix socket."""

from __future__ import annotations

import asyncio

import pytest

from vcpu_hotplug.guest import GuestConfig, GuestKnobs, PresentPolicy
from vcpu_hotplug.story.hotplug_path import Stage
from vcpu_hotplug.story.scaling import ScalingError, StepKind, run_scaling
from vcpu_hotplug.vm import VmSpec

from tests.qmp.client import TIMEOUT


def story(spec: VmSpec):
    return asyncio.run(asyncio.wait_for(run_scaling(spec), 4 * TIMEOUT))


def test_two_of_eight_scale_to_eight_and_back() -> None:
    report = story(VmSpec(smp="cpus=2,maxcpus=8"))
    pre, up, down = report.steps
    assert [s.kind for s in report.steps] == [StepKind.PRE_DEPLOY, StepKind.SCALE_UP,
                                              StepKind.SCALE_DOWN]
    assert report.socket.endswith("qmp.sock") and report.shutdown
    assert (pre.guest.enabled, pre.guest.online) == ((0, 1), (0, 1))
    assert pre.guest.possible == pre.guest.present == tuple(range(8))
    assert report.boot.cpu_on == {1: "SUCCESS", **{i: "DENIED" for i in range(2, 8)}}
    assert len(pre.slots) == 8 and sum("qom-path" in s for s in pre.slots) == 2

    assert [c.vcpu for c in up.changes] == [2, 3, 4, 5, 6, 7]
    assert up.guest.online == up.guest.enabled == tuple(range(8))
    for change in up.changes:
        assert change.command == "device_add" and change.online_after
        assert [(e.name, e.data["info"]["source"], e.data["info"]["status"])
                for e in change.events] == [("ACPI_DEVICE_OST", 1, 0)]
        assert change.path.exits.hvc == 1 and change.path.sim_ns > 0
    assert up.exits.total == sum(c.path.exits.total for c in up.changes)

    assert [c.vcpu for c in down.changes] == [7, 6, 5, 4, 3, 2]
    assert down.guest.online == down.guest.enabled == (0, 1)
    for change in down.changes:
        assert [e.name for e in change.events] == ["ACPI_DEVICE_OST", "DEVICE_DELETED",
                                                   "ACPI_DEVICE_OST"]
        assert not change.online_after


def test_each_change_shows_its_whole_path() -> None:
    report = story(VmSpec(smp="cpus=1,maxcpus=2"))
    (plug,) = report.steps[1].changes
    stages = [s.stage for s in plug.path.steps]
    assert stages[0] is Stage.QMP and plug.path.steps[0].detail.startswith("-> device_add ")
    assert stages[-1] is Stage.QMP_EVENT
    assert {Stage.VMM, Stage.INTERRUPT, Stage.AML, Stage.NOTIFY, Stage.OST, Stage.GUEST,
            Stage.PSCI, Stage.VCPU} <= set(stages)
    (unplug,) = report.steps[2].changes
    assert unplug.path.steps[-2].detail.startswith("<- DEVICE_DELETED device=vcpu1")
    data = report.to_json()
    assert [s["step"] for s in data["steps"]] == ["pre-deploy", "workload arrives",
                                                  "workload leaves"]
    assert data["steps"][2]["changes"][0]["qmp"] == {"execute": "device_del",
                                                     "arguments": {"id": "vcpu1"}}


def test_the_2026_kernel_grows_and_shrinks_present() -> None:
    report = story(VmSpec(smp="cpus=2,maxcpus=4", guest=GuestConfig(present_policy=PresentPolicy.FIX_2026)))
    assert [s.guest.present for s in report.steps] == [(0, 1), (0, 1, 2, 3), (0, 1)]


def test_a_guest_that_refuses_the_eject_stops_the_story() -> None:
    with pytest.raises(ScalingError, match="the guest refused to eject vcpu3"):
        story(VmSpec(smp="cpus=2,maxcpus=4", guest=GuestConfig(knobs=GuestKnobs(busy_cpus={3}))))


def test_a_guest_that_does_not_online_stops_the_story() -> None:
    with pytest.raises(ScalingError, match="vcpu1 was plugged but the guest did not bring it online"):
        story(VmSpec(smp="cpus=1,maxcpus=2", guest=GuestConfig(knobs=GuestKnobs(auto_online=False))))
