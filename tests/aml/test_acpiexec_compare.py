"""Our interpreter against ACPICA's acpiexec on the same compiled AML.

Each case is a small method (plus the named objects it uses); all cases are
compiled into one DSDT by iasl and evaluated in one acpiexec run, then by our
interpreter. The result (value, or failure) must be the same: these are the
operator, conversion, field and control-flow rules of ACPI 6.5 chapter 19 as
ACPICA implements them (Linux runs ACPICA).
"""

from __future__ import annotations

import pytest

from tests.aml.interp_support import AcpiexecError, compile_asl, run_acpiexec
from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.errors import AmlError

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


def _source(cases, revision: int, extra: str = "") -> tuple[str, list[str]]:
    names = []
    body = []
    for i, (_, decls, code) in enumerate(cases):
        name = f"T{i:03X}"
        names.append(name)
        body.append(decls)
        body.append(f"Method ({name}, 0, Serialized)\n{{\n{code}\n}}")
    text = f'DefinitionBlock ("", "DSDT", {revision}, "VCPUHP", "COMPARE", 1)\n{{\n{extra}\n' \
           + "\n".join(body) + "\n}\n"
    return text, names


def _ours(aml: bytes, names: list[str]) -> dict:
    interp = Interpreter()
    interp.load(aml)
    out = {}
    for name in names:
        try:
            out[name] = interp.evaluate("\\" + name)
        except AmlError as exc:
            out[name] = exc
    return out


@pytest.fixture(scope="module")
def compared(iasl, acpiexec, tmp_path_factory):
    results = {}
    for label, cases, revision, extra in (("main", CASES, 2, ""), ("regions", REGION_CASES, 2, REGION_DECLS),
                                         ("rev1", REV1_CASES, 1, "")):
        directory = tmp_path_factory.mktemp(label)
        text, names = _source(cases, revision, extra)
        aml = compile_asl(iasl, text, directory)
        theirs = run_acpiexec(acpiexec, aml, names)
        ours = _ours(aml.read_bytes(), names)
        for (case_id, _, _), name in zip(cases, names):
            results[case_id] = (ours[name], theirs.get(name, "<missing from acpiexec output>"))
    return results


def _normalize(value):
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


@pytest.mark.parametrize("case_id", [c[0] for c in CASES + REGION_CASES + REV1_CASES])
def test_same_result_as_acpiexec(compared, case_id):
    ours, theirs = compared[case_id]
    if isinstance(theirs, AcpiexecError):
        assert isinstance(ours, AmlError), f"acpiexec failed with {theirs.status}, we returned {ours!r}"
        return
    assert not isinstance(ours, AmlError), f"we failed ({ours}), acpiexec returned {theirs!r}"
    assert _normalize(ours) == _normalize(theirs)
