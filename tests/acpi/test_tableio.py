"""Reading raw and acpidump-text tables, and writing acpidump text that acpixtract reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require
from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.tableio import LoadedTable, format_acpidump, parse_acpidump, read_tables

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"


def _rfc_tables(reference_tables: Path) -> list[Path]:
    return sorted((reference_tables / RFC).iterdir())


def test_raw_binary_files_are_read_whole(reference_tables: Path) -> None:
    paths = _rfc_tables(reference_tables)
    loaded = read_tables(paths)
    assert [t.source for t in loaded] == [str(p) for p in paths]
    assert [t.data for t in loaded] == [p.read_bytes() for p in paths]
    assert [t.signature for t in loaded] == [p.name for p in paths]


def test_acpidump_text_round_trips_through_our_writer(reference_tables: Path, tmp_path: Path) -> None:
    originals = read_tables(_rfc_tables(reference_tables))
    dump = tmp_path / "dump.txt"
    dump.write_text(format_acpidump(originals, addresses=range(0x1000, 0x10000, 0x1000)))
    back = read_tables([dump])
    assert [t.data for t in back] == [t.data for t in originals]
    assert [t.address for t in back] == list(range(0x1000, 0x1000 * (len(originals) + 1), 0x1000))
    assert all(t.source == str(dump) for t in back)


def test_our_writer_matches_real_acpidump_output(reference_tables: Path, tmp_path: Path) -> None:
    acpidump = shutil.which("acpidump")
    require(acpidump is not None, "acpidump (apt-get install acpica-tools)")
    table = reference_tables / RFC / "APIC"
    real = subprocess.run([acpidump, "-f", str(table)], capture_output=True, text=True, check=True).stdout
    assert format_acpidump([table.read_bytes()]) == real
    assert parse_acpidump(real, "real")[0].data == table.read_bytes()


def test_acpixtract_reads_back_what_we_write(reference_tables: Path, iasl: str, tmp_path: Path) -> None:
    acpixtract = shutil.which("acpixtract")
    require(acpixtract is not None, "acpixtract (apt-get install acpica-tools)")
    originals = read_tables(_rfc_tables(reference_tables))
    (tmp_path / "dump.txt").write_text(format_acpidump(originals))
    run = subprocess.run([acpixtract, "-a", "dump.txt"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for table in originals:
        extracted = tmp_path / f"{table.signature.lower()}.dat"
        assert extracted.read_bytes() == table.data, table.signature


def test_rsdp_length_comes_from_its_own_length_field() -> None:
    rsdp = b"RSD PTR " + bytes(7) + bytes([2]) + bytes(4) + (36).to_bytes(4, "little") + bytes(12)
    text = format_acpidump([rsdp + b"\xff" * 4])
    assert parse_acpidump(text, "x")[0].data == rsdp
    assert LoadedTable("x", rsdp).signature == "RSDP"


def test_truncated_dump_names_file_and_line(reference_tables: Path) -> None:
    data = (reference_tables / RFC / "GTDT").read_bytes()
    lines = format_acpidump([data]).splitlines()
    text = "\n".join(lines[:3]) + "\n"
    with pytest.raises(TableError) as err:
        parse_acpidump(text, "dump.txt")
    assert "dump.txt line 1 (GTDT)" in str(err.value)
    assert "truncated" in err.value.reason


def test_unreadable_hex_names_file_and_line(reference_tables: Path) -> None:
    data = (reference_tables / RFC / "GTDT").read_bytes()
    lines = format_acpidump([data]).splitlines()
    lines[3] = lines[3].replace(" 00 ", " 0G ", 1)
    with pytest.raises(TableError) as err:
        parse_acpidump("\n".join(lines), "dump.txt")
    assert "dump.txt line 4 (GTDT)" in str(err.value)
    assert "unreadable" in err.value.reason


def test_skipped_hex_line_is_an_error(reference_tables: Path) -> None:
    data = (reference_tables / RFC / "GTDT").read_bytes()
    lines = format_acpidump([data]).splitlines()
    del lines[2]
    with pytest.raises(TableError) as err:
        parse_acpidump("\n".join(lines), "dump.txt")
    assert "line 3" in str(err.value) and "does not follow" in err.value.reason


def test_hex_before_any_header_is_an_error() -> None:
    with pytest.raises(TableError, match="line 1"):
        parse_acpidump("    0000: 44 53 44 54\n", "dump.txt")


def test_directory_and_empty_file_are_table_errors(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="directory"):
        read_tables([tmp_path])
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(TableError, match="empty"):
        read_tables([empty])
