"""A method's terms are parsed as they run, with the namespace as it is then.

ACPICA parses a method body when the method runs (its parser is its
interpreter loop, ``psloop.c``), and uACPI parses each statement as it reaches
it: whether a name is a method call, and how many arguments it takes, is
decided by what the name is at that moment. So after ``CopyObject`` puts a
method where a String was (or a String over a method, even over the method
that is running), the following statements read differently than they would
have at load time; and a body that cannot be parsed does not stop its table
from loading, only that method, where it stops.
"""

from __future__ import annotations

import pytest

from tests.aml.interp_support import compile_asl, interpreter_for
from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.errors import AmlError


def test_a_method_copied_over_a_string_takes_its_arguments(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Name (TEST, "not a method yet")
        Method (MAKE) {
            Method (ADDX, 1, Serialized) {
                Name (BASE, 0x1000)
                BASE += Arg0
                Return (BASE)
            }
            Return (RefOf (ADDX))
        }
        Method (MAIN) {
            Local0 = DerefOf (MAKE ())
            CopyObject (Local0, TEST)
            Return (TEST (0x234))
        }""")
    # Parsed at load, TEST (0x234) would be "Return (TEST)" then a stray 0x234.
    assert interp.evaluate("\\MAIN") == 0x1234
    assert interp.object_type("\\TEST") == "Method"


def test_methods_replaced_while_running_are_names_for_what_follows(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Method (BAR, 1, Serialized) {
            CopyObject (Arg0, BAR)
        }
        Method (FOO) {
            CopyObject ("Hello", FOO)
            BAR (" World")
            Return (0x123)
        }
        Method (MAIN) {
            Local0 = FOO ()
            Return (Concatenate (Concatenate (FOO, BAR), ToHexString (Local0)))
        }""")
    # When MAIN starts, BAR takes one argument, so "Concatenate (FOO, BAR)" cannot be parsed
    # yet; after FOO () it is two Strings.
    assert interp.evaluate("\\MAIN") == "Hello World0x123"


def test_a_loop_body_is_parsed_again_after_names_changed_shape(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Name (STEP, 1)
        Method (TWO, 1) { Return (Arg0 * 2) }
        Method (MAIN) {
            Local0 = 0
            Local1 = 0
            While (Local1 < 3) {
                Local1++
                Local0 += STEP (Local1)
                If (Local1 == 1) { CopyObject (DerefOf (RefOf (TWO)), STEP) }
            }
            Return (Local0)
        }""")
    # The bytes are Add (Local0, STEP, Local1) Local0 while STEP is an Integer: iteration 1
    # stores 0 + 1 into Local1 and leaves Local0 at 0. After the CopyObject the same bytes are
    # Add (Local0, STEP (Local1), Local0): iterations 2 and 3 add TWO (2) and TWO (3).
    assert interp.evaluate("\\MAIN") == 4 + 6


def test_a_body_that_does_not_parse_loads_and_fails_where_it_stops(iasl, tmp_path):
    source = """DefinitionBlock ("", "DSDT", 2, "VCPUHP", "TEST", 1) {
        Name (DONE, 0)
        Method (BAD) { DONE = 0x77
            Return (0x55AA) }
        Method (GOOD) { Return (1) }
    }"""
    aml = bytearray(compile_asl(iasl, source, tmp_path).read_bytes())
    ret = aml.index(bytes([0xA4, 0x0B, 0xAA, 0x55]))      # Return (WordConst 0x55AA)
    aml[ret] = 0x02                                        # no such opcode
    interp = Interpreter()
    interp.load(bytes(aml))                                # ACPICA loads it too
    assert interp.evaluate("\\GOOD") == 1
    with pytest.raises(AmlError) as info:
        interp.evaluate("\\BAD")
    assert info.value.path == "\\BAD" and info.value.offset == ret
    assert interp.evaluate("\\DONE") == 0x77               # what came before the bad term ran
