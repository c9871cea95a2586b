"""Whatever bytes arrive, decoding either succeeds or raises TableError: never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.header import checksum
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.acpi.tableio import parse_acpidump, format_acpidump
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

SEEDS = list(build_firmware(Machine(MachineConfig(smp="cpus=2,maxcpus=4"))).tables.values())


@st.composite
def mutated_tables(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if len(data) == 0:
            break
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    data = data[:cut] if draw(st.booleans()) else data
    if len(data) > 9 and draw(st.booleans()):
        data[9] = 0
        data[9] = checksum(data)
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_tables(), lenient=st.booleans())
def test_decoding_damaged_tables_raises_only_table_error(data: bytes, lenient: bool) -> None:
    try:
        table = decode_table(data, lenient=lenient)
    except TableError as exc:
        assert exc.reason and exc.table
        return
    encoded = table.encode()
    # what decoded re-encodes to a table that decodes again the same way (lenient decoding
    # accepts an unknown revision, which the strict one still refuses)
    assert decode_table(encoded, lenient=lenient).encode() == encoded


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet="0123456789ABCDEFabcdef :@x\nDSTPAC.", max_size=300))
def test_parsing_garbage_acpidump_raises_only_table_error(text: str) -> None:
    try:
        parse_acpidump("DSDT @ 0x0\n" + text, "dump.txt")
    except TableError as exc:
        assert "dump.txt" in str(exc)


@settings(max_examples=50, deadline=None)
@given(data=st.sampled_from(SEEDS), cut=st.integers(1, 40))
def test_truncated_acpidump_names_the_line(data: bytes, cut: int) -> None:
    lines = format_acpidump([data]).splitlines()
    text = "\n".join(lines[:max(1, len(lines) - cut)])
    try:
        tables = parse_acpidump(text, "dump.txt")
    except TableError as exc:
        assert "dump.txt line" in str(exc)
    else:
        assert tables[0].data == data
