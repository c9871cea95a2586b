"""``check --json``'s prediction against recorded real-Linux runs (tests/data/real-linux, issue 12).

Each transcript is one run of real Linux (Debian's 6.12.95 arm64 kernel)
under QEMU RFC V5 (TCG; ``-smp cpus=2,maxcpus=4`` and two other shapes), recorded by the rig
(tests/data/real-linux/README.md): the masks after boot and after each step
(``device_add`` of one or two cores, ``echo 1 > cpuN/online`` since that
guest has no udev, ``device_del``, maybe a replug), the kernel log and the
QMP traffic. The tables Linux used are QEMU's own for
that ``-smp`` (tests/data/qemu-rfc-v5/, the dump whose command.txt has it)
with, for ``ours-*``, the MADT, PPTT and DSDT replaced by the variant's
(tables/<variant>/). The vCPU a ``device_add`` plugs is QEMU's CPU index of
its socket/cluster/core/thread ids.

``check`` runs on that same table set with what the tables cannot say given
as the rig had it: ``--boot-cpus N`` (``-smp cpus=N``), ``--no-udev`` and
``--guest-kernel 6.12``. Then, step by step:

- the masks: each transcript step is matched with the prediction's step of
  the same kind for that vCPU (``AFTER-DEVICE_ADD``: hot-add, ``AFTER-ONLINE``:
  online, the first ``STATE-CHANGE``: hot-remove, after a replug: re-add ...);
  the prediction takes one CPU at a time from the boot state, so for two
  cores added back to back the expected masks are the boot masks changed by
  each CPU's own step (what one CPU's step adds or takes away);
- the fates: registered after the hot-add, online after the online write,
  ejected by the VMM (``DEVICE_DELETED``), unregistered;
- the kernel log lines about ACPI processor devices and PSCI of each step
  (``polled N ms`` is timing, not behaviour);
- the QMP events about each core (``ACPI_DEVICE_OST`` source/status,
  ``DEVICE_DELETED``), in order.

Where the model differs from real Linux the case names the difference and
why it stays (:data:`KNOWN_DIFFERENCES`, strict: it fails once the model
agrees, so that the entry goes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from vcpu_hotplug.cli import main
from vcpu_hotplug.guest.cpumask import parse_range_list

TRANSCRIPTS = ROOT / "tests" / "data" / "real-linux"
QEMU_DUMPS = ROOT / "tests" / "data" / "qemu-rfc-v5"
VARIANT_TABLES = ("APIC", "PPTT", "DSDT")
MASKS = ("possible", "present", "enabled", "online")
LOGGED = re.compile(r"^(ACPI: |psci: )")
"""Kernel log lines compared: ACPI's processor and hotplug lines, PSCI's (the rest names addresses and MIDRs of
the real machine)."""
REPLUG_UNSEEN = "REPLUG (no step: nothing changed)"
"""The step a replug is when the guest reported no change after it (``ours-nosta-replug``: a stale cpu2)."""
TIMING = re.compile(r"\(polled \d+ ms\)")

KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}
"""(transcript, test) -> why the prediction differs from real Linux and stays different."""


def _transcripts() -> list[Path]:
    return sorted(TRANSCRIPTS.glob("*.json")) if TRANSCRIPTS.is_dir() else []


@dataclass
class Run:
    """One transcript with the prediction ``check --json`` made for the same tables and flow."""

    name: str
    doc: dict
    prediction: dict
    """The ``prediction.kernels[0]`` of the report."""

    @property
    def cores(self) -> list[int]:
        """The vCPUs (QEMU CPU indexes) the run plugged, from its device_add arguments and -smp."""
        return sorted(set(_plugged(self.doc).values()))

    def steps_of(self, vcpu: int) -> list[dict]:
        return [s for s in self.prediction["steps"] if s["vcpu"] == vcpu]

    def fate(self, vcpu: int) -> dict:
        return next(c for c in self.prediction["cpus"] if c["vcpu"] == vcpu)


def _smp(doc: dict) -> dict[str, int]:
    """The -smp of the run as numbers (sockets, clusters, cores, threads default to a flat topology)."""
    values = dict(item.split("=") for item in doc["smp"].split(","))
    smp = {key: int(value) for key, value in values.items()}
    smp.setdefault("maxcpus", smp["cpus"])
    for key in ("sockets", "clusters", "threads"):
        smp.setdefault(key, 1)
    smp.setdefault("cores", smp["maxcpus"] // (smp["sockets"] * smp["clusters"] * smp["threads"]))
    return smp


def _plugged(doc: dict) -> dict[str, int]:
    """device id -> vCPU index of every device_add, as QEMU numbers CPUs (socket, cluster, core, thread)."""
    smp = _smp(doc)
    out = {}
    for entry in doc["qmp"]:
        send = entry.get("send", {})
        if send.get("execute") != "device_add":
            continue
        a = send["arguments"]
        index = ((a.get("socket-id", 0) * smp["clusters"] + a.get("cluster-id", 0)) * smp["cores"]
                 + a.get("core-id", 0)) * smp["threads"] + a.get("thread-id", 0)
        out[a["id"]] = index
    return out


def _kernel_release(doc: dict) -> str:
    return ".".join(doc["versions"]["kernel"]["version"].split(".")[:2])


def _qemu_dump(doc: dict) -> Path:
    """QEMU's tables for the run's -smp with CPU hotplug on (-accel tcg, MTTCG), from their command.txt."""
    for folder in sorted(QEMU_DUMPS.glob("*")) if QEMU_DUMPS.is_dir() else []:
        command = folder / "command.txt"
        if command.is_file():
            text = command.read_text()
            if f"-smp {doc['smp']} " in text and "-accel tcg " in text:
                return folder
    pytest.skip(f"no dump of QEMU's tables for -smp {doc['smp']} in {QEMU_DUMPS}")


def _tables(doc: dict, out: Path) -> Path:
    """The table set Linux used: QEMU's dump for that -smp, with the variant's MADT, PPTT and DSDT over it."""
    base = _qemu_dump(doc)
    out.mkdir()
    for path in base.iterdir():
        if path.is_file() and re.fullmatch(r"[A-Z0-9]{4}", path.name):
            (out / path.name).write_bytes(path.read_bytes())
    files = doc["tables"].get("files")
    if files:
        for sig in VARIANT_TABLES:
            (out / sig).write_bytes((TRANSCRIPTS / files / f"{sig}.aml").read_bytes())
    return out


def _predict(path: Path, tmp_path: Path) -> Run:
    doc = json.loads(path.read_text())
    tables = _tables(doc, tmp_path / "tables")
    args = ["--boot-cpus", str(_smp(doc)["cpus"]), "--no-udev", "--guest-kernel", _kernel_release(doc)]
    result = CliRunner().invoke(main, ["check", str(tables), "--json", *args])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    [prediction] = report["prediction"]["kernels"]
    return Run(path.stem, doc, prediction)


def _masks(step: dict) -> dict[str, set[int]]:
    return {m: set(parse_range_list(step["masks"][m])) for m in MASKS}


def _predicted(step: dict) -> dict[str, set[int]]:
    return {m: set(step["masks"][m]) for m in MASKS}


# -- matching the transcript's steps with the prediction's --------------------------------------------------------


def _wanted_actions(doc: dict) -> list[list[str]]:
    """For each transcript step after BOOT, the prediction's actions it corresponds to (none: no change)."""
    out: list[list[str]] = []
    removed = readded = False
    for step in doc["steps"][1:]:
        name = step["step"]
        if name == "AFTER-DEVICE_ADD":
            out.append(["hot-add"])
        elif name == "AFTER-ONLINE":
            out.append(["online"])
        elif name == "STATE-CHANGE":
            if not removed:
                out.append(["hot-remove"])
                removed = True
            elif doc["flow"]["replug"] and not readded:
                out.append(["re-add"])
                readded = True
            else:
                out.append([])
        elif name == "AFTER-LATE-ONLINE":
            # the replug's own STATE-CHANGE is missing when the guest saw the CPU only once it onlined it
            out.append(([] if readded else ["re-add"]) + ["online"])
            readded = True
        elif name == "AFTER-PRE-ONLINE":
            # the guest tried to online a CPU registered at boot before any device_add: the VMM keeps the vCPU
            # disabled, so PSCI refuses and nothing changes (real Linux: EPERM); the prediction does not try
            out.append([])
        else:
            raise AssertionError(f"unknown transcript step {name!r}")
    return out


