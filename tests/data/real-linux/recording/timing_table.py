#!/usr/bin/env python3
"""Print the timing table of tests/data/real-linux/README.md from the transcripts' ``timing`` entries.

usage: timing_table.py [TRANSCRIPT_DIR]   (default: the folder above this script)

Times are QEMU's event timestamps minus the host's time of sending the command (same host clock), in ms.
"""
import json
import statistics
import sys
from pathlib import Path

COLUMNS = (("ost_ms", "ACPI_DEVICE_OST"), ("ost_0x84_ms", "OST 0x84 (eject in progress)"),
           ("device_deleted_ms", "DEVICE_DELETED"), ("ost_0x0_ms", "OST 0x0 (ejected)"))


def rows(folder):
    for path in sorted(Path(folder).glob("*.json")):
        for row in json.loads(path.read_text())["timing"]:
            yield path.stem, row


def cell(value):
    return "-" if value is None else "%.1f" % value


def table(folder):
    out = ["| scenario | command | device | " + " | ".join("-> %s (ms)" % name for _, name in COLUMNS) + " |",
           "| --- | --- | --- | " + " | ".join("---" for _ in COLUMNS) + " |"]
    for scenario, row in rows(folder):
        out.append("| %s | %s | %s | %s |" % (scenario, row["command"], row["device"],
                                               " | ".join(cell(row.get(key)) for key, _ in COLUMNS)))
    return out


def summary(folder):
    add = [r["ost_ms"] for _, r in rows(folder) if r["command"] == "device_add" and "ost_ms" in r]
    dele = [r["device_deleted_ms"] for _, r in rows(folder) if "device_deleted_ms" in r]
    out = []
    for name, values in (("device_add -> ACPI_DEVICE_OST", add), ("device_del -> DEVICE_DELETED", dele)):
        out.append("| %s | %d | %.1f | %.1f | %.1f |" % (name, len(values), min(values), statistics.median(values),
                                                          max(values)))
    return ["| latency | samples | min (ms) | median (ms) | max (ms) |", "| --- | --- | --- | --- | --- |"] + out


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    print("\n".join(summary(folder)))
    print()
    print("\n".join(table(folder)))
