"""The parser on QEMU's real DSDTs (../shared/reference-tables/**/DSDT*).

Every table must parse completely, with byte offsets that nest and tile, and
with the same method invocations (callee and argument count) that ACPICA's
disassembler finds. A DSDT the size of a maxcpus=512 machine must parse fast.
"""

from __future__ import annotations

import collections
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_TABLES
from vcpu_hotplug.acpi.aml import tree as T
from vcpu_hotplug.acpi.aml.opcodes import Opcode, RegionSpace
from vcpu_hotplug.acpi.aml.parser import parse_definition_block

DSDTS = sorted(REFERENCE_TABLES.glob("**/DSDT*")) if REFERENCE_TABLES.is_dir() else []
RFC_V5 = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/DSDT"


def _ids(path: Path) -> str:
    return str(path.relative_to(REFERENCE_TABLES))


def _bodies(node: T.Node) -> list[list[T.Node]]:
    return [getattr(node, a) for a in ("body", "elements") if hasattr(node, a)]


def _check_offsets(node: T.Node) -> int:
    """Children lie inside their parent; a body's terms tile it up to the parent's end."""
    count = 1
    for child in node.children():
        assert node.offset <= child.offset and child.end <= node.end, (node, child)
        count += _check_offsets(child)
    for body in _bodies(node):
        for a, b in zip(body, body[1:]):
            assert a.end == b.offset, (a, b)
        if body:
            assert body[-1].end == node.end, (node.offset, body[-1])
    return count


@pytest.fixture(params=DSDTS or [None], ids=lambda p: _ids(p) if p else "none")
def dsdt(request: pytest.FixtureRequest, reference_tables: Path) -> Path:
    assert request.param is not None, f"no DSDT under {reference_tables}"
    return request.param


def test_reference_dsdts_exist(reference_tables: Path) -> None:
    assert len(DSDTS) >= 6


def test_dsdt_parses_with_offsets_covering_the_whole_block(dsdt: Path) -> None:
    data = dsdt.read_bytes()
    blk = parse_definition_block(data)
    assert blk.header.signature == "DSDT" and blk.length == len(data)
    assert blk.body and blk.body[0].offset == 36 and blk.body[-1].end == len(data)
    assert _check_offsets(blk) > 100
    # Every call resolved to a method this block defines, with its argument count.
    methods = {m.path: m.arg_count for m in T.walk(blk) if isinstance(m, T.Method)}
    for call in (n for n in T.walk(blk) if isinstance(n, T.MethodCall)):
        assert methods[call.path] == len(call.args)


_CALL = re.compile(r"(?<![A-Za-z0-9_\\^.])([\\^]*(?:[A-Z_][A-Z0-9_]*\.)*[A-Z_][A-Z0-9_]{0,3}) \(")


def _iasl_calls(iasl: str, table: Path, tmp_path: Path, leaves: set[str]) -> collections.Counter:
    """Method invocations in ``iasl -d`` output, by callee NameSeg (trailing '_' stripped)."""
    src = tmp_path / "t.dat"
    src.write_bytes(table.read_bytes())
    subprocess.run([iasl, "-d", str(src)], cwd=tmp_path, capture_output=True, check=True, timeout=60)
    dsl = (tmp_path / "t.dsl").read_text()
    dsl = re.sub(r"/\*.*?\*/", "", re.sub(r"//[^\n]*", "", dsl), flags=re.S)
    found: collections.Counter = collections.Counter()
    for m in _CALL.finditer(dsl):
        leaf = m.group(1).split(".")[-1].lstrip("\\^")
        if leaf in leaves:
            found[leaf] += 1
    return found


def test_method_invocations_match_acpica(dsdt: Path, iasl: str, tmp_path: Path) -> None:
    blk = parse_definition_block(dsdt.read_bytes())
    ours = collections.Counter(n.name.segments[-1].rstrip("_")
                               for n in T.walk(blk) if isinstance(n, T.MethodCall))
    leaves = {p.rsplit(".", 1)[-1].lstrip("\\").rstrip("_") for p in blk.methods}
    assert ours == _iasl_calls(iasl, dsdt, tmp_path, leaves)


