"""The interpreter's public API and its namespace, host interfaces and limits.

ACPI 6.5 section 5.3 (namespace, search rules, predefined scopes), 5.7.2
(_OSI), 19.6.89 (Notify), 19.6.125/128/139 (Sleep, Stall, Timer), 19.6.1
(Acquire and SyncLevel), and the guarantees of :mod:`vcpu_hotplug.acpi.aml`:
bounded loops and calls, errors that name the AML path and offset.
"""

from __future__ import annotations

import pytest

from tests.aml.interp_support import compile_asl, interpreter_for
from vcpu_hotplug.acpi.aml import Interpreter, SimpleClock, load_tables
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.eisaid import EisaId
from vcpu_hotplug.acpi.errors import AmlError


def test_predefined_scopes_and_objects():
    interp = Interpreter()
    for name in ("\\_SB", "\\_GPE", "\\_PR", "\\_SI", "\\_TZ"):
        assert interp.exists(name)
    assert interp.object_type("\\_GL") == "Mutex"
    assert interp.evaluate("\\_OS") == "Microsoft Windows NT"
    assert interp.evaluate("\\_REV") == 2
    assert interp.object_type("\\_OSI") == "Method"


def test_osi_answers_like_linux():
    interp = Interpreter()
    for name in ("Windows 2009", "Windows 2022", "Module Device", "Processor Device",
                 "3.0 _SCP Extensions", "Processor Aggregator Device"):
        assert interp.evaluate("\\_OSI", name) == 0xFFFFFFFFFFFFFFFF, name
    for name in ("Linux", "Darwin", "Windows 2099", ""):
        assert interp.evaluate("\\_OSI", name) == 0, name
    custom = Interpreter(osi={"Linux": True, "Windows 2009": False})
    assert custom.evaluate("\\_OSI", "Linux") != 0
    assert custom.evaluate("\\_OSI", "Windows 2009") == 0


def test_search_rules_alias_and_scope_reopening(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Name (VAL, 1)
        Scope (\\_SB) {
            Name (VAL, 2)
            Device (DEV0) {
                Method (UP) { Return (VAL) }         // single NameSeg: searched upwards
                Method (ROOT) { Return (\\VAL) }
                Method (PAR) { Return (^^VAL) }   // the method is a scope
            }
        }
        Scope (\\_SB.DEV0) { Name (ADDD, 3) }       // a scope re-opened later
        Alias (\\_SB.DEV0.ADDD, \\AL00)
    """)
    assert interp.evaluate("\\_SB.DEV0.UP") == 2
    assert interp.evaluate("\\_SB.DEV0.ROOT") == 1
    assert interp.evaluate("\\_SB.DEV0.PAR") == 2
    assert interp.evaluate("\\_SB.DEV0.ADDD") == 3
    assert interp.evaluate("\\AL00") == 3
    assert interp.exists("_SB.DEV0") and not interp.exists("\\_SB.NOPE")
    assert interp.object_type("\\_SB.DEV0") == "Device"


def test_ssdt_calls_dsdt_method(iasl, tmp_path):
    dsdt = compile_asl(iasl, """DefinitionBlock ("", "DSDT", 2, "VCPUHP", "DSDT", 1)
        { Method (\\_SB.TWIC, 1) { Return (Arg0 * 2) } }""", tmp_path, "dsdt").read_bytes()
    ssdt = compile_asl(iasl, """DefinitionBlock ("", "SSDT", 2, "VCPUHP", "SSDT", 1)
        { External (\\_SB.TWIC, MethodObj)
          Name (\\_SB.RES, 0)
          Method (\\_SB.USE) { Return (\\_SB.TWIC (21)) } }""", tmp_path, "ssdt").read_bytes()
    interp = load_tables([dsdt, ssdt])
    assert interp.evaluate("\\_SB.USE") == 42


def test_notify_reaches_host_callback(iasl, tmp_path):
    seen = []
    interp = interpreter_for(iasl, tmp_path, """
        Scope (\\_SB) { Device (C003) { Name (_HID, "ACPI0007") }
                        Method (SCAN) { Notify (C003, 1)\nNotify (\\_SB.C003, 3) } }
    """, notify=lambda path, value: seen.append((path, value)))
    interp.evaluate("\\_SB.SCAN")
    assert seen == [("\\_SB.C003", 1), ("\\_SB.C003", 3)]
    assert interp.notifications == seen


def test_devices_by_hid(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Scope (\\_SB) {
            Device (CPU0) { Name (_HID, "ACPI0007") Name (_UID, 0) }
            Device (CPU1) { Name (_HID, "ACPI0007") Name (_UID, 1) }
            Device (GED0) { Name (_HID, "ACPI0013") }
            Device (PCI0) { Name (_HID, EisaId ("PNP0A08")) Name (_CID, EisaId ("PNP0A03")) }
        }
    """)
    assert [p for p, _ in interp.devices("ACPI0007")] == ["\\_SB.CPU0", "\\_SB.CPU1"]
    assert [p for p, _ in interp.devices("PNP0A03")] == ["\\_SB.PCI0"]
    assert len(list(interp.devices())) == 4


