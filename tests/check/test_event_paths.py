"""``dsdt.event-names-resolve``: every path of the GED's event method that Linux would run is run (issue 12).

QEMU's arm64 vCPU hotplug RFC V5 with CPU hotplug off still sets the CPU
hotplug bit in the GED's event bitmap, so its ``_EVT`` calls
``\\_SB.GED.CSCN``, which nothing defines. Linux's ACPICA logs "ACPI BIOS
Error (bug): Could not resolve symbol [\\_SB.GED.CSCN], AE_NOT_FOUND" and
aborts ``_EVT``. The reference set has no hotplug-off dump, so these tables
are ours with the same defect put in: the ``_EVT`` call retargeted to
``\\_SB.GED.CSCN`` (RFC V5's name), or ``CSCN``'s definition removed.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.check import kit
from vcpu_hotplug.check.aml_facts import acpica_name, event_bits_tested
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.cli import main

RULE = "dsdt.event-names-resolve"
HOTPLUG_OFF = "cpus=2,maxcpus=2"


def _rfc_v5_like(smp: str = HOTPLUG_OFF) -> kit.Tables:
    return kit.patch_dsdt(kit.ours(smp), b"_SB_PRESCSCN", b"_SB_GED_CSCN", device="GED")


def test_an_undefined_cscn_called_from_evt_fails_naming_the_method_and_the_name() -> None:
    result = kit.check(_rfc_v5_like()).by_id(RULE)
    assert result.status is Status.FAIL
    assert result.reason.startswith("\\_SB.GED._EVT(41) with event bit 0x8 fails with AE_NOT_FOUND: "
                                    "\\_SB.GED.CSCN is not defined")
    assert "Could not resolve symbol [\\_SB.GED.CSCN], AE_NOT_FOUND" in result.reason


def test_cscn_definition_removed_is_the_same_failure_under_its_own_name() -> None:
    tables = kit.patch_dsdt(kit.ours(HOTPLUG_OFF), b"CSCN", b"XSCN", device="PRES")
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.FAIL
    assert "AE_NOT_FOUND: \\_SB.PRES.CSCN is not defined" in result.reason


def test_our_tables_run_every_event_bit_their_evt_tests_and_pass() -> None:
    result = kit.check(kit.ours()).by_id(RULE)
    assert result.status is Status.PASS
    assert "2 run(s)" in result.reason         # GSI 41 x event bits 0x2 (power button) and 0x8 (CPU hotplug)


def test_without_the_xsdt_an_unresolved_name_is_skipped_with_the_reason() -> None:
    tables = kit.replaced(kit.replaced(_rfc_v5_like(), "XSDT", None), "RSDP", None)
    result = kit.check(tables).by_id(RULE)
    assert result.status is Status.SKIP
    assert "\\_SB.GED.CSCN not defined in the tables given" in result.reason


def test_check_json_carries_the_failure(tmp_path) -> None:
    for sig, data in _rfc_v5_like().items():
        (tmp_path / sig).write_bytes(data)
    out = CliRunner().invoke(main, ["check", str(tmp_path), "--json", "--no-boot"])
    assert out.exit_code == 1, out.output
    report = json.loads(out.output)
    rules = {r["id"]: r for r in report["conformance"]["results"]}
    assert rules[RULE]["status"] == "FAIL"
    assert "\\_SB.GED.CSCN" in json.dumps(rules[RULE])


def test_acpica_prints_a_relative_name_prefixed_by_the_method_scope() -> None:
    assert acpica_name("\\_SB_.GED_.CSCN", "\\_SB.GED._EVT") == "\\_SB.GED.CSCN"
    assert acpica_name("PWRX", "\\_SB.GED._EVT") == "\\_SB.GED._EVT.PWRX"
    assert acpica_name("^^NVDR", "\\_SB.GED._EVT") == "\\_SB.NVDR"


def test_tested_bits_are_the_and_constants_of_the_event_method() -> None:
    assert event_bits_tested(None) == []
