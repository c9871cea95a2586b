"""``vcpu-hotplug check PATH``: a line per rule, a summary, --json, exit status, one-line errors, no traceback."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.check import kit
from tests.conftest import ROOT
from vcpu_hotplug.acpi.madt import GiccFlags, Madt
from vcpu_hotplug.check.boot import known_kernels
from vcpu_hotplug.check.catalog import all_rules
from vcpu_hotplug.check.report import CONFORMANCE_HEADING, FINDINGS_HEADING, PREDICTION_HEADING
from vcpu_hotplug.cli import main

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"
STATUSES = ("PASS", "WARN", "FAIL", "SKIP")


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart already


def _check(*args: str):
    return _runner().invoke(main, ["check", *args])


def _write(directory: Path, tables: kit.Tables) -> Path:
    directory.mkdir()
    for sig, data in tables.items():
        (directory / f"{sig}.dat").write_bytes(data)
    return directory


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("good") / "tables", kit.ours())


def test_two_sections_a_line_per_rule_then_findings_and_the_prediction(good: Path) -> None:
    result = _check(str(good))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    conformance, findings, prediction = (lines.index(h) for h in (CONFORMANCE_HEADING, FINDINGS_HEADING,
                                                                   PREDICTION_HEADING))
    assert conformance < findings < prediction
    rule_lines = [line for line in lines if line[:4] in STATUSES]
    assert rule_lines == lines[conformance + 1:conformance + 1 + len(all_rules())]
    assert [line.split()[1].rstrip(":") for line in rule_lines] == [r.id for r in all_rules()]
    assert "PASS  dsdt.ej0: CPUs 1-5 ejectable" in lines
    assert any(line.startswith("finding: CPU hotplug: the MADT marks CPUs 1-5 Online Capable") for line in lines[findings:])
    after = lines[prediction:]
    assert [line for line in after if line.startswith("Linux ")] == [
        f"Linux {name} (guest model; present policy {kernel.present_policy.value})" for name, kernel in known_kernels()]
    assert "  boot: possible 0-5  present 0-5  enabled 0  online 0" in after
    assert lines[-1] == "conformance: 40 rules: 37 PASS, 0 WARN, 0 FAIL, 3 SKIP; no rule FAILs"
    assert result.stderr == ""


def test_json_report(good: Path) -> None:
    result = _check(str(good), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["arch"] == "arm64" and report["schema_version"] == 2
    assert report["conformance"]["summary"] == {"PASS": 37, "WARN": 0, "FAIL": 0, "SKIP": 3}
    ej0 = next(r for r in report["conformance"]["results"] if r["id"] == "dsdt.ej0")
    assert ej0["status"] == "PASS" and "acpi_scan_hot_remove" in ej0["source"]
    kernels = report["prediction"]["kernels"]
    assert [k["kernel"] for k in kernels] == [name for name, _ in known_kernels()]
    first = kernels[0]
    assert first["boot"]["online"] == [0] and first["removable"] == [1, 2, 3, 4, 5]
    cpu1 = next(c for c in first["cpus"] if c["cpu"] == 1)
    assert cpu1["hot_add"] == {"registered": True, "online": True, "onlined_by": "udev", "online_error": None,
                               "already_registered": False}
    assert cpu1["hot_remove"] == {"ejected": True, "unregistered": True, "offline": True, "warnings": [],
                                  "was_registered": True}
    assert [a["topic"] for a in report["assumptions"]] == ["boot-policy", "udev", "kernels"]


def test_a_failing_rule_exits_1_and_says_what_to_fix(tmp_path: Path) -> None:
    tables = kit.patch_dsdt(kit.ours(), b"_EJ0", b"XEJ0", device="C003")
    result = _check(str(_write(tmp_path / "t", tables)))
    assert result.exit_code == 1
    assert ("FAIL  dsdt.ej0: \\_SB.C003 has no _EJ0: Linux cannot complete an Eject Request for CPU 3; add Method "
            "(_EJ0, 1)") in result.stdout
    assert result.stdout.splitlines()[-1] == "conformance: 40 rules: 36 PASS, 0 WARN, 1 FAIL, 3 SKIP; 1 rule(s) FAIL"


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    tables = kit.ours("cpus=2,maxcpus=6")
    madt = Madt.decode(tables["APIC"])
    madt.giccs[1].flags = GiccFlags.ENABLED            # a VMM that marks vCPU 1 Enabled and ejectable
    tables["APIC"] = madt.encode()
    result = _check(str(_write(tmp_path / "t", tables)), "--no-boot")
    assert result.exit_code == 0
    assert "WARN  madt.hotpluggable-online-capable" in result.stdout
    assert "no prediction: not asked for (--no-boot)" in result.stdout.splitlines()
    assert "(guest model;" not in result.stdout


def test_boot_cpus_states_the_vmms_policy(good: Path) -> None:
    result = _check(str(good), "--boot-cpus", "3", "--guest-kernel", "6.11")
    assert result.exit_code == 0
    assert "  boot: possible 0-5  present 0-5  enabled 0-2  online 0-2" in result.stdout
    assert "  hot-addable: 1-5; removable: 1-5" in result.stdout
    assert "  CPU3 (UID 3, MPIDR 0x3, vCPU 3): not enabled at boot (the VMM keeps its vCPU disabled); hot-add" in result.stdout
    assert _check(str(good), "--boot-cpus", "0").exit_code == 2


ASSUMED = "assumed: only MADT-Enabled CPUs are enabled at boot"


def test_without_boot_cpus_the_boot_policy_assumption_is_stated(good: Path) -> None:
    text = _check(str(good))
    assumed = [line for line in text.stdout.splitlines() if line.startswith(ASSUMED)]
    assert assumed == [f"{ASSUMED} (CPUs 0); a VMM that enables more at boot (QEMU -smp cpus=N) is described by "
                       f"--boot-cpus N"]
    report = json.loads(_check(str(good), "--json").stdout)
    [policy] = [a for a in report["assumptions"] if a["topic"] == "boot-policy"]
    assert policy == {"topic": "boot-policy", "assumed": True, "value": {"boot_cpus": None, "enabled_at_boot": [0]},
                      "text": assumed[0]}


def test_with_boot_cpus_the_policy_is_given_not_assumed(good: Path) -> None:
    text = _check(str(good), "--boot-cpus", "3").stdout
    assert ASSUMED not in text
    given = "given: the VMM enables the first 3 possible CPU(s) at boot, CPUs 0-2 (--boot-cpus 3)"
    assert given in text.splitlines()
    report = json.loads(_check(str(good), "--boot-cpus", "3", "--json").stdout)
    [policy] = [a for a in report["assumptions"] if a["topic"] == "boot-policy"]
    assert policy == {"topic": "boot-policy", "assumed": False,
                      "value": {"boot_cpus": 3, "enabled_at_boot": [0, 1, 2]}, "text": given}


def test_udev_is_an_assumption_and_no_udev_leaves_a_hot_added_cpu_offline(good: Path) -> None:
    text = _check(str(good), "--guest-kernel", "6.12").stdout.splitlines()
    assert any(line.startswith("assumed: udev (or a guest agent) onlines each hot-added CPU") for line in text)
    assert any(line.startswith("  CPU1 ") and "hot-add: registered, online (udev)" in line for line in text)
    report = json.loads(_check(str(good), "--guest-kernel", "6.12", "--no-udev", "--json").stdout)
    [udev] = [a for a in report["assumptions"] if a["topic"] == "udev"]
    assert udev["assumed"] is False and udev["value"] is False and udev["text"].startswith("given: no udev")
    steps = report["prediction"]["kernels"][0]["steps"]
    add, online = steps[1], steps[2]
    assert (add["action"], add["cpu"], add["masks"]["enabled"], add["masks"]["online"]) == ("hot-add", 1, [0, 1], [0])
    assert add["log"] == ["ACPI: CPU1 has been hot-added"]
    assert (online["action"], online["cpu"], online["masks"]["online"]) == ("online", 1, [0, 1])


def test_guest_kernel_picks_versions_and_names_them(good: Path) -> None:
    names = [name for name, _ in known_kernels()]
    report = json.loads(_check(str(good), "--guest-kernel", names[-1], "--json").stdout)
    assert [k["kernel"] for k in report["prediction"]["kernels"]] == [names[-1]]
    [kernels] = [a for a in report["assumptions"] if a["topic"] == "kernels"]
    assert kernels["assumed"] is False and kernels["value"] == [names[-1]]
    bad = _check(str(good), "--guest-kernel", "2.6")
    assert bad.exit_code == 2 and "unknown guest kernel '2.6'" in bad.stderr


def test_reference_variant_and_acpidump(reference_tables: Path, tmp_path: Path) -> None:
    result = _check(str(reference_tables / RFC))
    assert result.exit_code == 0
    assert "PASS  madt.gicc-length: 6 GICCs of 80 bytes, right for MADT revision 4" in result.stdout
    result = _check(str(reference_tables / "qemu/aarch64-virt"), "--variant", "memhp")
    assert result.exit_code == 0 and "DSDT (DSDT.memhp)" in result.stdout


def _garbage(tmp_path: Path) -> dict[str, Path]:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(random.Random(3).randrange(128, 256) for _ in range(200)))
    truncated = tmp_path / "APIC"
    truncated.write_bytes(kit.ours()["APIC"][:60])
    empty = tmp_path / "empty"
    empty.mkdir()
    dump = tmp_path / "dump.txt"
    dump.write_text("PPTT @ 0x0\n    0000: 50 50 54 54 ff ff 00 00\n")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    return {"random bytes": junk, "truncated table": truncated, "empty directory": empty,
            "acpidump with junk": dump, "text file": text, "nonexistent path": tmp_path / "missing"}


@pytest.mark.parametrize("case", ["random bytes", "truncated table", "empty directory", "acpidump with junk",
                                  "text file", "nonexistent path"])
def test_garbage_is_one_error_line(tmp_path: Path, case: str) -> None:
    path = _garbage(tmp_path)[case]
    for args in ([str(path)], [str(path), "--json"]):
        result = _check(*args)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        err = result.stderr.splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and str(path) in err[0], err
        assert "Traceback" not in result.output
    assert json.loads(result.stdout) == {"error": err[0][len("error: "):], "ok": False}


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    script = ROOT / ".venv" / "bin" / "vcpu-hotplug"
    if not script.exists():
        pytest.skip(f"{script} is not installed")
    junk = _garbage(tmp_path)["random bytes"]
    done = subprocess.run([str(script), "check", str(junk)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "not an ACPI table" in done.stderr
    assert "Traceback" not in done.stderr
