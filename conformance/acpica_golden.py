#!/usr/bin/env python3
"""Record ACPICA's answers for our AML comparison programs as golden data.

Usage (from the project root)::

    python conformance/acpica_golden.py \\
        --iasl /path/to/acpica-20240827/generate/unix/bin/iasl \\
        --acpiexec /path/to/acpica-20240827/generate/unix/bin/acpiexec \\
        --old-acpiexec /usr/bin/acpiexec [--out tests/data/acpica-20240827]

Each program is a small method (plus the named objects it uses). The
programs of one group are compiled into one definition block by ``iasl -oa``
(no constant folding: ``ToHexString (5)`` must run in the interpreter, not in
the compiler) and every method is evaluated in one ``acpiexec`` run, in order
(SystemMemory regions are acpiexec's zeroed memory, as our SparseStore). The
answers of ``--acpiexec`` (ACPICA 20240827: the core Linux 6.12 runs) are the
expected results; those of ``--old-acpiexec`` (Debian 12's 20200925) are kept
beside them, and a program on which the two differ must have its reason in
:data:`DIFFERENCES` (the generator stops otherwise).

Writes ``<group>.asl``, ``<group>.aml`` and ``golden.json`` into ``--out``;
``tests/aml/test_acpica_golden.py`` runs our interpreter against them (no
ACPICA needed) and ``tests/aml/test_acpiexec_compare.py`` the installed
acpiexec, live. See that directory's README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.aml.interp_support import acpica_version, run_acpiexec_typed  # noqa: E402

# (id, top-level declarations, method body)
CASES = [
    # integer arithmetic and logic (19.6.3, 19.6.39, 19.6.85 ...)
    ("add", "", "Return (0x10 + 0x22)"),
    ("add_wrap", "", "Return (0xFFFFFFFFFFFFFFFF + 2)"),
    ("sub_wrap", "", "Local0 = 1; Return (Local0 - 2)"),
    ("mul", "", "Local0 = 0x100000000; Return (Local0 * 0x10)"),
    ("div_quotient", "", "Divide (100, 7, Local1, Local0); Return (Local0)"),
    ("div_remainder", "", "Divide (100, 7, Local1, Local0); Return (Local1)"),
    ("div_zero", "", "Local0 = 0; Return (Divide (1, Local0))"),
    ("mod", "", "Local0 = 7; Return (100 % Local0)"),
    ("shl", "", "Local0 = 1; Return (Local0 << 63)"),
    ("shl_out", "", "Local0 = 1; Local1 = 64; Return (Local0 << Local1)"),
    ("shr", "", "Local0 = 0x8000000000000000; Return (Local0 >> 4)"),
    ("and_or_xor", "", "Local0 = 0xF0; Return (((Local0 & 0x3C) | 0x101) ^ 0xFF)"),
    ("nand", "", "Local0 = 0xF0; Return (NAnd (Local0, 0x3C))"),
    ("nor", "", "Local0 = 0xF0; Return (NOr (Local0, 0x0F))"),
    ("not", "", "Local0 = 0x0F; Return (~Local0)"),
    ("find_left", "", "Local0 = 0x1000; Return (FindSetLeftBit (Local0))"),
    ("find_right", "", "Local0 = 0x1000; Return (FindSetRightBit (Local0))"),
    ("find_none", "", "Local0 = 0; Return (FindSetLeftBit (Local0) + FindSetRightBit (Local0))"),
    ("from_bcd", "", "Local0 = 0x1234; Return (FromBCD (Local0))"),
    ("to_bcd", "", "Local0 = 1234; Return (ToBCD (Local0))"),
    ("inc_dec", "", "Local0 = 5; Local0++; Local0++; Local0--; Return (Local0)"),
    ("dec_wrap", "", "Local0 = 0; Local0--; Return (Local0)"),
    ("land_true", "", "Local0 = 3; Return (LAnd (Local0, 2))"),
    ("land_false", "", "Local0 = 0; Return (LAnd (Local0, 2))"),
    ("lor", "", "Local0 = 0; Return (LOr (Local0, 2))"),
    ("lnot", "", "Local0 = 0; Return (!Local0)"),
    ("lequal", "", "Local0 = 5; Return (Local0 == 5)"),
    ("lless_eq", "", "Local0 = 5; Return (Local0 <= 4)"),
    ("lgreater_eq", "", "Local0 = 5; Return (Local0 >= 5)"),
    ("lnot_equal", "", "Local0 = 5; Return (Local0 != 5)"),
    # comparisons of strings and buffers
    ("str_equal", "", 'Local0 = "abc"; Return (Local0 == "abc")'),
    ("str_less", "", 'Local0 = "abc"; Return (Local0 < "abd")'),
    ("str_prefix_less", "", 'Local0 = "ab"; Return (Local0 < "abc")'),
    ("buf_greater", "", "Local0 = Buffer () {1, 3}; Return (Local0 > Buffer () {1, 2, 9})"),
    ("str_vs_int", "", 'Local0 = "1A"; Return (Local0 == 0x1A)'),
    # implicit conversions (19.3.5)
    ("str_operand_hex", "", 'Local0 = "10"; Return (Local0 + 1)'),
    ("str_operand_junk", "", 'Local0 = "12XY"; Return (Local0 + 0)'),
    ("buf_operand", "", "Local0 = Buffer () {0x01, 0x02, 0x03}; Return (Local0 + 0)"),
    ("buf_operand_long", "", "Local0 = Buffer () {1,2,3,4,5,6,7,8,9,10}; Return (Local0 + 0)"),
    ("store_int_to_str", "Name (S001, \"xyz\")", "S001 = 0x1234; Return (S001)"),
    ("store_str_to_int", "Name (I001, 0)", 'I001 = "1234"; Return (I001)'),
    ("store_buf_to_int", "Name (I002, 0)", "I002 = Buffer () {0x78, 0x56, 0x34, 0x12}; Return (I002)"),
    ("store_int_to_buf", "Name (B001, Buffer (2) {})", "B001 = 0x12345678; Return (B001)"),
    ("store_buf_to_longer_buf", "Name (B002, Buffer (4) {9, 9, 9, 9})",
     "B002 = Buffer () {1, 2}; Return (B002)"),
    ("store_str_to_buf", "Name (B003, Buffer (6) {})", 'B003 = "abc"; Return (B003)'),
    ("store_buf_to_str", "Name (S002, \"\")", "S002 = Buffer () {0x41, 0x42}; Return (S002)"),
    ("copy_object_changes_type", "Name (I003, 5)", 'CopyObject ("str", I003); Return (I003)'),
    ("to_integer_dec", "", 'Return (ToInteger ("123"))'),
    ("to_integer_hex", "", 'Return (ToInteger ("0x1F"))'),
    ("to_integer_buf", "", "Return (ToInteger (Buffer () {1, 2}))"),
    ("to_string", "", "Return (ToString (Buffer () {0x41, 0x42, 0, 0x43}, Ones))"),
    ("to_string_len", "", "Return (ToString (Buffer () {0x41, 0x42, 0x43}, 2))"),
    ("to_hex_string_buf", "", "Return (ToHexString (Buffer () {1, 0xAB}))"),
    ("to_decimal_string", "", "Local0 = 1234; Return (ToDecimalString (Local0))"),
    ("to_decimal_string_buf", "", "Return (ToDecimalString (Buffer () {1, 200}))"),
    ("to_buffer_int", "", "Local0 = 0x0102; Return (ToBuffer (Local0))"),
    ("to_buffer_str", "", 'Return (ToBuffer ("ab"))'),
    ("concat_int", "", "Local0 = 1; Return (Concatenate (Local0, 2))"),
    ("concat_str_int", "", 'Local0 = 0x1F; Return (Concatenate ("n=", Local0))'),
    ("concat_buf", "", "Return (Concatenate (Buffer () {1}, Buffer () {2, 3}))"),
    ("concat_str_buf", "", 'Return (Concatenate ("b", Buffer () {1, 2}))'),
    ("mid_str", "", 'Return (Mid ("hello world", 6, 3))'),
    ("mid_past_end", "", 'Return (Mid ("hello", 3, 10))'),
    ("mid_buf", "", "Return (Mid (Buffer () {1, 2, 3, 4}, 1, 2))"),
    ("concat_res", "",
     "Local0 = ResourceTemplate () {IO (Decode16, 0x10, 0x10, 1, 2)}\n"
     "Local1 = ResourceTemplate () {IRQNoFlags () {5}}\n"
     "Return (ConcatenateResTemplate (Local0, Local1))"),
    # packages, Index, DerefOf, SizeOf, ObjectType, Match
    ("pkg_index", "Name (P001, Package () {1, \"two\", Buffer () {3}})", "Return (DerefOf (P001 [1]))"),
    ("pkg_store_element", "Name (P002, Package () {1, 2, 3})", "P002 [1] = 0x20; Return (P002)"),
    ("pkg_nested", "", "Local0 = Package () {Package () {1, 2}, 3}; "
     "Return (DerefOf (DerefOf (Local0 [0]) [1]))"),
    ("pkg_out_of_range", "Name (P003, Package () {1})", "Return (DerefOf (P003 [5]))"),
    ("buf_index_read", "Name (B004, Buffer () {5, 6, 7})", "Return (DerefOf (B004 [2]))"),
    ("buf_index_write", "Name (B005, Buffer () {5, 6, 7})", "B005 [1] = 0x1FF; Return (B005)"),
    ("str_index_read", "", 'Local0 = "ABC"; Return (DerefOf (Local0 [1]))'),
    ("sizeof", "Name (P004, Package (5) {1})",
     'Local0 = "abcd"; Local2 = Buffer (7) {}\n'
     "Return (SizeOf (Local0) + SizeOf (P004) * 0x100 + SizeOf (Local2) * 0x10000)"),
    ("var_package", "", "Local0 = 3; Local1 = Package (Local0) {1}; Return (SizeOf (Local1))"),
    ("object_types", "Name (I004, 1)\nName (S003, \"s\")\nDevice (D001) {}\nMutex (M001, 0)\nEvent (E001)",
     "Local0 = ObjectType (I004) | (ObjectType (S003) << 4) | (ObjectType (D001) << 8)\n"
     "Local0 |= (ObjectType (M001) << 12) | (ObjectType (E001) << 16) | (ObjectType (Local7) << 20)\n"
     "Return (Local0)"),
    ("cond_ref_of", "Name (I005, 7)",
     "Local0 = 0\nIf (CondRefOf (I005, Local1)) { Local0 = DerefOf (Local1) }\n"
     "If (CondRefOf (\\NOPE)) { Local0 += 0x100 }\nReturn (Local0)"),
    ("ref_of_deref", "Name (I006, 0x55)", "Local0 = RefOf (I006); Return (DerefOf (Local0))"),
    ("arg_ref_store", "Name (I007, 1)\nMethod (W007, 1) { Arg0 = 0x66 }",
     "W007 (RefOf (I007)); Return (I007)"),
    ("match", "Name (P005, Package () {1, 5, 9, 12})",
     "Return (Match (P005, MGT, 4, MLT, 10, 0) | (Match (P005, MEQ, 7, MTR, 0, 0) & 0xF0))"),
    ("match_from", "Name (P006, Package () {7, 5, 7})", "Return (Match (P006, MEQ, 7, MTR, 0, 1))"),
    # buffer fields (19.6.15 ff.)
    ("create_fields", "Name (B006, Buffer (16) {})",
     "CreateByteField (B006, 1, BF01)\nCreateWordField (B006, 2, BF02)\nCreateDWordField (B006, 4, BF03)\n"
     "CreateQWordField (B006, 8, BF04)\nCreateBitField (B006, 3, BF05)\n"
     "BF01 = 0x1FF; BF02 = 0xABCD; BF03 = 0x12345678; BF04 = 0x1122334455667788; BF05 = 1\n"
     "Return (B006)"),
    ("create_field_odd", "Name (B007, Buffer (4) {0xFF, 0xFF, 0xFF, 0xFF})",
     "CreateField (B007, 5, 11, BF06)\nBF06 = 0\nReturn (B007)"),
    ("create_field_read", "Name (B008, Buffer () {0x34, 0x12, 0x78, 0x56})",
     "CreateField (B008, 4, 12, BF07)\nReturn (BF07)"),
    ("create_word_read", "Name (B009, Buffer () {0x34, 0x12, 0x78, 0x56})",
     "CreateWordField (B009, 1, BF08)\nReturn (BF08)"),
    # control flow (19.6.60, 19.6.150, 19.6.134)
    ("while_break", "", "Local0 = 0\nWhile (One) { Local0++\nIf (Local0 == 10) { Break } }\nReturn (Local0)"),
    ("while_continue", "",
     "Local0 = 0; Local1 = 0\nWhile (Local0 < 10) { Local0++\nIf (Local0 & 1) { Continue }\nLocal1 += Local0 }\n"
     "Return (Local1)"),
    ("nested_while", "",
     "Local0 = 0; Local2 = 0\nWhile (Local0 < 5) { Local1 = 0\nWhile (Local1 < 5) { Local2 += Local0 * Local1\n"
     "Local1++ }\nLocal0++ }\nReturn (Local2)"),
    ("if_else_chain", "",
     "Local0 = 3\nIf (Local0 == 1) { Return (1) } ElseIf (Local0 == 2) { Return (2) } Else { Return (3) }"),
    ("switch", "Method (W008, 1, Serialized) { Switch (ToInteger (Arg0)) { Case (1) { Return (0x10) }\n"
     "Case (Package () {2, 3}) { Return (0x20) }\nDefault { Return (0x30) } } }",
     "Return (W008 (1) | (W008 (3) << 8) | (W008 (9) << 16))"),
    ("switch_string", "Method (W009, 1, Serialized) { Switch (Arg0) { Case (\"a\") { Return (1) }\n"
     "Case (\"b\") { Return (2) } } Return (0) }",
     'Return (W009 ("b") + (W009 ("z") << 4))'),
    ("recursion", "Method (FIB, 1) { If (Arg0 < 2) { Return (Arg0) }\n"
     "Return (FIB (Arg0 - 1) + FIB (Arg0 - 2)) }", "Return (FIB (15))"),
    ("args", "Method (W010, 7) { Return (Arg0 + Arg1 * 2 + Arg2 * 4 + Arg3 * 8 + Arg4 * 16 + Arg5 * 32 + Arg6 * 64) }",
     "Return (W010 (1, 1, 1, 1, 1, 1, 1))"),
    ("arg_not_modified", "Method (W011, 1) { Arg0 = 5\nReturn (Arg0) }",
     "Local0 = 1; Local1 = W011 (Local0); Return (Local0 + (Local1 << 4))"),
    ("uninitialized_local", "", "Return (Local3)"),
    ("no_return_used", "Method (W012) { }", "Local0 = W012 ()\nReturn (1)"),
    ("method_local_names", "Method (W013) { Name (XX01, 5)\nXX01++\nReturn (XX01) }",
     "Return (W013 () + W013 ())"),
    ("scope_search", "Scope (\\_SB) { Name (I008, 0x11)\nDevice (DEV1) { Method (GETV) { Return (I008) } } }",
     "Return (\\_SB.DEV1.GETV ())"),
    ("alias", "Name (I009, 0x77)\nAlias (I009, AL01)", "AL01 = 0x78; Return (I009)"),
    ("mutex", "Mutex (M002, 0)",
     "Local0 = Acquire (M002, 0xFFFF)\nLocal1 = Acquire (M002, 0)\nRelease (M002)\nRelease (M002)\n"
     "Return (Local0 | Local1)"),
    ("event", "Event (E002)",
     "Signal (E002)\nLocal0 = Wait (E002, 10)\nLocal1 = Wait (E002, 10)\nReturn ((Local0 == 0) + (Local1 != 0) * 2)"),
    ("store_returns_value", "", "Local1 = (Local0 = 0x42) + 1\nReturn (Local1)"),
    ("string_store_copy", "", 'Local0 = "abc"; Local1 = Local0; Local1 [0] = 0x58; Return (Concatenate (Local0, Local1))'),
    ("buffer_store_copy", "Name (B010, Buffer () {1, 2})",
     "Local0 = B010; Local0 [0] = 9; Return (B010)"),
    ("debug_store", "", 'Debug = "hello"\nDebug = 5\nReturn (2)'),
    ("revision_timer", "", "Local0 = Timer; Local1 = Timer; Return (Local1 >= Local0)"),
    ("fatal", "", "Fatal (1, 2, 3)\nReturn (1)"),
    # more conversions, packages and control flow
    ("lequal_buffers", "", "Local0 = Buffer () {1, 2}; Return (Local0 == Buffer () {1, 2})"),
    ("shr_big", "", "Local0 = 0xFF; Local1 = 200; Return (Local0 >> Local1)"),
    ("to_buffer_buf", "", "Return (ToBuffer (Buffer () {7, 8}))"),
    ("concat_str_str", "", 'Local0 = "ab"; Return (Concatenate (Local0, "cd"))'),
    ("concat_int_str", "", 'Local0 = 0x41; Return (Concatenate (Local0, "1"))'),
    ("concat_buf_int", "", "Local0 = 0x0102; Return (Concatenate (Buffer () {9}, Local0))"),
    ("mid_zero", "", 'Return (Mid ("abc", 1, 0))'),
    ("str_index_write", "", 'Local0 = "abc"; Local0 [1] = 0x5A; Return (Local0)'),
    ("store_pkg_to_named_pkg", "Name (P007, Package () {1})",
     "P007 = Package () {5, 6}; Return (P007)"),
    ("store_int_to_named_pkg", "Name (P008, Package () {1})", "P008 = 5; Return (P008)"),
    ("copy_pkg_to_local", "Name (P009, Package () {1, 2})",
     "CopyObject (P009, Local0); Local0 [0] = 9; Return (Concatenate (DerefOf (P009 [0]), DerefOf (Local0 [0])))"),
    ("return_in_while", "", "Local0 = 0\nWhile (One) { Local0++\nIf (Local0 > 4) { Return (Local0) } }"),
    ("while_false", "", "Local0 = 7\nWhile (Zero) { Local0 = 1 }\nReturn (Local0)"),
    ("nested_if", "", "Local0 = 2\nIf (Local0 > 1) { If (Local0 < 3) { Return (0x23) } Else { Return (0x33) } }\n"
     "Return (0)"),
    # a method declared in a method body may call a sibling declared after it (ACPICA runs the
    # body's declarations before the nested method can be called)
    ("nested_forward_call", "", "Method (NA01, 1) { Return (NB01 (Arg0, 2)) }\n"
     "Method (NB01, 2) { Return (Arg0 + Arg1) }\nReturn (NA01 (40))"),
    ("method_as_value", "Method (W014) { Return (0x99) }", "Local0 = W014\nReturn (Local0)"),
    ("int_width_rev2", "", "Local0 = 0xFFFFFFFF; Local0++; Return (Local0)"),
    ("match_strings", "Name (P010, Package () {\"a\", \"b\", \"c\"})",
     'Return (Match (P010, MEQ, "c", MTR, 0, 0))'),
    ("sizeof_field_buf", "Name (B011, Buffer (5) {})", "CreateField (B011, 0, 20, BF09)\nReturn (SizeOf (B011))"),
    ("decrement_named", "Name (I010, 3)", "I010--; I010--; Return (I010)"),
    ("increment_field", "Name (B012, Buffer (2) {0xFE, 0})", "CreateWordField (B012, 0, BF0A)\nBF0A++\nBF0A++\n"
     "Return (B012)"),
    ("index_store_int_into_buffer_pkg", "Name (P011, Package () {Buffer () {1, 2}})",
     "Local0 = DerefOf (P011 [0])\nLocal0 [1] = 5\nReturn (DerefOf (P011 [0]))"),
    ("lor_strings", "", 'Local0 = "0"; Return (LOr (Local0, 0))'),
    ("not_in_rev2", "", "Local0 = 0; Return (Not (Local0))"),
    ("event_reset", "Event (E003)", "Signal (E003)\nReset (E003)\nReturn (Wait (E003, 1) != 0)"),
    ("global_lock", "", "Local0 = Acquire (\\_GL, 0xFFFF)\nRelease (\\_GL)\nReturn (Local0)"),
    ("os_name", "", "Return (\\_OS)"),
    ("osi_windows", "", 'Return (\\_OSI ("Windows 2009"))'),
]

# Operation regions: acpiexec backs SystemMemory/SystemIO regions with zeroed memory, as
# our SparseStore does, so field semantics can be compared directly.
REGION_DECLS = """
    OperationRegion (RAM0, SystemMemory, 0x100000, 0x40)
    Field (RAM0, ByteAcc, NoLock, Preserve) { FB00, 8, FB01, 4, FB02, 4, , 3, FB03, 9, Offset (8), FB04, 64 }
    Field (RAM0, DWordAcc, NoLock, WriteAsOnes) { Offset (0x10), FD00, 5, FD01, 20, Offset (0x18), FD02, 32 }
    Field (RAM0, WordAcc, NoLock, WriteAsZeros) { Offset (0x1C), FW00, 3, FW01, 10 }
    Field (RAM0, AnyAcc, NoLock, Preserve) { Offset (0x20), FA00, 128 }
    Field (RAM0, QWordAcc, NoLock, Preserve) { Offset (0x28), FQ00, 4, , 56, FQ01, 8 }
    Field (RAM0, ByteAcc, NoLock, Preserve) { Offset (0x30), IDX0, 8, DAT0, 8, BNK0, 8 }
    IndexField (IDX0, DAT0, ByteAcc, NoLock, Preserve) { IF00, 8, IF01, 8, Offset (4), IF02, 16 }
    BankField (RAM0, BNK0, 1, ByteAcc, NoLock, Preserve) { Offset (0x38), BF10, 8 }
    BankField (RAM0, BNK0, 2, ByteAcc, NoLock, Preserve) { Offset (0x38), BF20, 8 }
    Field (RAM0, ByteAcc, NoLock, Preserve) { Offset (0x38), RAW0, 8 }
    Field (RAM0, ByteAcc, NoLock, Preserve) { Offset (0x10), RD00, 32, RD01, 32, Offset (0x1C), RW00, 16,
        Offset (0x28), RQ00, 64, Offset (0x31), RIDX, 8 }
