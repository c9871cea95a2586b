"""The prediction section: what the Linux guest model does with the tables, whatever the rules say (issue 12).

The variants are those real Linux 6.12.95 was run on under QEMU RFC V5
(-smp cpus=2,maxcpus=4, so ``--boot-cpus 2``; no udev in that guest), made
from our tables the way the rig's ``patch_tables.py`` makes them:

- ``flags09``: GICC UID 2 with Enabled and Online Capable (flags 0x9). ACPI
  6.5 reserves Online Capable when Enabled is set, so conformance FAILs; real
  Linux treats the CPU like any Online Capable one: not enabled at boot (its
  ``_STA`` reads 0x0D), hot-added, onlined, ejected, re-added.
- ``nosta``: device C002 without ``_STA``. Real Linux registers cpu2 at boot
  (offline), a hot-add changes nothing visible, and after the eject it logs
  ``ACPI: \\_SB_.C002: Status check after eject failed (0x5)`` and keeps cpu2:
  the VMM ejected the vCPU (QEMU sent DEVICE_DELETED), Linux did not let go.
- ``sta0``: C002's ``_STA`` returns 0: the CPU never appears.
- ``dupmpidr``: GICC UID 3 carries UID 2's MPIDR.
"""

from __future__ import annotations

import pytest

from tests.check import kit
from vcpu_hotplug.acpi.madt import GiccFlags
from vcpu_hotplug.check.report import CheckReport, Status
from vcpu_hotplug.check.runner import check_tables

SMP = "cpus=2,maxcpus=4"
RIG_BOOT_CPUS = 2
STALE_LINE = "ACPI: \\_SB_.C002: Status check after eject failed (0x5)"


def _gicc_uid(madt, uid: int):
    return next(g for g in madt.giccs if g.acpi_processor_uid == uid)


def flags09(tables: kit.Tables) -> kit.Tables:
    def change(madt) -> None:
        _gicc_uid(madt, 2).flags = GiccFlags.ENABLED | GiccFlags.ONLINE_CAPABLE
    return kit.edit_madt(tables, change)


def dupmpidr(tables: kit.Tables) -> kit.Tables:
    def change(madt) -> None:
        _gicc_uid(madt, 3).mpidr = _gicc_uid(madt, 2).mpidr
    return kit.edit_madt(tables, change)


def nosta(tables: kit.Tables) -> kit.Tables:
    return kit.patch_dsdt(tables, b"_STA", b"XSTA", device="C002")


def sta0(tables: kit.Tables) -> kit.Tables:
    # Return (Or (\_SB.PRES.S002, 0x0D)) -> Return (Zero), padded with Noop: the body keeps its length
    return kit.patch_dsdt(tables, b"\xa4\x7d\\/\x03_SB_PRESS002\x0a\x0d\x00", b"\xa4\x00" + b"\xa3" * 18,
                          device="C002")


def _check(tables: kit.Tables, udev: bool = False, kernels: list[str] | None = None) -> CheckReport:
    return check_tables(list(tables.values()), source="variant", boot_cpus=RIG_BOOT_CPUS, udev=udev,
                        kernels=kernels)


def test_ours_as_real_linux_ran_them() -> None:
    p = _check(kit.ours(SMP), kernels=["6.12"]).prediction("6.12")
    assert (p.boot.possible, p.boot.present, p.boot.enabled, p.boot.online) == ([0, 1, 2, 3], [0, 1, 2, 3],
                                                                                [0, 1], [0, 1])
    add, online, remove, readd = p.steps[1:5]
    assert (add.action, add.masks.enabled, add.masks.online, add.log) == ("hot-add", [0, 1, 2], [0, 1],
                                                                         ["ACPI: CPU2 has been hot-added"])
    assert (online.action, online.masks.online) == ("online", [0, 1, 2])
    assert (remove.action, remove.masks.enabled, remove.masks.online) == ("hot-remove", [0, 1], [0, 1])
    assert remove.log == ["psci: CPU2 killed (polled 0 ms)"]
    assert [e.event for e in remove.events] == ["ACPI_DEVICE_OST", "DEVICE_DELETED", "ACPI_DEVICE_OST"]
    assert (readd.action, readd.masks.enabled) == ("re-add", [0, 1, 2])


