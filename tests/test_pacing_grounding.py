"""The realtime pace's default step latencies are the real system's: each is checked against its median in
the real-Linux recordings (``tests/data/real-linux/``: Linux 6.12.95 under QEMU RFC V5 with TCG, every QMP
message and kernel line timestamped), over the runs whose tables are correct (QEMU's own, and ours
unmodified: variants ``qemu`` and ``plain``; the others are deliberately broken tables).

``python -m tests.test_pacing_grounding`` prints the medians and their samples (the README's table).
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require
from vcpu_hotplug.hw.clock import NS_PER_MS
from vcpu_hotplug.qmp.pacing import DEFAULT_LATENCIES

RECORDINGS = Path(__file__).resolve().parent / "data" / "real-linux"
CORRECT_TABLES = ("qemu", "plain")
TOLERANCE = 0.2
BURST_S = 0.1
"""Commands sent within this of the one before are one burst (one ``_EVT`` handles them)."""
HOT_ADDED = re.compile(r"ACPI: CPU(\d+) has been hot-added")
KILLED = re.compile(r"psci: CPU(\d+) killed")
ALIGNMENT_MS = 3.0
"""Uncertainty of a kernel time put on the host's clock: the guest's clock is aligned on each run's
hot-adds ("CPUn has been hot-added" against that hot-add's ACPI_DEVICE_OST; the line comes a little
before the _OST, and the runs' alignments agree within 4 ms)."""
SECONDARY_FIRST_LINE = re.compile(r"Detected PIPT I-cache on CPU(\d+)")
SECONDARY_ONLINE = re.compile(r"CPU(\d+): Booted secondary processor")


@dataclass
class Samples:
    """Milliseconds measured on the real system, per quantity."""

    hot_add_ost: list[float] = field(default_factory=list)
    """device_add -> its ACPI_DEVICE_OST, the first device_add of a burst."""
    next_device: list[float] = field(default_factory=list)
    """The second hot-add's ACPI_DEVICE_OST after the first's, for two device_adds sent back to back."""
    eject_started: list[float] = field(default_factory=list)
    """device_del -> the eject's _OST 0x84 (the work starting), the first device_del of a burst."""
    eject_work: list[float] = field(default_factory=list)
    """_OST 0x84 -> DEVICE_DELETED: the offline, CPU_OFF and teardown, _EJ0 (every device_del)."""
    device_deleted: list[float] = field(default_factory=list)
    """device_del -> DEVICE_DELETED, the first device_del of a burst."""
    cpu_up: list[float] = field(default_factory=list)
    """A secondary's first line -> 'CPUn: Booted secondary processor' (kernel timestamps)."""
    cpu_off: list[float] = field(default_factory=list)
    """_OST 0x84 -> 'psci: CPUn killed': the eject's offline step, cpu_off_ns (the kernel's time on the
    host's clock, see ALIGNMENT_MS)."""
    post_eject: list[float] = field(default_factory=list)
    """DEVICE_DELETED -> the eject's final ACPI_DEVICE_OST (source 3, status 0): the _STA check and
    post_eject after _EJ0 (the device is gone, so that event names only its slot)."""
    eject: list[float] = field(default_factory=list)
    """'psci: CPUn killed' -> DEVICE_DELETED: the rest of the offline and _EJ0, eject_ns (the kernel's time
    on the host's clock)."""


def transcripts() -> list[dict]:
    found = [json.loads(path.read_text()) for path in sorted(RECORDINGS.glob("*.json"))]
    return [t for t in found if t["tables"]["variant"] in CORRECT_TABLES]


def measured() -> Samples:
    samples = Samples()
    for transcript in transcripts():
        previous: dict[str, float] = {}
        leader_ost: dict[str, float] = {}
        for row in sorted(transcript["timing"], key=lambda r: r["t"]):
            command, t = row["command"], row["t"]
            follower = t - previous.get(command, -1.0) < BURST_S
            previous[command] = t
            if command == "device_add" and row.get("ost_ms") is not None:
                ost_at = t + row["ost_ms"] / 1000
                if follower:
                    samples.next_device.append((ost_at - leader_ost[command]) * 1000)
                else:
                    samples.hot_add_ost.append(row["ost_ms"])
                    leader_ost[command] = ost_at
            if command == "device_del" and row.get("device_deleted_ms") is not None:
                samples.eject_work.append(row["device_deleted_ms"] - row["ost_0x84_ms"])
                if not follower:
                    samples.eject_started.append(row["ost_0x84_ms"])
                    samples.device_deleted.append(row["device_deleted_ms"])
        first_line: dict[str, float] = {}
        for line in transcript["kernel_log"]:
            if line["after_step"] < 0:
                continue  # boot: the secondaries' bring-up at boot is not a hot-add's
            if match := SECONDARY_FIRST_LINE.search(line["text"]):
                first_line[match.group(1)] = line["t"]
            elif (match := SECONDARY_ONLINE.search(line["text"])) and match.group(1) in first_line:
                samples.cpu_up.append((line["t"] - first_line.pop(match.group(1))) * 1000)
        split_eject(transcript, samples)
        final_osts(transcript, samples)
    return samples


def final_osts(transcript: dict, samples: Samples) -> None:
    """Each DEVICE_DELETED to the next eject-success _OST (the one its work ends with)."""
    events = [q for q in transcript["qmp"] if "event" in q]
    for index, deleted in enumerate(events):
        if deleted["event"] != "DEVICE_DELETED":
            continue
        for later in events[index + 1:]:
            info = later.get("data", {}).get("info", {})
            if later["event"] == "ACPI_DEVICE_OST" and info.get("source") == 3 and info.get("status") == 0:
                if later["t"] - deleted["t"] < BURST_S:
                    samples.post_eject.append((later["t"] - deleted["t"]) * 1000)
                break


def split_eject(transcript: dict, samples: Samples) -> None:
    """Split an eject's work at 'psci: CPUn killed' (end of the offline), its kernel time put on the
    host's clock by the run's hot-adds."""
    events = [q for q in transcript["qmp"] if "event" in q]
    lines = [line for line in transcript["kernel_log"] if line["after_step"] >= 0]
    offsets, used = [], set()
    for line in lines:
        if match := HOT_ADDED.search(line["text"]):
            device = f"cpu{match.group(1)}"
            for index, event in enumerate(events):
                info = event.get("data", {}).get("info", {})
                if (index not in used and event["event"] == "ACPI_DEVICE_OST" and info.get("device") == device
                        and info.get("source") == 1):
                    used.add(index)
                    offsets.append(event["t"] - line["t"])
                    break
    if not offsets:
        return
    offset = statistics.median(offsets)
    for line in lines:
        if not (match := KILLED.search(line["text"])):
            continue
        device, killed = f"cpu{match.group(1)}", line["t"] + offset
        deleted = [e["t"] for e in events if e["event"] == "DEVICE_DELETED" and e["data"]["device"] == device
                   and e["t"] > killed - ALIGNMENT_MS / 1000]
        started = [e["t"] for e in events if e["event"] == "ACPI_DEVICE_OST" and e["t"] < killed
                   and e["data"]["info"].get("device") == device and e["data"]["info"].get("status") == 0x84]
        if deleted and started:
            samples.cpu_off.append((killed - started[-1]) * 1000)
            samples.eject.append((deleted[0] - killed) * 1000)


def median(values: list[float]) -> float:
    return statistics.median(values)


def modelled() -> dict[str, tuple[float, list[float]]]:
    """Each default (ms) next to the samples it stands for."""
    lat, s = DEFAULT_LATENCIES, measured()
    ms = lambda ns: ns / NS_PER_MS  # noqa: E731
    return {
        "acpi_notify (GED interrupt -> eject work starts, _OST 0x84)": (ms(lat.acpi_notify_ns), s.eject_started),
        "hot-add: device_add -> ACPI_DEVICE_OST": (ms(lat.hot_add_ost_ns), s.hot_add_ost),
        "next_device (second hot-add of a burst, after the first)": (ms(lat.next_device_ns), s.next_device),
        "cpu_off + eject (_OST 0x84 -> DEVICE_DELETED)": (ms(lat.cpu_off_ns + lat.eject_ns), s.eject_work),
        "cpu_off (_OST 0x84 -> psci: CPUn killed)": (ms(lat.cpu_off_ns), s.cpu_off),
        "eject (psci: CPUn killed -> DEVICE_DELETED)": (ms(lat.eject_ns), s.eject),
        "device_del -> DEVICE_DELETED": (ms(lat.device_deleted_ns), s.device_deleted),
        "post_eject (DEVICE_DELETED -> final _OST)": (ms(lat.post_eject_ns), s.post_eject),
        "cpu_up (secondary's first line -> Booted secondary processor)": (ms(lat.cpu_up_ns), s.cpu_up),
    }


@pytest.fixture(scope="module")
def figures() -> dict[str, tuple[float, list[float]]]:
    require(bool(transcripts()), f"the real-Linux recordings in {RECORDINGS}")
    return modelled()


@pytest.mark.parametrize("quantity", [
    "acpi_notify (GED interrupt -> eject work starts, _OST 0x84)",
    "hot-add: device_add -> ACPI_DEVICE_OST",
    "next_device (second hot-add of a burst, after the first)",
    "cpu_off + eject (_OST 0x84 -> DEVICE_DELETED)",
    "cpu_off (_OST 0x84 -> psci: CPUn killed)",
    "eject (psci: CPUn killed -> DEVICE_DELETED)",
    "device_del -> DEVICE_DELETED",
    "post_eject (DEVICE_DELETED -> final _OST)",
    "cpu_up (secondary's first line -> Booted secondary processor)",
])
def test_each_default_is_the_recorded_median(figures: dict, quantity: str) -> None:
    default, samples = figures[quantity]
    assert len(samples) >= 2, f"{quantity}: too few samples {samples}"
    real = median(samples)
    # next_device is a few ms: whole milliseconds are its resolution; the split of an eject has the
    # uncertainty of the clock alignment
    floor = ALIGNMENT_MS if "killed" in quantity else 1.0
    assert abs(default - real) <= max(TOLERANCE * real, floor), \
        f"{quantity}: default {default} ms, recorded median {real:.1f} ms of {sorted(samples)}"


if __name__ == "__main__":
    print("| quantity | default (ms) | recorded median (ms) | samples (ms) |")
    print("| --- | --- | --- | --- |")
    for name, (default, samples) in modelled().items():
        shown = ", ".join(f"{v:.1f}" for v in sorted(samples))
        print(f"| {name} | {default:g} | {median(samples):.1f} | {shown} |")