"""

REGION_CASES = [
    ("field_byte", "", "FB00 = 0x1234; FB01 = 0xF; FB02 = 3; FB03 = 0x1FF\n"
     "Return (Concatenate (Concatenate (FB00, FB01), Concatenate (FB02, FB03)))"),
    ("field_qword", "", "FB04 = 0x0102030405060708; Return (FB04)"),
    ("field_write_as_ones", "", "FD00 = 0; FD01 = 0x12345; FD02 = 0xAABBCCDD; Return (Concatenate (RD00, RD01))"),
    ("field_write_as_zeros", "", "RW00 = 0xFFFF; FW01 = 0x155; Return (RW00)"),
    ("field_any_big", "", "FA00 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}\n"
     "Return (FA00)"),
    ("field_qword_split", "", "RQ00 = 0xFFFFFFFFFFFFFFFF; FQ00 = 0; FQ01 = 0x5A; Return (RQ00)"),
    ("index_field", "", "IF00 = 0x11; IF01 = 0x22; IF02 = 0x3344\n"
     "Return (Concatenate (RIDX, Concatenate (IF00, IF02)))"),
    ("bank_field", "", "BF10 = 0x11; Local0 = RAW0; BF20 = 0x22; Local1 = RAW0\n"
     "Return (Local0 + (Local1 << 8) + (BNK0 << 16))"),
    ("field_string_write", "", 'FD02 = "AB"; Return (FD02)'),
]

REV1_CASES = [
    ("rev1_add_wrap", "", "Return (0xFFFFFFFF + 2)"),
    ("rev1_ones", "", "Return (Ones)"),
    ("rev1_not", "", "Local0 = 0; Return (~Local0)"),
    ("rev1_to_hex", "", "Local0 = 0x12; Return (Concatenate (\"\", Local0))"),
    ("rev1_buf_to_int", "", "Return (Buffer () {1, 2, 3, 4, 5, 6} + 0)"),
]



# -- conversions (ACPI 6.5 section 19.3.5, 19.6.x To*/Concatenate; ACPICA exconvrt.c, exconcat.c) ----
# Every operand goes through a Local so that no compiler folds it.

#: (label, ASL that sets Local0 to the operand)
INTEGERS = [("i0", "Local0 = 0"), ("if", "Local0 = 0xF"), ("ibig", "Local0 = 0x123456789ABCDEF0"),
            ("iones", "Local0 = Ones")]
STRINGS = [("s_empty", 'Local0 = ""'), ("s_abc", 'Local0 = "abc"'), ("s_hex", 'Local0 = "0x1F"'),
           ("s_dec", 'Local0 = "123"')]
BUFFERS = [("b_empty", "Local0 = Buffer (0) {}"), ("b_zero", "Local0 = Buffer () {0}"),
           ("b_3", "Local0 = Buffer () {1, 0xAB, 0xFF}"),
           ("b_9", "Local0 = Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9}")]
DATA = INTEGERS + STRINGS + BUFFERS
OTHERS = [("pkg", "Local0 = Package () {1, 2}"), ("dev", "Local0 = RefOf (\\_SB)")]

#: ToInteger's string edge cases (ACPICA AcpiUtStrtoul64 / exconvrt.c)
TO_INTEGER_STRINGS = ["", "0", "123", "0x1F", "0X1f", "0x", "0X", "12XY", "  123", "\\t7", "0123",
                      "+5", "-5", "99999999999999999999", "0xDEADBEEFCAFEBABE1", "0xDeAdBeeF",
                      "18446744073709551615", "18446744073709551616", "0x0000000000000000001",
                      "1 2", "x1"]

CONVERSION_CASES = []
for op in ("ToHexString", "ToDecimalString", "ToBuffer", "ToInteger"):
    for label, setup in DATA + OTHERS:
        CONVERSION_CASES.append((f"{op}_{label}", "", f"{setup}\nReturn ({op} (Local0))"))
for i, text in enumerate(TO_INTEGER_STRINGS):
    CONVERSION_CASES.append((f"ToInteger_str{i:02}_{text!r}", "", f'Local0 = "{text}"\nReturn (ToInteger (Local0))'))
for op in ("ToHexString", "ToDecimalString", "ToBuffer", "ToInteger"):
    CONVERSION_CASES.append((f"{op}_target", "Name (N000, 0)",
                             f"Local0 = Buffer () {{0x12, 0x34}}\n{op} (Local0, Local1)\n"
                             f"Local2 = Package () {{0, 0}}\nLocal2 [0] = Local1\n"
                             f"Return (Local2)"))
for label, setup in [("b_3", "Local0 = Buffer () {0x41, 0x42, 0x43}"),
                     ("b_nul", "Local0 = Buffer () {0x41, 0, 0x43}"), ("b_empty", "Local0 = Buffer (0) {}")]:
    for length in ("Ones", "0", "1", "2", "5"):
        CONVERSION_CASES.append((f"ToString_{label}_{length}", "", f"{setup}\nLocal1 = {length}\n"
                                 f"Return (ToString (Local0, Local1))"))
CONVERSION_CASES.append(("ToString_int", "", "Local0 = 0x4142\nReturn (ToString (Local0, Ones))"))
CONVERSION_CASES.append(("ToString_str", "", 'Local0 = "AB"\nReturn (ToString (Local0, Ones))'))

CONCAT_OPERANDS = [("int", "0x1F"), ("str", '"ab"'), ("buf", "Buffer () {1, 2}"), ("estr", '""'),
                   ("ebuf", "Buffer (0) {}"), ("pkg", "Package () {1}"), ("dev", "RefOf (\\_SB)")]
for la, a in CONCAT_OPERANDS:
    for lb, b in CONCAT_OPERANDS:
        CONVERSION_CASES.append((f"Concatenate_{la}_{lb}", "",
                                 f"Local0 = {a}\nLocal1 = {b}\nReturn (Concatenate (Local0, Local1))"))
# implicit conversions by Store into a named object of each data type (19.3.5 table 19.8)
TARGETS = [("int", "0x5A"), ("str", '"zz"'), ("buf", "Buffer (3) {9, 9, 9}")]
for lt, init in TARGETS:
    for label, setup in DATA:
        CONVERSION_CASES.append((f"Store_{label}_to_{lt}", f"Name (N{len(CONVERSION_CASES):03X}, {init})",
                                 f"{setup}\nN{len(CONVERSION_CASES):03X} = Local0\n"
                                 f"Return (N{len(CONVERSION_CASES):03X})"))
# implicit conversion of the second operand to the first's type in comparisons (19.6.x LEqual ...)
for la, a in (("int", "0x1F"), ("str", '"0x1F"'), ("buf", "Buffer () {0x1F}")):
    for lb, b in (("int", "0x1F"), ("str", '"1F"'), ("buf", "Buffer () {0x1F}")):
        CONVERSION_CASES.append((f"LEqual_{la}_{lb}", "", f"Local0 = {a}\nLocal1 = {b}\n"
                                 "Return ((Local0 == Local1) | ((Local0 > Local1) << 1) | ((Local0 < Local1) << 2))"))
# an integer operand from a String or Buffer (19.3.5.4/5)
for label, setup in STRINGS + BUFFERS:
    CONVERSION_CASES.append((f"Add_{label}", "", f"{setup}\nReturn (Local0 + 1)"))

REV1_CONVERSION_CASES = []
for op in ("ToHexString", "ToDecimalString", "ToBuffer", "ToInteger"):
    for label, setup in INTEGERS + [("b_9", BUFFERS[3][1]), ("s_big", 'Local0 = "0x123456789"'),
                                    ("s_dec_big", 'Local0 = "4294967296"')]:
        REV1_CONVERSION_CASES.append((f"rev1_{op}_{label}", "", f"{setup}\nReturn ({op} (Local0))"))
for la, a in CONCAT_OPERANDS[:3]:
    for lb, b in CONCAT_OPERANDS[:3]:
        REV1_CONVERSION_CASES.append((f"rev1_Concatenate_{la}_{lb}", "",
                                      f"Local0 = {a}\nLocal1 = {b}\nReturn (Concatenate (Local0, Local1))"))

# -- Package elements never stored (ACPICA AE_AML_UNINITIALIZED_ELEMENT, exoparg1.c, exresolv.c) ----

PACKAGE_DECLS = "Name (PU00, Package (4) {1, \"a\"})\nMethod (MU00, 1) { Return (Arg0) }\n"
PACKAGE_CASES = [
    ("pkg_return_with_empty_slots", "", "Return (PU00)"),
    ("pkg_local_empty", "", "Local0 = Package (3) {}\nReturn (Local0)"),
    ("pkg_deref_empty", "", "Return (DerefOf (PU00 [2]))"),
    ("pkg_deref_stored", "", "Return (DerefOf (PU00 [1]))"),
    ("pkg_deref_via_local_ref", "", "Local0 = PU00 [3]\nReturn (DerefOf (Local0))"),
    ("pkg_implicit_deref_add", "", "Local0 = PU00 [3]\nReturn (Local0 + 1)"),
    ("pkg_store_deref_to_local", "", "Local0 = DerefOf (PU00 [2])\nReturn (1)"),
    ("pkg_object_type_index", "", "Return (ObjectType (PU00 [2]))"),
    ("pkg_object_type_local_ref", "", "Local0 = PU00 [2]\nReturn (ObjectType (Local0))"),
    ("pkg_sizeof", "", "Return (SizeOf (PU00))"),
    ("pkg_match_skips_empty", "", "Return (Match (PU00, MEQ, 1, MTR, 0, 0))"),
    ("pkg_match_from_empty", "", "Return (Match (PU00, MTR, 0, MTR, 0, 2))"),
    ("pkg_concat_empty", "", 'Return (Concatenate (DerefOf (PU00 [2]), "x"))'),
    ("pkg_to_integer_empty", "", "Return (ToInteger (DerefOf (PU00 [3])))"),
    ("pkg_lequal_empty", "", "Return (DerefOf (PU00 [3]) == 0)"),
    ("pkg_arg_empty", "", "Return (MU00 (DerefOf (PU00 [2])))"),
    ("pkg_arg_ref_empty", "", "Local0 = MU00 (PU00 [2])\nReturn (ObjectType (Local0))"),
    ("pkg_copy_empty", "", "CopyObject (DerefOf (PU00 [2]), Local0)\nReturn (1)"),
    ("pkg_store_then_deref", "Name (PU01, Package (3) {})", "PU01 [2] = 5\nReturn (DerefOf (PU01 [2]))"),
    ("pkg_store_then_return", "Name (PU02, Package (3) {})", "PU02 [1] = \"s\"\nReturn (PU02)"),
    ("pkg_var_empty", "", "Local1 = 3\nLocal0 = Package (Local1) {}\nReturn (DerefOf (Local0 [0]))"),
    ("pkg_var_sizeof", "", "Local1 = 5\nLocal0 = Package (Local1) {1}\nReturn (SizeOf (Local0))"),
    ("pkg_nested_empty", "", "Local0 = Package () {Package (2) {1}}\nReturn (DerefOf (DerefOf (Local0 [0]) [1]))"),
    ("pkg_index_past_end", "", "Return (DerefOf (PU00 [4]))"),
    ("pkg_index_past_end_ref", "", "Local0 = PU00 [7]\nReturn (1)"),
    ("pkg_sizeof_empty", "", "Return (SizeOf (DerefOf (PU00 [2])))"),
    ("pkg_copy_pkg_keeps_empty", "", "Local0 = PU00\nReturn (Local0)"),
    ("pkg_if_empty", "", "If (DerefOf (PU00 [2])) { Return (1) }\nReturn (2)"),
]

# -- fields across access widths (ACPI 6.5 section 19.6.48 Field; ACPICA exfldio.c, exfield.c) -------
# Each case has its own 32-byte SystemMemory region, first filled with a pattern through a
# ByteAcc view of all of it, then: the field read, a write to the field, the whole region and
# the field read again, returned as one Package.

PATTERN = ", ".join(f"0x{(0x11 * i + 0x0F) & 0xFF:02X}" for i in range(32))
ACCESSES = ("ByteAcc", "WordAcc", "DWordAcc", "QWordAcc", "AnyAcc")
#: (bit offset, bit width)
LAYOUTS = [(0, 8), (3, 5), (4, 12), (7, 10), (12, 20), (0, 32), (5, 33), (8, 64), (60, 8), (1, 63),
           (0, 72), (13, 100)]
WRITE_RULES = ("WriteAsOnes", "WriteAsZeros")


def _field_case(n: int, access: str, rule: str, bit: int, width: int, value: str) -> tuple[str, str, str]:
    region, raw, fld = f"R{n:03X}", f"X{n:03X}", f"F{n:03X}"
    reserved = f", {bit}, " if bit else ""
    decls = (f"OperationRegion ({region}, SystemMemory, 0x{0x400000 + n * 0x100:X}, 0x20)\n"
             f"Field ({region}, ByteAcc, NoLock, Preserve) {{ {raw}, 256 }}\n"
             f"Field ({region}, {access}, NoLock, {rule}) {{ {reserved}{fld}, {width} }}")
    body = (f"{raw} = Buffer () {{{PATTERN}}}\nLocal0 = Package (3) {{}}\nLocal0 [0] = {fld}\n"
            f"{fld} = {value}\nLocal0 [1] = {raw}\nLocal0 [2] = {fld}\nReturn (Local0)")
    return f"field_{access}_{rule}_{bit}_{width}", decls, body


def _field_cases(revision: int) -> list[tuple[str, str, str]]:
    cases = []
    big = "Buffer () {0xF1, 0xE2, 0xD3, 0xC4, 0xB5, 0xA6, 0x97, 0x88, 0x79, 0x6A, 0x5B, 0x4C, 0x3D}"
    for access in ACCESSES:
        for bit, width in LAYOUTS:
            value = big if width > 64 else "0x0123456789ABCDEF"
            cases.append(_field_case(len(cases), access, "Preserve", bit, width, value))
        for rule in WRITE_RULES:
            for bit, width in ((3, 5), (12, 20), (60, 8)):
                cases.append(_field_case(len(cases), access, rule, bit, width, "0x0123456789ABCDEF"))
    if revision == 1:
        cases = [c for c in cases if "Preserve" in c[0] and c[0].split("_")[1] in ("DWordAcc", "AnyAcc")]
    return cases


FIELD_CASES = _field_cases(2)
REV1_FIELD_CASES = [(f"rev1_{i}", d, b) for i, d, b in _field_cases(1)]

# Buffer fields (19.6.15 CreateBitField ... 19.6.20 CreateWordField; ACPICA exfield.c, exfldio.c)
BUFFER_FIELD_CREATE = [("bit", "CreateBitField ({buf}, 13, {fld})"),
                       ("byte", "CreateByteField ({buf}, 3, {fld})"),
                       ("word", "CreateWordField ({buf}, 3, {fld})"),
                       ("dword", "CreateDWordField ({buf}, 5, {fld})"),
                       ("qword", "CreateQWordField ({buf}, 7, {fld})"),
                       ("field_3_5", "CreateField ({buf}, 3, 5, {fld})"),
                       ("field_7_10", "CreateField ({buf}, 7, 10, {fld})"),
                       ("field_5_33", "CreateField ({buf}, 5, 33, {fld})"),
                       ("field_1_63", "CreateField ({buf}, 1, 63, {fld})"),
                       ("field_0_64", "CreateField ({buf}, 0, 64, {fld})"),
                       ("field_4_72", "CreateField ({buf}, 4, 72, {fld})"),
                       ("field_9_100", "CreateField ({buf}, 9, 100, {fld})")]
BUFFER_FIELD_VALUES = [("int", "0x0123456789ABCDEF"), ("buf", "Buffer () {0xF1, 0xE2, 0xD3}"),
                       ("str", '"AZ"'), ("long_buf", "Buffer () {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}")]


def _buffer_field_cases(prefix: str) -> list[tuple[str, str, str]]:
    cases = []
    for label, create in BUFFER_FIELD_CREATE:
        for vlabel, value in BUFFER_FIELD_VALUES:
            n = len(cases)
            buf, fld = f"BB{n:02X}", f"BF{n:02X}"
            decls = f"Name ({buf}, Buffer () {{{PATTERN}}})\n" + create.format(buf=buf, fld=fld)
            body = (f"Local0 = Package (3) {{}}\nLocal0 [0] = {fld}\n{fld} = {value}\n"
                    f"Local0 [1] = {buf}\nLocal0 [2] = {fld}\nReturn (Local0)")
            cases.append((f"{prefix}bufferfield_{label}_{vlabel}", decls, body))
    return cases


BUFFER_FIELD_CASES = _buffer_field_cases("")
REV1_BUFFER_FIELD_CASES = [c for c in _buffer_field_cases("rev1_") if c[0].endswith("_int")]

# IndexField and BankField (19.6.64, 19.6.7): the index/data and bank registers are plain memory
# in acpiexec, as in our SparseStore, so the region shows the last value each register got.
INDEX_BANK_CASES = []
for access in ("ByteAcc", "WordAcc", "DWordAcc", "AnyAcc"):
    for bit, width in ((0, 8), (4, 8), (8, 16), (20, 20), (0, 32), (16, 40)):
        n = len(INDEX_BANK_CASES)
        region, regs, raw = f"Q{n:03X}", f"QI{n:02X}", f"QX{n:02X}"
        decls = (f"OperationRegion ({region}, SystemMemory, 0x{0x600000 + n * 0x100:X}, 0x20)\n"
                 f"Field ({region}, ByteAcc, NoLock, Preserve) {{ {raw}, 256 }}\n"
                 f"Field ({region}, DWordAcc, NoLock, Preserve) {{ Offset (8), IX{n:02X}, 32, DT{n:02X}, 32 }}\n"
                 f"IndexField (IX{n:02X}, DT{n:02X}, {access}, NoLock, Preserve) "
                 f"{{ {f'Offset (0), , {bit},' if bit else ''} IF{n:02X}, {width} }}")
        body = (f"{raw} = Buffer () {{{PATTERN}}}\nLocal0 = Package (3) {{}}\nLocal0 [0] = IF{n:02X}\n"
                f"IF{n:02X} = 0x0123456789ABCDEF\nLocal0 [1] = {raw}\nLocal0 [2] = IF{n:02X}\nReturn (Local0)")
        INDEX_BANK_CASES.append((f"indexfield_{access}_{bit}_{width}", decls, body))
for access in ("ByteAcc", "WordAcc", "DWordAcc", "QWordAcc", "AnyAcc"):
    for bank in (0, 3):
        n = len(INDEX_BANK_CASES)
        region, raw = f"Q{n:03X}", f"QX{n:02X}"
        decls = (f"OperationRegion ({region}, SystemMemory, 0x{0x600000 + n * 0x100:X}, 0x20)\n"
                 f"Field ({region}, ByteAcc, NoLock, Preserve) {{ {raw}, 256 }}\n"
                 f"Field ({region}, ByteAcc, NoLock, Preserve) {{ Offset (2), BK{n:02X}, 8 }}\n"
                 f"BankField ({region}, BK{n:02X}, {bank}, {access}, NoLock, Preserve) "
                 f"{{ Offset (8), , 4, BN{n:02X}, 24 }}")
        body = (f"{raw} = Buffer () {{{PATTERN}}}\nLocal0 = Package (3) {{}}\nLocal0 [0] = BN{n:02X}\n"
                f"BN{n:02X} = 0x0123456789ABCDEF\nLocal0 [1] = {raw}\nLocal0 [2] = BN{n:02X}\nReturn (Local0)")
        INDEX_BANK_CASES.append((f"bankfield_{access}_{bank}", decls, body))

# -- edge cases of operators (ACPI 6.5 section 19.6; ACPICA exoparg*.c, exmisc.c) ----------------
EDGE_DECLS = """Name (EP00, Package () {1, "s", Buffer () {2}, Package () {3}})
    Name (ES00, "abc")
    Name (EB00, Buffer () {1, 2, 3})
    Mutex (EM00, 5)
    Mutex (EM01, 2)
    Event (EE00)
    Device (ED00) { Name (_ADR, 0) }
    Method (EA02, 2) { Return (Arg0 + Arg1) }
