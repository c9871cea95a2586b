"""The printed ASL recompiles with iasl to the original AML.

For every reference DSDT (and for builder output): print ASL, compile it with
``iasl -oa`` (no name, integer or constant optimisation) and compare:

* always *semantically* equal (see :mod:`tests.aml.asl_compare` for what iasl
  legitimately re-encodes: integer widths, constant-count VarPackages,
  Externals);
* byte for byte equal when the original has none of those re-encodings.

ASL 2.0 output (``asl2=True``) must compile too and be semantically equal,
forgiving iasl's ``X = (A + B)`` -> ``Add (A, B, X)``.
"""

from __future__ import annotations

import pytest

from tests.aml.asl_compare import first_difference, normalize
from tests.aml.builder_sample import hotplug_dsdt
from tests.aml.iasl_helpers import body, compile_asl
from tests.conftest import REFERENCE_TABLES
from vcpu_hotplug.acpi.aml import tree as t
from vcpu_hotplug.acpi.aml.asl import disassemble, to_asl, undeclared_names
from vcpu_hotplug.acpi.aml.opcodes import Opcode
from vcpu_hotplug.acpi.aml.parser import parse_definition_block

REFERENCE_DSDTS = sorted(p.relative_to(REFERENCE_TABLES).as_posix()
                         for p in REFERENCE_TABLES.glob("**/DSDT*")) if REFERENCE_TABLES.is_dir() else []
COMPILE_FLAGS = ("-oa",)


def reencodings(block: t.DefinitionBlock) -> list[str]:
    """What in ``block`` ASL cannot express, so iasl encodes it differently."""
    found = []
    for node in t.walk(block):
        if isinstance(node, t.Integer) and node.data_size > 1 and node.value < 1 << (8 * node.data_size // 2):
            found.append(f"{node.opcode.name} {node.value:#x} at {node.offset:#x}")
        if (isinstance(node, t.Package) and node.opcode is Opcode.VAR_PACKAGE
                and isinstance(node.count, t.Integer) and node.count.value <= 0xFF):
            found.append(f"constant-count VarPackage at {node.offset:#x}")
        if isinstance(node, t.External):
            found.append(f"External at {node.offset:#x}")
    found += [f"undeclared {name}" for name in undeclared_names(block)]
    return found


def check_round_trip(iasl: str, tmp_path, original: bytes, *, asl2: bool = False) -> list[str]:
    """Print, recompile, compare; returns the re-encodings that excuse a byte difference."""
    tree = parse_definition_block(original)
    asl = to_asl(tree, asl2=asl2)
    again = compile_asl(iasl, asl, tmp_path, flags=COMPILE_FLAGS)
    recompiled = parse_definition_block(again)
    where = first_difference(normalize(tree, asl2=asl2), normalize(recompiled, asl2=asl2))
    assert where is None, f"printed ASL recompiles to different AML at {where}"
    header, new_header = tree.header, recompiled.header
    assert (new_header.signature, new_header.revision, new_header.oem_revision) == \
        (header.signature, header.revision, header.oem_revision)
    assert new_header.oem_id.rstrip("\0") == header.oem_id.rstrip("\0")
    assert new_header.oem_table_id.rstrip("\0") == header.oem_table_id.rstrip("\0")
    excuses = reencodings(tree)
    if not excuses and not asl2:
        assert body(again) == body(original), "no re-encoding excuses a byte difference"
    return excuses


@pytest.fixture(params=REFERENCE_DSDTS or ["missing"])
def reference_dsdt(request, reference_tables) -> bytes:
    path = reference_tables / request.param
    return path.read_bytes()


def test_reference_dsdts_round_trip(iasl, tmp_path, reference_dsdt):
    check_round_trip(iasl, tmp_path, reference_dsdt)


def test_reference_dsdts_round_trip_in_asl2(iasl, tmp_path, reference_dsdt):
    check_round_trip(iasl, tmp_path, reference_dsdt, asl2=True)


def test_x86_q35_cpu_hotplug_dsdt_is_byte_exact(iasl, tmp_path, reference_tables):
    """QEMU's real CPU hotplug AML has nothing ASL cannot say: it must come back byte for byte."""
    data = (reference_tables / "qemu/x86-q35/DSDT.cphp").read_bytes()
    assert check_round_trip(iasl, tmp_path, data) == []


def test_re_encodings_in_qemu_arm_tables_are_only_the_prt_varpackage(reference_tables):
    """The only thing iasl re-encodes in QEMU's arm64 DSDT is the constant-count VarPackage of _PRT."""
    tree = parse_definition_block((reference_tables / "qemu/aarch64-virt/DSDT").read_bytes())
    assert [r.split(" at ")[0] for r in reencodings(tree)] == ["constant-count VarPackage"]


def test_memory_hotplug_dsdt_declares_its_external(reference_tables):
    asl = disassemble((reference_tables / "qemu/aarch64-virt/DSDT.memhp").read_bytes())
    assert "External (\\_SB.NVDR, UnknownObj)" in asl


def test_builder_output_round_trips_byte_exact(iasl, tmp_path):
    data = hotplug_dsdt(8).encode()
    assert check_round_trip(iasl, tmp_path, data) == []


def test_builder_output_round_trips_in_asl2(iasl, tmp_path):
    check_round_trip(iasl, tmp_path, hotplug_dsdt(8).encode(), asl2=True)