def test_rfc_v5_cpu_hotplug_objects(reference_tables: Path) -> None:
    blk = parse_definition_block((reference_tables / RFC_V5).read_bytes())
    devices = {d.path for d in T.walk(blk) if isinstance(d, T.Device)}
    cpus = [f"\\_SB_.CPUS.C00{i}" for i in range(6)]
    assert set(cpus) <= devices
    methods = blk.methods
    assert all(methods[c + "._STA"] == 0 and methods[c + "._OST"] == 3 for c in cpus)
    assert [c for c in cpus if c + "._EJ0" in methods] == cpus[1:]
    assert methods["\\_SB_.GED_._EVT"] == 1
    (region,) = [r for r in T.walk(blk) if isinstance(r, T.OperationRegion)
                 and r.path == "\\_SB_.PRES.PRST"]
    assert region.space == RegionSpace.SYSTEM_MEMORY
    assert (region.region_offset.value, region.region_length.value) == (0x090C0000, 12)
    fields = {e.name: (e.bit_offset, e.bit_width) for f in T.walk(blk) if isinstance(f, T.Field)
              for e in f.elements if isinstance(e, T.NamedField)}
    # flags byte at offset 4: bit 0 enabled ... bit 5 present; command byte at 5; data at 8
    assert fields["CPEN"] == (32, 1) and fields["CPRS"] == (37, 1)
    assert fields["CCMD"] == (40, 8) and fields["CSEL"] == (0, 32) and fields["CDAT"] == (64, 32)
    # _EVT's bit-0x8 branch calls \_SB.GED.CSCN, defined after _EVT (a forward reference)
    (evt,) = [m for m in T.walk(blk) if isinstance(m, T.Method) and m.path == "\\_SB_.GED_._EVT"]
    calls = [c for c in T.walk(evt) if isinstance(c, T.MethodCall)]
    assert [c.path for c in calls] == ["\\_SB_.GED_.CSCN"]
    (ctfy,) = [m for m in T.walk(blk) if isinstance(m, T.Method) and m.path == "\\_SB_.CPUS.CTFY"]
    notifies = [n for n in T.walk(ctfy) if isinstance(n, T.Op) and n.opcode is Opcode.NOTIFY]
    assert [str(n.args[0].name) for n in notifies] == [f"C00{i}" for i in range(6)]


def _big_cpu_dsdt_asl(count: int) -> str:
    """ASL shaped like QEMU's CPU hotplug AML, for ``count`` CPUs."""
    lines = ["DefinitionBlock (\"\", \"DSDT\", 2, \"VCPUHP\", \"BIGCPUS\", 1) {",
             "Scope (\\_SB) { Device (CPUS) {",
             "Method (CSTA, 1, Serialized) { Return (Arg0) }",
             "Method (COST, 4, Serialized) { Return (Arg3) }",
             "Method (CTFY, 2, NotSerialized) {"]
    lines += [f"If (Arg0 == {i}) {{ Notify (C{i:03X}, Arg1) }}" for i in range(count)]
    lines.append("}")
    for i in range(count):
        lines.append(
            f"Device (C{i:03X}) {{ Name (_HID, \"ACPI0007\") Name (_UID, {i})"
            f" Method (_STA, 0, Serialized) {{ Return (CSTA ({i})) }}"
            f" Method (_EJ0, 1, NotSerialized) {{ COST ({i}, Arg0, 1, 2) }}"
            f" Method (_OST, 3, Serialized) {{ COST ({i}, Arg0, Arg1, Arg2) }}"
            f" Name (_MAT, Buffer (0x50) {{ 0x0B, 0x50, 0x00, 0x00, {i & 0xFF}, 0x00 }}) }}")
    lines.append("} } }")
    return "\n".join(lines)


def test_a_maxcpus_512_dsdt_parses_quickly(iasl: str, tmp_path: Path) -> None:
    src = tmp_path / "big.asl"
    src.write_text(_big_cpu_dsdt_asl(512))
    subprocess.run([iasl, "-p", str(tmp_path / "big"), str(src)], capture_output=True, check=True,
                   timeout=120)
    data = (tmp_path / "big.aml").read_bytes()
    start = time.perf_counter()
    blk = parse_definition_block(data)
    elapsed = time.perf_counter() - start
    calls = [n for n in T.walk(blk) if isinstance(n, T.MethodCall)]
    assert len(calls) == 3 * 512
    assert elapsed < 2.0, f"{len(data)} bytes took {elapsed:.2f}s"
