"""Hypothesis: random and mutated AML, loaded and evaluated, fails only with AmlError.

Inputs: random bytes behind a valid table header, QEMU's real DSDTs with bytes
flipped, inserted or deleted, and small iasl-compiled programs mutated the same
way. Every method of the loaded namespace is then called with no arguments.
Loops, recursion, object sizes and the total opcodes per call are bounded, so
no input can hang the test. Nested While loops (random, and mutated), bounded
only by the opcode budget of each evaluation, end within it.
"""

from __future__ import annotations

import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aml.interp_support import compile_asl
from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.objects import Method
from vcpu_hotplug.acpi.errors import AmlError

HEADER = struct.Struct("<4sIBB6s8sI4sI")
FUZZ_SETTINGS = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.function_scoped_fixture])

PROGRAM = """DefinitionBlock ("", "DSDT", 2, "VCPUHP", "FUZZ", 1)
{
    Name (PKG0, Package () {1, "two", Buffer () {3}, Package () {4}})
    Name (BUF0, Buffer (8) {1, 2, 3})
    OperationRegion (REG0, SystemMemory, 0x1000, 0x20)
    Field (REG0, DWordAcc, NoLock, Preserve) { FLD0, 8, FLD1, 24, Offset (8), FLD2, 64 }
    Mutex (MTX0, 3)
    Event (EVT0)
    Method (LOOP, 1) { Local0 = 0\nWhile (Local0 < Arg0) { Local0++\nIf (Local0 == 7) { Break } }\nReturn (Local0) }
    Method (MAIN) {
        Local0 = LOOP (10) + SizeOf (PKG0)
        CreateWordField (BUF0, 2, WRD0)
        WRD0 = Local0
        FLD1 = WRD0
        Local1 = Concatenate (DerefOf (PKG0 [1]), ToHexString (FLD1))
        Acquire (MTX0, 0xFFFF)
        Signal (EVT0)
        Release (MTX0)
        Return (Local1)
    }
    Method (RECU, 1) { If (Arg0) { Return (RECU (Arg0 - 1)) }\nReturn (Ones) }
}
"""


def _table(body: bytes, revision: int = 2) -> bytes:
    length = HEADER.size + len(body)
    header = HEADER.pack(b"DSDT", length, revision, 0, b"VCPUHP", b"FUZZTEST", 1, b"TEST", 1)
    return header + body


def _fix_length(data: bytes) -> bytes:
    if len(data) < HEADER.size:
        return data
    return data[:4] + struct.pack("<I", len(data)) + data[8:]


def _exercise(data: bytes) -> None:
    interp = Interpreter(max_loop_iterations=500, max_call_depth=24, max_opcodes=200_000)
    interp.max_buffer_size = 1 << 16
    try:
        interp.load(data)
    except AmlError:
        return
    methods = [node.path for node in interp.namespace.walk() if type(node.value) is Method
               and node.value.native is None]
    for path in methods[:40]:
        try:
            interp.evaluate(path)
        except AmlError:
            pass


def _mutate(data: bytes, edits) -> bytes:
    buf = bytearray(data)
    for kind, pos, value in edits:
        if len(buf) <= HEADER.size:
            break
        pos = HEADER.size + pos % (len(buf) - HEADER.size)
        if kind == 0:
            buf[pos] = value
        elif kind == 1:
            buf.insert(pos, value)
        else:
            del buf[pos]
    return _fix_length(bytes(buf))


# Opcodes with the same operands (ACPI 6.5 section 20.3): swapping one for another keeps the
# table parseable and changes what it computes.
FAMILIES = [
    [0x72, 0x74, 0x77, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F, 0x85, 0x73, 0x84, 0x88],
    [0x93, 0x94, 0x95, 0x90, 0x91],
    [0x80, 0x81, 0x82, 0x96, 0x97, 0x98, 0x99],
    [0x60, 0x61, 0x62, 0x63, 0x68, 0x69, 0x00, 0x01, 0xFF],
]
_FAMILY_OF = {op: fam for fam in FAMILIES for op in fam}


def _swap_operators(data: bytes, picks) -> bytes:
    buf = bytearray(data)
    spots = [i for i in range(HEADER.size, len(buf)) if buf[i] in _FAMILY_OF]
    for pick, choice in picks:
        if not spots:
            break
        i = spots[pick % len(spots)]
        fam = _FAMILY_OF.get(buf[i])
        if fam:
            buf[i] = fam[choice % len(fam)]
    return bytes(buf)


SWAPS = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 20)), min_size=1, max_size=6)

EDITS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)),
                 min_size=1, max_size=8)


@FUZZ_SETTINGS
@given(body=st.binary(max_size=400), revision=st.integers(0, 3))
def test_random_bytes(body, revision):
    _exercise(_table(body, revision))


@pytest.fixture(scope="module")
def program(iasl, tmp_path_factory):
    return compile_asl(iasl, PROGRAM, tmp_path_factory.mktemp("fuzz")).read_bytes()


def test_program_works_unmutated(program):
    interp = Interpreter()
    interp.load(program)
    assert interp.evaluate("\\MAIN").startswith("two")


@FUZZ_SETTINGS
@given(edits=EDITS)
def test_mutated_program(program, edits):
    _exercise(_mutate(program, edits))


@pytest.fixture(scope="module")
def qemu_tables(reference_tables):
    return [p.read_bytes() for p in sorted(reference_tables.glob("**/DSDT*"))]


