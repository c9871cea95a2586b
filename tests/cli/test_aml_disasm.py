"""``vcpu-hotplug aml disasm``: ASL from raw tables and acpidump text, errors on one line."""

from __future__ import annotations

from click.testing import CliRunner

from tests.aml.asl_compare import first_difference, normalize
from tests.aml.builder_sample import hotplug_dsdt
from tests.aml.iasl_helpers import compile_asl
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.tableio import format_acpidump
from vcpu_hotplug.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, ["aml", "disasm", *args])


def _ssdt_calling_the_dsdt() -> bytes:
    """An SSDT that calls the DSDT's CSTA: only parseable knowing the DSDT's methods."""
    ssdt = b.DefinitionBlock("SSDT", oem_table_id="EXTRA")
    with ssdt.scope("\\_SB"):
        with ssdt.device("C010"):
            ssdt.name("_HID", "ACPI0007")
            with ssdt.method("_STA", 0):
                ssdt.return_(b.Call("\\_SB.CPUS.CSTA", 0x10))
    return ssdt.encode()


def test_raw_dsdt_prints_asl_that_recompiles(iasl, tmp_path):
    dsdt = hotplug_dsdt(4).encode()
    path = tmp_path / "DSDT.aml"
    path.write_bytes(dsdt)
    result = _run(str(path))
    assert result.exit_code == 0, result.output
    assert "DefinitionBlock (\"\", \"DSDT\", 2" in result.output
    assert "Store (Arg0, \\_SB.PRES.CSEL)" in result.output
    aml = compile_asl(iasl, result.output, tmp_path / "c", flags=("-oa",))
    assert aml[36:] == dsdt[36:]


def test_asl2_flag_uses_operators(tmp_path):
    path = tmp_path / "DSDT.aml"
    path.write_bytes(hotplug_dsdt(2).encode())
    result = _run(str(path), "--asl2")
    assert result.exit_code == 0, result.output
    assert "\\_SB.PRES.CSEL = Arg0" in result.output
    assert "Store (" not in result.output


def test_acpidump_text_with_dsdt_and_ssdt(iasl, tmp_path):
    dsdt = hotplug_dsdt(4).encode()
    ssdt = _ssdt_calling_the_dsdt()
    madt_like = b"APIC" + (44).to_bytes(4, "little") + bytes(36)  # not AML: skipped
    dump = tmp_path / "acpidump.out"
    dump.write_text(format_acpidump([ssdt, madt_like, dsdt]))
    result = _run(str(dump))
    assert result.exit_code == 0, result.output
    text = result.output
    # DSDT first, then the SSDT, whose call to the DSDT's method keeps its argument
    assert text.index('"DSDT", 2') < text.index('"SSDT", 2')
    assert "Return (\\_SB.CPUS.CSTA (0x10))" in text
    ssdt_asl = text[text.rindex("/*\n * ASL printed by"):]
    assert "External (\\_SB.CPUS.CSTA, MethodObj)" in ssdt_asl  # it comes from the DSDT
    again = compile_asl(iasl, ssdt_asl, tmp_path / "s", flags=("-oa",))
    known = parse_definition_block(dsdt).objects
    original = parse_definition_block(ssdt, known=known)
    assert first_difference(normalize(original), normalize(parse_definition_block(again, known=known))) is None


def test_a_table_without_aml_is_a_one_line_error(reference_tables):
    result = _run(str(reference_tables / "qemu/aarch64-virt/APIC"))
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: no DSDT or SSDT")
    assert "(found APIC)" in result.output
    assert "Traceback" not in result.output


def test_malformed_aml_is_a_one_line_error(tmp_path):
    dsdt = b.DefinitionBlock("DSDT")
    dsdt.add(b.Scope("\\_SB", b.Name("ABCD", 1)))
    data = bytearray(dsdt.encode())
    data[37] = 0x3F  # the Scope's PkgLength now runs past the end of the table
    data[9] = (data[9] - (0x3F - dsdt.encode()[37])) & 0xFF  # keep the checksum valid
    path = tmp_path / "bad.aml"
    path.write_bytes(bytes(data))
    result = _run(str(path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "bad.aml" in lines[0]


def test_missing_file_is_a_one_line_error(tmp_path):
    result = _run(str(tmp_path / "nope.aml"))
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "Traceback" not in result.output
