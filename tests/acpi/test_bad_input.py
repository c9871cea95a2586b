"""Malformed tables are TableErrors naming the table, the offset and the reason."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.header import checksum
from vcpu_hotplug.acpi.madt import Gicc, Madt, RawSubtable
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.acpi.rsdp import Rsdp
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"


def _tables() -> dict[str, bytes]:
    return dict(build_firmware(Machine(MachineConfig(smp="cpus=2,maxcpus=6"))).tables)


def _fix(data: bytearray | bytes) -> bytes:
    """Recompute the checksum after an edit, so only the edit is wrong."""
    data = bytearray(data)
    data[9] = 0
    data[9] = checksum(data)
    return bytes(data)


def _set_length(data: bytes, length: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, 4, length)
    return _fix(out)


def _error(data: bytes, **kwargs) -> TableError:
    with pytest.raises(TableError) as err:
        decode_table(data, **kwargs)
    return err.value


@pytest.mark.parametrize("signature", ["XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT"])
def test_truncated_header(signature: str) -> None:
    err = _error(_tables()[signature][:20])
    assert err.table == signature and err.offset == 20 and "truncated" in err.reason


@pytest.mark.parametrize("signature", ["XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT"])
def test_length_past_end_of_data(signature: str) -> None:
    data = _tables()[signature]
    err = _error(_set_length(data, len(data) + 4))
    assert (err.table, err.offset) == (signature, 4)
    assert "past the end" in err.reason and str(len(data) + 4) in err.reason


def test_length_smaller_than_header() -> None:
    err = _error(_set_length(_tables()["APIC"], 8))
    assert (err.table, err.offset) == ("APIC", 4) and "smaller" in err.reason


@pytest.mark.parametrize("signature", ["XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT"])
def test_bad_checksum_is_an_error_unless_lenient(signature: str) -> None:
    data = bytearray(_tables()[signature])
    data[24] ^= 0x5A  # OEM Revision: a byte no decoder interprets
    err = _error(bytes(data))
    assert (err.table, err.offset) == (signature, 9) and "checksum" in err.reason
    table = decode_table(bytes(data), lenient=True)
    assert table.header.checksum_ok is False
    assert table.to_dict()["header"]["checksum_ok"] is False
    # re-encoding repairs the checksum and keeps every other byte
    fixed = table.encode()
    assert fixed[:9] + fixed[10:] == bytes(data[:9] + data[10:])
    assert sum(fixed) % 256 == 0


def test_unknown_madt_revision_is_an_error_unless_lenient() -> None:
    data = bytearray(_tables()["APIC"])
    data[8] = 7
    err = _error(_fix(data))
    assert (err.table, err.offset) == ("APIC", 8) and "revision 7" in err.reason
    madt = decode_table(_fix(data), lenient=True)
    assert len(madt.of_type(Gicc)) == 6
    assert madt.encode() == _fix(data)


@pytest.mark.parametrize("revision", [1, 4])
def test_unknown_gtdt_revision(revision: int) -> None:
    data = bytearray(_tables()["GTDT"])
    data[8] = revision
    err = _error(_fix(data))
    assert (err.table, err.offset) == ("GTDT", 8) and f"revision {revision}" in err.reason


def test_madt_subtable_of_length_zero() -> None:
    data = bytearray(_tables()["APIC"])
    first = 44  # after header (36) + controller address + flags
    second = first + data[first + 1]
    data[second + 1] = 0
    err = _error(_fix(data))
    assert (err.table, err.offset) == ("APIC", second)
    assert "length 0" in err.reason and "GICC" in err.reason


def test_madt_subtable_running_past_table() -> None:
    data = bytearray(_tables()["APIC"])
    last = len(data) - 20  # the ITS structure is last, 20 bytes
    assert data[last] == 0x0F
    data[last + 1] = 40
    err = _error(_fix(data))
    assert (err.table, err.offset) == ("APIC", last) and "runs past the end" in err.reason


def test_madt_truncated_before_its_fixed_fields() -> None:
    data = _tables()["APIC"]
    err = _error(_set_length(data[:40], 40))
    assert (err.table, err.offset) == ("APIC", 40) and "truncated" in err.reason


def test_gicc_of_unknown_length_is_an_error_unless_lenient() -> None:
    madt = Madt.new()
    madt.subtables.append(RawSubtable(0x0B, bytes([0x0B, 78]) + bytes(76)))
    data = madt.encode()
    err = _error(data)
    assert (err.table, err.offset) == ("APIC", 44) and "length 78" in err.reason
    lenient = decode_table(data, lenient=True)
    assert isinstance(lenient.subtables[0], RawSubtable) and lenient.encode() == data


def test_pptt_node_of_length_zero_and_past_end() -> None:
    data = bytearray(_tables()["PPTT"])
    data[36 + 1] = 0
    err = _error(_fix(data))
    assert (err.table, err.offset) == ("PPTT", 36) and "length 0" in err.reason
    data = bytearray(_tables()["PPTT"])
    last = len(data) - 20
    data[last + 1] = 24
    err = _error(_fix(data))
    assert (err.table, err.offset) == ("PPTT", last) and "runs past the end" in err.reason


def test_pptt_private_resource_count_must_match_length() -> None:
    data = bytearray(_tables()["PPTT"])
    struct.pack_into("<I", data, 36 + 16, 3)
    err = _error(_fix(data))
    assert err.table == "PPTT" and "3 private resources" in err.reason


def test_xsdt_partial_entry() -> None:
    data = _tables()["XSDT"]
    err = _error(_set_length(data[:-4], len(data) - 4))
    assert err.table == "XSDT" and "whole number" in err.reason


def test_gtdt_truncated() -> None:
    data = _tables()["GTDT"]
    err = _error(_set_length(data[:90], 90))
    assert (err.table, err.offset) == ("GTDT", 90) and "truncated" in err.reason


def test_rsdp_checksums() -> None:
    data = bytearray(_tables()["RSDP"])
    data[12] ^= 1  # inside the first 20 bytes: both checksums break
    with pytest.raises(TableError) as err:
        Rsdp.decode(bytes(data))
    assert (err.value.table, err.value.offset) == ("RSDP", 8)
    rsdp = Rsdp.decode(bytes(data), lenient=True)
    assert not rsdp.checksum_ok and not rsdp.extended_checksum_ok
    data = bytearray(_tables()["RSDP"])
    data[34] = 1  # reserved byte: only the extended checksum breaks
    with pytest.raises(TableError) as err:
        Rsdp.decode(bytes(data))
    assert (err.value.table, err.value.offset) == ("RSDP", 32)


def test_rsdp_truncated() -> None:
    data = _tables()["RSDP"]
    with pytest.raises(TableError, match="RSDP.*truncated"):
        decode_table(data[:30])


def test_bad_checksum_in_reference_table_names_it(reference_tables: Path) -> None:
    data = bytearray((reference_tables / RFC / "APIC").read_bytes())
    data[100] ^= 0xFF
    err = _error(bytes(data))
    assert str(err).startswith("APIC at offset 0x9: bad checksum")


def test_facs_has_no_checksum_and_is_kept_whole() -> None:
    facs = bytearray(64)
    facs[:4] = b"FACS"
    struct.pack_into("<I", facs, 4, 64)
    facs[32] = 2  # Version
    table = decode_table(bytes(facs))
    assert table.signature == "FACS" and table.encode() == bytes(facs)
    err = _error(bytes(facs[:32]))
    assert (err.table, err.offset) == ("FACS", 4) and "length field 64" in err.reason