class _Cursor:
    """Walks one vCPU's predicted steps in order."""

    def __init__(self, steps: list[dict], before: dict[str, set[int]]) -> None:
        self.steps = steps
        self.at = 0
        self.state = before

    def take(self, action: str) -> tuple[dict[str, set[int]], dict[str, set[int]], dict | None]:
        """(masks before, masks after, step) of the next ``action``; an ``online`` that is not next is no step."""
        for i in range(self.at, len(self.steps)):
            step = self.steps[i]
            if step["action"] == action:
                self.at = i + 1
                before, self.state = self.state, _predicted(step)
                return before, self.state, step
            if action == "online":
                break
        return self.state, self.state, None


def _expected(run: Run) -> list[tuple[str, dict[str, set[int]], list[str], list[tuple]]]:
    """Per transcript step after BOOT: (name, masks, ACPI/PSCI log lines, QMP events) the prediction implies."""
    if not run.doc["steps"]:
        return []       # the guest never reached its first report (a panic at boot): no step to compare
    boot = _predicted(run.prediction["steps"][0])
    cursors = {c: _Cursor(run.steps_of(c), boot) for c in run.cores}
    state = {m: set(v) for m, v in boot.items()}
    steps = list(zip(run.doc["steps"][1:], _wanted_actions(run.doc)))
    if run.doc["flow"]["replug"] and not any("re-add" in actions for _, actions in steps):
        # the replug changed nothing the guest reports, so the rig recorded no step for it; its kernel lines and
        # events still follow the last step, and the masks stay as that step reported them
        steps.append(({"step": REPLUG_UNSEEN}, ["re-add"]))
    out = []
    for tstep, actions in steps:
        lines: list[str] = []
        events: list[tuple] = []
        for action in actions:
            for core in run.cores:
                before, after, step = cursors[core].take(action)
                for m in MASKS:
                    state[m] = (state[m] - (before[m] - after[m])) | (after[m] - before[m])
                if step is not None:
                    lines += [line for line in step["log"] if LOGGED.match(line)]
                    events += [(e["event"], e["vcpu"], e["source"], e["status"]) for e in step["events"]]
        out.append((tstep["step"], {m: set(v) for m, v in state.items()}, lines, events))
    return out


