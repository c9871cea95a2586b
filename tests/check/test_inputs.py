"""What the checker reads, and what it refuses: every unusable input is one CheckError naming what and where."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.check import kit
from vcpu_hotplug.acpi.tableio import format_acpidump
from vcpu_hotplug.check.errors import CheckError
from vcpu_hotplug.check.runner import check_path, check_tables

SEED = 7
MUTATIONS = 60


def _write(directory: Path, tables: kit.Tables, suffix: str = ".dat") -> Path:
    directory.mkdir(exist_ok=True)
    for sig, data in tables.items():
        (directory / (sig + suffix)).write_bytes(data)
    return directory


@pytest.mark.parametrize("sig, data, message", [
    ("JUNK", bytes(random.Random(SEED).randrange(256) | 0x80 for _ in range(300)), "not an ACPI table"),
    ("APIC", kit.ours()["APIC"][:50], "runs past the end of the data"),
    ("DSDT", b"DSDT", "truncated"),
    ("FACP", b"", "empty file"),
])
def test_unreadable_files_are_one_error(tmp_path: Path, sig: str, data: bytes, message: str) -> None:
    path = tmp_path / f"{sig}.dat"
    path.write_bytes(data)
    with pytest.raises(CheckError, match=message) as err:
        check_path(path)
    assert path.name in str(err.value)
    directory = _write(tmp_path / "dir", {**kit.ours(), sig: data})
    with pytest.raises(CheckError, match=message) as err:
        check_path(directory)
    assert f"{sig}.dat" in str(err.value)


def test_directory_problems(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="no such file or directory"):
        check_path(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckError, match="empty directory"):
        check_path(empty)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "README.md").write_text("no tables here")
    with pytest.raises(CheckError, match="no table files"):
        check_path(notes)
    with pytest.raises(CheckError, match="no tables of variant 'memhp'"):
        check_path(_write(tmp_path / "ours", kit.ours()), variant="memhp")


@pytest.mark.parametrize("text, message", [
    ("DSDT @ 0x0000000000000000\n    0000: 44 53 44 54 ZZ\n", "no hex dump lines follow the table header"),
    ("DSDT @ 0x0\n    0000: 44 53 44 54 24 00 00 00 02 00\n    0010: 41\n", "does not follow the previous line"),
    ("APIC @ 0x0\n    0000: 41 50 49 43 FF 00 00 00\n", "truncated"),
    ("    0000: 41 50 49 43\n", "text, but not acpidump output"),
    ("FACP @ 0x0\n\n", "no hex dump lines"),
])
def test_acpidump_with_junk_is_one_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "acpidump.txt"
    path.write_text(text)
    with pytest.raises(CheckError, match=message):
        check_path(path)


def test_directory_acpidump_and_bytes_give_the_same_verdict(tmp_path: Path) -> None:
    tables = kit.ours()
    dump = tmp_path / "dump.txt"
    dump.write_text(format_acpidump(list(tables.values())))
    reports = [check_path(_write(tmp_path / "raw", tables)), check_path(dump),
               check_path(_write(tmp_path / "lower", {k.lower(): v for k, v in tables.items()})),
               check_tables(list(tables.values()))]
    assert {r.summary() for r in reports} == {"40 rules: 37 PASS, 0 WARN, 0 FAIL, 3 SKIP; no rule FAILs"}


def test_text_files_next_to_tables_are_skipped(tmp_path: Path) -> None:
    directory = _write(tmp_path / "t", kit.ours())
    (directory / "APIC.dsl").write_text("/* ASL */")
    (directory / "notes.txt").write_text("hello")
    report = check_path(directory)
    assert report.skipped_files == ["APIC.dsl", "notes.txt"]
    assert report.ok


def test_mutated_tables_give_a_report_or_one_error() -> None:
    """Random byte flips and truncations of every table: a report (rules judge it) or a CheckError, nothing else."""
    rng = random.Random(SEED)
    base = kit.ours("cpus=2,maxcpus=6")
    outcomes = {"report": 0, "error": 0}
    for i in range(MUTATIONS):
        sig = rng.choice(sorted(base))
        data = bytearray(base[sig])
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)):]
        fixed = kit.with_checksum(bytes(data)) if len(data) > 10 and rng.random() < 0.7 else bytes(data)
        try:
            report = check_tables(list({**base, sig: fixed}.values()), boot=i % 4 == 0)
        except CheckError as exc:
            assert str(exc)
            outcomes["error"] += 1
        else:
            assert report.results
            for p in report.predictions or []:
                assert not (p.error or "").startswith("the guest model failed"), p.error
            outcomes["report"] += 1
    assert outcomes["report"] and outcomes["error"]
