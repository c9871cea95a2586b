"""The recorded transcripts themselves: complete, consistent with the tables committed next to them, and
with the README that documents them (tests/data/real-linux/README.md)."""

from __future__ import annotations

import pytest

from tests.real_linux.replay import RECORDING, TRANSCRIPTS, UPGRADED, load, recording_script, scenarios

SCENARIOS = scenarios()
VERSION_KEYS = {"kernel", "qemu", "edk2", "busybox", "uname"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_transcript_names_its_versions_tables_and_linux_used_the_bytes_fed_in(scenario: str) -> None:
    t = load(scenario)
    assert t["schema"] == RECORDING.SCHEMA and t["scenario"] == scenario
    assert VERSION_KEYS <= set(t["versions"])
    assert t["versions"]["qemu"]["commit"] == "6d6de47f528aa67add9bcb60d903dc54c3d24a08"
    assert t["versions"]["kernel"]["version"] == "6.12.95-1~bpo12+1"
    variant = t["tables"]["variant"]
    if variant != "qemu":
        folder = TRANSCRIPTS / "tables" / variant
        assert all((folder / f"{sig}.aml").is_file() for sig in UPGRADED)
        assert t["tables"]["changes"] == (folder / "CHANGES.txt").read_text().splitlines()
    if t["result"]["ready"]:
        assert t["tables"]["in_guest_apic_pptt_identical"] == {"APIC": True, "PPTT": True}
        assert t["steps"][0]["step"] == "BOOT"
    else:
        assert "Kernel panic" in t["panic"]


def test_every_variant_changes_what_it_names_and_no_more() -> None:
    """Each variant's CHANGES.txt has the plain header changes plus exactly its own lines."""
    plain = (TRANSCRIPTS / "tables" / "plain" / "CHANGES.txt").read_text().splitlines()
    for folder in sorted((TRANSCRIPTS / "tables").iterdir()):
        lines = (folder / "CHANGES.txt").read_text().splitlines()
        own = [line for line in lines if line not in plain and "Checksum" not in line]
        if folder.name == "plain":
            assert own == []
        else:
            assert len(own) == 1, (folder.name, own)


def test_readme_timing_table_is_the_transcripts() -> None:
    timing = recording_script("timing_table")
    readme = (TRANSCRIPTS / "README.md").read_text()
    for line in timing.summary(TRANSCRIPTS) + timing.guest_steps(TRANSCRIPTS) + timing.table(TRANSCRIPTS):
        assert line in readme, line


def test_readme_lists_every_scenario() -> None:
    readme = (TRANSCRIPTS / "README.md").read_text()
    for scenario in SCENARIOS:
        assert f"| {scenario} |" in readme
