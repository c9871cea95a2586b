"""Field access patterns: exactly the region accesses ACPICA makes (exfldio.c, exprep.c).

The VMM counts every register access as a VM exit, so the access width, the
number of accesses and the read-modify-write rule matter as much as the value.
"""

from __future__ import annotations

import pytest

from tests.aml.interp_support import interpreter_for
from vcpu_hotplug.acpi.aml import RecordingHandler, RegionSpace, SparseStore
from vcpu_hotplug.acpi.errors import AmlError

IO = int(RegionSpace.SYSTEM_IO)
MEM = int(RegionSpace.SYSTEM_MEMORY)


def _run(iasl, tmp_path, fields: str, code: str, preset: dict | None = None, space="SystemIO",
         base=0x100, length=0x20):
    store = SparseStore()
    handler = RecordingHandler(store)
    interp = interpreter_for(iasl, tmp_path, f"""
        OperationRegion (REGN, {space}, {base:#x}, {length:#x})
        {fields}
        Method (MAIN) {{ {code} }}
    """, handler=handler)
    sid = IO if space == "SystemIO" else MEM
    for addr, value in (preset or {}).items():
        store.write(sid, addr, 1, value)
    handler.accesses.clear()
    result = interp.evaluate("\\MAIN")
    return result, [(a.kind, a.address, a.size, a.value) for a in handler.accesses], store


def test_preserve_partial_write_reads_then_writes(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, "Field (REGN, ByteAcc, NoLock, Preserve) { Offset (1), , 2, FLD, 4 }",
                     "FLD = 0x5", preset={0x101: 0xFF})
    assert acc == [("read", 0x101, 1, 0xFF), ("write", 0x101, 1, 0xC3 | (0x5 << 2))]


def test_write_as_zeros_does_not_read(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, "Field (REGN, ByteAcc, NoLock, WriteAsZeros) { Offset (1), , 2, FLD, 4 }",
                     "FLD = 0x5", preset={0x101: 0xFF})
    assert acc == [("write", 0x101, 1, 0x5 << 2)]


def test_write_as_ones_does_not_read(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, "Field (REGN, ByteAcc, NoLock, WriteAsOnes) { Offset (1), , 2, FLD, 4 }",
                     "FLD = 0x5")
    assert acc == [("write", 0x101, 1, 0xC3 | (0x5 << 2))]


def test_full_width_write_skips_preserve_read(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, "Field (REGN, DWordAcc, NoLock, Preserve) { Offset (4), FLD, 32 }",
                     "FLD = 0x12345678")
    assert acc == [("write", 0x104, 4, 0x12345678)]


def test_dword_access_for_a_byte_inside_a_dword(iasl, tmp_path):
    value, acc, _ = _run(iasl, tmp_path, "Field (REGN, DWordAcc, NoLock, Preserve) { Offset (5), FLD, 8 }",
                         "FLD = 0xAB\nReturn (FLD)", preset={0x104: 0x11, 0x107: 0x44})
    assert acc == [("read", 0x104, 4, 0x44000011), ("write", 0x104, 4, 0x4400AB11),
                   ("read", 0x104, 4, 0x4400AB11)]
    assert value == 0xAB


def test_unaligned_field_spans_two_datums(iasl, tmp_path):
    value, acc, _ = _run(iasl, tmp_path, "Field (REGN, WordAcc, NoLock, Preserve) { Offset (1), FLD, 16 }",
                         "Return (FLD)", preset={0x101: 0x34, 0x102: 0x12})
    assert acc == [("read", 0x100, 2, 0x3400), ("read", 0x102, 2, 0x0012)]
    assert value == 0x1234


def test_any_acc_accesses_bytes(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, "Field (REGN, AnyAcc, NoLock, Preserve) { FLD, 32 }",
                     "Return (FLD)")
    assert [(k, a, s) for k, a, s, _ in acc] == [("read", 0x100 + i, 1) for i in range(4)]


def test_qword_access(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, "Field (REGN, QWordAcc, NoLock, Preserve) { Offset (8), FLD, 64 }",
                     "FLD = 0x1122334455667788")
    assert acc == [("write", 0x108, 8, 0x1122334455667788)]


def test_access_as_changes_width_midway(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path,
                     "Field (REGN, ByteAcc, NoLock, Preserve) { FB, 8, AccessAs (DWordAcc), Offset (4), FD, 32 }",
                     "FB = 1\nFD = 2")
    assert acc == [("write", 0x100, 1, 1), ("write", 0x104, 4, 2)]


def test_index_field_writes_index_before_each_datum(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, """
        Field (REGN, ByteAcc, NoLock, Preserve) { IDX, 8, DAT, 8 }
        IndexField (IDX, DAT, ByteAcc, NoLock, Preserve) { Offset (2), FLD, 16 }""",
                     "Return (FLD)")
    assert [(k, a) for k, a, _, _ in acc] == [("write", 0x100), ("read", 0x101),
                                                ("write", 0x100), ("read", 0x101)]
    assert [v for k, _, _, v in acc if k == "write"] == [2, 3]


def test_bank_field_selects_bank_first(iasl, tmp_path):
    _, acc, _ = _run(iasl, tmp_path, """
        Field (REGN, ByteAcc, NoLock, Preserve) { BNK, 8 }
        BankField (REGN, BNK, 3, ByteAcc, NoLock, Preserve) { Offset (8), FLD, 8 }""",
                     "FLD = 0x77")
    assert acc == [("write", 0x100, 1, 3), ("write", 0x108, 1, 0x77)]


def test_wide_field_reads_as_buffer(iasl, tmp_path):
    value, _, _ = _run(iasl, tmp_path, "Field (REGN, ByteAcc, NoLock, Preserve) { FLD, 72 }",
                       "Return (FLD)", preset={0x100: 1, 0x108: 9})
    assert value == bytes([1, 0, 0, 0, 0, 0, 0, 0, 9])


def test_system_memory_region_uses_its_space(iasl, tmp_path):
    _, acc, store = _run(iasl, tmp_path, "Field (REGN, DWordAcc, NoLock, Preserve) { FLD, 32 }",
                         "FLD = 0xCAFE", space="SystemMemory", base=0x9000000)
    assert acc == [("write", 0x9000000, 4, 0xCAFE)]
    assert store.read(RegionSpace.SYSTEM_MEMORY, 0x9000000, 4) == 0xCAFE
    assert store.read(RegionSpace.SYSTEM_IO, 0x9000000, 4) == 0


def test_access_beyond_region_is_an_error(iasl, tmp_path):
    with pytest.raises(AmlError, match="beyond the end of region"):
        _run(iasl, tmp_path, "Field (REGN, DWordAcc, NoLock, Preserve) { Offset (2), FLD, 32 }",
             "Return (FLD)", length=4)
