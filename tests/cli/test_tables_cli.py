"""``vcpu-hotplug tables dump`` and ``tables sample``: readable, JSON, one-line errors, no traceback."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from vcpu_hotplug.acpi.tableio import format_acpidump
from vcpu_hotplug.cli import main

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart already


def _run(*args: str):
    return _runner().invoke(main, ["tables", *args])


def test_dump_shows_gicc_with_spec_names(reference_tables: Path) -> None:
    result = _run("dump", str(reference_tables / RFC / "APIC"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    gicc1 = next(line for line in lines if line.strip().startswith("GICC[1]"))
    assert "ACPI Processor UID: 1" in gicc1
    assert "Flags: 0x8 (Online Capable)" in gicc1
    assert "MPIDR: 0x1" in gicc1
    assert any("GICC[0]" in line and "Flags: 0x1 (Enabled)" in line for line in lines)
    assert sum("GICR[" in line for line in lines) == 1


def test_dump_json_is_machine_readable(reference_tables: Path) -> None:
    paths = [str(reference_tables / RFC / name) for name in ("APIC", "PPTT", "DSDT")]
    result = _run("dump", "--json", *paths)
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert [i["source"] for i in items] == paths
    madt = items[0]["table"]
    giccs = [s for s in madt["subtables"] if s["kind"] == "GICC"]
    assert [g["flags"]["value"] for g in giccs] == [1, 8, 8, 8, 8, 8]
    assert giccs[1]["flags"]["names"] == ["Online Capable"]
    assert items[2]["table"]["header"]["signature"] == "DSDT"


def test_dump_reads_acpidump_text(reference_tables: Path, tmp_path: Path) -> None:
    dump = tmp_path / "acpidump.txt"
    dump.write_text(format_acpidump([(reference_tables / RFC / n).read_bytes() for n in ("FACP", "GTDT")]))
    result = _run("dump", str(dump))
    assert result.exit_code == 0, result.stderr
    assert "ARM_BOOT_ARCH: 0x3 (PSCI Compliant, PSCI Use HVC)" in result.stdout
    assert "Non-Secure EL1 Timer GSIV: 30" in result.stdout


def test_bad_checksum_fails_then_lenient_reports_it(reference_tables: Path, tmp_path: Path) -> None:
    bad = tmp_path / "APIC"
    data = bytearray((reference_tables / RFC / "APIC").read_bytes())
    data[24] ^= 1
    bad.write_bytes(bytes(data))
    result = _run("dump", str(bad))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {bad}: APIC at offset 0x9: bad checksum 0xa0 (the table needs 0xa1)"
    lenient = _run("dump", "--lenient", str(bad))
    assert lenient.exit_code == 0
    assert "(BAD)" in lenient.stdout and "GICC[5]" in lenient.stdout


def test_one_bad_file_does_not_hide_the_good_ones(reference_tables: Path, tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_bytes((reference_tables / RFC / "GTDT").read_bytes()[:40])
    good = reference_tables / RFC / "PPTT"
    result = _run("dump", str(short), str(good))
    assert result.exit_code == 1
    assert "Processor Hierarchy Node" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "past the end" in errors[0] and str(short) in errors[0]


def test_directory_and_missing_file_are_usage_errors(tmp_path: Path) -> None:
    for arg in (str(tmp_path), str(tmp_path / "missing")):
        result = _run("dump", arg)
        assert result.exit_code == 2
        assert "Traceback" not in result.stderr


def test_sample_two_of_six(tmp_path: Path) -> None:
    result = _run("sample", "--cpus", "2", "--maxcpus", "6")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    flags = re.findall(r"GICC\[\d+\]\s+ACPI Processor UID: \d+\s+Flags: (0x[0-9a-f]+)", out)
    assert flags == ["0x1", "0x8", "0x8", "0x8", "0x8", "0x8"]     # the boot CPU Enabled, the rest Online Capable
    assert "Discovery Range Base Address: 0x80a0000  Discovery Range Length: 0xc0000" in out
    assert "GIC ITS[0]" in out and "Physical Base Address: 0x8080000" in out
    for sig in ("RSDP", "XSDT", "FACP", "APIC", "GTDT", "PPTT"):
        assert re.search(rf"^{sig}\b", out, re.MULTILINE), sig


def test_sample_json_and_6_4_layout() -> None:
    result = _run("sample", "--cpus", "1", "--maxcpus", "3", "--json", "--acpi-6.4")
    assert result.exit_code == 0, result.stderr
    tables = {i["table"].get("header", {}).get("signature", "RSDP"): i for i in json.loads(result.stdout)}
    madt = tables["APIC"]["table"]
    assert madt["header"]["revision"] == 5
    giccs = [s for s in madt["subtables"] if s["kind"] == "GICC"]
    assert [g["length"] for g in giccs] == [80, 80, 80]
    assert tables["RSDP"]["table"]["xsdt_address"] == tables["XSDT"]["address"]


def test_sample_acpidump_output_reads_back(tmp_path: Path) -> None:
    result = _run("sample", "--cpus", "2", "--maxcpus", "4", "--acpidump")
    assert result.exit_code == 0
    dump = tmp_path / "sample.txt"
    dump.write_text(result.stdout)
    again = _run("dump", str(dump))
    assert again.exit_code == 0 and again.stdout.count("GICC[") == 4


@pytest.mark.parametrize("args", [["--cpus", "3", "--maxcpus", "2"], ["--cpus", "1", "--maxcpus", "600"],
                                  ["--cpus", "0", "--maxcpus", "2"]])
def test_sample_rejects_impossible_machines(args: list[str]) -> None:
    result = _run("sample", *args)
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    script = ROOT / ".venv" / "bin" / "vcpu-hotplug"
    from tests.conftest import require

    require(script.exists(), f"{script} (run make test once)")
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("FACP @ 0x0\n    0000: 46 41 43 50 00 01 00 00\n")
    binary = tmp_path / "binary"
    binary.write_bytes(b"\x00\x01\x02")
    for args in (["dump", str(garbage)], ["dump", str(binary)], ["dump", str(tmp_path)]):
        run = subprocess.run([str(script), "tables", *args], capture_output=True, text=True, timeout=60)
        assert run.returncode != 0, args
        assert "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) >= 1
    run = subprocess.run([str(script), "tables", "dump", str(garbage)], capture_output=True, text=True, timeout=60)
    assert run.stderr.strip().splitlines() == [run.stderr.strip()]  # one line
    assert "line 1" in run.stderr and "truncated" in run.stderr
