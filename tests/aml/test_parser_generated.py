"""Grammar-generated AML: random well-formed terms over every operator, parsed back exactly.

Hypothesis builds terms from the opcode table's argument kinds (ACPI 6.5
section 20.2) together with the rendering each one must parse to (the
format of :func:`tests.aml.test_parser_vs_iasl.render`). Methods with random
argument counts are defined *after* the code that calls them, so every
call checks the forward-reference arity resolution. The block must parse to
exactly the generated shapes, with offsets that tile.
"""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aml.test_parser_vs_iasl import render
from vcpu_hotplug.acpi.aml import tree as T
from vcpu_hotplug.acpi.aml.opcodes import (
    OPCODES,
    ArgKind,
    NameString,
    OpClass,
    Opcode,
    encode_pkg_length,
)
from vcpu_hotplug.acpi.aml.parser import parse_definition_block

Gen = tuple[bytes, str]

#: Operators encoded generically: every Type1/Type2 opcode whose operands are
#: TermArg/SuperName/Target/data (the others have dedicated strategies below).
_SIMPLE_KINDS = {ArgKind.TERM_ARG, ArgKind.SUPER_NAME, ArgKind.SIMPLE_NAME, ArgKind.TARGET,
                 ArgKind.BYTE_DATA, ArgKind.WORD_DATA, ArgKind.DWORD_DATA}
OPERATORS = sorted((info for info in OPCODES.values()
                    if info.op_class in (OpClass.STATEMENT, OpClass.EXPRESSION)
                    and set(info.args) <= _SIMPLE_KINDS),
                   key=lambda i: i.opcode)

METHOD_ARGC = (0, 1, 2, 3, 7)
METHODS = [(f"M{i:03}", argc) for i, argc in enumerate(METHOD_ARGC)]

_seg_chars = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Object names (never a method name: those start with M, and never \_OSI).
object_names = st.builds(lambda a, b: "N" + a + b + "_", _seg_chars, _seg_chars)


def _name(seg: str) -> Gen:
    ns = NameString(False, 0, (seg,))
    return ns.encode(), str(ns)


integers = st.one_of(
    st.sampled_from([(b"\x00", "Zero"), (b"\x01", "One"), (b"\xff", "Ones")]),
    st.integers(0, 0xFF).map(lambda v: (b"\x0a" + bytes((v,)), f"{v:#x}")),
    st.integers(0, 0xFFFF).map(lambda v: (b"\x0b" + v.to_bytes(2, "little"), f"{v:#x}")),
    st.integers(0, 0xFFFFFFFF).map(lambda v: (b"\x0c" + v.to_bytes(4, "little"), f"{v:#x}")),
    st.integers(0, (1 << 64) - 1).map(lambda v: (b"\x0e" + v.to_bytes(8, "little"), f"{v:#x}")),
)
strings = st.text(st.characters(min_codepoint=1, max_codepoint=0x7F), max_size=12).map(
    lambda s: (b"\x0d" + s.encode() + b"\0", f'"{s}"'))
locals_args = st.one_of(
    st.integers(0, 7).map(lambda i: (bytes((Opcode.LOCAL0 + i,)), f"Local{i}")),
    st.integers(0, 6).map(lambda i: (bytes((Opcode.ARG0 + i,)), f"Arg{i}")),
)
buffers = st.tuples(integers, st.binary(max_size=20)).map(
    lambda t: (Opcode.BUFFER.encoding + encode_pkg_length(len(t[0][0]) + len(t[1])) + t[0][0] + t[1],
               f"Buffer({t[0][1]}){{{t[1].hex(' ')}}}"))


def _package(elements: list[Gen]) -> Gen:
    body = bytes((len(elements),)) + b"".join(e[0] for e in elements)
    return (Opcode.PACKAGE.encoding + encode_pkg_length(len(body)) + body,
            f"Package({len(elements):#x}){{{','.join(e[1] for e in elements)}}}")


def _op(info_opcode: Opcode, args: list[Gen | int | None]) -> Gen:
    info = OPCODES[info_opcode]
    raw = bytearray(info.opcode.encoding)
    shown = []
    for kind, arg in zip(info.args, args):
        if kind is ArgKind.BYTE_DATA:
            raw.append(arg)  # type: ignore[arg-type]
            shown.append(f"{arg:#x}")
        elif kind is ArgKind.WORD_DATA:
            raw += arg.to_bytes(2, "little")  # type: ignore[union-attr]
            shown.append(f"{arg:#x}")
        elif kind is ArgKind.DWORD_DATA:
            raw += arg.to_bytes(4, "little")  # type: ignore[union-attr]
            shown.append(f"{arg:#x}")
        elif arg is None:
            raw.append(0)
            shown.append("_")
        else:
            raw += arg[0]  # type: ignore[index]
            shown.append(arg[1])  # type: ignore[index]
    return bytes(raw), f"{info.asl_name}({','.join(shown)})" if info.args else info.asl_name


def _call(name: str, args: list[Gen]) -> Gen:
    enc, text = _name(name)
    return enc + b"".join(a[0] for a in args), f"{text}({','.join(a[1] for a in args)})"


