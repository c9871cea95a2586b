"""The interpreter's two AML dialects (:mod:`vcpu_hotplug.acpi.aml.semantics`): ACPICA 20240827,
the default Linux runs, and NT, the Windows ``acpi.sys`` behaviour uACPI's test suite expects.

Each NT difference has a small program, built with the project's ASL-free builder, evaluated
both ways. The ACPICA answer is what acpiexec 20240827 gives for the same AML, and acpiexec
20200925 too (both checked when the programs were written; the installed acpiexec is asked
again by :func:`test_acpica_answer_is_acpiexecs`). The NT answer is what uACPI gives: its
test runner (``tests/runner``, uACPI commit 1d636a3, built with ``cmake -G Ninja``) returned
each Integer and String answer below as its ``--expect``, the Buffers through ``SizeOf`` and
``ToInteger``, and failed the program marked as an error with "incompatible AML object type".
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aml.interp_support import AcpiexecError, run_acpiexec
from vcpu_hotplug.acpi.aml import AmlSemantics, Interpreter
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.semantics import NT_DIFFERENCE_BY_KEY, NT_DIFFERENCES
from vcpu_hotplug.acpi.errors import AmlError
from vcpu_hotplug.cli import main

L0, L1 = b.Local0, b.Local1


@dataclass(frozen=True)
class Error:
    """An evaluation that fails; ``text`` is part of the AmlError's message."""

    text: str


@dataclass(frozen=True)
class Program:
    """``\\MAIN`` of a small DSDT, and its result under each semantics."""

    difference: str          # the NT_DIFFERENCES key it shows
    name: str
    terms: tuple             # MAIN's body
    acpica: object           # a Python value, or Error
    nt: object
    extra: tuple = ()        # other top-level terms (methods MAIN calls)

    def table(self) -> bytes:
        dsdt = b.DefinitionBlock("DSDT", oem_table_id="NTSEM")
        dsdt.add(*self.extra, b.Method("MAIN", 0, *self.terms))
        return dsdt.encode()