def test_debug_goes_to_a_log_not_stdout(iasl, tmp_path, capsys):
    interp = interpreter_for(iasl, tmp_path, 'Method (MAIN) { Debug = "hi"\nDebug = 5\nDebug = Buffer () {1} }')
    interp.evaluate("\\MAIN")
    assert interp.debug_log == ["hi", 5, b"\x01"]
    assert capsys.readouterr().out == ""


def test_time_is_simulated(iasl, tmp_path):
    clock = SimpleClock()
    interp = interpreter_for(iasl, tmp_path, """
        Event (EVT0)
        Name (ELAP, 0)
        Name (WTED, 0)
        Method (MAIN) {
            Local0 = Timer
            Sleep (10)
            Stall (50)
            Local1 = Wait (EVT0, 5)       // times out after 5 ms of simulated time
            ELAP = Timer - Local0
            WTED = Local1
        }""", clock=clock)
    interp.evaluate("\\MAIN")
    elapsed, waited = interp.evaluate("\\ELAP"), interp.evaluate("\\WTED")
    assert clock.now_ns() == 10_000_000 + 50_000 + 5_000_000
    assert elapsed == clock.now_ns() // 100
    assert waited != 0


def test_mutex_sync_level_order_is_enforced(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Mutex (HIGH, 5)
        Mutex (LOWW, 2)
        Method (OK) { Acquire (LOWW, 0xFFFF)\nAcquire (HIGH, 0xFFFF)\nRelease (HIGH)\nRelease (LOWW)\nReturn (1) }
        Method (BAD) { Acquire (HIGH, 0xFFFF)\nAcquire (LOWW, 0xFFFF)\nReturn (1) }
    """)
    assert interp.evaluate("\\OK") == 1
    with pytest.raises(AmlError, match="SyncLevel"):
        interp.evaluate("\\BAD")
    # Mutexes still held when the outermost method ends are released.
    assert interp.evaluate("\\OK") == 1


def test_revision_1_table_has_32_bit_integers(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Method (MAIN) { Local0 = 0xFFFFFFFF\nLocal0++\nReturn (Local0) }",
                             revision=1)
    assert interp.evaluate("\\MAIN") == 0
    assert interp.evaluate("\\_OSI", "Windows 2015") == 0xFFFFFFFF


def test_infinite_loop_is_bounded_and_named(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Method (SPIN) { While (One) { Noop } }",
                             max_loop_iterations=1000)
    with pytest.raises(AmlError) as info:
        interp.evaluate("\\SPIN")
    assert info.value.path == "\\SPIN" and info.value.offset is not None
    assert "1000" in str(info.value)


def test_recursion_is_bounded(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Method (DEEP, 1) { Return (DEEP (Arg0 + 1)) }",
                             max_call_depth=50)
    with pytest.raises(AmlError, match="call depth"):
        interp.evaluate("\\DEEP", 0)


def test_deep_recursion_within_the_default_bound(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path,
                             "Method (DOWN, 1) { If (Arg0 == 0) { Return (0) }\nReturn (DOWN (Arg0 - 1) + 1) }")
    assert interp.evaluate("\\DOWN", 200) == 200


def test_errors_name_path_and_offset(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Device (DEV0) { Method (BOOM) { Local0 = 0\nReturn (1 / Local0) } }")
    with pytest.raises(AmlError) as info:
        interp.evaluate("\\DEV0.BOOM")
    assert info.value.path == "\\DEV0.BOOM"
    assert "divide by zero" in str(info.value)
    assert info.value.offset > 36


def test_load_goes_on_after_a_failing_top_level_term(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Name (AAAA, 1)
        Local0 = 0
        Name (BBBB, 1 / Local0)
        Name (CCCC, 3)
    """)
    assert interp.exists("\\CCCC") and not interp.exists("\\BBBB")
    assert len(interp.load_errors) == 1


