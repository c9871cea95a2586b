"""Random and mutated AML into the parser: it returns a tree or raises AmlError, nothing else, and never hangs.

A tree it returns must still have consistent offsets (children inside their
parent, bodies tiled), whatever the input.
"""

from __future__ import annotations

import struct
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REFERENCE_TABLES, require
from vcpu_hotplug.acpi.aml import tree as T
from vcpu_hotplug.acpi.aml.opcodes import OPCODES, NameString, Opcode, encode_pkg_length
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.errors import AmlError

#: A parse of any of these inputs taking longer than this counts as a hang.
TIME_LIMIT = 2.0

_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _header(aml_length: int, revision: int = 2) -> bytes:
    return struct.pack("<4sIBB6s8sI4sI", b"DSDT", 36 + aml_length, revision, 0, b"FUZZ  ",
                       b"FUZZTBL ", 1, b"FUZZ", 1)


def _check_tree(node: T.Node) -> None:
    for child in node.children():
        assert node.offset <= child.offset and child.end <= node.end
        _check_tree(child)
    for attr in ("body", "elements"):
        body = getattr(node, attr, None)
        if body:
            assert all(a.end == b.offset for a, b in zip(body, body[1:]))
            assert body[-1].end == node.end


def _parse_or_aml_error(data: bytes) -> None:
    start = time.perf_counter()
    try:
        blk = parse_definition_block(data)
    except AmlError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(data)
    else:
        _check_tree(blk)
    assert time.perf_counter() - start < TIME_LIMIT


# Bytes that matter to the grammar: every opcode's first byte, name characters and
# prefixes, small integers (PkgLength, counts, flags).
_OPCODE_BYTES = sorted({op.encoding[0] for op in OPCODES} | {op.encoding[1] for op in OPCODES
                                                             if len(op.encoding) == 2})
_INTERESTING = st.sampled_from(_OPCODE_BYTES + list(b"_ABCZ0\\^./") + [0x00, 0x01, 0x3F, 0x40, 0x80,
                                                                        0xC0, 0xFF])
_GRAMMAR_BYTES = st.lists(st.one_of(_INTERESTING, st.integers(0, 255)), max_size=400).map(bytes)


@_FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(aml: bytes) -> None:
    _parse_or_aml_error(_header(len(aml)) + aml)


@_FUZZ
@given(_GRAMMAR_BYTES)
def test_grammar_flavoured_bytes(aml: bytes) -> None:
    _parse_or_aml_error(_header(len(aml)) + aml)


@_FUZZ
@given(_GRAMMAR_BYTES, st.integers(0, 3))
def test_bytes_inside_a_method_and_a_package(body: bytes, wrap: int) -> None:
    """Get past the top level: put the bytes in a method body, a Package, a Field list."""
    name = NameString.parse("FUZ").encode()
    if wrap == 0:
        aml = Opcode.METHOD.encoding + encode_pkg_length(len(body) + 5) + name + b"\x02" + body
    elif wrap == 1:
        aml = Opcode.PACKAGE.encoding + encode_pkg_length(len(body) + 1) + b"\x04" + body
    elif wrap == 2:
        aml = Opcode.FIELD.encoding + encode_pkg_length(len(body) + 5) + name + b"\x01" + body
    else:
        aml = Opcode.NAME.encoding + name + body
    _parse_or_aml_error(_header(len(aml)) + aml)


def _reference_dsdts() -> list[bytes]:
    return [p.read_bytes() for p in sorted(REFERENCE_TABLES.glob("**/DSDT*"))] \
        if REFERENCE_TABLES.is_dir() else []


_DSDTS = _reference_dsdts()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_reference_dsdts(data: st.DataObject) -> None:
    require(bool(_DSDTS), str(REFERENCE_TABLES))
    original = data.draw(st.sampled_from(_DSDTS))
    aml = bytearray(original[36:])
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(aml) - 1))
        action = data.draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        if action == "set":
            aml[pos] = data.draw(st.one_of(_INTERESTING, st.integers(0, 255)))
        elif action == "insert":
            aml[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del aml[pos:pos + data.draw(st.integers(1, 8))]
        else:
            del aml[pos:]
        if not aml:
            break
    _parse_or_aml_error(_header(len(aml)) + bytes(aml))


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for opcode in (Opcode.ADD, Opcode.DEREF_OF, Opcode.LNOT):
        aml = opcode.encoding * 5000 + b"\x01" * 10001
        try:
            parse_definition_block(_header(len(aml)) + aml)
        except AmlError as exc:
            assert "deep" in exc.reason
        else:
            raise AssertionError("5000 nested operators were accepted")
