"""``tables emit --profile qemu-rfc-v5`` against QEMU RFC V5's real tables, byte for byte.

The real tables are dumps of QEMU built from ``salil-mehta/qemu``
``virt-cpuhp-armv8/rfc-v5`` (9.1.50): ``tests/data/qemu-rfc-v5/<shape>/`` (every
shape found there, its ``-smp`` read from its ``command.txt``) and
``../shared/reference-tables/qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/``.
What is compared, through the command a user runs:

- MADT (``APIC``), PPTT and GTDT: the whole table;
- FADT: the whole table but ``X_DSDT`` (@140, the DSDT's 64-bit address),
  which QEMU's table loader fills at boot (the dumps hold an offset into
  QEMU's blob, 0 where the DSDT comes first) and which holds our table area's
  address; the 32-bit ``DSDT`` field is 0 in both;
- DSDT: the terms of ``Scope (\\_SB)`` that are the CPU hotplug AML, each
  byte for byte: ``Device (\\_SB.GED)``, ``Scope (_SB)`` (``\\_SB.PRES`` and
  ``\\_SB.CPUS`` with every ``Cnnn``), ``Method (\\_SB.GED.CSCN)``, and also
  ``COM0`` and ``PWRB``, in QEMU's order. QEMU's ``FWCF``, ``VRnn``, ``Lnnn``
  and ``PCI0`` are devices this machine does not have; the test checks that
  they are the only terms left out.

Shapes where QEMU turned CPU hotplug off (``-accel qtest``, ``tcg,thread=single``:
``maxcpus`` forced to ``cpus``, no ``\\_SB.CPUS``) are not what the profile
models; the test checks that they are such tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.madt import GiccFlags, Madt
from vcpu_hotplug.cli import main

DATA = Path(__file__).parent / "data" / "qemu-rfc-v5"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-tables" / "qemu-rfc-v5"

WHOLE_TABLES = ("APIC", "PPTT", "GTDT")
X_DSDT = (140, 8)
"""(offset, size) of FADT ``X_DSDT``."""
CHECKSUM_OFFSET = 9
QEMU_ONLY_DEVICES = re.compile(r"^\\_SB_\.(FWCF|VR\d\d|L00\d|PCI0)$")
HOTPLUG_OFF = re.compile(r"-accel (qtest|tcg,thread=single)")


def _shapes() -> list[Path]:
    shapes = sorted(p for p in DATA.glob("aarch64-virt-*") if (p / "command.txt").is_file())
    shared = SHARED / "aarch64-virt-cpus2-maxcpus6"
    return shapes + ([shared] if shared.is_dir() else [])


def _smp(shape: Path) -> str:
    command = shape / "command.txt"
    if command.is_file():
        return re.search(r"-smp (\S+)", command.read_text()).group(1)
    return "cpus=2,maxcpus=6"          # the shared set: named for its -smp


def _hotplug_on(shape: Path) -> bool:
    command = shape / "command.txt"
    return not (command.is_file() and HOTPLUG_OFF.search(command.read_text()))


def _id(shape: Path) -> str:
    return ("shared/" if shape.parent == SHARED else "") + shape.name


HOTPLUG_SHAPES = [pytest.param(s, id=_id(s)) for s in _shapes() if _hotplug_on(s)]
HOTPLUG_OFF_SHAPES = [pytest.param(s, id=_id(s)) for s in _shapes() if not _hotplug_on(s)]


def _emit(tmp_path: Path, smp: str) -> Path:
    out = tmp_path / "emitted"
    result = CliRunner().invoke(main, ["tables", "emit", "--profile", "qemu-rfc-v5", "--smp", smp, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _without_x_dsdt(fadt: bytes) -> bytes:
    table = bytearray(fadt)
    offset, size = X_DSDT
    table[offset:offset + size] = bytes(size)
    table[CHECKSUM_OFFSET] = 0
    table[CHECKSUM_OFFSET] = -sum(table) & 0xFF
    return bytes(table)


def _sb_terms(dsdt: bytes) -> list[tuple[str, str, bytes]]:
    """(kind, path, bytes) of every term of the DSDT's one ``Scope (\\_SB)``."""
    block = parse_definition_block(dsdt)
    (scope,) = block.body
    return [(type(t).__name__, t.path, dsdt[t.offset:t.offset + t.length]) for t in scope.body]


def test_every_hotplug_shape_dumped_is_tested():
    assert len(HOTPLUG_SHAPES) >= 1
    if DATA.is_dir():
        assert {p.values[0].name for p in HOTPLUG_SHAPES} >= {
            "aarch64-virt-cpus2-maxcpus4", "aarch64-virt-cpus2-maxcpus6"}


@pytest.mark.parametrize("shape", HOTPLUG_SHAPES)
def test_madt_pptt_gtdt_are_qemus_bytes(shape, tmp_path):
    out = _emit(tmp_path, _smp(shape))
    for signature in WHOLE_TABLES:
        ours, real = (out / f"{signature}.dat").read_bytes(), (shape / signature).read_bytes()
        assert ours == real, f"{signature} of -smp {_smp(shape)} differs from {shape}"


@pytest.mark.parametrize("shape", HOTPLUG_SHAPES)
def test_fadt_is_qemus_but_for_the_dsdt_address(shape, tmp_path):
    out = _emit(tmp_path, _smp(shape))
    ours, real = (out / "FACP.dat").read_bytes(), (shape / "FACP").read_bytes()
    assert _without_x_dsdt(ours) == _without_x_dsdt(real)
    assert ours[131] == 3 and ours[268:276] == b"QEMU\0\0\0\0"    # FADT minor version, hypervisor vendor


@pytest.mark.parametrize("shape", HOTPLUG_SHAPES)
def test_dsdt_cpu_hotplug_aml_is_qemus_bytes(shape, tmp_path):
    out = _emit(tmp_path, _smp(shape))
    ours = _sb_terms((out / "DSDT.aml").read_bytes())
    real = _sb_terms((shape / "DSDT").read_bytes())
    kept = [t for t in real if not QEMU_ONLY_DEVICES.match(t[1])]
    assert [(kind, path) for kind, path, _ in ours] == [(kind, path) for kind, path, _ in kept] == [
        ("Device", "\\_SB_.GED_"), ("Scope", "\\_SB_"), ("Method", "\\_SB_.GED_.CSCN"),
        ("Device", "\\_SB_.COM0"), ("Device", "\\_SB_.PWRB")]
    for (kind, path, our_bytes), (_, _, real_bytes) in zip(ours, kept):
        assert our_bytes == real_bytes, f"{kind} {path} of -smp {_smp(shape)} differs from {shape}"


@pytest.mark.parametrize("shape", HOTPLUG_OFF_SHAPES)
def test_shapes_left_out_are_qemu_with_cpu_hotplug_off(shape):
    madt = Madt.decode((shape / "APIC").read_bytes())
    assert all(g.flags == GiccFlags.ENABLED for g in madt.giccs)
    assert all(path != "\\_SB_" or kind != "Scope" for kind, path, _ in _sb_terms((shape / "DSDT").read_bytes()))


def test_the_reference_profile_keeps_its_own_tables(tmp_path):
    result = CliRunner().invoke(main, ["tables", "emit", "--smp", "cpus=2,maxcpus=6", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    madt = (tmp_path / "APIC.dat").read_bytes()
    assert madt[8] == 6 and (tmp_path / "FACP.dat").read_bytes()[131] == 5
    names = [path for _, path, _ in _sb_terms((tmp_path / "DSDT.aml").read_bytes())]
    assert "\\_SB_.C001" in names and "\\_SB_.PRES" in names