@st.composite
def term_arg(draw: st.DrawFn, depth: int) -> Gen:
    leaves = [integers, strings, locals_args, object_names.map(_name), buffers]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    choice = draw(st.integers(0, 9))
    if choice < 4:
        return draw(st.one_of(*leaves))
    if choice < 7:
        return draw(operator(depth - 1))
    if choice < 9:
        name, argc = draw(st.sampled_from(METHODS))
        return _call(name, [draw(term_arg(depth - 1)) for _ in range(argc)])
    elements = draw(st.lists(st.one_of(integers, strings, object_names.map(_name)), max_size=4))
    if draw(st.booleans()):
        return _package(elements)
    count = draw(term_arg(depth - 1))
    body = count[0] + b"".join(e[0] for e in elements)
    return (Opcode.VAR_PACKAGE.encoding + encode_pkg_length(len(body)) + body,
            f"Package({count[1]}){{{','.join(e[1] for e in elements)}}}")


@st.composite
def super_name(draw: st.DrawFn, depth: int) -> Gen:
    choice = draw(st.integers(0, 4 if depth > 0 else 2))
    if choice == 0:
        return draw(locals_args)
    if choice == 1:
        return draw(object_names.map(_name))
    if choice == 2:
        return Opcode.DEBUG.encoding, "Debug"
    if choice == 3:
        return _op(Opcode.INDEX, [draw(term_arg(depth - 1)), draw(term_arg(depth - 1)), None])
    return _op(Opcode.DEREF_OF, [draw(term_arg(depth - 1))])


@st.composite
def operator(draw: st.DrawFn, depth: int) -> Gen:
    info = draw(st.sampled_from(OPERATORS))
    args: list[Gen | int | None] = []
    for kind in info.args:
        if kind is ArgKind.TERM_ARG:
            args.append(draw(term_arg(depth)))
        elif kind in (ArgKind.SUPER_NAME, ArgKind.SIMPLE_NAME):
            args.append(draw(super_name(depth)) if kind is ArgKind.SUPER_NAME else draw(locals_args))
        elif kind is ArgKind.TARGET:
            args.append(draw(st.one_of(st.none(), super_name(depth))))
        elif kind is ArgKind.BYTE_DATA:
            args.append(draw(st.integers(0, 0xFF)))
        elif kind is ArgKind.WORD_DATA:
            args.append(draw(st.integers(0, 0xFFFF)))
        else:
            args.append(draw(st.integers(0, 0xFFFFFFFF)))
    return _op(info.opcode, args)


@st.composite
def statement(draw: st.DrawFn, depth: int) -> list[Gen]:
    """One statement, or an If followed by its Else (two terms)."""
    choice = draw(st.integers(0, 5 if depth > 0 else 2))
    if choice <= 2:
        return [draw(operator(depth))]
    predicate = draw(term_arg(depth - 1))
    body = [s for _ in range(draw(st.integers(0, 3))) for s in draw(statement(depth - 1))]
    content = predicate[0] + b"".join(s[0] for s in body)
    shown = f"({predicate[1]}){{{';'.join(s[1] for s in body)}}}"
    kind = Opcode.WHILE if choice == 3 else Opcode.IF
    first = (kind.encoding + encode_pkg_length(len(content)) + content,
             ("While" if kind is Opcode.WHILE else "If") + shown)
    if choice != 5:
        return [first]
    else_body = [s for _ in range(draw(st.integers(0, 2))) for s in draw(statement(depth - 1))]
    content = b"".join(s[0] for s in else_body)
    return [first, (Opcode.ELSE.encoding + encode_pkg_length(len(content)) + content,
                    f"Else{{{';'.join(s[1] for s in else_body)}}}")]


def _method(name: str, argc: int, body: bytes) -> bytes:
    content = NameString(False, 0, (name,)).encode() + bytes((argc,)) + body
    return Opcode.METHOD.encoding + encode_pkg_length(len(content)) + content


def _block(aml: bytes) -> bytes:
    header = struct.pack("<4sIBB6s8sI4sI", b"DSDT", 36 + len(aml), 2, 0, b"VCPUHP", b"GENERATE",
                         1, b"TEST", 1)
    return header + aml


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(st.lists(statement(3), min_size=1, max_size=6))
def test_generated_statements_parse_to_their_shapes(statements: list[list[Gen]]) -> None:
    terms = [t for group in statements for t in group]
    body = b"".join(t[0] for t in terms)
    # The caller first, then the methods it calls (forward references).
    aml = _method("CALR", 0, body) + b"".join(_method(n, argc, b"\xa3") for n, argc in METHODS)
    blk = parse_definition_block(_block(aml))
    caller = blk.body[0]
    assert isinstance(caller, T.Method) and caller.path == "\\CALR"
    assert [render(n) for n in caller.body] == [t[1] for t in terms]
    for node in T.walk(blk):
        for attr in ("body", "elements"):
            seq = getattr(node, attr, None)
            if seq:
                assert all(a.end == b.offset for a, b in zip(seq, seq[1:]))
                assert seq[-1].end == node.end
    assert blk.methods == {"\\CALR": 0, **{f"\\{n}": argc for n, argc in METHODS}}


def test_every_generic_operator_is_generated() -> None:
    # Keep the generator honest: it covers every operator the parser parses generically.
    generic = {info.opcode for info in OPERATORS}
    operators = {i.opcode for i in OPCODES.values()
                 if i.op_class in (OpClass.STATEMENT, OpClass.EXPRESSION)}
    # the rest have their own strategies (If/Else/While, [Var]Package, Buffer) or are Load
    assert operators - generic == {Opcode.IF, Opcode.ELSE, Opcode.WHILE, Opcode.BUFFER,
                                   Opcode.PACKAGE, Opcode.VAR_PACKAGE, Opcode.LOAD}
