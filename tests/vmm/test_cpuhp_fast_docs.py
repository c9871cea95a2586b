"""The fast path's documentation: docs/cpu-hotplug-registers.md and the emitted tables' README say what the
block does (generated from the values of vcpu_hotplug.vmm.cpuhp), and the QEMU-block variant of our AML is
the one the real-Linux runs recorded."""

from pathlib import Path

from click.testing import CliRunner

from vcpu_hotplug.check.register_doc import DOC_PATH, register_block_doc
from vcpu_hotplug.cli import main
from vcpu_hotplug.vmm.cpuhp import FastEvent, FastReg
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP

ROOT = Path(__file__).resolve().parents[2]
RECORDED_PLAIN_DSDT = ROOT / "tests" / "data" / "real-linux" / "tables" / "plain" / "DSDT.aml"
SDT_HEADER = 36


def test_the_docs_file_is_the_generated_description_of_the_virt_block() -> None:
    text = (ROOT / DOC_PATH).read_text()
    assert text == "\n".join(register_block_doc(VIRT_MEMMAP.cpuhp[0], fast=True)) + "\n", \
        f"regenerate {DOC_PATH} from vcpu_hotplug.check.register_doc.register_block_doc"
    # QEMU's layout: the spec's sections, then each fast register at its offset with its bits
    for heading in ("## Read access behavior", "## Write access behavior", "## Typical usecases of the fast path",
                    "## Compatibility"):
        assert heading in text
    assert f"offset [{FastReg.EVENT:#x}-{FastReg.EVENT + 3:#x}]\n  **Next event**" in text
    assert f"bit {int(FastEvent.MORE).bit_length() - 1}: another event is still pending" in text
    assert "lacks the fast path" in text


def emit(tmp_path: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["tables", "emit", "--smp", "cpus=2,maxcpus=4", "-o", str(tmp_path), *extra])
    assert result.exit_code == 0, result.output
    return (tmp_path / "README.md").read_text()


def test_the_emitted_readme_documents_the_fast_path_and_every_rule_passes(tmp_path: Path) -> None:
    readme = emit(tmp_path)
    assert "## CPU hotplug register block with the fast path" in readme
    assert "### Read access behavior" in readme and "**_OST** (fast path" in readme
    assert "Real QEMU RFC V5 (and upstream QEMU) has only the first 12 bytes" in readme
    assert "0 FAIL" in readme and "no rule FAILs" in readme


def test_qemu_block_emits_the_aml_the_real_linux_runs_recorded(tmp_path: Path) -> None:
    readme = emit(tmp_path, "--qemu-block")
    assert "QEMU's 12-byte register interface only (no fast path)" in readme
    assert "**Next event**" not in readme
    dsdt = (tmp_path / "DSDT.aml").read_bytes()
    assert b"FEVT" not in dsdt and b"CSCN" in dsdt
    if RECORDED_PLAIN_DSDT.is_file():      # the rig changed only the header (OEM ids, revision, checksum)
        assert dsdt[SDT_HEADER:] == RECORDED_PLAIN_DSDT.read_bytes()[SDT_HEADER:]


def test_qemu_block_is_refused_for_qemus_profile(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["tables", "emit", "--smp", "cpus=2,maxcpus=4", "-o", str(tmp_path),
                                       "--qemu-block", "--profile", "qemu-rfc-v5"])
    assert result.exit_code == 2 and "has QEMU's own AML" in result.output


def test_qemus_profile_readme_documents_qemus_12_bytes_only(tmp_path: Path) -> None:
    readme = emit(tmp_path, "--profile", "qemu-rfc-v5")
    assert "## CPU hotplug register block\n" in readme and "- 0xc bytes (`ACPI_CPU_HOTPLUG_REG_LEN`)" in readme
    assert "**Next event**" not in readme and "fast path" not in readme
