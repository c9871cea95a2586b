"""One AML tree, one encoder: parse -> encode gives back every definition block byte for byte.

The parser (:mod:`vcpu_hotplug.acpi.aml.parser`) and the builder
(:mod:`vcpu_hotplug.acpi.aml.builder`) both produce nodes of
:mod:`vcpu_hotplug.acpi.aml.tree`, and :meth:`Node.encode` is the only AML
encoder. So a table QEMU made (../shared/reference-tables/**/DSDT*, SSDT*)
or our VMM made must encode back to its own bytes once parsed, and what the
builder encodes must survive a parse and a second encode unchanged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.aml.builder_sample import hotplug_dsdt
from tests.conftest import REFERENCE_TABLES
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml import tree as T
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.vmm.dsdt import DsdtConfig, build_dsdt_block
from vcpu_hotplug.vmm.firmware_tables import FirmwareOptions, build_firmware
from vcpu_hotplug.vmm.machine import Machine, MachineConfig

DEFINITION_BLOCKS = ("DSDT", "SSDT")
REFERENCE = sorted(p for p in REFERENCE_TABLES.glob("**/*") if p.is_file()
                   and p.name.split(".")[0] in DEFINITION_BLOCKS) if REFERENCE_TABLES.is_dir() else []
SIZES = ["cpus=1,maxcpus=1", "cpus=2,maxcpus=6", "cpus=1,maxcpus=64", "cpus=4,maxcpus=512"]


def _ids(path: Path) -> str:
    return str(path.relative_to(REFERENCE_TABLES))


def _first_difference(got: bytes, want: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
    return (f"{len(got)} bytes encoded for {len(want)}; first difference at {at:#x}: "
            f"{got[at:at + 8].hex()} instead of {want[at:at + 8].hex()}")


def assert_encodes_back(data: bytes) -> None:
    encoded = parse_definition_block(data).encode()
    assert encoded == data, _first_difference(encoded, data)


@pytest.fixture(params=REFERENCE or [None], ids=lambda p: _ids(p) if p else "none")
def reference_table(request: pytest.FixtureRequest, reference_tables: Path) -> Path:
    assert request.param is not None, f"no DSDT or SSDT under {reference_tables}"
    return request.param


def test_every_reference_definition_block_is_covered(reference_tables: Path) -> None:
    assert len(REFERENCE) >= 6
    assert any("qemu-rfc-v5" in str(p) for p in REFERENCE)


def test_reference_table_parses_and_encodes_back_byte_for_byte(reference_table: Path) -> None:
    assert_encodes_back(reference_table.read_bytes())


@pytest.mark.parametrize("smp", SIZES)
def test_our_definition_blocks_parse_and_encode_back(smp: str) -> None:
    image = build_firmware(Machine(MachineConfig(smp=smp)), FirmwareOptions())
    blocks = [data for sig, _, data in image.in_memory_order() if sig in DEFINITION_BLOCKS]
    assert blocks
    for data in blocks:
        assert_encodes_back(data)


@pytest.mark.parametrize("maxcpus", [1, 6, 64, 512])
def test_builder_output_survives_parse_and_encode(maxcpus: int) -> None:
    config = DsdtConfig(maxcpus=maxcpus, cpuhp_base=0x090C0000, ged_base=0x09080000, ged_gsi=41,
                        uart=(0x09000000, 0x1000), uart_gsi=33)
    built = build_dsdt_block(config).encode()
    assert parse_definition_block(built).encode() == built
    sample = hotplug_dsdt(maxcpus).encode()  # every construct the builder has
    assert parse_definition_block(sample).encode() == sample


def test_the_builder_makes_tree_nodes_and_the_tree_encodes_them() -> None:
    dsdt = hotplug_dsdt(2)
    block = dsdt.tree()
    assert isinstance(block, T.DefinitionBlock)
    assert all(isinstance(node, T.Node) for top in block.body for node in T.walk(top))
    assert block.encode() == dsdt.encode()
    assert block.encode_body() == dsdt.body()


def test_integer_encoding_is_chosen_at_encode_time_and_kept_by_a_parse() -> None:
    # The builder's integer leaves Zero/One/Ones/prefix to the encoder: Ones exists only at
    # the block's width (section 19.6.98). A parsed integer keeps the prefix it was read with.
    for revision, ones in ((1, b"\xff"), (2, b"\x0c\xff\xff\xff\xff")):
        dsdt = b.DefinitionBlock("SSDT", revision=revision)
        dsdt.name("ONES", 0xFFFFFFFF)
        assert dsdt.body() == b"\x08ONES" + ones
        assert_encodes_back(dsdt.encode())
    wide = b.DefinitionBlock("SSDT")
    wide.name("WIDE", b.Integer(5, size=8))  # a QWordConst holding 5, as patchable AML has
    data = wide.encode()
    assert wide.body() == b"\x08WIDE\x0e" + (5).to_bytes(8, "little")
    (term,) = parse_definition_block(data).body
    assert isinstance(term, T.Name) and term.value.data_size == 8
    assert_encodes_back(data)


def test_interpreter_printer_and_resources_load_no_builder() -> None:
    code = ("import sys; import vcpu_hotplug.acpi.aml.interpreter, vcpu_hotplug.acpi.aml.resources, "
            "vcpu_hotplug.acpi.aml.eisaid, vcpu_hotplug.acpi.aml.parser, vcpu_hotplug.acpi.aml.asl; "
            "print('vcpu_hotplug.acpi.aml.builder' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