def _real_lines(doc: dict, index: int) -> list[str]:
    """ACPI/PSCI kernel lines printed between step ``index - 1`` and step ``index``."""
    return [entry["text"] for entry in doc["kernel_log"]
            if entry["after_step"] == index - 1 and LOGGED.match(entry["text"])]


def _norm(lines: list[str]) -> list[str]:
    return sorted(TIMING.sub("(polled N ms)", line) for line in lines)


def _real_events(doc: dict) -> dict[int, list[tuple]]:
    """The ACPI_DEVICE_OST and DEVICE_DELETED events about each vCPU (``slot``; a device id), in order."""
    plugged = _plugged(doc)
    out: dict[int, list[tuple]] = {}
    for entry in doc["qmp"]:
        name, data = entry.get("event"), entry.get("data", {})
        if name == "ACPI_DEVICE_OST":
            info = data["info"]
            out.setdefault(int(info["slot"]), []).append((name, int(info["slot"]), info["source"], info["status"]))
        elif name == "DEVICE_DELETED":
            vcpu = plugged[data["device"]]
            out.setdefault(vcpu, []).append((name, vcpu, None, None))
    return out


# -- the tests -----------------------------------------------------------------------------------------------------


@pytest.fixture(params=_transcripts(), ids=lambda p: p.stem)
def run(request, tmp_path: Path) -> Run:
    known = KNOWN_DIFFERENCES.get((request.param.stem, request.node.originalname))
    if known is not None:
        request.applymarker(pytest.mark.xfail(reason=known, strict=True))
    return _predict(request.param, tmp_path)


