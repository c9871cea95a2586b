"""A whole DSDT made with the builder survives iasl: it disassembles, and the ASL recompiles to the same AML."""

from __future__ import annotations

import re

import pytest

from tests.aml.builder_sample import CPU_HOTPLUG_BASE, GED_GSI, hotplug_dsdt
from tests.aml.iasl_helpers import body, compile_asl, disassemble
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.header import SdtHeader

MAX_CPUS = 6


@pytest.fixture(scope="module")
def table() -> bytes:
    return hotplug_dsdt(MAX_CPUS).encode()


def test_header_is_valid(table):
    header = SdtHeader.decode(table)  # raises on a bad length or checksum
    assert (header.signature, header.revision, header.oem_id, header.oem_table_id.rstrip()) == \
        ("DSDT", 2, "VCPUHP", "VIRTARM")
    assert header.length == len(table)


def test_iasl_disassembles_what_we_built(iasl, tmp_path, table):
    asl = disassemble(iasl, table, tmp_path)
    # What iasl prints back is what we built.
    for cpu in range(MAX_CPUS):
        assert f"Device (C{cpu:03X})" in asl
        assert re.search(rf"Name \(_UID, (0x{cpu:02X}|Zero|One)\)", asl)
        assert f"CSTA ({'Zero' if cpu == 0 else 'One' if cpu == 1 else f'0x{cpu:02X}'})" in asl
    assert asl.count("Method (_EJ0, 1, NotSerialized)") == MAX_CPUS - 1
    assert f"OperationRegion (PRST, SystemMemory, 0x{CPU_HOTPLUG_BASE:08X}, 0x0C)" in asl
    assert "Field (PRST, ByteAcc, NoLock, WriteAsZeros)" in asl
    assert re.search(r"Offset \(0x04\),\s+CPEN,\s+1,\s+CINS,\s+1,\s+CRMV,\s+1,\s+CEJ0,\s+1,\s+CEJF,\s+1,"
                     r"\s+CPRS,\s+1,\s+Offset \(0x05\),\s+CCMD,\s+8", asl)
    assert f"0x{GED_GSI:08X}," in asl
    assert 'EisaId ("PNP0A06")' in asl and 'EisaId ("PNP0A05")' in asl
    assert "Method (_EVT, 1, Serialized)" in asl
    assert "Method (MATH, 2, NotSerialized, 3)" in asl
    assert "Mutex (MTX1, 0x07)" in asl
    assert "Processor (CPU9, 0x09, 0x00000810, 0x06)" in asl
    assert "IndexField (IDXR, DATR, ByteAcc, NoLock, Preserve)" in asl
    assert "BankField (IOR0, WRD0, One, ByteAcc, NoLock, Preserve)" in asl
    assert "ElseIf" in asl and "While (One)" in asl
    assert "Name (_ADR, Ones)" in asl and "0x000000123456789A" in asl


def test_disassembly_recompiles_to_the_same_aml(iasl, tmp_path, table):
    """Legacy ASL (``-dl``) recompiled without name/constant optimisation gives back our bytes.

    (ASL+ output is not byte-exact through iasl: it prints ``Arg0 = (Arg0 - One)``
    and recompiles that as ``Subtract (Arg0, One, Arg0)``; same meaning.)
    """
    asl = disassemble(iasl, table, tmp_path / "d", legacy=True)
    again = compile_asl(iasl, asl, tmp_path / "c", flags=("-on", "-of"))
    assert body(again) == body(table)


def test_asl_plus_disassembly_recompiles(iasl, tmp_path, table):
    asl = disassemble(iasl, table, tmp_path / "d")
    compile_asl(iasl, asl, tmp_path / "c")


def test_the_parser_finds_every_object(table):
    tree = parse_definition_block(table)
    for cpu in range(MAX_CPUS):
        base = f"\\_SB_.CPUS.C{cpu:03X}"
        assert tree.objects[f"{base}._STA"] == 0
        assert tree.objects[f"{base}._OST"] == 3
        assert (f"{base}._EJ0" in tree.objects) == (cpu != 0)
    assert tree.objects["\\_SB_.CPUS.CSCN"] == 0
    assert tree.objects["\\_SB_.GED_._EVT"] == 1
    assert "\\_SB_.PRES.CSEL" in tree.objects


def test_size_grows_linearly_with_cpus():
    """Each extra CPU costs one processor device and one CTFY If, never more."""
    sizes = [len(hotplug_dsdt(n).encode()) for n in (8, 9, 10)]
    assert sizes[2] - sizes[1] == sizes[1] - sizes[0]
