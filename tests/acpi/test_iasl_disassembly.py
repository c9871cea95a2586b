"""Tables we encode disassemble cleanly with ACPICA's ``iasl -d``, and iasl reads the same values we do.

iasl 20200925 predates ACPI 6.5: it is given the 6.4 MADT layout (revision
5, 80-byte GICC) for the field-by-field comparison; the 6.5 layout is only
checked to disassemble with every structure where its length says.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from vcpu_hotplug.acpi.madt import Gicc, Gicr, MadtLayout
from vcpu_hotplug.acpi.pptt import ProcessorNode
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.vmm.firmware_tables import FirmwareOptions, build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

_LINE = re.compile(r"^\[([0-9A-F]+)h \d+\s+\d+\]\s+(.*?)\s*: (.*)$")
_PROBLEMS = re.compile(r"error|warning|invalid|unknown|\*\*\*\*", re.IGNORECASE)


@dataclass
class DslField:
    offset: int
    name: str
    value: str

    def int(self) -> int:
        return int(self.value.split()[0], 16)


def _disassemble(iasl: str, tmp_path: Path, name: str, data: bytes) -> list[DslField]:
    src = tmp_path / f"{name}.dat"
    src.write_bytes(data)
    run = subprocess.run([iasl, "-d", src.name], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    dsl = (tmp_path / f"{name}.dsl").read_text()
    body = dsl.split("Raw Table Data")[0]
    problems = [line for line in body.splitlines() if _PROBLEMS.search(line)]
    assert not problems, problems
    assert not _PROBLEMS.search(run.stderr), run.stderr
    fields = []
    for line in body.splitlines():
        match = _LINE.match(line)
        if match:
            fields.append(DslField(int(match.group(1), 16), match.group(2), match.group(3).strip()))
    return fields


def _subtables(fields: list[DslField]) -> list[list[DslField]]:
    groups: list[list[DslField]] = []
    for f in fields:
        if f.name == "Subtable Type":
            groups.append([])
        if groups:
            groups[-1].append(f)
    return groups


def _get(group: list[DslField], name: str) -> DslField:
    return next(f for f in group if f.name == name)


@dataclass
class Placed:
    """One table of the VMM's firmware image: where it is, its bytes, and our decoding of them."""

    address: int
    data: bytes

    @property
    def table(self):
        return decode_table(self.data)


def _sample(cpus: int, maxcpus: int, layout: MadtLayout) -> dict[str, Placed]:
    """The tables our VMM gives a cpus-of-maxcpus machine (what a guest reads), by signature."""
    image = build_firmware(Machine(MachineConfig(smp=f"cpus={cpus},maxcpus={maxcpus}")),
                           FirmwareOptions(madt_layout=layout))
    return {sig: Placed(address, data) for sig, address, data in image.in_memory_order()}


@pytest.mark.parametrize(("cpus", "maxcpus"), [(2, 6), (1, 20)])
def test_iasl_reads_our_madt_like_we_do(iasl: str, tmp_path: Path, cpus: int, maxcpus: int) -> None:
    placed = _sample(cpus, maxcpus, MadtLayout.ACPI_6_4)["APIC"]
    fields = _disassemble(iasl, tmp_path, "apic", placed.data)
    assert _get(fields, "Revision").int() == 5
    groups = _subtables(fields)
    giccs = [g for g in groups if g[0].value.startswith("0B")]
    gicrs = [g for g in groups if g[0].value.startswith("0E")]
    ours = placed.table.of_type(Gicc)
    assert len(giccs) == len(ours) == maxcpus
    for dsl, gicc in zip(giccs, ours):
        assert _get(dsl, "Length").int() == 0x50
        assert _get(dsl, "Processor UID").int() == gicc.acpi_processor_uid
        assert _get(dsl, "Flags (decoded below)").int() == int(gicc.flags)
        assert _get(dsl, "ARM MPIDR").int() == gicc.mpidr
        assert _get(dsl, "Redistributor Base Address").int() == 0
    # spec facts, independent of our decoder: the boot CPU Enabled, the rest Online Capable only
    assert [_get(g, "Flags (decoded below)").int() for g in giccs] == [1] + [8] * (maxcpus - 1)
    assert [_get(g, "ARM MPIDR").int() & 0xFF for g in giccs] == [i % 16 for i in range(maxcpus)]
    (gicr,) = placed.table.of_type(Gicr)
    assert len(gicrs) == 1
    assert _get(gicrs[0], "Base Address").int() == gicr.discovery_range_base_address == 0x080A0000
    assert _get(gicrs[0], "Length", ).int() == 0x10  # the structure length comes first
    assert [f for f in gicrs[0] if f.name == "Length"][1].int() == 0x20000 * maxcpus


def test_iasl_walks_the_acpi_6_5_madt_by_its_82_byte_gicc(iasl: str, tmp_path: Path) -> None:
    fields = _disassemble(iasl, tmp_path, "apic65", _sample(2, 6, MadtLayout.ACPI_6_5)["APIC"].data)
    groups = _subtables(fields)
    gicc_offsets = [g[0].offset for g in groups if g[0].value.startswith("0B")]
    assert len(gicc_offsets) == 6
    assert {b - a for a, b in zip(gicc_offsets, gicc_offsets[1:])} == {82}
    assert [g[0].value[:2] for g in groups] == ["0C"] + ["0B"] * 6 + ["0E", "0F"]


def test_iasl_reads_our_pptt_parents(iasl: str, tmp_path: Path) -> None:
    placed = _sample(2, 6, MadtLayout.ACPI_6_5)["PPTT"]
    groups = _subtables(_disassemble(iasl, tmp_path, "pptt", placed.data))
    offsets = placed.table.offsets()
    assert [g[0].offset for g in groups] == offsets
    for dsl, node in zip(groups, placed.table.nodes):
        assert isinstance(node, ProcessorNode)
        assert _get(dsl, "Parent").int() == node.parent
        assert _get(dsl, "ACPI Processor ID").int() == node.acpi_processor_id
        assert _get(dsl, "Flags (decoded below)").int() == int(node.flags)
    parents = {_get(g, "Parent").int() for g in groups[1:]}
    assert parents == {offsets[0]}


@pytest.mark.parametrize("signature", ["FACP", "GTDT", "XSDT", "DSDT"])
def test_iasl_disassembles_our_other_tables(iasl: str, tmp_path: Path, signature: str) -> None:
    tables = _sample(2, 6, MadtLayout.ACPI_6_5)
    placed = tables[signature]
    fields = _disassemble(iasl, tmp_path, signature.lower(), placed.data)
    if signature == "FACP":
        assert _get(fields, "ARM Flags (decoded below)").int() == 3
        assert _get(fields, "Hypervisor ID").int() == placed.table.hypervisor_vendor_identity
        dsdt_addresses = [f.int() for f in fields if f.name == "DSDT Address"]
        assert dsdt_addresses[-1] == tables["DSDT"].address
    if signature == "GTDT":
        assert _get(fields, "Non-Secure EL1 Interrupt").int() == 30
        assert _get(fields, "NEL1 Flags (decoded below)").int() == 4
    if signature == "XSDT":
        entries = [f.int() for f in fields if f.name.startswith("ACPI Table Address")]
        assert entries == [tables[s].address for s in ("FACP", "APIC", "GTDT", "PPTT")]
