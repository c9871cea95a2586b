"""``vcpu-hotplug aml eval TABLE... PATH [ARG...]``: one JSON object, errors as type Error."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from tests.aml.interp_support import compile_asl
from tests.aml.test_interp_budget import nested_loop_method
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.opcodes import Opcode
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


def _typed(type_, value):
    return {"type": type_, "value": value}


def test_package_and_buffer(iasl, tmp_path):
    code, out = _run(_table(iasl, tmp_path), "\\PKG0")
    assert json.loads(out) == {"type": "Package", "value": [_typed("Integer", 1), _typed("String", "x"),
                                                            _typed("Buffer", [2, 3])], "notifies": []}


TYPED_ASL = """DefinitionBlock ("", "DSDT", 2, "VCPUHP", "TYPED", 1)
{
    Name (PKG, Package (3) {1})
    Method (NEST) { Return (Package () {Buffer () {0}, Package () {0}, "h9U$", 10}) }
    Method (REFS) { Return (Package () {PKG, NEST, \\_SB}) }
    Method (UNIN) { Return (PKG) }
    Method (RFOF) { Return (RefOf (PKG)) }
    Method (IDX) { Return (Index (PKG, 0)) }
    Method (IDXU) { Return (Index (PKG, 2)) }
    Method (DRF) { Return (DerefOf (Index (PKG, 2))) }
}
"""


def test_every_value_is_typed_at_every_depth(iasl, tmp_path):
    table = compile_asl(iasl, TYPED_ASL, tmp_path, "typed")
    # A Buffer element and a one-element Package are told apart (issue 15's example).
    code, out = _run(table, "\\NEST")
    assert code == 0 and json.loads(out) == {"type": "Package", "value": [
        _typed("Buffer", [0]), _typed("Package", [_typed("Integer", 0)]), _typed("String", "h9U$"),
        _typed("Integer", 10)], "notifies": []}
    code, out = _run(table, "\\REFS")
    # A name in a Package a method builds: a data object's value (ACPICA dspkginit.c
    # AcpiDsResolvePackageElement), a reference to anything else.
    assert json.loads(out)["value"] == [
        _typed("Package", [_typed("Integer", 1), _typed("Uninitialized", None), _typed("Uninitialized", None)]),
        _typed("Reference", "\\NEST"), _typed("Reference", "\\_SB")]
    code, out = _run(table, "\\UNIN")
    assert json.loads(out)["value"] == [_typed("Integer", 1), _typed("Uninitialized", None),
                                        _typed("Uninitialized", None)]
    assert json.loads(_run(table, "\\RFOF")[1])["value"] == "\\PKG"
    assert json.loads(_run(table, "\\RFOF")[1])["type"] == "Reference"
    assert json.loads(_run(table, "\\IDX")[1]) == {**_typed("Reference", _typed("Integer", 1)), "notifies": []}
    assert json.loads(_run(table, "\\IDXU")[1])["value"] == _typed("Uninitialized", None)


def test_deref_of_an_uninitialized_element_is_an_error(iasl, tmp_path):
    code, out = _run(compile_asl(iasl, TYPED_ASL, tmp_path, "typed"), "\\DRF")
    doc = json.loads(out)
    assert code == 1 and doc["type"] == "Error"
    assert "AE_AML_UNINITIALIZED_ELEMENT" in doc["value"] and "\\DRF offset 0x" in doc["value"]


def _raw_table(tmp_path, name, *terms):
    block = b.DefinitionBlock("DSDT", revision=2, oem_id="VCPUHP", oem_table_id="RAW")
    block.add(*terms)
    path = tmp_path / f"{name}.aml"
    path.write_bytes(block.encode())
    return path


def test_nested_loop_is_stopped_by_the_budget(tmp_path):
    table = _raw_table(tmp_path, "loop", nested_loop_method())
    start = time.monotonic()
    code, out = _run(table, "\\LOOP")
    assert time.monotonic() - start < 10
    doc = json.loads(out)
    assert code == 1 and doc["type"] == "Error"
    assert doc["value"].startswith("DSDT \\LOOP offset 0x") and "AE_AML_LOOP_TIMEOUT" in doc["value"]
    code, out = _run("--max-opcodes", 1000, table, "\\LOOP")
    assert code == 1 and "after 1000 opcodes" in json.loads(out)["value"]


@pytest.mark.parametrize("body", [
    b.Raw(bytes([Opcode.INCREMENT, 0x00])),                     # Increment (NullName)
    b.Return(b.Package(b.Raw(b"\x08XXXX\x01"))),                # a Name () term as a Package element
], ids=["increment-nullname", "name-in-package"])
def test_former_internal_errors_are_aml_errors_with_path_and_offset(tmp_path, body):
    table = _raw_table(tmp_path, "bad", b.Method("MAIN", 0, body, b.Return(1)))
    code, out = _run(table, "\\MAIN")
    assert code == 1 and "Traceback" not in out
    doc = json.loads(out)
    assert doc["type"] == "Error" and doc["value"].startswith("DSDT \\MAIN offset 0x")


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