def test_there_are_transcripts() -> None:
    if not TRANSCRIPTS.is_dir():
        pytest.skip(f"{TRANSCRIPTS} is not there")
    assert _transcripts()


def test_boot_masks_agree(run: Run) -> None:
    if not run.doc["steps"]:
        # real Linux never reached its first report: the boot failed, and so must the predicted one
        assert not run.doc["result"]["ready"]
        assert not run.prediction["booted"] and run.prediction["error"], run.name
        if run.doc.get("panic"):
            # it panicked: so does the prediction, with Linux's Oops and panic lines
            assert run.prediction["outcome"] == "panicked", run.prediction["error"]
            panic = run.prediction["panic"]
            assert run.doc["panic"].startswith(panic["log"][-1])
            real = [e["text"] for e in run.doc["kernel_log"]]
            oops = real[real.index(panic["log"][0]):]
            assert panic["log"] == [line for line in oops if not line.startswith("Rebooting in ")]
            assert f'"{panic["log"][-1]}"' in run.prediction["error"]
            assert run.prediction["boot"]["online"] == [0] and not run.prediction["cpus"]
        return
    assert run.prediction["booted"], run.prediction["error"]
    assert _predicted(run.prediction["steps"][0]) == _masks(run.doc["steps"][0])


def test_masks_after_every_step_agree(run: Run) -> None:
    if not run.doc["steps"]:
        pytest.skip(f"{run.name}: the guest never reached its first report")
    for index, (name, masks, _, _) in enumerate(_expected(run), start=1):
        real = _masks(run.doc["steps"][min(index, len(run.doc["steps"]) - 1)])  # REPLUG_UNSEEN: the last report
        assert masks == real, f"{run.name} step {index} ({name})"


def test_fates_agree(run: Run) -> None:
    if not run.cores:
        pytest.skip(f"{run.name}: no device_add in this run")
    steps = run.doc["steps"]
    after_add = _masks(next(s for s in steps if s["step"] == "AFTER-DEVICE_ADD"))
    after_del = _masks(next(s for s in steps if s["step"] == "STATE-CHANGE"))
    deleted = {slot for slot, events in _real_events(run.doc).items() if ("DEVICE_DELETED", slot, None, None) in events}
    for core in run.cores:
        fate = run.fate(core)
        cpu = fate["cpu"]
        assert fate["hot_add"]["registered"] is (cpu in after_add["enabled"]), (run.name, core)
        assert fate["hot_remove"]["ejected"] is (core in deleted), (run.name, core)
        assert fate["hot_remove"]["unregistered"] is (cpu not in after_del["enabled"]), (run.name, core)


def test_kernel_lines_about_acpi_processors_and_psci_agree(run: Run) -> None:
    for index, (name, _, lines, _) in enumerate(_expected(run), start=1):
        assert _norm(lines) == _norm(_real_lines(run.doc, index)), f"{run.name} step {index} ({name})"


def test_qmp_events_agree(run: Run) -> None:
    predicted: dict[int, list[tuple]] = {}
    for _, _, _, events in _expected(run):
        for event in events:
            predicted.setdefault(event[1], []).append(event)
    assert predicted == _real_events(run.doc), run.name
