"""Random method bodies made with the builder: printed ASL recompiles with iasl to the same bytes.

Hypothesis builds integer expressions and statements (arithmetic, logic,
If/ElseIf/Else, While with Break/Continue, Store, Return) over constants of
every width, Locals and Args; the builder encodes them, the parser reads them
back, the printer prints ASL and ``iasl -oa`` must return the same AML.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aml.iasl_helpers import body, compile_asl
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.asl import disassemble

LOCALS = [b.Local(i) for i in range(8)]
ARGS = [b.Arg(i) for i in range(7)]

_integers = st.one_of(st.sampled_from([0, 1, 0xFF, 0x100, 0xFFFF, 0x10000, 0xFFFFFFFF, 1 << 32, (1 << 64) - 1]),
                      st.integers(min_value=0, max_value=(1 << 64) - 1))
_leaves = st.one_of(_integers, st.sampled_from(LOCALS), st.sampled_from(ARGS))
_TARGETS = st.one_of(st.none(), st.sampled_from(LOCALS))

_BINARY = [b.Add, b.Subtract, b.Multiply, b.And, b.Or, b.XOr, b.NAnd, b.NOr, b.ShiftLeft, b.ShiftRight]
_LOGICAL = [b.LEqual, b.LNotEqual, b.LLess, b.LLessEqual, b.LGreater, b.LGreaterEqual, b.LAnd, b.LOr]


def _extend(children):
    return st.one_of(
        st.builds(lambda f, x, y, t: f(x, y, t), st.sampled_from(_BINARY), children, children, _TARGETS),
        st.builds(lambda f, x, y: f(x, y), st.sampled_from(_LOGICAL), children, children),
        st.builds(b.LNot, children),
        st.builds(b.Not, children, _TARGETS),
        st.builds(b.FindSetLeftBit, children, _TARGETS),
    )


expressions = st.recursive(_leaves, _extend, max_leaves=6)


def _statements(depth: int):
    simple = st.one_of(
        st.builds(b.Store, expressions, st.sampled_from(LOCALS)),
        st.builds(b.Increment, st.sampled_from(LOCALS)),
        st.builds(b.Return, expressions),
    )
    if depth == 0:
        return simple
    inner = st.lists(_statements(depth - 1), min_size=1, max_size=3).map(lambda xs: list(_flatten(xs)))
    return st.one_of(
        simple,
        st.builds(lambda p, body: b.If(p, *body), expressions, inner),
        st.builds(lambda p, body: b.While(p, *body, b.Break()), expressions, inner),
        st.builds(lambda p, q, x, y, z: [b.If(p, *x), b.Else(b.If(q, *y), b.Else(*z))],
                  expressions, expressions, inner, inner, inner),
    )


def _flatten(items):
    for item in items:
        if isinstance(item, list):
            yield from item
        else:
            yield item


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(_statements(2), min_size=1, max_size=6))
def test_random_methods_round_trip_through_iasl(iasl, tmp_path, statements):
    dsdt = b.DefinitionBlock("SSDT", oem_table_id="RANDOM")
    prologue = [b.Store(0, local) for local in LOCALS]  # iasl rejects reading an unset Local
    dsdt.add(b.Method("TEST", 7, *prologue, *_flatten(statements)))
    data = dsdt.encode()
    asl = disassemble(data)
    again = compile_asl(iasl, asl, tmp_path, flags=("-oa",))
    assert body(again) == body(data), asl


_strings = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x7F), max_size=12)
_data = st.recursive(
    st.one_of(_integers, _strings, st.binary(max_size=20)),
    lambda children: st.lists(children, max_size=5),
    max_leaves=10,
)
_seg_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,3}", fullmatch=True)
_field_entries = st.lists(
    st.one_of(st.tuples(st.just("unit"), st.integers(min_value=1, max_value=70)),
              st.tuples(st.just("gap"), st.integers(min_value=1, max_value=70)),
              st.tuples(st.just("access"), st.sampled_from(["AnyAcc", "ByteAcc", "WordAcc", "DWordAcc",
                                                            "QWordAcc"]))),
    min_size=1, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(values=st.lists(_data, min_size=1, max_size=6), entries=_field_entries,
       flags=st.tuples(st.sampled_from(["AnyAcc", "ByteAcc", "WordAcc", "DWordAcc", "QWordAcc", "BufferAcc"]),
                       st.sampled_from(["NoLock", "Lock"]),
                       st.sampled_from(["Preserve", "WriteAsOnes", "WriteAsZeros"])))
def test_random_data_objects_and_fields_round_trip_through_iasl(iasl, tmp_path, values, entries, flags):
    dsdt = b.DefinitionBlock("SSDT", oem_table_id="RANDOM")
    for i, value in enumerate(values):
        dsdt.name(f"V{i:03X}", value)
    dsdt.operation_region("REG0", "SystemMemory", 0x1000, 0x10000)
    field = []
    for n, (kind, arg) in enumerate(entries):
        if kind == "unit":
            field.append((f"F{n:03X}", arg))
        elif kind == "gap":
            field.append(b.Reserved(arg))
        else:
            field.append(b.AccessAs(arg))
    dsdt.field("REG0", *flags, *field)
    data = dsdt.encode()
    asl = disassemble(data)
    again = compile_asl(iasl, asl, tmp_path, flags=("-oa",))
    assert body(again) == body(data), asl
