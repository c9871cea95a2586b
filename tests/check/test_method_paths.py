"""``dsdt.methods-resolve``: every method Linux runs besides the event methods is run (issue 12).

ACPICA runs each ``_INI`` at initialization (after ``_STA`` says present);
Linux evaluates a processor device's ``_STA`` at scan and after an eject,
``_EJ0(1)`` to eject it and ``_OST`` to report. A name one of them uses that
nothing defines is ``AE_NOT_FOUND`` ("Could not resolve symbol [...]"): a
FAIL naming the method and the missing name. Tables: ours, with the defect
put in by renaming a definition (or adding an SSDT whose ``_INI`` calls a
name nobody defines).
"""

from __future__ import annotations

from tests.check import kit
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.check.report import Status

RULE = "dsdt.methods-resolve"
SMP = "cpus=2,maxcpus=4"


def _ssdt_with_ini_calling(name: str) -> bytes:
    ssdt = b.DefinitionBlock("SSDT", revision=2, oem_id="VCPUHP", oem_table_id="INIBAD")
    with ssdt.scope("\\_SB"):
        with ssdt.device("XINI"):
            ssdt.name("_HID", "ACPI0004")
            with ssdt.method("_INI", 0):
                ssdt.invoke(name)
    return ssdt.encode()


def test_our_tables_run_every_ini_sta_ej0_and_ost_and_pass() -> None:
    result = kit.check(kit.ours(SMP)).by_id(RULE)
    assert result.status is Status.PASS
    # 4 _STA, 3 _EJ0 (not the boot CPU), 4 devices x 3 _OST calls, no _INI
    assert result.reason.startswith("19 run(s)")


def test_an_ej0_calling_an_undefined_method_fails_naming_both() -> None:
    tables = kit.patch_dsdt(kit.ours(SMP), b"FEJT\x20", b"XEJT\x20", device="PRES")   # the fast eject register
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.FAIL
    assert ("\\_SB.C001._EJ0(1) fails with AE_NOT_FOUND: \\_SB.PRES.FEJT is not defined; Linux logs 'ACPI BIOS "
            "Error (bug): Could not resolve symbol [\\_SB.PRES.FEJT], AE_NOT_FOUND'") in result.problems[0]
    assert len(result.problems) == 3                   # C001-C003: the boot CPU's device has no _EJ0


def test_an_ost_with_linux_arguments_is_run() -> None:
    tables = kit.patch_dsdt(kit.ours(SMP), b"O000\x40", b"X000\x40", device="PRES")   # C000's _OST register
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.FAIL
    assert result.problems[0].startswith("\\_SB.C000._OST(1, 0, Buffer) fails with AE_NOT_FOUND: "
                                         "\\_SB.PRES.O000 is not defined")


def test_a_sta_using_an_undefined_name_fails() -> None:
    tables = kit.patch_dsdt(kit.ours(SMP), b"S002\x08", b"X002\x08", device="PRES")   # C002's status byte
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.FAIL
    assert any(p.startswith("\\_SB.C002._STA() fails with AE_NOT_FOUND: \\_SB.PRES.S002 is not defined")
               for p in result.problems)


def test_an_ini_calling_an_undefined_method_fails() -> None:
    tables = kit.added(kit.ours(SMP), "SSDT", _ssdt_with_ini_calling("\\_SB.NOPE"))
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.FAIL
    assert result.problems == [
        "\\_SB.XINI._INI() fails with AE_NOT_FOUND: \\_SB.NOPE is not defined; Linux logs 'ACPI BIOS Error (bug): "
        "Could not resolve symbol [\\_SB.NOPE], AE_NOT_FOUND' and \\_SB.XINI._INI returns nothing: define \\_SB.NOPE"]
    assert kit.check(tables).by_id("dsdt.aml-loads").status is Status.PASS   # loading is not initializing


def test_without_the_xsdt_an_unresolved_name_is_skipped() -> None:
    tables = kit.added(kit.ours(SMP), "SSDT", _ssdt_with_ini_calling("\\_SB.NOPE"))
    tables = kit.replaced(kit.replaced(tables, "XSDT", None), "RSDP", None)
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.SKIP and "\\_SB.NOPE not defined in the tables given" in result.reason


def test_a_processor_mat_using_an_undefined_name_fails() -> None:
    ssdt = b.DefinitionBlock("SSDT", revision=2, oem_id="VCPUHP", oem_table_id="MATBAD")
    with ssdt.scope("\\_SB"):
        with ssdt.device("CX09"):
            ssdt.name("_HID", "ACPI0007")
            ssdt.name("_UID", 9)
            with ssdt.method("_MAT", 0):
                ssdt.return_(ssdt.call("\\_SB.NOMT"))
    result = kit.check(kit.added(kit.ours(SMP), "SSDT", ssdt.encode())).by_id(RULE)
    assert result.status is Status.FAIL
    assert result.problems[0].startswith("\\_SB.CX09._MAT() fails with AE_NOT_FOUND: \\_SB.NOMT is not defined")
