"""``check`` on QEMU RFC V5's own tables, dumped from a real build (tests/data/qemu-rfc-v5, issue 12).

With CPU hotplug off (``-accel qtest``, or ``tcg,thread=single``: RFC V5's
``machvirt_init`` turns it off and forces maxcpus to cpus) QEMU still sets the
CPU hotplug bit in the GED, so ``_EVT`` tests bit 0x8 and calls
``\\_SB.GED.CSCN``, which nothing defines: conformance FAILs it as ACPICA
reports it. Without ``--boot-cpus`` the report says which boot policy its
prediction assumed. With hotplug on (``-accel tcg``, MTTCG) and the rig's
``--boot-cpus 2`` the prediction is what real Linux 6.12.95 did with these
tables (the rig's README): masks 0-3/0-3/0-1/0-1, CPU2 hot-added, ejected, re-added.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from vcpu_hotplug.check.report import Status, Topic
from vcpu_hotplug.check.runner import MADT_ENABLED_ASSUMPTION, check_path
from vcpu_hotplug.cli import main

DATA = ROOT / "tests" / "data" / "qemu-rfc-v5"
HOTPLUG_OFF = ["aarch64-virt-qtest-cpus2-maxcpus4", "aarch64-virt-tcg-single-cpus2-maxcpus4"]
HOTPLUG_ON = ["aarch64-virt-cpus2-maxcpus4", "aarch64-virt-cpus2-maxcpus6", "aarch64-virt-cpus1-maxcpus8",
              "aarch64-virt-cpus4-maxcpus4", "aarch64-virt-sockets2-cores2-cpus2"]
CSCN_FAIL = ("\\_SB.GED._EVT(41) with event bit 0x8 fails with AE_NOT_FOUND: \\_SB.GED.CSCN is not defined; Linux "
             "logs 'ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.GED.CSCN], AE_NOT_FOUND'")


def _folder(name: str) -> Path:
    path = DATA / name
    if not path.is_dir():
        pytest.skip(f"{path} is not there")
    return path


@pytest.mark.parametrize("name", HOTPLUG_OFF)
def test_hotplug_off_tables_fail_the_undefined_cscn(name: str) -> None:
    report = check_path(_folder(name))
    result = report.by_id("dsdt.event-names-resolve")
    assert result.status is Status.FAIL
    assert result.reason.startswith(CSCN_FAIL)
    assert report.with_status(Status.FAIL) == ["dsdt.event-names-resolve"]
    assert report.exit_code == 1


def test_hotplug_off_report_states_its_boot_policy_assumption() -> None:
    path = _folder(HOTPLUG_OFF[0])
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{MADT_ENABLED_ASSUMPTION} (CPUs 0-1); a VMM that enables more at boot (QEMU -smp cpus=N) is described " \
           f"by --boot-cpus N" in lines
    assert any(line.startswith("FAIL  dsdt.event-names-resolve: " + CSCN_FAIL) for line in lines)
    doc = json.loads(CliRunner().invoke(main, ["check", str(path), "--json"]).stdout)
    [policy] = [a for a in doc["assumptions"] if a["topic"] == Topic.BOOT_POLICY.value]
    assert policy["assumed"] is True and policy["value"] == {"boot_cpus": None, "enabled_at_boot": [0, 1]}
    for kernel in doc["prediction"]["kernels"]:
        # every GICC Enabled, plain processor devices: both CPUs online, nothing to hot-add or remove
        assert kernel["boot"] == {"possible": [0, 1], "present": [0, 1], "enabled": [0, 1], "online": [0, 1]}
        assert kernel["hot_addable"] == [] and kernel["removable"] == []


@pytest.mark.parametrize("name", HOTPLUG_ON)
def test_hotplug_on_tables_pass_every_rule(name: str) -> None:
    report = check_path(_folder(name))
    assert report.with_status(Status.FAIL) == [] and report.with_status(Status.WARN) == []


def test_hotplug_on_prediction_is_what_real_linux_612_did_with_them() -> None:
    report = check_path(_folder("aarch64-virt-cpus2-maxcpus4"), boot_cpus=2, udev=False, kernels=["6.12"])
    p = report.prediction("6.12")
    assert (p.boot.possible, p.boot.present, p.boot.enabled, p.boot.online) == ([0, 1, 2, 3], [0, 1, 2, 3],
                                                                                [0, 1], [0, 1])
    add, online, remove, readd = p.steps[1:5]
    assert (add.action, add.cpu, add.masks.enabled, add.masks.online) == ("hot-add", 2, [0, 1, 2], [0, 1])
    assert "ACPI: CPU2 has been hot-added" in add.log
    assert (online.action, online.masks.online) == ("online", [0, 1, 2])
    assert (remove.action, remove.masks.enabled, remove.masks.online) == ("hot-remove", [0, 1], [0, 1])
    assert "psci: CPU2 killed (polled 0 ms)" in remove.log
    assert "DEVICE_DELETED" in [e.event for e in remove.events]
    assert (readd.action, readd.masks.enabled) == ("re-add", [0, 1, 2])
    assert p.hot_addable == p.removable == [1, 2, 3]
