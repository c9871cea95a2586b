"""What the ASL printer writes for each construct (ACPI 6.5 chapter 19 syntax, iasl -d layout)."""

from __future__ import annotations

import re

import pytest

from tests.aml.iasl_helpers import compile_asl
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.asl import asl_string, disassemble
from vcpu_hotplug.acpi.aml.builder import Arg0, Arg1, Local0, Local1, Local3, NameRef, One
from vcpu_hotplug.acpi.aml.eisaid import EisaId
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.errors import AmlError


def _print(*terms: b.Term, asl2: bool = False) -> str:
    dsdt = b.DefinitionBlock("SSDT", oem_table_id="PRINTER")
    dsdt.add(*terms)
    return disassemble(dsdt.encode(), asl2=asl2)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_header_line_carries_the_table_fields():
    text = _print()
    # OEM fields as in the table, padding included (our header pads with spaces)
    assert 'DefinitionBlock ("", "SSDT", 2, "VCPUHP", "PRINTER ", 0x00000001)' in _lines(text)


def test_names_are_printed_as_written_without_padding():
    text = _print(b.Scope("\\_SB", b.Device("\\_SB.GED", b.Name("_UID", "GED")),
                          b.Device("CPUS", b.Method("CSTA", 1, b.Return(Arg0)),
                                   b.Device("C000", b.Alias("^CSTA", "STA0"),
                                            b.Method("_STA", 0, b.Return(b.Call("\\_SB.CPUS.CSTA", 0)))))))
    lines = _lines(text)
    assert "Scope (\\_SB)" in lines
    assert "Device (\\_SB.GED)" in lines
    assert "Alias (^CSTA, STA0)" in lines
    assert "Return (\\_SB.CPUS.CSTA (Zero))" in lines


def test_nesting_is_indented_four_spaces_per_level():
    text = _print(b.Scope("\\_SB", b.Device("DEV0", b.Method("M000", 0, b.Return(One)))))
    assert "\n            Method (M000, 0, NotSerialized)\n            {\n                Return (One)\n" in text


def test_method_flags():
    lines = _lines(_print(b.Method("SER0", 3, b.Return(Arg0), serialized=True, sync_level=5),
                          b.Method("NSR0", 7, b.Return(Arg0))))
    assert "Method (SER0, 3, Serialized, 5)" in lines
    assert "Method (NSR0, 7, NotSerialized)" in lines


def test_hardware_ids_print_as_eisa_ids_but_other_integers_do_not():
    lines = _lines(_print(b.Device("DEV0", b.Name("_HID", EisaId("PNP0A06")), b.Name("_CID", "ACPI0010"),
                                   b.Name("_UID", EisaId("PNP0A06")))))
    assert 'Name (_HID, EisaId ("PNP0A06"))' in lines
    assert 'Name (_CID, "ACPI0010")' in lines
    assert "Name (_UID, 0x060AD041)" in lines


def test_fields_print_offsets_gaps_and_access():
    text = _print(b.OperationRegion("PRST", "SystemMemory", 0x090C0000, 0x0C),
                  b.Field("PRST", "ByteAcc", "NoLock", "WriteAsZeros", b.Offset(4), ("CPEN", 1), (None, 2),
                          ("CPRS", 1), b.Offset(5), ("CCMD", 8), b.AccessAs("DWordAcc"), ("CDAT", 32)))
    lines = _lines(text)
    assert "OperationRegion (PRST, SystemMemory, 0x090C0000, 0x0C)" in lines
    assert "Field (PRST, ByteAcc, NoLock, WriteAsZeros)" in lines
    start = lines.index("Field (PRST, ByteAcc, NoLock, WriteAsZeros)") + 2
    assert lines[start:start + 7] == ["Offset (0x04),", "CPEN, 1,", ", 2,", "CPRS, 1,", "Offset (0x05),",
                                      "CCMD, 8,", "AccessAs (DWordAcc, 0x00),"]