def test_evaluate_converts_arguments_and_results(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Method (ECHO, 1) { Return (Arg0) }
        Method (KIND, 1) { Return (ObjectType (Arg0)) }
    """)
    assert interp.evaluate("\\ECHO", 5) == 5
    assert interp.evaluate("\\ECHO", "abc") == "abc"
    assert interp.evaluate("\\ECHO", b"\x01\x02") == b"\x01\x02"
    assert interp.evaluate("\\ECHO", [1, "x", [2]]) == [1, "x", [2]]
    assert [interp.evaluate("\\KIND", v) for v in (1, "s", b"b", [1])] == [1, 2, 3, 4]
    with pytest.raises(AmlError):
        interp.evaluate("\\ECHO", 1, 2)
    with pytest.raises(AmlError):
        interp.evaluate("\\NOPE")


def test_method_local_objects_vanish_after_the_call(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Method (MKOB, 0, Serialized) { Name (TEMP, 1)\nReturn (TEMP) }")
    assert interp.evaluate("\\MKOB") == 1
    assert not interp.exists("\\MKOB.TEMP")
    assert interp.evaluate("\\MKOB") == 1


def test_opcode_counter_counts(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Method (MAIN) { Local0 = 0\nWhile (Local0 < 10) { Local0++ }\n"
                                             "Return (Local0) }")
    before = interp.opcodes_executed
    interp.evaluate("\\MAIN")
    first = interp.opcodes_executed - before
    interp.evaluate("\\MAIN")
    assert interp.opcodes_executed - before == 2 * first
    assert first > 30      # 10 iterations of a comparison, an increment and the While


def test_to_hex_string_of_integer_has_prefix(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, "Method (MAIN) { Local0 = 0x7B\nReturn (ToHexString (Local0)) }")
    assert interp.evaluate("\\MAIN") == "0x7B"


def test_load_table_not_found_returns_false(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path,
                             'Method (MAIN) { Local0 = LoadTable ("OEM1", "", "", "", "", 0)\nReturn (Local0) }')
    assert interp.evaluate("\\MAIN") == 0


def test_load_from_an_operation_region(iasl, tmp_path):
    ssdt = compile_asl(iasl, """DefinitionBlock ("", "SSDT", 2, "VCPUHP", "LOADED", 1)
        { Method (\\_SB.HELO) { Return ("loaded") } }""", tmp_path, "ssdt").read_bytes()
    data = ", ".join(f"{b:#04x}" for b in ssdt)
    interp = interpreter_for(iasl, tmp_path, f"""
        Name (TABL, Buffer () {{ {data} }})
        OperationRegion (TREG, SystemMemory, 0x80000, {len(ssdt)})
        Field (TREG, ByteAcc, NoLock, Preserve) {{ BLOB, {8 * len(ssdt)} }}
        Method (MAIN) {{ BLOB = TABL\nLoad (TREG, Local0)\nReturn (Local0) }}
    """)
    assert not interp.exists("\\_SB.HELO")
    assert interp.evaluate("\\MAIN") != 0
    assert interp.evaluate("\\_SB.HELO") == "loaded"


def test_data_table_region_reads_the_table(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        DataTableRegion (DTR0, "DSDT", "", "")
        Field (DTR0, ByteAcc, NoLock, Preserve) { SIG0, 32, LEN0, 32, REV0, 8 }
    """)
    sig, length, rev = (interp.evaluate(p) for p in ("\\SIG0", "\\LEN0", "\\REV0"))
    assert sig.to_bytes(4, "little") == b"DSDT"
    assert length == len(interp.tables[0]) and rev == 2


def test_object_kinds(iasl, tmp_path):
    interp = interpreter_for(iasl, tmp_path, """
        Scope (\\_PR) { Processor (CPU0, 0, 0x410, 6) {} }
        PowerResource (PWR0, 0, 0) { Method (_STA) { Return (1) } }
        ThermalZone (TZ00) { Method (_TMP) { Return (3000) } }
        OperationRegion (OPR0, SystemMemory, 0, 4)
        Name (BUF0, Buffer (4) {})
        CreateDWordField (BUF0, 0, DW00)
    """)
    kinds = {p: interp.object_type(p) for p in ("\\_PR.CPU0", "\\PWR0", "\\TZ00", "\\OPR0", "\\BUF0",
                                                  "\\DW00", "\\TZ00._TMP")}
    assert kinds == {"\\_PR.CPU0": "Processor", "\\PWR0": "PowerResource", "\\TZ00": "ThermalZone",
                     "\\OPR0": "OperationRegion", "\\BUF0": "Buffer", "\\DW00": "BufferField",
                     "\\TZ00._TMP": "Method"}
    assert [p for p, _ in interp.devices("ACPI0007")] == ["\\_PR.CPU0"]
    assert interp.evaluate("\\TZ00._TMP") == 3000


def test_ids_lists_hid_then_cid_as_text():
    dsdt = b.DefinitionBlock("DSDT", revision=2)
    with dsdt.device("DEV0"):
        dsdt.name("_HID", EisaId("PNP0A06"))
        dsdt.name("_CID", ["ACPI0004", EisaId("PNP0A05")])
    with dsdt.device("DEV1"):
        dsdt.name("_UID", 1)
    interp = Interpreter()
    interp.load(dsdt.encode())
    assert interp.ids("\\DEV0") == ["PNP0A06", "ACPI0004", "PNP0A05"]
    assert interp.ids("DEV1") == []
    with pytest.raises(AmlError, match="does not exist"):
        interp.ids("\\NONE")


def test_notify_and_debug_records_keep_only_the_newest() -> None:
    """A guest that runs for weeks: the interpreter's records stay bounded, newest kept."""
    from vcpu_hotplug.acpi.aml.interpreter import RecentRecords
    records = RecentRecords(3)
    for i in range(100):
        records.append(i)
    assert 3 <= len(records) <= 6 and records[-1] == 99
    assert records == list(range(100 - len(records), 100))
    assert records.dropped == 100 - len(records)