@FUZZ_SETTINGS
@given(which=st.integers(0, 100), edits=EDITS)
def test_mutated_real_tables(qemu_tables, which, edits):
    _exercise(_mutate(qemu_tables[which % len(qemu_tables)], edits))


@FUZZ_SETTINGS
@given(which=st.integers(0, 100), cut=st.integers(0, 1 << 16))
def test_truncated_real_tables(qemu_tables, which, cut):
    data = qemu_tables[which % len(qemu_tables)]
    _exercise(_fix_length(data[:HEADER.size + cut % max(1, len(data) - HEADER.size)]))


@FUZZ_SETTINGS
@given(swaps=SWAPS)
def test_program_with_swapped_operators(program, swaps):
    _exercise(_swap_operators(program, swaps))


@FUZZ_SETTINGS
@given(which=st.integers(0, 100), swaps=SWAPS)
def test_real_tables_with_swapped_operators(qemu_tables, which, swaps):
    _exercise(_swap_operators(qemu_tables[which % len(qemu_tables)], swaps))


# -- nested loops: only the budget per evaluation stops them ---------------------------------

#: Budget for the nested-loop programs (the While bound stays ACPICA's 2**20 iterations, so
#: three nested loops alone would allow 2**60): each evaluation must stop within it.
NESTED_BUDGET = 30_000


@st.composite
def nested_loops(draw, depth: int = 0):
    """A While nest of depth 1..4; predicates that may never turn false, Break/Continue, calls,
    and CopyObject of a method over a name the loops call (so bodies are parsed again)."""
    local = b.Local(depth)
    body = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 7))
        if kind == 0:
            body.append(b.Increment(b.Local(draw(st.integers(0, 6)))))
        elif kind == 1:
            body.append(b.Store(b.Add(b.Local(draw(st.integers(0, 6))), draw(st.integers(0, 3))),
                                b.Local(draw(st.integers(0, 6)))))
        elif kind == 2:
            body.append(b.If(b.LGreater(local, draw(st.integers(0, 40))), b.Break()))
        elif kind == 3:
            body.append(b.If(b.LEqual(b.And(local, 1), 1), b.Continue()))
        elif kind == 4:
            body.append(b.Store(b.Call("STEP", local), b.Local(6)))
        elif kind == 5:
            body.append(b.CopyObject(draw(st.sampled_from([b.DerefOf(b.RefOf("ONE")), 5,
                                                             b.DerefOf(b.RefOf("TWO"))])), "STEP"))
        elif kind == 6:
            body.append(b.Call("BUMP"))
        elif depth < 3:
            body.append(draw(nested_loops(depth + 1)))
    if draw(st.booleans()):
        body.append(b.Increment(local))
    predicate = draw(st.sampled_from([1, b.LLess(local, draw(st.integers(0, 1 << 20))),
                                      b.LNotEqual(local, 0xFFFFFFFF)]))
    return b.While(predicate, *body)


def _nested_table(loop) -> bytes:
    block = b.DefinitionBlock("DSDT", revision=2, oem_id="VCPUHP", oem_table_id="NESTED")
    block.add(b.Name("CNT", 0),
              b.Method("ONE", 1, b.Return(b.Add(b.Arg(0), 1))),
              b.Method("TWO", 2, b.Return(b.Add(b.Arg(0), b.Arg(1)))),
              b.Method("STEP", 1, b.Return(b.Arg(0))),
              b.Method("BUMP", 0, b.Increment("CNT"), b.While(b.LLess("CNT", 3), b.Increment("CNT"))),
              b.Method("MAIN", 0, b.Store(0, b.Local(0)), loop, b.Return(b.Local(0))))
    return block.encode()


def _run_within_budget(data: bytes) -> None:
    interp = Interpreter(max_opcodes=NESTED_BUDGET, max_call_depth=24)
    start = time.monotonic()
    try:
        interp.load(data)
    except AmlError:
        return
    for path in ("\\MAIN", "\\BUMP", "\\STEP"):
        before = interp.opcodes_executed
        try:
            interp.evaluate(path)
        except AmlError:
            pass
        # a While checks every BUDGET_CHECK_ITERATIONS iterations; nests multiply that little
        assert interp.opcodes_executed - before < 2 * NESTED_BUDGET
    assert time.monotonic() - start < 20


@FUZZ_SETTINGS
@given(loop=nested_loops())
def test_nested_loops_end_within_the_budget(loop):
    _run_within_budget(_nested_table(loop))


@FUZZ_SETTINGS
@given(loop=nested_loops(), edits=EDITS)
def test_mutated_nested_loops_end_within_the_budget(loop, edits):
    _run_within_budget(_mutate(_nested_table(loop), edits))


def test_an_endless_nest_stops_at_the_budget_with_an_aml_error():
    inner = b.While(1, b.Increment(b.Local(1)), b.Store(b.Call("STEP", b.Local(1)), b.Local(2)))
    data = _nested_table(b.While(1, b.Store(0, b.Local(1)), inner))
    interp = Interpreter(max_opcodes=NESTED_BUDGET)
    interp.load(data)
    with pytest.raises(AmlError, match="AE_AML_LOOP_TIMEOUT") as info:
        interp.evaluate("\\MAIN")
    assert info.value.path in ("\\MAIN", "\\STEP") and info.value.offset is not None
