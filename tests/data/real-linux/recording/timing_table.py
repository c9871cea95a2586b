#!/usr/bin/env python3
"""Print the timing table of tests/data/real-linux/README.md from the transcripts' ``timing`` entries.

usage: timing_table.py [TRANSCRIPT_DIR]   (default: the folder above this script)

Times are QEMU's event timestamps minus the host's time of sending the command (same host clock), in ms.
"""
import json
import re
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


NORMAL = ("qemu-tables", "ours-plain")
"""Scenarios on unmodified tables (QEMU's or ours): the path a healthy guest takes."""
LATENCIES = (("device_add -> ACPI_DEVICE_OST", "device_add", "ost_ms"),
             ("device_del -> ACPI_DEVICE_OST 0x84", "device_del", "ost_0x84_ms"),
             ("device_del -> DEVICE_DELETED", "device_del", "device_deleted_ms"))


def summary(folder):
    out = ["| latency | runs | samples | min (ms) | median (ms) | max (ms) |",
           "| --- | --- | --- | --- | --- | --- |"]
    for runs, pick in (("unmodified tables", lambda s: s.startswith(NORMAL)), ("all", lambda s: True)):
        for name, command, key in LATENCIES:
            values = [r[key] for s, r in rows(folder) if pick(s) and r["command"] == command and key in r]
            out.append("| %s | %s | %d | %.1f | %.1f | %.1f |" % (name, runs, len(values), min(values),
                                                                 statistics.median(values), max(values)))
    return out


def guest_steps(folder):
    """Guest-side durations from the kernel's own timestamps (after boot): a CPU's bring-up once onlined
    ("Detected PIPT I-cache on CPUn" -> "CPUn: Booted secondary processor") and, with two CPUs in one
    _EVT, one processor device's hot-add ("ACPI: CPUa has been hot-added" -> "ACPI: CPUb ...")."""
    bringup, hotadd = [], []
    for path in sorted(Path(folder).glob("*.json")):
        log = [e for e in json.loads(path.read_text())["kernel_log"] if e["after_step"] >= 0]
        for k, e in enumerate(log):
            m = re.match(r"Detected PIPT I-cache on CPU(\d+)$", e["text"])
            if m:
                done = next((f for f in log[k:] if f["text"].startswith("CPU%s: Booted secondary" % m.group(1))),
                            None)
                if done:
                    bringup.append((done["t"] - e["t"]) * 1000)
            if "has been hot-added" in e["text"] and k + 1 < len(log) and "has been hot-added" in log[k + 1]["text"]:
                hotadd.append((log[k + 1]["t"] - e["t"]) * 1000)
    out = ["| guest step (kernel timestamps) | samples | min (ms) | median (ms) | max (ms) |",
           "| --- | --- | --- | --- | --- |"]
    for name, values in (("CPU bring-up: Detected PIPT I-cache -> Booted secondary processor", bringup),
                         ("next CPU's hot-add in the same _EVT", hotadd)):
        out.append("| %s | %d | %.1f | %.1f | %.1f |" % (name, len(values), min(values), statistics.median(values),
                                                          max(values)))
    return out


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    print("\n".join(summary(folder)))
    print()
    print("\n".join(guest_steps(folder)))
    print()
    print("\n".join(table(folder)))
