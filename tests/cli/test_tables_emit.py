"""``vcpu-hotplug tables emit``: raw tables, acpidump text, ASL, decoded text and a README, all checkable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.check import kit
from vcpu_hotplug.acpi.madt import Madt, MadtLayout
from vcpu_hotplug.acpi.tableio import read_tables
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.check.runner import check_path
from vcpu_hotplug.cli import main

SMP = "cpus=2,maxcpus=6"
RAW = ["RSDP.dat", "XSDT.dat", "FACP.dat", "DSDT.aml", "APIC.dat", "GTDT.dat", "PPTT.dat"]
TEXT = ["RSDP.txt", "XSDT.txt", "FACP.txt", "DSDT.dsl", "APIC.txt", "GTDT.txt", "PPTT.txt"]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart already


def _emit(out: Path, *extra: str, smp: str = SMP):
    return _runner().invoke(main, ["tables", "emit", "--smp", smp, "-o", str(out), *extra])


@pytest.fixture(scope="module")
def emitted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("emit") / "tables"
    result = _emit(out)
    assert result.exit_code == 0, result.stderr
    return out


def test_every_file_is_written(emitted: Path) -> None:
    assert sorted(p.name for p in emitted.iterdir()) == sorted(RAW + TEXT + ["acpidump.txt", "README.md"])


def test_raw_files_are_the_vmm_tables(emitted: Path) -> None:
    ours = kit.ours(SMP)
    for name in RAW:
        assert (emitted / name).read_bytes() == ours[name.split(".")[0]], name
    dumped = read_tables([emitted / "acpidump.txt"])
    assert [t.data for t in dumped] == list(ours.values())
    assert dumped[0].signature == "RSDP" and dumped[0].address == 0x7FFF_0000


def test_readable_forms(emitted: Path) -> None:
    asl = (emitted / "DSDT.dsl").read_text()
    assert 'DefinitionBlock ("", "DSDT", 2, "VCPUHP", "VCPUHPVM", 0x00000001)' in asl
    assert "Device (C005)" in asl and "Method (_EJ0, 1" in asl
    apic = (emitted / "APIC.txt").read_text()
    assert apic.startswith("APIC (MADT)  Length: 596  Revision: 6")
    assert "GICC[0]  ACPI Processor UID: 0  Flags: 0x1 (Enabled)" in apic
    assert "GICC[1]  ACPI Processor UID: 1  Flags: 0x8 (Online Capable)" in apic


def test_readme_states_the_register_block_and_ged(emitted: Path) -> None:
    readme = (emitted / "README.md").read_text()
    assert "arm64 `virt`: MMIO 0x090c0000" in readme and "- 0x10000 bytes (QEMU's registers in the first 12" in readme
    assert "offset [0x4]\n  CPU device status fields: (1 byte access). Bits:\n  - 0: device is enabled" in readme
    assert "  - 1: device insert event" in readme and "  - 2: device remove event" in readme
    assert "  - 3: ejects the CPU" in readme and "  - 5: device is present" in readme
    assert "offset [0x5]\n  Command field: (1 byte access). Values:\n  - 0: selects the next CPU" in readme
    assert "offset [0x8-0xb]\n  Command data: (DWORD access)" in readme
    assert "offset [0x10-0x13]\n  **Next event** (fast path; 4-byte access only" in readme
    assert "event selector at 0x09080000, 4 bytes" in readme
    assert "GSI 41 (SPI 9, edge, active high)" in readme and "bit 0x8 (CPU hotplug" in readme
    assert "Enabled for vCPU 0 (the boot vCPU), Online Capable (not Enabled) for 1-5" in readme
    assert "Policy at boot (`-smp cpus=2`): vCPUs 0-1 enabled" in readme and "2-5 disabled until hot-added" in readme
    assert "--boot-cpus 2" in readme and "no rule FAILs" in readme and "0 WARN, 0 FAIL" in readme


def test_the_directory_and_its_acpidump_check(emitted: Path) -> None:
    for path in (emitted, emitted / "acpidump.txt"):
        report = check_path(path)
        assert report.ok and report.count(Status.FAIL) == 0
    assert sorted(check_path(emitted).skipped_files) == sorted(TEXT + ["acpidump.txt", "README.md"])


def test_acpi_6_4_layout(tmp_path: Path) -> None:
    assert _emit(tmp_path / "t", "--acpi-6.4", smp="cpus=1,maxcpus=4").exit_code == 0
    madt = Madt.decode((tmp_path / "t" / "APIC.dat").read_bytes())
    assert madt.header.revision == MadtLayout.ACPI_6_4.revision
    assert {g.length for g in madt.giccs} == {MadtLayout.ACPI_6_4.gicc_length}
    assert "MADT revision 5 with 80-byte GICCs (ACPI 6.4)" in (tmp_path / "t" / "README.md").read_text()
    assert check_path(tmp_path / "t").ok


def test_bad_smp_is_a_usage_error(tmp_path: Path) -> None:
    result = _emit(tmp_path / "t", smp="cpus=8,maxcpus=4")
    assert result.exit_code == 2
    assert "--smp" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "t").exists()


def test_iasl_disassembles_the_raw_dsdt(emitted: Path, iasl: str, tmp_path: Path) -> None:
    shutil.copy(emitted / "DSDT.aml", tmp_path / "DSDT.aml")
    done = subprocess.run([iasl, "-d", "DSDT.aml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Device (C005)" in (tmp_path / "DSDT.dsl").read_text()
