"""For every rule: break our tables in exactly that way and see that rule, and only that rule, flagged.

The base is our VMM's ``cpus=1,maxcpus=6`` set, which passes every rule.
Each case changes one thing (a flag, an MPIDR, a name in the AML, a checksum)
and names a phrase of the fix the message must give. The x86 rules break
QEMU's q35 CPU hotplug tables the same way. A meta-test keeps the list
complete: a new rule without a breaking case fails it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.check import kit
from vcpu_hotplug.acpi.fadt import ArmBootArch, FadtFlags
from vcpu_hotplug.acpi.madt import GICC_LENGTH_ACPI_6_0, Gicc, GiccFlags, Gicr
from vcpu_hotplug.acpi.pptt import ProcessorNode
from vcpu_hotplug.arm.gic import GICR_FRAME_SIZE
from vcpu_hotplug.arm.mpidr import MPIDR_RES1
from vcpu_hotplug.check.catalog import REGISTRY, all_rules
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.check.rule import Severity
from vcpu_hotplug.check.runner import check_path
from vcpu_hotplug.vmm.topology import KVM_AFF0_CPUS, kvm_default_mpidr

BASE = "cpus=1,maxcpus=6"
LAST = 5
"""The last vCPU of the base machine."""
GICR_BASE_OF_VCPU0 = 0x080A_0000


@dataclass(frozen=True)
class Break:
    rule: str
    make: Callable[[kit.Tables], kit.Tables]
    fix: str
    """A phrase the rule's message must contain: what to do about it."""


def _gicc(madt, index: int) -> Gicc:
    return madt.giccs[index]


def _set_flags(index: int, flags: GiccFlags):
    def change(madt):
        _gicc(madt, index).flags = flags
    return lambda t: kit.edit_madt(t, change)


def _set_mpidr(index: int, mpidr: int):
    def change(madt):
        _gicc(madt, index).mpidr = mpidr
    return lambda t: kit.edit_madt(t, change)


def _gicrs_through_gicc(madt) -> None:
    madt.subtables = [s for s in madt.subtables if not isinstance(s, Gicr)]
    for i, g in enumerate(madt.giccs):
        g.gicr_base_address = GICR_BASE_OF_VCPU0 + i * GICR_FRAME_SIZE


def _one_gicc_base(madt) -> None:
    _gicc(madt, 1).gicr_base_address = GICR_BASE_OF_VCPU0 + GICR_FRAME_SIZE


def _short_gicr(madt) -> None:
    madt.of_type(Gicr)[0].discovery_range_length = 2 * GICR_FRAME_SIZE


def _duplicate_uid(madt) -> None:
    """A seventh GICC, well formed (own MPIDR, a GICR frame), that repeats UID 5."""
    extra = dataclasses.replace(_gicc(madt, LAST), mpidr=kvm_default_mpidr(LAST + 1))
    madt.subtables.insert(madt.subtables.index(_gicc(madt, LAST)) + 1, extra)
    madt.of_type(Gicr)[0].discovery_range_length += GICR_FRAME_SIZE


def _gicc_80_in_revision_6(madt) -> None:
    for g in madt.giccs:
        g.length = GICC_LENGTH_ACPI_6_0


def _drop_last_pptt_leaf(pptt) -> None:
    pptt.nodes.pop()


def _bad_parent(pptt) -> None:
    pptt.nodes[-1].parent = 3


def _duplicate_leaf(pptt) -> None:
    leaf = pptt.nodes[-1]
    pptt.nodes.append(ProcessorNode(flags=leaf.flags, parent=leaf.parent, acpi_processor_id=leaf.acpi_processor_id))


def _fadt(**changes):
    def change(fadt):
        for k, v in changes.items():
            setattr(fadt, k, v)
    return lambda t: kit.edit_fadt(t, change)


def _fadt_revision_4(fadt) -> None:
    fadt.header.revision = 4


def _bad_checksum(t: kit.Tables) -> kit.Tables:
    data = bytearray(t["PPTT"])
    data[9] ^= 0x5A
    return kit.replaced(t, "PPTT", bytes(data))


def _pptt_revision_9(t: kit.Tables) -> kit.Tables:
    data = bytearray(t["PPTT"])
    data[8] = 9
    return kit.replaced(t, "PPTT", kit.with_checksum(bytes(data)))


HOT_ADDABLE_FLAGS = GiccFlags.ONLINE_CAPABLE

