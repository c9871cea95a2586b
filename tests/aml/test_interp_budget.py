"""The budget of one evaluation: nested loops, fan-out recursion and big allocations stop as AmlError.

Each ``While`` is bounded (2**20 iterations) and so is call depth, but their
products are not: two nested loops allow 2**40 iterations. ACPICA aborts a
runaway loop with ``AE_AML_LOOP_TIMEOUT``; our interpreter counts the opcodes
of each evaluation (a method, a table load with its module-level code, an
``_INI``) against ``max_opcodes`` (default :data:`DEFAULT_MAX_OPCODES`) and
stops with an :class:`AmlError` naming the method and the offset.
"""

from __future__ import annotations

import time

import pytest

from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.interpreter import DEFAULT_MAX_OPCODES
from vcpu_hotplug.acpi.errors import AmlError

#: ``While (One) { Local0 = 0xFFFFF; While (Local0) { Local0 -= One } }``: 17 bytes, 2**40 steps.
NESTED_LOOP_BODY = bytes.fromhex("a21001" "700cffff0f0060" "a2066074600160")


def nested_loop_method(name: str = "LOOP") -> b.Term:
    return b.Method(name, 0, b.Raw(NESTED_LOOP_BODY))


def _table(*terms) -> bytes:
    block = b.DefinitionBlock("DSDT", revision=2, oem_id="VCPUHP", oem_table_id="BUDGET")
    block.add(*terms)
    return block.encode()


def _loaded(*terms, **kw) -> Interpreter:
    interp = Interpreter(**kw)
    interp.load(_table(*terms))
    return interp


def test_the_body_is_17_bytes_and_the_default_budget_is_far_above_real_tables():
    assert len(NESTED_LOOP_BODY) == 17
    assert DEFAULT_MAX_OPCODES == 1 << 24
    assert Interpreter().max_opcodes == DEFAULT_MAX_OPCODES


def test_nested_loops_stop_at_the_default_budget_naming_method_and_offset():
    interp = _loaded(nested_loop_method(), b.Method("FINE", 0, b.Return(7)))
    start = time.monotonic()
    with pytest.raises(AmlError) as info:
        interp.evaluate("\\LOOP")
    assert time.monotonic() - start < 10
    err = info.value
    assert err.path == "\\LOOP" and err.offset is not None and err.table == "DSDT"
    assert "AE_AML_LOOP_TIMEOUT" in str(err) and str(DEFAULT_MAX_OPCODES) in str(err)
    assert DEFAULT_MAX_OPCODES <= interp.opcodes_executed < DEFAULT_MAX_OPCODES + 100
    # The budget is per evaluation: the next one starts afresh.
    assert interp.evaluate("\\FINE") == 7


def test_the_budget_is_configurable_and_none_is_unbounded():
    small = _loaded(nested_loop_method(), max_opcodes=10_000)
    with pytest.raises(AmlError, match="after 10000 opcodes"):
        small.evaluate("\\LOOP")
    assert small.opcodes_executed < 10_100
    loop = b.Method("CNT", 0, b.Store(0, b.Local(0)),
                    b.While(b.LLess(b.Local(0), 5000), b.Increment(b.Local(0))), b.Return(b.Local(0)))
    assert _loaded(loop, max_opcodes=None).evaluate("\\CNT") == 5000
    with pytest.raises(AmlError, match="AE_AML_LOOP_TIMEOUT"):
        _loaded(loop, max_opcodes=1000).evaluate("\\CNT")


def test_fan_out_recursion_stops_at_a_call():
    # Each call makes two more, 40 deep: 2**40 calls, within the depth bound.
    fan = b.Method("FAN", 1, b.If(b.LLess(b.Arg(0), 40),
                                  b.Call("FAN", b.Add(b.Arg(0), 1)), b.Call("FAN", b.Add(b.Arg(0), 1))))
    interp = _loaded(fan, max_opcodes=100_000)
    with pytest.raises(AmlError, match="AE_AML_LOOP_TIMEOUT") as info:
        interp.evaluate("\\FAN", 0)
    assert info.value.path == "\\FAN" and info.value.offset is not None


def test_big_allocations_count_against_the_budget():
    # 1000 Buffers of 1 MiB: few opcodes, but seconds of work; they are charged by size.
    alloc = b.Method("ALOC", 0, b.Store(0, b.Local(0)),
                     b.While(b.LLess(b.Local(0), 1000),
                             b.Store(b.Buffer(size=0x100000), b.Local(1)), b.Increment(b.Local(0))))
    interp = _loaded(alloc, max_opcodes=200_000)
    start = time.monotonic()
    with pytest.raises(AmlError, match="AE_AML_LOOP_TIMEOUT"):
        interp.evaluate("\\ALOC")
    assert time.monotonic() - start < 2


def test_module_level_code_is_bounded_and_the_load_goes_on():
    data = _table(nested_loop_method(), b.Call("LOOP"), b.Name("LATE", 1))
    interp = Interpreter(max_opcodes=50_000)
    interp.load(data)
    assert interp.evaluate("\\LATE") == 1
    [err] = interp.load_errors
    assert err.path == "\\LOOP" and "AE_AML_LOOP_TIMEOUT" in str(err)


def test_ini_is_bounded_each_on_its_own_budget():
    interp = _loaded(b.Scope("\\_SB", b.Device("DEV0", nested_loop_method("_INI")),
                             b.Device("DEV1", b.Name("DONE", 0),
                                      b.Method("_INI", 0, b.Store(1, "DONE")))),
                     max_opcodes=50_000)
    interp.initialize()
    [err] = interp.load_errors
    assert err.path == "\\_SB.DEV0._INI" and "AE_AML_LOOP_TIMEOUT" in str(err)
    assert interp.evaluate("\\_SB.DEV1.DONE") == 1
