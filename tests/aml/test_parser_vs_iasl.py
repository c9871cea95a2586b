"""ASL snippets compiled by ACPICA's iasl, parsed back: the tree must say what the ASL says.

Each case is ASL placed in the body of ``\\_SB.TST`` (2 arguments) next to a
few declared objects, compiled with iasl (default optimizations, as real
firmware is built), parsed, and rendered compactly; the expected rendering is
written from the ASL (iasl's documented rewrites: ``x = a + b`` becomes
``Add (a, b, x)``, ``1`` becomes ``One``, ``!=`` becomes ``LNotEqual``).

Rendering: operators by ASL name with their operands, an omitted target as
``_``, integers as ``Zero``/``One``/``Ones`` or hex, names in their AML form
(``M3__``), method calls as ``NAME(args)``, bodies in braces.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vcpu_hotplug.acpi.aml import tree as T
from vcpu_hotplug.acpi.aml.opcodes import Opcode, RegionSpace
from vcpu_hotplug.acpi.aml.parser import parse_definition_block

PREAMBLE = """
DefinitionBlock ("", "SSDT", 2, "VCPUHP", "SNIPPET", 1)
{
    External (\\_SB.EXT3, MethodObj)
    Scope (\\_SB)
    {
        Name (INT1, 5)
        Name (BUF1, Buffer (4) {1, 2, 3, 4})
        Name (PKG1, Package () {1, "two", INT1})
        Method (M0, 0) { Return (1) }
        Method (M3, 3) { Return (Arg2) }
        Mutex (MUT1, 3)
        Event (EVT1)
        Device (DEV0) { Name (_HID, "ACPI0007") }
        OperationRegion (OPR1, SystemMemory, 0x1000, 0x10)
        Field (OPR1, ByteAcc, NoLock, Preserve) { FLD1, 8, FLD2, 8 }
        Method (TST, 2, Serialized)
        {
%s
        }
        %s
    }
}
"""


def _int(node: T.Integer) -> str:
    if node.opcode in (Opcode.ZERO, Opcode.ONE, Opcode.ONES):
        return node.opcode.info.asl_name
    return f"{node.value:#x}"


def render(node: T.Node | int | None) -> str:
    if node is None:
        return "_"
    if isinstance(node, int):
        return f"{node:#x}"
    if isinstance(node, T.Integer):
        return _int(node)
    if isinstance(node, T.String):
        return f'"{node.value}"'
    if isinstance(node, T.NameRef):
        return str(node.name)
    if isinstance(node, T.MethodCall):
        return f"{node.name}({','.join(render(a) for a in node.args)})"
    if isinstance(node, T.Buffer):
        return f"Buffer({render(node.size)}){{{node.data.hex(' ')}}}"
    if isinstance(node, T.Package):
        count = render(node.count) if isinstance(node.count, T.Node) else f"{node.count:#x}"
        return f"Package({count}){{{','.join(render(e) for e in node.elements)}}}"
    if isinstance(node, T.Op):
        args = ",".join(render(a) for a in node.args)
        return node.opcode.info.asl_name + (f"({args})" if node.opcode.info.args else "")
    if isinstance(node, T.If | T.While):
        kind = "If" if isinstance(node, T.If) else "While"
        return f"{kind}({render(node.predicate)}){{{';'.join(render(b) for b in node.body)}}}"
    if isinstance(node, T.Else):
        return f"Else{{{';'.join(render(b) for b in node.body)}}}"
    if isinstance(node, T.CreateField):
        extra = f",{render(node.width)}" if node.width is not None else ""
        return (f"{node.opcode.info.asl_name}({render(node.source)},{render(node.index)}{extra},"
                f"{node.name})")
    if isinstance(node, T.Name):
        return f"Name({node.name},{render(node.value)})"
    return type(node).__name__


def compile_asl(iasl: str, tmp_path: Path, body: str, extra: str = "") -> bytes:
    src = tmp_path / "snippet.asl"
    src.write_text(PREAMBLE % (body, extra))
    proc = subprocess.run([iasl, "-ve", "-p", str(tmp_path / "snippet"), str(src)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (tmp_path / "snippet.aml").read_bytes()


def tst_body(iasl: str, tmp_path: Path, body: str) -> list[str]:
    blk = parse_definition_block(compile_asl(iasl, tmp_path, body))
    (tst,) = [m for m in T.walk(blk) if isinstance(m, T.Method) and m.path == "\\_SB_.TST_"]
    return [render(t) for t in tst.body]


CASES = [
    ("Local0 = Arg0 + 1", ["Add(Arg0,One,Local0)"]),
    ("Local1 = Arg0 - Arg1", ["Subtract(Arg0,Arg1,Local1)"]),
    ("Local0 = Arg0 * 3", ["Multiply(Arg0,0x3,Local0)"]),
    ("Divide (Arg0, 3, Local1, Local2)", ["Divide(Arg0,0x3,Local1,Local2)"]),
    ("Local2 = Arg0 / 3", ["Divide(Arg0,0x3,_,Local2)"]),
    ("Local0 = Arg0 % 3", ["Mod(Arg0,0x3,Local0)"]),
    ("Local0 = Arg0 << 2\nLocal1 = Arg0 >> 2",
     ["ShiftLeft(Arg0,0x2,Local0)", "ShiftRight(Arg0,0x2,Local1)"]),
    ("Local0 = Arg0 & 0xF0\nLocal1 = Arg0 | 1\nLocal2 = Arg0 ^ Arg1",
     ["And(Arg0,0xf0,Local0)", "Or(Arg0,One,Local1)", "XOr(Arg0,Arg1,Local2)"]),
    ("NAnd (Arg0, Arg1, Local0)\nNOr (Arg0, Arg1, Local1)\nLocal2 = ~Arg0",
     ["NAnd(Arg0,Arg1,Local0)", "NOr(Arg0,Arg1,Local1)", "Not(Arg0,Local2)"]),
    ("Local0 = !Arg0\nLocal1 = Arg0 && Arg1\nLocal2 = Arg0 || Arg1",
     ["Store(LNot(Arg0),Local0)", "Store(LAnd(Arg0,Arg1),Local1)", "Store(LOr(Arg0,Arg1),Local2)"]),
    ("Local0 = Arg0 != 3\nLocal1 = Arg0 <= 3\nLocal2 = Arg0 >= 3",
     ["Store(LNotEqual(Arg0,0x3),Local0)", "Store(LLessEqual(Arg0,0x3),Local1)",
      "Store(LGreaterEqual(Arg0,0x3),Local2)"]),
    ("Local0 = Arg0 == 3\nLocal1 = Arg0 < 3\nLocal2 = Arg0 > 3",
     ["Store(LEqual(Arg0,0x3),Local0)", "Store(LLess(Arg0,0x3),Local1)",
      "Store(LGreater(Arg0,0x3),Local2)"]),
    ("Local0 = Arg0\nLocal0++\nLocal0--",
     ["Store(Arg0,Local0)", "Increment(Local0)", "Decrement(Local0)"]),
    ("If (Arg0 == 2) { Return (1) } Else { Return (0) }",
     ["If(LEqual(Arg0,0x2)){Return(One)}", "Else{Return(Zero)}"]),
    ("Local0 = 0\nWhile (Local0 < 10) { Local0++\nIf (Local0 == 5) { Break } Continue }",
     ["Store(Zero,Local0)", "While(LLess(Local0,0xa)){Increment(Local0);If(LEqual(Local0,0x5)){Break};Continue}"]),
    ("Return (M0 ())", ["Return(M0__())"]),
    ("Local1 = M3 (1, 2, 3)", ["Store(M3__(One,0x2,0x3),Local1)"]),
    ("Local1 = M3 (M0 (), INT1, M3 (Arg0, Arg1, Arg0))",
     ["Store(M3__(M0__(),INT1,M3__(Arg0,Arg1,Arg0)),Local1)"]),
    ("Local0 = \\_SB.EXT3 (1, 2, 3)", ["Store(\\_SB_.EXT3(One,0x2,0x3),Local0)"]),
    ("Local0 = INT1\nFLD1 = 5", ["Store(INT1,Local0)", "Store(0x5,FLD1)"]),
    ("Notify (DEV0, 0x80)", ["Notify(DEV0,0x80)"]),
    ("Acquire (MUT1, 0xFFFF)\nRelease (MUT1)", ["Acquire(MUT1,0xffff)", "Release(MUT1)"]),
    ("Local0 = Wait (EVT1, 10)\nSignal (EVT1)\nReset (EVT1)",
     ["Store(Wait(EVT1,0xa),Local0)", "Signal(EVT1)", "Reset(EVT1)"]),
    ("Local0 = DerefOf (PKG1 [1])", ["Store(DerefOf(Index(PKG1,One,_)),Local0)"]),
    ("Local0 = SizeOf (BUF1)\nLocal1 = ObjectType (INT1)\nLocal2 = RefOf (INT1)",
     ["Store(SizeOf(BUF1),Local0)", "Store(ObjectType(INT1),Local1)", "Store(RefOf(INT1),Local2)"]),
    ("Local0 = CondRefOf (INT1, Local1)", ["Store(CondRefOf(INT1,Local1),Local0)"]),
    ("CreateDWordField (Arg1, 4, CDW2)\nCreateBitField (Arg1, 3, BIT3)\nCreateField (Arg1, 8, 4, NIB)",
     ["CreateDWordField(Arg1,0x4,CDW2)", "CreateBitField(Arg1,0x3,BIT3)",
      "CreateField(Arg1,0x8,0x4,NIB_)"]),
    ("Local0 = Buffer (3) {7, 8}", ["Store(Buffer(0x3){07 08},Local0)"]),
    ("Local0 = Package (2) {\"a\", INT1}", ['Store(Package(0x2){"a",INT1},Local0)']),
    ("Local0 = Package (Arg0) {1}", ["Store(Package(Arg0){One},Local0)"]),
    ("Local0 = \"hello\"\nLocal1 = 0x123456789\nLocal2 = 0x1234\nLocal3 = Ones",
     ['Store("hello",Local0)', "Store(0x123456789,Local1)", "Store(0x1234,Local2)",
      "Store(Ones,Local3)"]),
    ("ToHexString (Arg0, Local0)\nToDecimalString (Arg0, Local1)\nToInteger (Arg0, Local2)",
     ["ToHexString(Arg0,Local0)", "ToDecimalString(Arg0,Local1)", "ToInteger(Arg0,Local2)"]),
    ("ToBuffer (Arg0, Local0)\nToString (Arg0, 3, Local1)\nToBCD (Arg0, Local2)\nFromBCD (Arg0, Local3)",
     ["ToBuffer(Arg0,Local0)", "ToString(Arg0,0x3,Local1)", "ToBCD(Arg0,Local2)",
      "FromBCD(Arg0,Local3)"]),
    ("FindSetLeftBit (Arg0, Local0)\nFindSetRightBit (Arg0, Local1)",
     ["FindSetLeftBit(Arg0,Local0)", "FindSetRightBit(Arg0,Local1)"]),
    ("Concatenate (Arg0, \"b\", Local0)\nMid (\"abc\", 1, 1, Local1)",
     ['Concatenate(Arg0,"b",Local0)', 'Mid("abc",One,One,Local1)']),
    ("Local0 = Match (PKG1, MEQ, 1, MTR, 0, 0)", ["Store(Match(PKG1,0x1,One,0x0,Zero,Zero),Local0)"]),
    ("CopyObject (Arg0, Local0)\nLocal1 = Timer\nLocal2 = Revision",
     ["CopyObject(Arg0,Local0)", "Store(Timer,Local1)", "Store(Revision,Local2)"]),
    ("Sleep (10)\nStall (5)\nDebug = \"x\"\nFatal (1, 2, Arg0)\nNoop\nBreakPoint",
     ["Sleep(0xa)", "Stall(0x5)", 'Store("x",Debug)', "Fatal(0x1,0x2,Arg0)", "Noop", "BreakPoint"]),
    ("If (\\_OSI (\"Linux\")) { Return (1) }", ['If(\\_OSI("Linux")){Return(One)}']),
    ("Name (LBUF, Buffer (2) {})\nLocal0 = LBUF", ["Name(LBUF,Buffer(0x2){})", "Store(LBUF,Local0)"]),
]


@pytest.mark.parametrize(("asl", "expected"), CASES, ids=[c[0].split("\n")[0][:40] for c in CASES])
def test_snippet(iasl: str, tmp_path: Path, asl: str, expected: list[str]) -> None:
    assert tst_body(iasl, tmp_path, asl) == expected


def test_switch_compiles_to_while_if_else(iasl: str, tmp_path: Path) -> None:
    body = "Switch (ToInteger (Arg0)) { Case (1) { Local0 = 1 } Case (2) { Local0 = 2 } " \
           "Default { Local0 = 3 } }"
    blk = parse_definition_block(compile_asl(iasl, tmp_path, body))
    (tst,) = [m for m in T.walk(blk) if isinstance(m, T.Method) and m.path == "\\_SB_.TST_"]
    kinds = [type(n).__name__ for n in T.walk(tst) if isinstance(n, T.If | T.Else | T.While)]
    assert kinds[0] == "While" and kinds.count("If") == 2 and kinds.count("Else") == 2
    stores = [render(n) for n in T.walk(tst) if isinstance(n, T.Op) and n.opcode is Opcode.STORE]
    assert {"Store(One,Local0)", "Store(0x2,Local0)", "Store(0x3,Local0)"} <= set(stores)


def test_named_objects_and_fields(iasl: str, tmp_path: Path) -> None:
    extra = """
        Device (DEV1)
        {
            Name (_HID, EisaId ("PNP0C02"))
            Name (_UID, "one")
            Method (_STA, 0, Serialized, 3) { Return (0x0F) }
            OperationRegion (IOR, SystemIO, 0x0CD8, 0x0C)
            Field (IOR, DWordAcc, Lock, WriteAsOnes)
            {
                Offset (0x04), FLGS, 8, , 3, BITS, 5,
                AccessAs (WordAcc), CMD, 16
            }
            IndexField (FLGS, BITS, ByteAcc, NoLock, Preserve) { IDX0, 8, IDX1, 8 }
            BankField (IOR, CMD, 2, ByteAcc, NoLock, Preserve) { Offset (0x08), BNK0, 8 }
        }
        PowerResource (PWR0, 1, 2) { Method (_ON) {} Method (_OFF) {} Method (_STA) { Return (1) } }
        ThermalZone (TZ0) { Method (_TMP) { Return (3000) } }
        Processor (CPU0, 1, 0x120, 6) {}
        Alias (DEV1, DEV2)
        DataTableRegion (DTR0, "DSDT", "", "")
    """
    blk = parse_definition_block(compile_asl(iasl, tmp_path, "Return (\\_SB.EXT3 (1, 2, 3))", extra))
    by_path = {n.path: n for n in T.walk(blk) if isinstance(n, T.Named | T.NamedField)}
    sta = by_path["\\_SB_.DEV1._STA"]
    assert isinstance(sta, T.Method) and (sta.arg_count, sta.serialized, sta.sync_level) == (0, True, 3)
    hid = by_path["\\_SB_.DEV1._HID"]
    assert hid.value.value == 0x020CD041  # EisaId("PNP0C02") as iasl encodes it
    region = by_path["\\_SB_.DEV1.IOR_"]
    assert region.space == RegionSpace.SYSTEM_IO and region.region_offset.value == 0x0CD8
    (field,) = [n for n in T.walk(blk) if isinstance(n, T.Field) and str(n.region) == "IOR_"]
    flags = field.field_flags
    assert (flags.access, flags.lock, flags.update) == (3, True, 1)
    named = {e.name: (e.bit_offset, e.bit_width) for e in field.elements if isinstance(e, T.NamedField)}
    assert named == {"FLGS": (32, 8), "BITS": (43, 5), "CMD_": (48, 16)}
    assert any(isinstance(e, T.AccessAs) and e.access == 2 for e in field.elements)
    (index,) = [n for n in T.walk(blk) if isinstance(n, T.IndexField)]
    assert (str(index.index_name), str(index.data_name)) == ("FLGS", "BITS")
    assert [e.bit_offset for e in index.elements] == [0, 8]
    (bank,) = [n for n in T.walk(blk) if isinstance(n, T.BankField)]
    assert bank.bank_value.value == 2 and by_path["\\_SB_.DEV1.BNK0"].bit_offset == 64
    pwr = by_path["\\_SB_.PWR0"]
    assert isinstance(pwr, T.PowerResource) and (pwr.system_level, pwr.resource_order) == (1, 2)
    assert isinstance(by_path["\\_SB_.TZ0_"], T.ThermalZone)
    cpu = by_path["\\_SB_.CPU0"]
    assert (cpu.proc_id, cpu.pblk_address, cpu.pblk_length) == (1, 0x120, 6)
    alias = by_path["\\_SB_.DEV2"]
    assert isinstance(alias, T.Alias) and str(alias.source) == "DEV1"
    assert isinstance(by_path["\\_SB_.DTR0"], T.DataRegion)
    ext = by_path["\\_SB_.EXT3"]
    # iasl emits External in an If (Zero) block, with the argument count of its use
    assert isinstance(ext, T.External) and (ext.object_type, ext.arg_count) == (8, 3)
