"""``check --json`` against its documented JSON Schema (docs/check-report.schema.json, issue 12).

Real reports, not hand-made ones: our tables, a broken variant of each kind
the prediction has to describe (a stale CPU, a hot-add that never comes, no
register block), x86 tables (no prediction), ``--no-boot`` and an unusable
path. The schema forbids unknown fields, so a field added to the report
without the schema (and its page, docs/check-json-schema.md) fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.check import kit
from tests.conftest import ROOT
from vcpu_hotplug.cli import main

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = ROOT / "docs" / "check-report.schema.json"
DOC = ROOT / "docs" / "check-json-schema.md"
SMP = "cpus=2,maxcpus=4"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _report(tmp_path: Path, tables: kit.Tables, *args: str) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for sig, data in tables.items():
        (tmp_path / f"{sig}.dat").write_bytes(data)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


CASES = {
    "ours": (lambda: kit.ours(SMP), ()),
    "ours, --boot-cpus 2 --no-udev": (lambda: kit.ours(SMP), ("--boot-cpus", "2", "--no-udev")),
    "no _STA on C002 (a stale CPU)": (lambda: kit.patch_dsdt(kit.ours(SMP), b"_STA", b"XSTA", device="C002"),
                                     ("--boot-cpus", "2")),
    "no _EJ0 on C003 (never ejected)": (lambda: kit.patch_dsdt(kit.ours(SMP), b"_EJ0", b"XEJ0", device="C003"),
                                        ("--guest-kernel", "6.12")),
    # the region is 8 bytes instead of 12: not QEMU's layout, so nothing can drive the hotplug
    # the block's region one byte short of the fast path's 64 KiB: not recognised
    "no register block": (lambda: kit.patch_dsdt(kit.ours(SMP), b"PRST\x00\x0c\x00\x00\x0c\x09\x0c\x00\x00\x01\x00",
                                                 b"PRST\x00\x0c\x00\x00\x0c\x09\x0c\xff\xff\x00\x00"),
                          ("--guest-kernel", "7.2")),
    "--no-boot": (lambda: kit.ours(SMP), ("--no-boot",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_real_reports_follow_the_schema(validator, tmp_path: Path, case: str) -> None:
    make, args = CASES[case]
    doc = _report(tmp_path / "t", make(), *args)
    assert _errors(validator, doc) == []


def test_x86_tables_and_unusable_input_follow_the_schema(validator, reference_tables: Path, tmp_path: Path) -> None:
    x86 = json.loads(CliRunner().invoke(main, ["check", str(reference_tables / "qemu/x86-q35"), "--json"]).stdout)
    assert x86["prediction"] == {"made": False, "reason": "x86 tables: the guest model is arm64 Linux", "kernels": []}
    assert _errors(validator, x86) == []
    junk = tmp_path / "junk"
    junk.write_bytes(b"\xff" * 64)
    error = json.loads(CliRunner().invoke(main, ["check", str(junk), "--json"]).stdout)
    assert error["ok"] is False and _errors(validator, error) == []


def test_the_schema_rejects_what_it_does_not_document(validator, tmp_path: Path) -> None:
    doc = _report(tmp_path / "t", kit.ours(SMP), "--guest-kernel", "6.11")
    doc["prediction"]["kernels"][0]["verdict"] = "fine"          # a field nobody documented
    assert any("verdict" in e for e in _errors(validator, doc))
    doc = _report(tmp_path / "t", kit.ours(SMP), "--guest-kernel", "6.11")
    doc["conformance"]["results"][0]["status"] = "OK"             # not a status
    assert _errors(validator, doc)


def test_the_page_documents_every_field_of_the_schema() -> None:
    schema, page = json.loads(SCHEMA.read_text()), DOC.read_text()
    fields: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            fields.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    missing = sorted(f for f in fields if f"`{f}`" not in page and f not in ("PASS", "WARN", "FAIL", "SKIP"))
    assert missing == []