PROGRAMS = [
    # -- store-through-local: uACPI store_to_reference, UACPI_REFERENCE_KIND_LOCAL
    Program("store-through-local", "integer",
            (b.Store(5, L1), b.Store(b.RefOf(L1), L0), b.Store(0x123, L0), b.Return(L1)),
            acpica=5, nt=0x123),
    Program("store-through-local", "integer-into-string-keeps-its-length",
            # references-3: "WHY?" is 0x3F594857 in little-endian ASCII
            (b.Store("MyST", L1), b.Store(b.RefOf(L1), L0), b.Store(0x3F594857, L0), b.Return(L1)),
            acpica="MyST", nt="WHY?"),
    Program("store-through-local", "string-into-integer-is-its-first-8-bytes",
            (b.Store(0xDEADC0DEDEADBEEF, L1), b.Store(b.RefOf(L1), L0),
             b.Store("verylongstringbiggerthanint", L0), b.Return(L1)),
            acpica=0xDEADC0DEDEADBEEF, nt=0x676E6F6C79726576),
    Program("store-through-local", "named-buffer-keeps-its-size",
            (b.Store(b.RefOf("BUF0"), L0), b.Store(0x0102030405, L0), b.Return(b.NameRef("BUF0"))),
            acpica=b"\xAA\xBB\xCC", nt=b"\x05\x04\x03",
            extra=(b.Name("BUF0", b"\xAA\xBB\xCC"),)),
    # -- store-through-package-element: store_to_reference, UACPI_REFERENCE_KIND_PKG_INDEX
    Program("store-through-package-element", "refof-local-element",
            (b.Store(0, L1), b.Store(b.Package(0, 0), L0),
             b.Store(b.RefOf(L1), b.Index(L0, 1)), b.Store("WHY?", b.Index(L0, 1)), b.Return(L1)),
            acpica=0, nt=0x3F594857),
    # -- increment-through-reference: handle_inc_dec on the unwound object
    Program("increment-through-reference", "increment-local-reference",
            (b.Store(5, L1), b.Store(b.RefOf(L1), L0), b.Increment(L0), b.Return(L1)),
            acpica=Error("AE_AML_OPERAND_TYPE"), nt=6),
    Program("increment-through-reference", "decrement-named-integer-through-arg",
            (b.Call("DECR", b.RefOf("CNT0")), b.Return(b.NameRef("CNT0"))),
            acpica=Error("AE_AML_OPERAND_TYPE"), nt=0x40,
            extra=(b.Name("CNT0", 0x41), b.Method("DECR", 1, b.Decrement(b.Arg(0))))),
    # -- to-integer-string: uacpi_string_to_integer, UACPI_BASE_AUTO (source/utilities.c)
    Program("to-integer-string", "leading-zero-is-octal",
            (b.Return(b.ToInteger("0123")),), acpica=123, nt=0o123),
    Program("to-integer-string", "minus-sign-negates",
            (b.Return(b.ToInteger("-123")),), acpica=0, nt=(-123) & (1 << 64) - 1),
    Program("to-integer-string", "plus-sign-and-hex",
            (b.Return(b.ToInteger("+0XC0D\t123")),), acpica=0, nt=0xC0D),
    Program("to-integer-string", "overflow-is-ones",
            (b.Return(b.ToInteger("0xDEADBEEFCAFEBABE1")),),
            acpica=0xDEADBEEFCAFEBABE, nt=(1 << 64) - 1),
    Program("to-integer-string", "both-agree-on-plain-decimal-and-hex",
            (b.Return(b.Add(b.ToInteger("  123abc"), b.ToInteger("0x10"))),), acpica=139, nt=139),
    # -- concatenate-integer-text: handle_concatenate, "%"UACPI_PRIx64
    Program("concatenate-integer-text", "string-then-integer",
            (b.Return(b.Concatenate("v=", 0xDEADBEEF)),),
            acpica="v=00000000DEADBEEF", nt="v=deadbeef"),
    Program("concatenate-integer-text", "integer-first-is-a-buffer-in-both",
            (b.Return(b.Concatenate(1, 2)),),
            acpica=bytes([1] + [0] * 7 + [2] + [0] * 7), nt=bytes([1] + [0] * 7 + [2] + [0] * 7)),
    # -- empty-return-value: uacpi_execute_control_method's UACPI_OBJECT_UNINITIALIZED result
    Program("empty-return-value", "stored-and-read",
            (b.Store(b.Call("EMPT"), L0), b.Store(L0, b.Debug), b.Return(b.ObjectType(L0))),
            acpica=Error("EMPT returned no value"), nt=0,
            extra=(b.Method("EMPT", 0),)),
    Program("empty-return-value", "data-operator-refuses-it",
            (b.Return(b.Add(b.Call("EMPT"), 1)),),
            acpica=Error("EMPT returned no value"), nt=Error("uninitialized"),
            extra=(b.Method("EMPT", 0),)),
]


def _evaluate(program: Program, semantics: AmlSemantics):
    interp = Interpreter(semantics=semantics)
    interp.load(program.table())
    try:
        return interp.evaluate("\\MAIN")
    except AmlError as exc:
        return exc


def _check(got, want) -> None:
    if isinstance(want, Error):
        assert isinstance(got, AmlError), f"expected an AmlError with {want.text!r}, got {got!r}"
        assert want.text in str(got)
        assert "\\MAIN" in str(got) or "\\DECR" in str(got)     # the error names where it stopped
    else:
        assert not isinstance(got, AmlError), f"expected {want!r}, got {got}"
        assert got == want


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.difference}-{p.name}")
def test_acpica_semantics(program):
    _check(_evaluate(program, AmlSemantics.ACPICA), program.acpica)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.difference}-{p.name}")
def test_nt_semantics(program):
    _check(_evaluate(program, AmlSemantics.NT), program.nt)


def test_every_nt_difference_has_a_program_where_the_answers_differ():
    shown = {p.difference for p in PROGRAMS if p.acpica != p.nt}
    assert shown == set(NT_DIFFERENCE_BY_KEY)
    assert all(p.difference in NT_DIFFERENCE_BY_KEY for p in PROGRAMS)