"""
EDGE_CASES = [
    ("mod_zero", "", "Local0 = 0; Return (10 % Local0)"),
    ("divide_zero_remainder", "", "Local0 = 0; Divide (10, Local0, Local1); Return (Local1)"),
    ("shl_64", "", "Local0 = 1; Local1 = 64; Return (Local0 << Local1)"),
    ("shr_63", "", "Local0 = Ones; Local1 = 63; Return (Local0 >> Local1)"),
    ("from_bcd_bad_digit", "", "Local0 = 0x1A; Return (FromBCD (Local0))"),
    ("to_bcd_big", "", "Local0 = 99999999999999999; Return (ToBCD (Local0))"),
    ("to_bcd_too_big", "", "Local0 = Ones; Return (ToBCD (Local0))"),
    ("find_left_ones", "", "Local0 = Ones; Return (FindSetLeftBit (Local0))"),
    ("increment_string", "", 'Local0 = "12"; Local0++; Return (Local0)'),
    ("decrement_buffer", "", "Local0 = Buffer () {1, 1}; Local0--; Return (Local0)"),
    ("lnot_string", "", 'Local0 = "0"; Return (!Local0)'),
    ("land_buffer", "", "Local0 = Buffer () {0, 0}; Return (LAnd (Local0, 1))"),
    ("lequal_str_embedded_nul", "", 'Local0 = "a"; Return (Local0 == Buffer () {0x61, 0})'),
    ("lless_buffers_len", "", "Local0 = Buffer () {1, 2}; Return (Local0 < Buffer () {1, 2, 0})"),
    ("lgreater_strings_case", "", 'Local0 = "a"; Return (Local0 > "B")'),
    ("lequal_int_str_prefix", "", 'Local0 = 0x10; Return (Local0 == "10zz")'),
    ("sizeof_int", "", "Local0 = 5; Return (SizeOf (Local0))"),
    ("sizeof_device", "", "Return (SizeOf (ED00))"),
    ("sizeof_empty_str", "", 'Local0 = ""; Return (SizeOf (Local0))'),
    ("object_type_all", "",
     "Local0 = ObjectType (EP00) | (ObjectType (ES00) << 4) | (ObjectType (EB00) << 8)\n"
     "Local0 |= (ObjectType (ED00) << 12) | (ObjectType (EA02) << 16) | (ObjectType (EM00) << 20)\n"
     "Local0 |= (ObjectType (\\_SB) << 24) | (ObjectType (EE00) << 28)\nReturn (Local0)"),
    ("object_type_index_str", "", "Return (ObjectType (ES00 [1]))"),
    ("object_type_index_buf", "", "Return (ObjectType (EB00 [1]))"),
    ("object_type_index_pkg_pkg", "", "Return (ObjectType (EP00 [3]))"),
    ("object_type_ref", "", "Local0 = RefOf (EB00); Return (ObjectType (Local0))"),
    ("index_str_past_end", "", "Return (DerefOf (ES00 [3]))"),
    ("index_buf_past_end", "", "Return (DerefOf (EB00 [3]))"),
    ("index_buf_store_past_end", "Name (EB01, Buffer () {1})", "EB01 [1] = 5; Return (EB01)"),
    ("index_int", "", "Local0 = 5; Return (DerefOf (Local0 [0]))"),
    ("index_store_target", "", "Index (EP00, 2, Local0); Return (DerefOf (Local0))"),
    ("index_store_into_str", "Name (ES01, \"xyz\")", "ES01 [0] = 0x141; Return (ES01)"),
    ("index_store_str_into_buf", "Name (EB02, Buffer () {1, 2})", 'EB02 [0] = "9"; Return (EB02)'),
    ("index_store_buf_into_pkg", "Name (EP01, Package () {1, 2})",
     "EP01 [0] = Buffer () {7}; Return (EP01)"),
    ("deref_string_name", "", 'Local0 = "ES00"; Return (DerefOf (Local0))'),
    ("deref_string_missing", "", 'Local0 = "NOPE"; Return (DerefOf (Local0))'),
    ("deref_int", "", "Local0 = 5; Return (DerefOf (Local0))"),
    ("refof_local", "", "Local0 = 5; Local1 = RefOf (Local0); Local1 = 7; Return (Local0)"),
    ("refof_store_through_deref", "Name (EI00, 1)",
     "Local1 = RefOf (EI00); DerefOf (Local1) = 9; Return (EI00)"),
    ("cond_ref_of_local_target", "", "Local0 = CondRefOf (ES00, Local1); Return (SizeOf (Local1) + Local0)"),
    ("mid_index_past", "", 'Return (Mid (ES00, 10, 2))'),
    ("mid_buffer_len_big", "", "Return (Mid (EB00, 1, 0x100))"),  # Ones: acpiexec 20240827 crashes
    ("mid_int", "", "Local0 = 0x41424344; Return (Mid (Local0, 1, 2))"),
    ("match_package_with_nested", "", "Return (Match (EP00, MEQ, 3, MTR, 0, 0))"),
    ("match_string_vs_int", "", 'Return (Match (EP00, MEQ, "1", MTR, 0, 0))'),
    ("match_start_past_end", "", "Return (Match (EP00, MTR, 0, MTR, 0, 4))"),
    ("acquire_sync_level_violation", "", "Acquire (EM00, 0xFFFF)\nLocal0 = Acquire (EM01, 0xFFFF)\n"
     "Release (EM01)\nRelease (EM00)\nReturn (Local0)"),
    ("release_not_owned", "", "Release (EM01)\nReturn (1)"),
    ("release_order", "", "Acquire (EM01, 0xFFFF)\nAcquire (EM00, 0xFFFF)\nRelease (EM01)\n"
     "Release (EM00)\nReturn (1)"),
    ("wait_timeout", "", "Return (Wait (EE00, 0))"),
    ("sleep_stall", "", "Sleep (1)\nStall (10)\nReturn (1)"),
    ("method_too_many_args_text", "", "Return (EA02 (1, 2))"),
    ("create_field_zero_bits", "Name (EB03, Buffer (4) {})", "CreateField (EB03, 0, 0, EF00)\nReturn (1)"),
    ("create_field_past_end", "Name (EB04, Buffer (2) {})", "CreateDWordField (EB04, 0, EF01)\nReturn (EF01)"),
    ("buffer_size_smaller_than_init", "", "Local0 = 1; Return (Buffer (Local0) {1, 2, 3})"),
    ("buffer_size_zero", "", "Local0 = 0; Local1 = Buffer (Local0) {}; Return (SizeOf (Local1))"),
    ("var_package_fewer", "", "Local0 = 1; Local1 = Package (Local0) {1, 2, 3}; Return (SizeOf (Local1))"),
    ("concat_res_empty", "", "Local0 = Buffer () {0x79, 0}; Return (ConcatenateResTemplate (Local0, Local0))"),
    ("concat_res_bad", "", "Local0 = Buffer () {1, 2}; Return (ConcatenateResTemplate (Local0, Local0))"),
    ("to_string_non_buffer", "", "Local0 = Package () {1}; Return (ToString (Local0, Ones))"),
    ("to_decimal_string_zero_buf", "", "Return (ToDecimalString (Buffer () {0, 0}))"),
    ("to_hex_string_str_passthrough", "", 'Local0 = "xyz"; Return (ToHexString (Local0))'),
    ("to_buffer_pkg", "", "Local0 = Package () {1}; Return (ToBuffer (Local0))"),
    ("to_integer_pkg", "", "Local0 = Package () {1}; Return (ToInteger (Local0))"),
    ("store_int_to_buffer_field_big", "Name (EB06, Buffer (2) {})",
     "CreateField (EB06, 0, 12, EF03)\nEF03 = Ones\nReturn (EB06)"),
    ("store_string_to_buffer_field", "Name (EB07, Buffer (4) {})",
     'CreateDWordField (EB07, 0, EF04)\nEF04 = "ABCDEFG"\nReturn (EB07)'),
    ("copy_object_to_buffer_field", "Name (EB08, Buffer (4) {})",
     "CreateDWordField (EB08, 0, EF05)\nCopyObject (0x11223344, EF05)\nReturn (EB08)"),
    ("arg_store_ref", "Name (EI02, 3)\nMethod (EW00, 1) { Arg0 = 4\nReturn (Arg0) }",
     "Local0 = EW00 (RefOf (EI02)); Return (EI02 + (Local0 << 4))"),
    ("arg_deref_store", "Name (EI03, 3)\nMethod (EW01, 1) { DerefOf (Arg0) = 8 }",
     "EW01 (RefOf (EI03)); Return (EI03)"),
    ("local_ref_store_chain", "Name (EI04, 1)",
     "Local0 = RefOf (EI04)\nLocal1 = RefOf (Local0)\nReturn (ObjectType (Local1))"),
    ("while_break_nested", "", "Local0 = 0; Local1 = 0\nWhile (Local0 < 3) { Local0++\n"
     "While (One) { Local1++\nBreak }\nIf (Local0 == 2) { Break } }\nReturn (Local1)"),
    ("switch_no_match_default_absent", "Method (EW02, 1, Serialized) { Switch (Arg0) { Case (1) "
     "{ Return (1) } }\nReturn (0x44) }", "Return (EW02 (5))"),
    ("switch_buffer", "Method (EW03, 1, Serialized) { Switch (ToBuffer (Arg0)) { Case (Buffer () {1}) "
     "{ Return (1) } Default { Return (2) } } }", "Return (EW03 (Buffer () {1}))"),
    ("return_package_ref_elements", "", "Local0 = Package () {ED00, EA02}; Return (Local0)"),
    ("return_local_uninit_in_pkg", "", "Local0 = Package (2) {}; Local0 [1] = Local0; Return (SizeOf (Local0))"),
    ("timer_monotonic", "", "Local0 = Timer; Sleep (2); Return (Timer - Local0 >= 20000)"),
    ("revision", "", "Return (Revision >= 2)"),
]

# -- references as operands and targets (ACPICA exresolv.c, exresop.c, exstore.c, dsmthdat.c) ---
REFERENCE_DECLS = """Name (RI00, 5)
    Name (RP00, Package () {7, 8})
    Name (RB00, Buffer () {9, 10})
    Method (RM01, 1) { Return (Arg0 + 1) }
    Method (RM02, 1) { Local0 = Arg0\nReturn (Local0 + 1) }
    Method (RM03, 1) { Arg0 = 3 }
    Method (RM04, 1) { Local0 = Arg0\nLocal0 = 4 }
