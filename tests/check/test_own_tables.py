"""Our VMM's own tables against every rule, for several ``-smp`` shapes and both MADT layouts.

Every rule passes for every shape: the MADT marks only the boot vCPU
Enabled and every other vCPU Online Capable, including those the VMM's
policy enables at boot (``Documentation/arch/arm64/cpu-hotplug.rst``: a CPU
Enabled in the MADT must never change its ``_STA``, and these can be
unplugged). The boot prediction then needs the policy from outside the
tables (``boot_cpus``, ``check --boot-cpus``).
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.check import kit
from vcpu_hotplug.acpi.madt import MadtLayout
from vcpu_hotplug.check.boot import MAX_CPUS_TRIED
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.check.rule import Arch
from vcpu_hotplug.check.runner import check_tables

LAYOUTS = [MadtLayout.ACPI_6_5, MadtLayout.ACPI_6_4]
ONE_ENABLED = ["cpus=1,maxcpus=1", "cpus=1,maxcpus=6", "cpus=1,maxcpus=64,sockets=2,clusters=2,cores=4,threads=4"]
SEVERAL_ENABLED = ["cpus=2,maxcpus=6", "cpus=4,maxcpus=64,sockets=2,clusters=2,cores=4,threads=4"]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
@pytest.mark.parametrize("smp", ONE_ENABLED)
def test_every_rule_passes(smp: str, layout: MadtLayout) -> None:
    report = kit.check(kit.ours(smp, layout))
    assert kit.flagged(report) == {}
    assert report.arch == Arch.ARM64.value
    skipped = {r.rule.id for r in report.results if r.status is Status.SKIP}
    assert {i for i in skipped if not i.startswith("x86.")} <= _skips_for(smp)
    assert report.exit_code == 0


def _skips_for(smp: str) -> set[str]:
    """Rules about hot-adding have nothing to check on a machine of one possible vCPU."""
    if smp == "cpus=1,maxcpus=1":
        return {"madt.gicr-always-on", "dsdt.sta-follows-policy", "dsdt.ej0", "dsdt.ost", "dsdt.event-source",
                "dsdt.event-notifies"}
    return set()


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
@pytest.mark.parametrize("smp", SEVERAL_ENABLED)
def test_vcpus_enabled_at_boot_by_policy_pass_every_rule(smp: str, layout: MadtLayout) -> None:
    report = kit.check(kit.ours(smp, layout))
    assert kit.flagged(report) == {}
    assert report.by_id("madt.boot-cpu-enabled").status is Status.PASS
    assert report.exit_code == 0


def test_gicc_layout_is_reported_for_its_revision() -> None:
    assert "82 bytes, right for MADT revision 6" in kit.check(kit.ours()).by_id("madt.gicc-length").reason
    assert "80 bytes, right for MADT revision 5" in kit.check(
        kit.ours(layout=MadtLayout.ACPI_6_4)).by_id("madt.gicc-length").reason


def test_512_vcpus_pass_and_boot() -> None:
    report = kit.check(kit.ours("cpus=1,maxcpus=512"))
    assert kit.flagged(report) == {}
    assert report.by_id("madt.gicr-covers").reason == "512 redistributor frames for 512 possible CPUs"
    for p in report.predictions:
        assert p.error is None
        assert p.boot.possible == list(range(512)) and p.boot.enabled == [0] and p.boot.online == [0]
        # the first MAX_CPUS_TRIED CPUs are taken through hot-add, hot-remove and re-add; the others are named
        assert p.hot_addable == p.removable == list(range(1, 1 + MAX_CPUS_TRIED))
        assert any(n.startswith(f"CPUs {1 + MAX_CPUS_TRIED}-511 were not taken through") for n in p.notes)


def test_boot_prediction_of_our_tables() -> None:
    # The tables alone: only the MADT-Enabled boot CPU is taken as enabled at boot.
    p = kit.check(kit.ours("cpus=2,maxcpus=6")).prediction("6.11")
    assert dataclasses.astuple(p.boot) == ([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], [0], [0])
    assert p.hot_addable == p.removable == [1, 2, 3, 4, 5]
    assert p.fate(1).line() == (
        "  CPU1 (UID 1, MPIDR 0x1, vCPU 1): not enabled at boot (the VMM keeps its vCPU disabled); hot-add: registered, "
        "online (udev); hot-remove: ejected by the VMM (QEMU: DEVICE_DELETED), unregistered by Linux; re-add: "
        "registered, online (udev)")


def test_boot_prediction_with_the_vmms_boot_policy() -> None:
    # -smp cpus=2: the VMM's register block also enables vCPU 1 at boot.
    report = check_tables(list(kit.ours("cpus=2,maxcpus=6").values()), source="test", boot_cpus=2)
    p = report.prediction("6.11")
    assert dataclasses.astuple(p.boot) == ([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], [0, 1], [0, 1])
    assert p.hot_addable == p.removable == [1, 2, 3, 4, 5]
    assert p.fate(1).line().startswith("  CPU1 (UID 1, MPIDR 0x1, vCPU 1): online at boot; hot-remove: ejected")
    assert p.fate(2).hot_add is not None and p.fate(1).hot_add is None      # CPU1 was never hot-added
    assert [(s.action, s.cpu) for s in p.steps[:4]] == [("boot", None), ("hot-add", 2), ("hot-remove", 2),
                                                         ("re-add", 2)]


def test_findings_state_the_hotplug_plumbing() -> None:
    findings = kit.check(kit.ours("cpus=2,maxcpus=6")).findings
    assert "MADT: 6 GICC entries, possible CPUs 0-5: Enabled 0, to be enabled later 1-5" in findings
    assert any(f.startswith("CPU hotplug: the MADT marks CPUs 1-5 Online Capable") for f in findings)
    assert any("\\_SB.PRES.PRST (SYSTEM_MEMORY 0x90c0000, 65536 bytes)" in f for f in findings)
    assert any(f.startswith("event source: \\_SB.GED (GSI 41, _EVT") for f in findings)
