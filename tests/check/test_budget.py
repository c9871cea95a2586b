"""A table whose AML never ends is a FAIL within seconds, not a hang of ``vcpu-hotplug check``.

Our DSDT with a 17-byte nested-loop method appended and called from module
level: the checker's own load (its AML facts) and the guest model's boot
(:mod:`vcpu_hotplug.guest.acpi_utils`, ``System.from_tables``) both run the
call under the interpreter's budget per evaluation, so the checker reports a
FAIL of ``dsdt.aml-loads`` naming the method, and the guest's kernel log has
the same error. Each guest kernel version boots (and meets the loop) once,
so these checks predict for one version. The bound is on this process's CPU
time, not the wall clock, which other jobs on a shared machine stretch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from tests.aml.test_interp_budget import nested_loop_method
from tests.check import kit
from vcpu_hotplug.acpi.aml import builder as b
from vcpu_hotplug.acpi.header import LENGTH_OFFSET
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.check.runner import check_tables
from vcpu_hotplug.cli import main


def _with_runaway_loop(dsdt: bytes) -> bytes:
    data = bytearray(dsdt + nested_loop_method().encode() + b.Call("LOOP").encode())
    data[LENGTH_OFFSET:LENGTH_OFFSET + 4] = len(data).to_bytes(4, "little")
    return kit.with_checksum(bytes(data))


def _tables() -> kit.Tables:
    tables = kit.ours()
    return kit.replaced(tables, "DSDT", _with_runaway_loop(tables["DSDT"]))


def test_runaway_loop_in_our_dsdt_is_a_fail_naming_the_method_within_seconds() -> None:
    start = time.process_time()
    report = check_tables(list(_tables().values()), source="test", kernels=["6.11"])
    assert time.process_time() - start < 10
    result = report.by_id("dsdt.aml-loads")
    assert result.status is Status.FAIL
    assert any("\\LOOP" in p and "AE_AML_LOOP_TIMEOUT" in p for p in result.problems)
    assert report.exit_code == 1
    # The guest model booted on the same tables under the budget and logged it as Linux would.
    assert report.prediction().booted
    assert any("\\LOOP" in line and "AE_AML_LOOP_TIMEOUT" in line for line in report.prediction().boot_log)


def test_check_cli_reports_it(tmp_path: Path) -> None:
    for sig, data in _tables().items():
        (tmp_path / f"{sig}.dat").write_bytes(data)
    start = time.process_time()
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--json", "--guest-kernel", "6.11"])
    assert time.process_time() - start < 10
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    [loads] = [r for r in doc["conformance"]["results"] if r["id"] == "dsdt.aml-loads"]
    assert loads["status"] == "FAIL" and "\\LOOP" in loads["reason"] + " ".join(loads["problems"])