ARM64_BREAKS = [
    Break("tables.required", lambda t: kit.replaced(t, "GTDT", None), "add it"),
    Break("tables.checksum", _bad_checksum, "the table needs"),
    Break("tables.length", lambda t: kit.replaced(t, "FACP", t["FACP"] + bytes(4)), "set Length"),
    Break("tables.revision", _pptt_revision_9, "revision 9 is not one"),
    Break("fadt.revision", lambda t: kit.edit_fadt(t, _fadt_revision_4), "set revision 6"),
    Break("fadt.hw-reduced", _fadt(flags=FadtFlags(0)), "set it"),
    Break("fadt.psci", _fadt(arm_boot_arch=ArmBootArch.PSCI_USE_HVC), "set it"),
    Break("fadt.psci-conduit", _fadt(arm_boot_arch=ArmBootArch.PSCI_COMPLIANT), "set it"),
    Break("madt.boot-cpu-enabled", _set_flags(0, HOT_ADDABLE_FLAGS), "set Enabled"),
    Break("madt.online-capable-reserved", _set_flags(0, GiccFlags.ENABLED | GiccFlags.ONLINE_CAPABLE),
          "clear Online Capable"),
    Break("madt.gicc-unused", _set_flags(LAST, GiccFlags(0)), "set Online Capable"),
    Break("madt.hotpluggable-online-capable", _set_flags(2, GiccFlags.ENABLED),
          "mark it Online Capable and not Enabled"),
    Break("madt.gicr-always-on", lambda t: kit.edit_madt(t, _gicrs_through_gicc), "always-on GICR structures"),
    Break("madt.gicr-exclusive", lambda t: kit.edit_madt(t, _one_gicc_base), "set it to 0"),
    Break("madt.gicr-covers", lambda t: kit.edit_madt(t, _short_gicr), "extend the ranges"),
    Break("madt.mpidr-valid", _set_mpidr(3, kvm_default_mpidr(3) | MPIDR_RES1), "write the affinity only, 0x3"),
    Break("madt.mpidr-unique", _set_mpidr(3, kvm_default_mpidr(2)), "its own affinity"),
    Break("madt.uid-unique", lambda t: kit.edit_madt(t, _duplicate_uid), "give each GICC its own UID"),
    Break("madt.aff0-range", _set_mpidr(LAST, KVM_AFF0_CPUS + 1), f"{KVM_AFF0_CPUS} per Aff1"),
    Break("madt.gicc-length", lambda t: kit.edit_madt(t, _gicc_80_in_revision_6), "make the GICC length and"),
    Break("pptt.present", lambda t: kit.replaced(t, "PPTT", None), "add a PPTT"),
    Break("pptt.covers-possible", lambda t: kit.edit_pptt(t, _drop_last_pptt_leaf), "add one with ACPI Processor ID 5"),
    Break("pptt.structure", lambda t: kit.edit_pptt(t, _bad_parent), "point it at its parent"),
    Break("pptt.leaf-unique", lambda t: kit.edit_pptt(t, _duplicate_leaf), "remove the duplicate"),
    Break("dsdt.aml-loads", lambda t: kit.added(t, "SSDT", kit.broken_ssdt()), "fix the definition block"),
    Break("dsdt.processor-devices", lambda t: kit.patch_dsdt(t, b"ACPI0007", b"ACPI0008", device="C005"),
          'add Device (C005) with _HID "ACPI0007" and _UID 5'),
    Break("dsdt.device-uid-known", lambda t: kit.added(t, "SSDT", kit.ssdt_with_processor("C099", 0x99)),
          "add the GICC or remove the device"),
    Break("dsdt.device-uid-unique", lambda t: kit.added(t, "SSDT", kit.ssdt_with_processor("C099", LAST)),
          "give each device its CPU's UID"),
    # _STA is Return (Or (\_SB.PRES.Sxxx, 0x0D)) over the fast status window: XOr clears bit 0 (0x0F -> 0x02,
    # 0x0D -> 0), And keeps 0x0D whatever the VMM says
    Break("dsdt.sta-present", lambda t: kit.patch_dsdt(t, b"\xa4\x7d", b"\xa4\x7f", device="C003"),
          "never clear bit 0"),
    Break("dsdt.enabled-cpu-sta", lambda t: kit.patch_dsdt(t, b"\xa4\x7d", b"\xa4\x7b", device="C000"),
          "report 0x0f"),
    Break("dsdt.sta-follows-policy", lambda t: kit.patch_dsdt(t, b"\xa4\x7d", b"\xa4\x7b", device="C003"),
          "return 0x0f when the CPU is enabled"),
    Break("dsdt.ej0", lambda t: kit.patch_dsdt(t, b"_EJ0", b"XEJ0", device="C003"), "add Method (_EJ0, 1)"),
    Break("dsdt.ost", lambda t: kit.patch_dsdt(t, b"_OST", b"XOST", device="C003"), "add Method (_OST, 3)"),
    Break("dsdt.event-source", lambda t: kit.patch_dsdt(t, b"ACPI0013", b"ACPI0014", device="GED"),
          "add a GED with an interrupt and _EVT"),
    Break("dsdt.event-notifies", lambda t: kit.patch_dsdt(t, b"{`\n\x08", b"{`\n\x10", device="GED"),
          "must Notify(\\_SB.C001, 1)"),
    # the power-button branch of _EVT (event bit 0x2) notifies a device that does not exist
    Break("dsdt.event-names-resolve", lambda t: kit.patch_dsdt(t, b"PWRB", b"PWRX", device="GED"),
          "with event bit 0x2 fails with AE_NOT_FOUND"),
    # the _OST register C003's _OST stores to is gone: _OST(1, 0, Buffer) cannot resolve it
    Break("dsdt.methods-resolve", lambda t: kit.patch_dsdt(t, b"O003\x40", b"X003\x40", device="PRES"),
          "define \\_SB.PRES.O003"),
]