"""
REFERENCE_CASES = [
    ("local_refof_add", "", "Local0 = RefOf (RI00); Return (Local0 + 1)"),
    ("local_index_pkg_add", "", "Local0 = RP00 [0]; Return (Local0 + 1)"),
    ("local_index_buf_add", "", "Local0 = RB00 [1]; Return (Local0 + 1)"),
    ("direct_index_pkg_add", "", "Return (RP00 [1] + 1)"),
    ("direct_index_buf_add", "", "Return (RB00 [1] + 1)"),
    ("direct_refof_add", "", "Return (RefOf (RI00) + 1)"),
    ("arg_refof_add", "", "Return (RM01 (RefOf (RI00)))"),
    ("arg_copied_to_local_add", "", "Return (RM02 (RefOf (RI00)))"),
    ("arg_index_add", "", "Return (RM01 (RP00 [1]))"),
    ("local_refof_to_integer", "", "Local0 = RefOf (RI00); Return (ToInteger (Local0))"),
    ("local_refof_lequal", "", "Local0 = RefOf (RI00); Return (Local0 == 5)"),
    ("local_refof_predicate", "", "Local0 = RefOf (RI00); If (Local0) { Return (1) }\nReturn (2)"),
    ("local_index_lequal", "", "Local0 = RP00 [0]; Return (Local0 == 7)"),
    ("local_refof_sizeof", "", "Local0 = RefOf (RI00); Return (SizeOf (Local0))"),
    ("local_refof_concat", "", 'Local0 = RefOf (RI00); Return (Concatenate ("x", Local0))'),
    ("local_refof_deref", "", "Local0 = RefOf (RI00); Return (DerefOf (Local0) + 1)"),
    ("local_store_over_refof", "", "Local0 = RefOf (RI00); Local0 = 9; Return (RI00)"),
    ("arg_store_through_refof", "", "RM03 (RefOf (RI00)); Return (RI00)"),
    ("arg_copy_local_store", "Name (RI01, 6)", "RM04 (RefOf (RI01)); Return (RI01)"),
    ("package_names_in_method", "", "Local0 = Package () {RI00, RP00}; Return (Local0)"),
    ("package_device_name", "", "Local0 = Package () {\\_SB}; Return (ObjectType (DerefOf (Local0 [0])))"),
    ("deref_target_index", "", "Local0 = RP00 [0]; DerefOf (Local0) = 1; Return (RP00)"),
    ("index_target_store", "", "RP00 [1] = 0x55; Return (RP00)"),
    ("store_to_element_holding_refof", "Name (RI02, 1)\nName (RP01, Package (1) {})",
     "RP01 [0] = RefOf (RI02)\nRP01 [0] = 0x22\nReturn (RI02 + (ObjectType (RP01 [0]) << 8))"),
    ("store_to_name_holding_refof", "Name (RI03, 1)\nName (RN00, 0)",
     "CopyObject (RefOf (RI03), RN00)\nRN00 = 0x33\nReturn (RI03 + (ObjectType (RN00) << 8))"),
    ("copy_object_to_local_holding_refof", "Name (RI04, 1)",
     "Local0 = RefOf (RI04)\nCopyObject (0x44, Local0)\nReturn (RI04)"),
    ("store_to_arg_holding_index", "Name (RP02, Package () {1, 2})\nMethod (RM05, 1) { Arg0 = 0x66 }",
     "RM05 (RP02 [1])\nReturn (RP02)"),
    ("increment_arg_holding_refof", "Name (RI05, 1)\nMethod (RM06, 1) { Arg0++ }",
     "RM06 (RefOf (RI05))\nReturn (RI05)"),
    ("increment_local_holding_refof", "Name (RI06, 1)", "Local0 = RefOf (RI06)\nLocal0++\nReturn (RI06)"),
    ("module_package_forward_name", "Name (RF01, Package () {RF00, \\_SB, RF02})\nName (RF00, 0x77)\n"
     "Method (RF02) { Return (1) }", "Return (RF01)"),
    ("module_package_name_value", "Name (RF03, 0x78)\nName (RF04, Package () {RF03})",
     "RF03 = 0x79\nReturn (DerefOf (RF04 [0]))"),
    ("method_package_name_value", "Name (RF05, 0x7A)",
     "Local0 = Package () {RF05}\nRF05 = 0x7B\nReturn (DerefOf (Local0 [0]))"),
    ("method_package_name_object_type", "Name (RF06, \"s\")",
     "Local0 = Package () {RF06}\nReturn (ObjectType (Local0 [0]))"),
]

#: group -> (DSDT revision, declarations shared by the group, programs)
GROUPS = {
    "main": (2, "", CASES),
    "regions": (2, REGION_DECLS, REGION_CASES),
    "rev1": (1, "", REV1_CASES),
    "conversions": (2, "", CONVERSION_CASES),
    "conversions_rev1": (1, "", REV1_CONVERSION_CASES),
    "packages": (2, PACKAGE_DECLS, PACKAGE_CASES),
    "fields": (2, "", FIELD_CASES),
    "fields_rev1": (1, "", REV1_FIELD_CASES),
    "buffer_fields": (2, "", BUFFER_FIELD_CASES),
    "buffer_fields_rev1": (1, "", REV1_BUFFER_FIELD_CASES),
    "index_bank_fields": (2, "", INDEX_BANK_CASES),
    "edges": (2, EDGE_DECLS, EDGE_CASES),
    "references": (2, REFERENCE_DECLS, REFERENCE_CASES),
}

#: Programs on which ACPICA 20240827 and 20200925 answer differently: id -> why.
TO_HEX_STRING_INTEGER = (
    "ToHexString of an Integer: ACPICA after 20200925 prints '0x' and no leading zeros "
    "(exconvrt.c AcpiExConvertToString, ACPI_EXPLICIT_CONVERT_HEX); 20200925 printed every digit "
    "of the integer width and no prefix. Implicit conversions (Concatenate, Store) keep every digit")
DIFFERENCES: dict[str, str] = {
    **{f"ToHexString_{label}": TO_HEX_STRING_INTEGER for label, _ in INTEGERS},
    **{f"rev1_ToHexString_{label}": TO_HEX_STRING_INTEGER for label, _ in INTEGERS},
}

IASL_FLAGS = ["-oa", "-f", "-vw", "3144", "-vw", "6161", "-vw", "3124"]


def source(revision: int, extra: str, cases) -> tuple[str, list[str]]:
    """The group's ASL and its method names (T000, T001 ... in program order)."""
    names, body = [], []
    for i, (_, decls, code) in enumerate(cases):
        names.append(f"T{i:03X}")
        if decls:
            body.append(decls)
        body.append(f"Method (T{i:03X}, 0, Serialized)\n{{\n{code}\n}}")
    text = (f'DefinitionBlock ("", "DSDT", {revision}, "VCPUHP", "GOLDEN", 1)\n{{\n{extra}\n'
            + "\n".join(body) + "\n}\n")
    return text, names


