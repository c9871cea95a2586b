"""``vcpu-hotplug check`` on a GICR range too short for the redistributors: the conformance section FAILs
``madt.gicr-covers`` and the prediction says Linux panics at boot, with Linux's Oops and panic lines, in the
text report and in ``--json`` (docs/check-report.schema.json: ``outcome``, ``panic``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.check import kit
from tests.conftest import ROOT
from vcpu_hotplug.acpi.madt import Gicr
from vcpu_hotplug.arm.gic import GICR_FRAME_SIZE
from vcpu_hotplug.check.report import Status
from vcpu_hotplug.cli import main

SMP = "cpus=2,maxcpus=4"
PANIC_LINE = "Kernel panic - not syncing: Attempted to kill the idle task!"


def gicr_length(frames: int) -> kit.Tables:
    def edit(madt) -> None:
        madt.of_type(Gicr)[0].discovery_range_length = frames * GICR_FRAME_SIZE
    return kit.edit_madt(kit.ours(SMP), edit)


def check_json(tmp_path: Path, tables: kit.Tables, *args: str) -> tuple[int, dict]:
    for sig, data in tables.items():
        (tmp_path / f"{sig}.dat").write_bytes(data)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--json", "--boot-cpus", "2", *args])
    return result.exit_code, json.loads(result.stdout)


def test_one_frame_short_the_prediction_is_a_panic_at_boot_for_every_kernel() -> None:
    report = kit.check(gicr_length(3))
    assert report.by_id("madt.gicr-covers").status is Status.FAIL
    assert report.predictions
    for prediction in report.predictions:
        assert not prediction.booted and prediction.outcome.value == "panicked"
        assert prediction.panic.message == "Attempted to kill the idle task!"
        assert prediction.panic.log[0].startswith("Unable to handle kernel paging request at virtual address ")
        assert prediction.panic.log[-1] == PANIC_LINE
        assert "gic_iterate_rdists" in prediction.error and f'"{PANIC_LINE}"' in prediction.error
        assert prediction.cpus == [] and prediction.steps == [] and prediction.boot.online == [0]
    text = "\n".join(report.lines())
    assert "boot: Linux panics at boot: an Oops in gic_iterate_rdists" in text
    assert f"panic log: {PANIC_LINE}" in text
    assert "panic log: pc : gic_iterate_rdists+0x74/0x118" in text


def test_a_range_that_covers_the_redistributors_boots() -> None:
    report = kit.check(gicr_length(4))
    assert report.by_id("madt.gicr-covers").status is Status.PASS
    for prediction in report.predictions:
        assert prediction.booted and prediction.outcome.value == "booted" and prediction.panic is None
    assert "panics" not in "\n".join(report.lines())


def test_json_says_panicked_and_matches_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "docs" / "check-report.schema.json").read_text()))
    code, doc = check_json(tmp_path, gicr_length(3), "--guest-kernel", "6.12")
    assert code == 1 and not doc["ok"]
    assert [e.message for e in validator.iter_errors(doc)] == []
    [prediction] = doc["prediction"]["kernels"]
    assert prediction["outcome"] == "panicked" and prediction["booted"] is False
    assert prediction["panic"]["message"] == "Attempted to kill the idle task!"
    assert prediction["panic"]["log"][-1] == PANIC_LINE
    assert "0x60000 bytes long" in prediction["panic"]["cause"]
    ok_dir = tmp_path / "covers"
    ok_dir.mkdir()
    _, doc = check_json(ok_dir, gicr_length(4), "--guest-kernel", "6.12")
    [prediction] = doc["prediction"]["kernels"]
    assert (prediction["outcome"], prediction["panic"]) == ("booted", None)
    assert [e.message for e in validator.iter_errors(doc)] == []
