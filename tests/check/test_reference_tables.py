"""QEMU's real tables (../shared/reference-tables) as the checker reports them.

* ``qemu/aarch64-virt``: valid (nothing FAILs or WARNs), arm64, GICv2, one
  Enabled CPU and no hotplug: a finding, and the hotplug rules SKIP;
* ``qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6``: the arm64 hotplug series.
  MADT revision 4 with 80-byte GICCs is right for its revision; only the
  boot CPU is Enabled; its AML runs unchanged on our register block, and the
  guest model hot-adds and hot-removes a CPU through it;
* ``qemu/x86-q35``, ``qemu/x86-pc`` (``.cphp``): reported as x86, the arm64
  rules SKIP, the CPU hotplug AML (``\\_GPE._E02`` -> ``CSCN`` over SystemIO)
  is recognised.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vcpu_hotplug.check.catalog import REGISTRY
from vcpu_hotplug.check.report import CheckReport, Status
from vcpu_hotplug.check.rule import Arch
from vcpu_hotplug.check.runner import check_path

VIRT = "qemu/aarch64-virt"
RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"
X86 = ["qemu/x86-q35", "qemu/x86-pc"]


def _flagged(report: CheckReport) -> list[str]:
    return report.with_status(Status.FAIL) + report.with_status(Status.WARN)


@pytest.fixture(scope="module")
def virt(reference_tables: Path) -> CheckReport:
    return check_path(reference_tables / VIRT)


@pytest.fixture(scope="module")
def rfc(reference_tables: Path) -> CheckReport:
    return check_path(reference_tables / RFC)


def test_qemu_virt_is_valid_and_has_no_cpu_hotplug(virt: CheckReport) -> None:
    assert _flagged(virt) == []
    assert virt.exit_code == 0
    assert virt.arch == Arch.ARM64.value
    assert ("no CPU hotplug capability: every possible CPU is Enabled in the MADT, no processor device has _STA"
            in virt.findings)
    for rule in ("dsdt.ej0", "dsdt.sta-follows-policy", "dsdt.event-notifies", "madt.gicr-always-on"):
        assert virt.by_id(rule).status is Status.SKIP
        assert virt.by_id(rule).reason == "no Online Capable CPU: nothing to hot-add"
    assert virt.by_id("madt.gicr-covers").reason.startswith("GICv2")
    assert sorted(virt.skipped_files) == ["APIC.topology", "DSDT.memhp", "DSDT.topology", "PPTT.topology"]
    for p in virt.predictions:
        assert p.error is None
        assert (p.boot.possible, p.boot.online, p.hot_addable) == ([0], [0], [])


@pytest.mark.parametrize("variant", ["topology", "memhp"])
def test_qemu_virt_variants_are_valid(reference_tables: Path, variant: str) -> None:
    report = check_path(reference_tables / VIRT, variant=variant)
    assert _flagged(report) == []
    if variant == "topology":
        assert all(p.boot.online == list(range(8)) for p in report.predictions)


def test_rfc_v5_hotplug_tables(rfc: CheckReport) -> None:
    assert _flagged(rfc) == []
    assert rfc.by_id("madt.gicc-length").reason == "6 GICCs of 80 bytes, right for MADT revision 4"
    assert rfc.by_id("madt.boot-cpu-enabled").status is Status.PASS
    assert rfc.by_id("madt.hotpluggable-online-capable").reason == (
        "5 ejectable CPU(s), all Online Capable and not Enabled")
    assert "MADT: 6 GICC entries, possible CPUs 0-5: Enabled 0, to be enabled later 1-5" in rfc.findings
    assert ("register block: QEMU's CPU hotplug layout at \\_SB.PRES.PRST (SYSTEM_MEMORY 0x90c0000, 12 bytes)"
            in rfc.findings)
    assert rfc.by_id("dsdt.event-notifies").reason.startswith("ran against the register block: \\_SB.CPUS.C001")


def test_rfc_v5_boots_and_hot_adds_on_our_register_block(rfc: CheckReport) -> None:
    p = rfc.prediction("6.11")
    assert p.error is None
    assert (p.boot.possible, p.boot.present, p.boot.enabled, p.boot.online) == ([0, 1, 2, 3, 4, 5],
                                                                                [0, 1, 2, 3, 4, 5], [0], [0])
    assert p.hot_addable == p.removable == [1, 2, 3, 4, 5]
    assert p.fate(1).line().endswith("hot-add: registered, online (udev); hot-remove: ejected by the VMM (QEMU: "
                                     "DEVICE_DELETED), unregistered by Linux; re-add: registered, online (udev)")


@pytest.mark.parametrize("folder", X86)
def test_qemu_x86_cpu_hotplug_is_recognised_as_x86(reference_tables: Path, folder: str) -> None:
    report = check_path(reference_tables / folder)
    assert report.arch == Arch.X86.value
    assert _flagged(report) == []
    for result in report.results:
        if REGISTRY[result.rule.id].arch is Arch.ARM64:
            assert result.status is Status.SKIP and result.reason == "x86 tables: an arm64 rule"
    event = report.by_id("x86.hotplug-event")
    assert event.status is Status.PASS
    assert event.reason.startswith("CPU hotplug AML recognised: \\_GPE._E02 against the register block "
                                   "\\_SB.PCI0.PRES.PRST (SYSTEM_IO")
    assert report.by_id("x86.hotplug-methods").reason.startswith("CPUs 2-5 have _EJ0 and a dynamic _STA")
    assert report.predictions is None, "the guest model is arm64 Linux: x86 tables are not booted"
    assert report.no_prediction == "x86 tables: the guest model is arm64 Linux"
    assert any(f.startswith("architecture: x86") for f in report.findings)