def test_every_difference_cites_uacpi_and_a_case():
    for d in NT_DIFFERENCES:
        assert d.uacpi_cases and all(c.endswith(".asl") for c in d.uacpi_cases), d.key
        assert d.uacpi_source and d.acpica and d.nt, d.key
    assert len(NT_DIFFERENCE_BY_KEY) == len(NT_DIFFERENCES)


def test_default_is_acpica():
    assert Interpreter().semantics is AmlSemantics.ACPICA


def test_semantics_parse():
    assert AmlSemantics.parse("NT") is AmlSemantics.NT
    assert AmlSemantics.parse("acpica") is AmlSemantics.ACPICA
    with pytest.raises(ValueError, match="choose acpica, nt"):
        AmlSemantics.parse("windows")


def test_acpica_answer_is_acpiexecs(acpiexec, tmp_path):
    """The ACPICA column, live in the installed acpiexec (Debian 12's 20200925 or newer): each
    program's answer is the same in 20200925 and 20240827, and the errors' status is ACPICA's."""
    for i, program in enumerate(PROGRAMS):
        aml = tmp_path / f"p{i}.aml"
        aml.write_bytes(program.table())
        got = run_acpiexec(acpiexec, aml, ["MAIN"])["MAIN"]
        want = program.acpica
        if isinstance(want, Error):
            assert isinstance(got, AcpiexecError), (program.name, got)
            assert got.status == (want.text if want.text.startswith("AE_") else
                                  "AE_AML_NO_RETURN_VALUE"), program.name
        elif isinstance(want, bytes):
            assert bytes(got) == want, program.name
        else:
            assert got == want, program.name


# -- the CLI -------------------------------------------------------------------------------

def _eval(table: Path, *options: str):
    result = CliRunner().invoke(main, ["aml", "eval", *options, str(table), "\\MAIN"])
    return result.exit_code, result.output


def test_cli_semantics_option(tmp_path):
    program = next(p for p in PROGRAMS if p.name == "integer-into-string-keeps-its-length")
    table = tmp_path / "dsdt.aml"
    table.write_bytes(program.table())
    assert _eval(table) == (0, json.dumps({"type": "String", "value": "MyST", "notifies": []}) + "\n")
    assert _eval(table, "--semantics", "acpica") == _eval(table)
    code, out = _eval(table, "--semantics", "nt")
    assert code == 0 and json.loads(out)["value"] == "WHY?"


def test_cli_unknown_semantics_is_a_usage_error(tmp_path):
    table = tmp_path / "dsdt.aml"
    table.write_bytes(PROGRAMS[0].table())
    code, out = _eval(table, "--semantics", "windows")
    assert code == 2
    assert "'windows' is not one of 'acpica', 'nt'" in out and "Traceback" not in out


def test_cli_nt_error_names_path_and_offset(tmp_path):
    program = next(p for p in PROGRAMS if p.name == "data-operator-refuses-it")
    table = tmp_path / "dsdt.aml"
    table.write_bytes(program.table())
    code, out = _eval(table, "--semantics", "nt")
    value = json.loads(out)
    assert code == 1 and value["type"] == "Error"
    assert "\\MAIN offset 0x" in value["value"]


# -- conformance/uacpi.py ---------------------------------------------------------------------