def compile_group(iasl: str, text: str, out: Path, group: str) -> Path:
    asl = out / f"{group}.asl"
    asl.write_text(text)
    proc = subprocess.run([iasl, *IASL_FLAGS, "-p", str(out / group), str(asl)],
                          capture_output=True, text=True)
    aml = out / f"{group}.aml"
    if proc.returncode != 0 or not aml.exists():
        raise SystemExit(f"iasl failed on {group}:\n{proc.stdout}\n{proc.stderr}")
    return aml


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iasl", required=True)
    parser.add_argument("--acpiexec", required=True, help="ACPICA 20240827's acpiexec")
    parser.add_argument("--old-acpiexec", default="acpiexec", help="Debian 12's acpiexec (20200925)")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/data/acpica-20240827")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    versions = {"iasl": acpica_version(args.iasl), "acpiexec": acpica_version(args.acpiexec),
                "old_acpiexec": acpica_version(args.old_acpiexec)}
    golden = {"acpica_version": versions["acpiexec"], "iasl_version": versions["iasl"],
              "old_acpiexec_version": versions["old_acpiexec"],
              "iasl_command": f"iasl {' '.join(IASL_FLAGS)} -p <group> <group>.asl",
              "acpiexec_command": "acpiexec <group>.aml, stdin: 'evaluate \\\\T000' ... 'quit'",
              "groups": {}}
    unexplained = []
    total = differ = 0
    for group, (revision, extra, cases) in GROUPS.items():
        text, names = source(revision, extra, cases)
        aml = compile_group(args.iasl, text, args.out, group)
        for suffix in (".lst", ".hex"):
            (args.out / f"{group}{suffix}").unlink(missing_ok=True)
        new, _ = run_acpiexec_typed(args.acpiexec, aml, names)
        old, _ = run_acpiexec_typed(args.old_acpiexec, aml, names)
        programs = []
        for (case_id, decls, code), name in zip(cases, names):
            if name not in new:
                raise SystemExit(f"{group} {case_id} ({name}): no answer from {args.acpiexec}")
            entry = {"id": case_id, "method": name, "declarations": decls, "body": code,
                     "expected": new[name]}
            if old.get(name) != new[name]:
                differ += 1
                entry["acpica_20200925"] = old.get(name, {"error": "no answer"})
                if case_id not in DIFFERENCES:
                    unexplained.append(f"{group} {case_id}: 20240827 {new[name]} / 20200925 {old.get(name)}")
                entry["difference"] = DIFFERENCES.get(case_id, "")
            programs.append(entry)
            total += 1
        golden["groups"][group] = {"revision": revision, "declarations": extra,
                                   "asl": f"{group}.asl", "aml": f"{group}.aml", "programs": programs}
    (args.out / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    print(f"{total} programs, {differ} answered differently by ACPICA {versions['old_acpiexec']}")
    for line in unexplained:
        print("  no reason in DIFFERENCES:", line)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