Q35 = "qemu/x86-q35"
X86_BREAKS = [
    Break("x86.processor-devices", lambda t: kit.set_processor_id(t, "C005", 9), "add one"),
    Break("x86.hotplug-methods", lambda t: kit.patch_dsdt(t, b"_EJ0", b"XEJ0", device="C003"),
          "add Method (_EJ0, 1)"),
    Break("x86.hotplug-event", lambda t: kit.patch_dsdt(t, b"_E02", b"XE02"), "without Notify(\\_SB.CPUS.C002, 1)"),
]


def test_every_rule_has_a_breaking_case() -> None:
    covered = [b.rule for b in ARM64_BREAKS + X86_BREAKS]
    assert len(covered) == len(set(covered)), "a rule is broken twice"
    assert set(covered) == {r.id for r in all_rules()}, "add a breaking case for each new rule"


def test_base_tables_pass_every_rule() -> None:
    report = kit.check(kit.ours(BASE))
    assert kit.flagged(report) == {}
    assert report.ok


def _expect_only(report, case: Break) -> None:
    rule = REGISTRY[case.rule]
    expected = Status.FAIL if rule.severity is Severity.FAIL else Status.WARN
    assert kit.flagged(report) == {case.rule: expected}, [r.line() for r in report.results
                                                          if r.status in (Status.FAIL, Status.WARN)]
    result = report.by_id(case.rule)
    assert case.fix in result.reason, result.reason
    assert report.exit_code == (1 if expected is Status.FAIL else 0)


@pytest.mark.parametrize("case", ARM64_BREAKS, ids=lambda c: c.rule)
def test_breaking_our_tables_flags_exactly_that_rule(case: Break) -> None:
    report = kit.check(case.make(kit.ours(BASE)))
    _expect_only(report, case)
    # the guest model boots on every broken set or says why not; it never crashes
    assert report.predictions
    for p in report.predictions:
        assert not (p.error or "").startswith("the guest model failed"), p.error


def _q35(reference_tables: Path) -> kit.Tables:
    loaded = {p.name.split(".")[0]: p.read_bytes() for p in sorted((reference_tables / Q35).iterdir())}
    return dict(sorted(loaded.items(), key=lambda kv: kv[0] != "APIC"))


def test_q35_passes_the_x86_rules(reference_tables: Path) -> None:
    assert kit.flagged(kit.check(_q35(reference_tables))) == {}
    assert check_path(reference_tables / Q35).ok


@pytest.mark.parametrize("case", X86_BREAKS, ids=lambda c: c.rule)
def test_breaking_qemu_x86_tables_flags_exactly_that_rule(case: Break, reference_tables: Path) -> None:
    _expect_only(kit.check(case.make(_q35(reference_tables))), case)


def test_a_problem_per_cpu_is_counted_in_the_reason() -> None:
    tables = kit.ours(BASE)
    for name in ("C002", "C003", "C004"):
        tables = kit.patch_dsdt(tables, b"_EJ0", b"XEJ0", device=name)
    result = kit.check(tables, boot=False).by_id("dsdt.ej0")
    assert len(result.problems) == 3
    assert result.reason.endswith("(and 2 more)")