def test_enabled_and_online_capable_fails_conformance_but_is_hot_addable_and_removable() -> None:
    report = _check(flags09(kit.ours(SMP)))
    assert report.by_id("madt.online-capable-reserved").status is Status.FAIL
    for p in report.predictions:
        cpu2 = p.fate(2)
        assert not cpu2.registered_at_boot and not cpu2.online_at_boot, p.kernel
        assert cpu2.hot_addable and cpu2.removable, cpu2.line()
        assert cpu2.hot_add.registered and cpu2.hot_add.online and cpu2.re_add.registered
        assert 2 in p.hot_addable and 2 in p.removable
    text = "\n".join(report.lines())
    assert "FAIL  madt.online-capable-reserved" in text
    assert ("  CPU2 (UID 2, MPIDR 0x2, vCPU 2): not enabled at boot (the VMM keeps its vCPU disabled); hot-add: registered, "
            "online (echo 1 > cpu2/online); hot-remove: ejected by the VMM (QEMU: DEVICE_DELETED), unregistered by "
            "Linux; re-add: registered, online (echo 1 > cpu2/online)") in text


def test_a_rule_violation_does_not_change_the_prediction() -> None:
    # flags 0x9 changes nothing Linux 6.11/6.12 does (acpi_cpu_is_present is 7.2's): same masks, fates, steps
    for kernel in ("6.11", "6.12"):
        plain = _check(kit.ours(SMP), kernels=[kernel]).prediction()
        broken = _check(flags09(kit.ours(SMP)), kernels=[kernel]).prediction()
        assert broken.same_as(plain), kernel


def test_missing_sta_the_vmm_ejects_and_linux_keeps_a_stale_cpu() -> None:
    report = _check(nosta(kit.ours(SMP)))
    for p in report.predictions:
        cpu2 = p.fate(2)
        assert cpu2.registered_at_boot and not cpu2.online_at_boot, p.kernel
        assert cpu2.hot_add.already_registered
        assert cpu2.hot_remove.ejected and not cpu2.hot_remove.unregistered
        assert cpu2.hot_remove.warnings == [STALE_LINE]
        assert not cpu2.removable and 3 in p.removable
        remove = next(s for s in p.steps if s.action == "hot-remove" and s.cpu == 2)
        assert STALE_LINE in remove.log and 2 in remove.masks.enabled
        assert "DEVICE_DELETED" in [e.event for e in remove.events]
    line = report.prediction("6.12").fate(2).line()
    assert (f"hot-remove: ejected by the VMM (QEMU: DEVICE_DELETED), but Linux keeps cpu2 registered (a stale CPU); "
            f'Linux logs "{STALE_LINE}"') in line


def test_sta_zero_never_registers_the_cpu() -> None:
    report = _check(sta0(kit.ours(SMP)))
    assert report.by_id("dsdt.sta-present").status is Status.FAIL
    for p in report.predictions:
        cpu2 = p.fate(2)
        assert not cpu2.registered_at_boot and not cpu2.hot_add.registered, p.kernel
        assert not cpu2.hot_remove.was_registered and 2 not in p.hot_addable and 2 not in p.removable
    assert "hot-remove: ejected by the VMM (QEMU: DEVICE_DELETED); Linux never had cpu2 registered" in \
        report.prediction("6.12").fate(2).line()


def test_duplicate_mpidr_is_predicted_without_crashing() -> None:
    report = _check(dupmpidr(kit.ours(SMP)))
    assert report.by_id("madt.mpidr-unique").status is Status.FAIL
    for p in report.predictions:
        # Linux keeps the first GICC with MPIDR 0x2 (arm64 smp.c is_mpidr_duplicate): 3 possible CPUs. Device
        # C003 (_UID 3) still maps through UID 3's GICC to MPIDR 0x2, so hot-adding vCPU 3 registers cpu2,
        # which cannot start: PSCI starts MPIDR 0x2, whose vCPU the VMM keeps disabled (real Linux: EPERM).
        assert p.booted and p.error is None, p.error
        assert "duplicate CPU MPIDR 0x2 in MADT" in p.boot_log
        assert p.boot.possible == [0, 1, 2] and [(c.uid, c.cpu) for c in p.cpus] == [(0, 0), (1, 1), (2, 2), (3, 2)]
        vcpu3 = p.fate_of_vcpu(3)
        assert vcpu3.hot_add.registered and not vcpu3.hot_add.online
        assert "EPERM" in vcpu3.hot_add.online_error


@pytest.mark.parametrize("udev", [True, False])
def test_udev_decides_who_onlines_a_hot_added_cpu(udev: bool) -> None:
    p = _check(kit.ours(SMP), udev=udev, kernels=["6.11"]).prediction()
    hot_add = p.fate(2).hot_add
    assert hot_add.registered and hot_add.online
    assert hot_add.onlined_by == ("udev" if udev else "echo 1 > cpu2/online")
    assert ("online" in [s.action for s in p.steps]) is not udev