def _uacpi_runner():
    path = Path(__file__).resolve().parents[2] / "conformance" / "uacpi.py"
    spec = importlib.util.spec_from_file_location("conformance_uacpi", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


CASE = """// Name: Store through a LocalX reference (written for this test, as uACPI's cases are)
// Expect: int => 0x124

DefinitionBlock ("", "DSDT", 2, "uTEST", "TESTTABL", 0xF0F0F0F0)
{
    Method (MAIN, 0, NotSerialized)
    {
        Local1 = 1
        Local0 = RefOf(Local1)
        Local0 = 0x123
        Return(Local1 + 1)
    }
}
"""


def test_uacpi_runner_is_nt_by_default_and_prints_both_figures(iasl, tmp_path, capsys):
    uacpi = _uacpi_runner()
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "store-through.asl").write_text(CASE)
    assert uacpi.main([str(cases), "--iasl", iasl]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 passed, 0 failed with NT semantics")
    # under ACPICA the case is not one of uACPI's known ACPICA answers: a real failure
    assert uacpi.main([str(cases), "--iasl", iasl, "--semantics", "acpica"]) == 1
    assert "0 passed, 1 failed (0 of them" in capsys.readouterr().out
    assert uacpi.main([str(cases), "--iasl", iasl, "--semantics", "both"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL  store-through.asl: nt PASS, acpica FAIL")
    assert out[-2].startswith("1 passed, 0 failed with NT semantics")
    assert out[-1].startswith("0 passed, 1 failed (0 of them as ACPICA 20240827 answers")


# -- NT's reference paths fail only with AmlError ------------------------------------------------

_LOCALS = [b.Local(i) for i in range(4)]
_NAMES = ["INT0", "STR0", "BUF0", "PKG0"]


def _sources(draw):
    """A value to store: data, a reference to a Local, a name or a Package element, an
    empty method result, or a Local itself (which may hold a reference)."""
    kind = draw(st.integers(0, 9))
    local = draw(st.sampled_from(_LOCALS))
    name = draw(st.sampled_from(_NAMES))
    return [draw(st.integers(0, (1 << 64) - 1)), draw(st.sampled_from(["", "0123", "-0x1F", "WHY?"])),
            draw(st.binary(max_size=9)), b.RefOf(local), b.RefOf(name),
            b.RefOf(b.Index(b.NameRef("PKG0"), draw(st.integers(0, 3)))),
            b.Index(b.NameRef("PKG0"), draw(st.integers(0, 3))), b.Call("EMPT"), local,
            b.DerefOf(local)][kind]


@st.composite
def _statement(draw):
    local = draw(st.sampled_from(_LOCALS))
    target = draw(st.sampled_from(_LOCALS + _NAMES + [b.Index(b.NameRef("PKG0"), 1),
                                                      b.Index(b.NameRef("BUF0"), 0)]))
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return b.CopyObject(_sources(draw), local)
    if kind == 1:
        return b.Increment(draw(st.sampled_from(_LOCALS + ["INT0"])))
    if kind == 2:
        return b.Store(b.ToInteger(_sources(draw)), target)
    if kind == 3:
        return b.Store(b.Concatenate(_sources(draw), _sources(draw)), target)
    if kind == 4:
        return b.Store(b.Call("SETA", _sources(draw), _sources(draw)), local)
    return b.Store(_sources(draw), target)


_DECLARATIONS = (
    b.Name("INT0", 5), b.Name("STR0", "text"), b.Name("BUF0", b"\x01\x02\x03"),
    b.Name("PKG0", b.Package(1, "two", b"\x03", b.Package(4))), b.Method("EMPT", 0),
    # an Arg holding a reference is stored through in both semantics
    b.Method("SETA", 2, b.Store(b.Arg(1), b.Arg(0)), b.Return(b.Arg(0))),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements=st.lists(_statement(), min_size=1, max_size=12))
def test_nt_reference_programs_fail_only_with_aml_error(statements):
    """Random Stores, CopyObjects and Increments through references (cycles included) under
    both semantics: a result or an AmlError, never another exception."""
    dsdt = b.DefinitionBlock("DSDT", oem_table_id="NTFUZZ")
    dsdt.add(*_DECLARATIONS,
             b.Method("MAIN", 0, *[s for stmt in statements for s in (stmt, b.Store(0, b.Local(7)))],
                      b.Return(b.Local(0))))
    table = dsdt.encode()
    for semantics in AmlSemantics:
        interp = Interpreter(semantics=semantics, max_opcodes=100_000)
        interp.load(table)
        try:
            interp.evaluate("\\MAIN")
        except AmlError:
            pass
