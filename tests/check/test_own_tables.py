"""Our VMM's own tables against every rule, for several ``-smp`` shapes and both MADT layouts.

With ``cpus=1`` every rule passes. With more vCPUs enabled at boot, our
VMM marks vCPUs 1..cpus-1 Enabled in the MADT *and* gives them ``_EJ0``
(it can unplug them), which ``Documentation/arch/arm64/cpu-hotplug.rst``
advises against: the checker says so with one WARN, nothing FAILs. The
strict xfail below turns red the day the VMM marks only the boot vCPU
Enabled (as QEMU's RFC does), to remind us to drop it.
"""

from __future__ import annotations

import pytest

from tests.check import kit
from vcpu_hotplug.acpi.madt import MadtLayout
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.check.rules import Arch

LAYOUTS = [MadtLayout.ACPI_6_5, MadtLayout.ACPI_6_4]
ONE_ENABLED = ["cpus=1,maxcpus=1", "cpus=1,maxcpus=6", "cpus=1,maxcpus=64,sockets=2,clusters=2,cores=4,threads=4"]
SEVERAL_ENABLED = ["cpus=2,maxcpus=6", "cpus=4,maxcpus=64,sockets=2,clusters=2,cores=4,threads=4"]
ENABLED_AND_EJECTABLE = "madt.hotpluggable-online-capable"


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
def test_vcpus_enabled_at_boot_and_ejectable_are_one_warning(smp: str, layout: MadtLayout) -> None:
    report = kit.check(kit.ours(smp, layout))
    assert kit.flagged(report) == {ENABLED_AND_EJECTABLE: Status.WARN}
    cpus = int(smp.split(",")[0].split("=")[1])
    assert len(report.by_id(ENABLED_AND_EJECTABLE).problems) == cpus - 1
    assert report.exit_code == 0


@pytest.mark.xfail(strict=True, reason="the VMM marks vCPUs 1..cpus-1 Enabled in the MADT although they have _EJ0")
def test_several_enabled_vcpus_pass_every_rule() -> None:
    assert kit.flagged(kit.check(kit.ours("cpus=2,maxcpus=6"))) == {}


def test_gicc_layout_is_reported_for_its_revision() -> None:
    assert "82 bytes, right for MADT revision 6" in kit.check(kit.ours()).by_id("madt.gicc-length").reason
    assert "80 bytes, right for MADT revision 5" in kit.check(
        kit.ours(layout=MadtLayout.ACPI_6_4)).by_id("madt.gicc-length").reason


def test_512_vcpus_pass_and_boot() -> None:
    report = kit.check(kit.ours("cpus=1,maxcpus=512"))
    assert kit.flagged(report) == {}
    assert report.by_id("madt.gicr-covers").reason == "512 redistributor frames for 512 possible CPUs"
    boot = report.boot
    assert boot.error is None
    assert boot.possible == list(range(512)) and boot.enabled == [0] and boot.online == [0]
    assert boot.hot_addable == list(range(1, 512))
    assert boot.trial is not None and boot.trial.added and boot.trial.online and boot.trial.removed


def test_boot_prediction_of_our_tables() -> None:
    boot = kit.check(kit.ours("cpus=2,maxcpus=6")).boot
    assert (boot.possible, boot.present, boot.enabled, boot.online) == (
        [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], [0, 1], [0, 1])
    assert boot.hot_addable == [2, 3, 4, 5]
    assert boot.trial.line() == "hot-add of CPU2 (UID 2): registered, online; hot-remove: ejected and unregistered"


def test_findings_state_the_hotplug_plumbing() -> None:
    findings = kit.check(kit.ours("cpus=2,maxcpus=6")).findings
    assert "MADT: 6 GICC entries, possible CPUs 0-5: Enabled 0-1, to be enabled later 2-5" in findings
    assert any(f.startswith("CPU hotplug: CPUs 2-5 can be hot-added") for f in findings)
    assert any("\\_SB.PRES.PRST (SYSTEM_MEMORY 0x90c0000, 12 bytes)" in f for f in findings)
    assert any(f.startswith("event source: \\_SB.GED (GSI 41, _EVT") for f in findings)