def test_else_if_chains_print_as_elseif():
    dsdt = b.DefinitionBlock("SSDT")
    with dsdt.method("TEST", 1):
        with dsdt.if_(b.LEqual(Arg0, 0)):
            dsdt.return_(1)
        with dsdt.elseif(b.LEqual(Arg0, 1)):
            dsdt.return_(2)
        with dsdt.else_():
            dsdt.return_(3)
    lines = [line for line in _lines(disassemble(dsdt.encode())) if line not in ("{", "}")]
    start = lines.index("If (LEqual (Arg0, Zero))")
    assert lines[start:start + 6] == ["If (LEqual (Arg0, Zero))", "Return (One)",
                                      "ElseIf (LEqual (Arg0, One))", "Return (0x02)", "Else",
                                      "Return (0x03)"]


def test_asl2_operators():
    dsdt = b.DefinitionBlock("SSDT")
    dsdt.name("CNEW", b.Package(count=4))
    with dsdt.method("TEST", 2):
        dsdt.store(Arg0, Local0)
        with dsdt.if_(b.LAnd(b.LEqual(b.And(Local0, 2), 2), b.LNot(Arg1))):
            dsdt.add(b.Increment(Local0), b.Decrement(Local0))
        dsdt.store(Local3, b.Index(NameRef("CNEW"), Local1))
        dsdt.add(b.Add(Local0, 1, Local1), b.Not(Local0, Local1))
        dsdt.return_(b.DerefOf(b.Index(NameRef("CNEW"), Local1)))
    legacy = _lines(disassemble(dsdt.encode()))
    modern = _lines(disassemble(dsdt.encode(), asl2=True))
    assert "Store (Arg0, Local0)" in legacy and "Local0 = Arg0" in modern
    assert "If (((Local0 & 0x02) == 0x02) && !Arg1)" in modern
    assert "Local0++" in modern and "Local0--" in modern
    assert "CNEW [Local1] = Local3" in modern
    assert "Local1 = (Local0 + One)" in modern and "Local1 = ~Local0" in modern
    assert "Return (DerefOf (CNEW [Local1]))" in modern
    assert "Return (DerefOf (Index (CNEW, Local1)))" in legacy


def test_buffers_print_eight_bytes_per_line():
    text = _print(b.Name("BUF0", bytes(range(10))), b.Name("BUF1", b"\x01\x02"))
    assert "/* 0000 */  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07," in text
    assert "/* 0008 */  0x08, 0x09" in text
    assert "Name (BUF1, Buffer (0x02) {0x01, 0x02})" in _lines(text)


def test_packages_inline_when_simple_else_one_element_per_line():
    text = _print(b.Name("PKG0", [1, "a", NameRef("PKG0")]), b.Name("PKG1", [[1], b"\x02"]))
    assert 'Name (PKG0, Package (0x03) {One, "a", PKG0})' in _lines(text)
    assert re.search(r"Name \(PKG1, Package \(0x02\)\n\s+\{\n\s+Package \(0x01\) \{One\},\n"
                     r"\s+Buffer \(One\) \{0x02\}\n\s+\}\)", text)


@pytest.mark.parametrize("value", ['say "hi"', "back\\slash", "tab\there", "bell\a", "caf\x7f"])
def test_strings_escape_and_recompile_to_the_same_characters(iasl, tmp_path, value):
    text = _print(b.Name("STR0", value))
    aml = compile_asl(iasl, text, tmp_path, flags=("-oa",))
    (name,) = parse_definition_block(aml).body
    assert name.value.value == value


def test_asl_string_escapes():
    assert asl_string('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert asl_string("\x01") == '"\\x01"'


def test_unparseable_aml_is_an_aml_error():
    dsdt = b.DefinitionBlock("SSDT")
    dsdt.add(b.Raw(b"\x5b\xff"))  # no such extended opcode
    with pytest.raises(AmlError):
        disassemble(dsdt.encode())
