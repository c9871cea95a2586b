"""``vcpu-hotplug aml eval TABLE... PATH [ARG...]``: one JSON object, errors as type Error."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.aml.interp_support import compile_asl
from vcpu_hotplug.acpi.tableio import format_acpidump
from vcpu_hotplug.cli import main

ASL = """DefinitionBlock ("", "DSDT", 2, "VCPUHP", "CLI", 1)
{
    Scope (\\_SB) { Device (C003) { Name (_HID, "ACPI0007") } }
    Method (ADD2, 2) { Return (Arg0 + Arg1) }
    Method (ECHO, 1) { Return (Arg0) }
    Method (PKG0) { Return (Package () {1, "x", Buffer () {2, 3}}) }
    Method (NTFY) { Notify (\\_SB.C003, 1)\nNotify (\\_SB.C003, 3)\nReturn (0) }
    Method (FAIL) { Local0 = 0\nReturn (1 / Local0) }
}
"""


def _run(*args):
    result = CliRunner().invoke(main, ["aml", "eval", *map(str, args)])
    return result.exit_code, result.output


def _table(iasl, tmp_path):
    return compile_asl(iasl, ASL, tmp_path, "cli")


def test_integer_arguments_decimal_and_hex(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path), "\\ADD2", "0x10", "5")
    assert code == 0
    assert json.loads(out) == {"type": "Integer", "value": 21, "notifies": []}


def test_non_numeric_argument_is_a_string(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path), "ECHO", "hello")
    assert json.loads(out)["type"] == "String" and json.loads(out)["value"] == "hello"


def test_package_and_buffer(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path), "\\PKG0")
    assert json.loads(out) == {"type": "Package", "value": [1, "x", [2, 3]], "notifies": []}


def test_notifies_are_reported(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path), "\\NTFY")
    assert json.loads(out)["notifies"] == [["\\_SB.C003", 1], ["\\_SB.C003", 3]]


def test_error_is_json_and_non_zero(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path), "\\FAIL")
    assert code != 0
    doc = json.loads(out)
    assert doc["type"] == "Error" and "divide by zero" in doc["value"] and "\\FAIL" in doc["value"]
    code, out = _run(_table(iasl, tmp_path), "\\NOPE")
    assert code != 0 and json.loads(out)["type"] == "Error"


def test_acpidump_text_input(iasl, tmp_path):
    dump = tmp_path / "dump.txt"
    dump.write_text(format_acpidump([_table(iasl, tmp_path).read_bytes()]))
    code, out = _run(dump, "\\ADD2", 1, 2)
    assert code == 0 and json.loads(out)["value"] == 3


def test_real_qemu_table(reference_tables):
    code, out = _run(reference_tables / "qemu" / "x86-q35" / "DSDT.cphp", "\\_SB.CPUS.C000._STA")
    assert code == 0 and json.loads(out) == {"type": "Integer", "value": 0, "notifies": []}


def test_missing_path_is_a_usage_error(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path))
    assert code == 2 and "Traceback" not in out
