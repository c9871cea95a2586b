"""Replay a recorded real-Linux run on the project's VM, step for step, and record the same things.

A transcript under ``tests/data/real-linux/`` says what real Linux 6.12.95 did under real QEMU RFC V5
(see that folder's README.md). :func:`replay` builds the project's machine with the same ``-smp``, the
same CPU model and the same ACPI tables (QEMU RFC V5's own, with the run's APIC/PPTT/DSDT upgrades when
it used a variant of ours), boots the guest model as the stock kernel in the rig's initramfs
(Linux 6.12, no udev, so no auto-online), and then does what the rig did, in the same order:

- the host's QMP commands, through the project's QMP layer (:func:`vcpu_hotplug.qmp.commands.dispatch`
  on a :class:`~vcpu_hotplug.qmp.machine_backend.MachineBackend`), settling the guest after each as the
  QMP server does, and collecting the QMP events :class:`~vcpu_hotplug.qmp.devices.CpuDeviceTable`
  makes of the machine's;
- the guest's ``/init`` (``recording/guest-init.sh``): print the state at each step (masks, ``cpuN``
  directories and their ``online`` files, the ACPI processor devices), ``echo 1 > cpuN/online`` for every
  registered offline CPU after the hot-add, then its polling loop, which prints a state change and
  onlines CPU directories that appear later.

The result has the transcript's shape (``steps``, ``guest_actions``, ``kernel_log``, ``events``), so a
test compares them field by field.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcpu_hotplug.arm.midr import cpu_model_midr
from vcpu_hotplug.guest import GuestConfig
from vcpu_hotplug.guest.config import GuestKnobs
from vcpu_hotplug.guest.errors import SysfsError
from vcpu_hotplug.guest.releases import GuestKernel
from vcpu_hotplug.profiles import ProfileName, get_profile
from vcpu_hotplug.qmp.commands import CommandContext, SessionState, dispatch
from vcpu_hotplug.qmp.devices import CpuDeviceTable
from vcpu_hotplug.qmp.machine_backend import MachineBackend
from vcpu_hotplug.system import System
from vcpu_hotplug.vm import guest_cpu_view

DATA = Path(__file__).resolve().parents[1] / "data"
TRANSCRIPTS = DATA / "real-linux"
QEMU_DUMPS = DATA / "qemu-rfc-v5"
"""QEMU RFC V5's own tables per ``-smp`` shape (the firmware's set a run booted on), see its README."""
MODEL_TABLES = ("APIC", "PPTT", "DSDT", "FACP", "GTDT")
"""The tables the guest model reads (QEMU's MCFG, SPCR, DBG2 and IORT describe devices it has not)."""
UPGRADED = ("APIC", "PPTT", "DSDT")
"""The tables the runs with our tables replaced through the initrd table upgrade."""
RECORDED_VMM = get_profile(ProfileName.QEMU_RFC_V5)
CPU_DIR = "/sys/devices/system/cpu"
MASKS = ("possible", "present", "enabled", "online", "offline")


def recording_script(name: str):
    """A script of ``tests/data/real-linux/recording/`` as a module (they are plain scripts, no package)."""
    spec = importlib.util.spec_from_file_location(name, TRANSCRIPTS / "recording" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RECORDING = recording_script("make_transcript")
KEEP, SKIP = RECORDING.KEEP, RECORDING.SKIP
"""The transcripts' kernel log filter (CPUs, ACPI processors, PSCI, GIC), applied to the model's log too."""


def scenarios() -> list[str]:
    return sorted(p.stem for p in TRANSCRIPTS.glob("*.json"))


def load(scenario: str) -> dict[str, Any]:
    return json.loads((TRANSCRIPTS / f"{scenario}.json").read_text())


def qemu_tables_dir(smp: str) -> Path:
    """The dump of QEMU's tables made with ``-accel tcg`` (CPU hotplug on) and this ``-smp``."""
    for folder in sorted(QEMU_DUMPS.iterdir()):
        command = folder / "command.txt"
        if command.is_file() and " -accel tcg " in command.read_text() and f" -smp {smp} " in command.read_text():
            return folder
    raise LookupError(f"no dump of QEMU RFC V5's tables for -smp {smp} in {QEMU_DUMPS}")


def tables_for(transcript: dict[str, Any]) -> list[bytes]:
    """QEMU's tables, with the run's upgraded APIC/PPTT/DSDT when it used ours (byte for byte as fed)."""
    folder = qemu_tables_dir(transcript["smp"])
    tables = {sig: (folder / sig).read_bytes() for sig in MODEL_TABLES}
    variant = transcript["tables"]["variant"]
    if variant != "qemu":
        for sig in UPGRADED:
            tables[sig] = (TRANSCRIPTS / "tables" / variant / f"{sig}.aml").read_bytes()
    return list(tables.values())


def linux_path(path: str) -> str:
    """``\\_SB_.CPUS.C000`` (Linux pads NameSegs with ``_``) -> ``\\_SB.CPUS.C000``."""
    return ".".join(seg.rstrip("_") if len(seg) == 4 or seg.startswith("\\") else seg
                    for seg in path.split("."))


@dataclass
class ModelRun:
    """What the model did, in the transcript's terms."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    guest_actions: list[str] = field(default_factory=list)
    kernel_log: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    guest_cpus: dict[str, Any] = field(default_factory=dict)
    """``x-query-guest-cpus`` at the end: the guest's masks (vCPU indexes) and its kernel log tail."""


class Replay:
    """The model machine + guest + QMP layer, driven as the rig drove real QEMU."""

    def __init__(self, transcript: dict[str, Any]) -> None:
        self.tr = transcript
        guest = GuestConfig(kernel=GuestKernel.LINUX_6_12, midr=cpu_model_midr(transcript["cpu_type"]),
                            knobs=GuestKnobs(auto_online=False))
        # the machine rules of the VMM recorded (QEMU RFC V5 refuses to unplug cold-booted vCPUs)
        machine = RECORDED_VMM.machine_config(smp=transcript["smp"])
        self.system = System.build(machine_config=machine, guest=guest, tables=tables_for(transcript))
        system = self.system
        self.backend = MachineBackend(system.machine, cpu_type=transcript["cpu_type"],
                                      guest_view=lambda: guest_cpu_view(system), settle=system.run_until_idle)
        self.devices = CpuDeviceTable(self.backend, thread_id=lambda index: 1000 + index)
        self.ctx = CommandContext(SessionState(negotiated=True), self.backend, self.devices, {}, lambda: None)
        self.run = ModelRun()
        self.backend.subscribe(lambda event: self.run.events.extend(
            {"event": e.name, "data": e.data} for e in self.devices.translate(event)))

    # ---------------------------------------------------------------- host side (run_scenario.py)

    def qmp(self, command: str, **arguments: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        reply = dispatch(message, self.ctx)
        self.backend.run_pending()
        self.run.replies.append((command, reply))
        return reply

    def plug(self, adds: list[dict[str, Any]]) -> None:
        """The rig's ``device_add`` s (with the arguments it sent), then its ``query-cpus-fast``."""
        for arguments in adds:
            self.qmp("device_add", **arguments)
        self.qmp("query-cpus-fast")

    def recorded(self, command: str) -> list[dict[str, Any]]:
        return [e["send"].get("arguments", {}) for e in self.tr["qmp"]
                if "send" in e and e["send"]["execute"] == command]

    # ---------------------------------------------------------------- guest side (guest-init.sh)

    def _read(self, name: str) -> str:
        return self.system.sysfs.read(f"{CPU_DIR}/{name}").strip()

    def cpu_dirs(self) -> list[str]:
        return sorted((e for e in self.system.sysfs.listdir() if re.fullmatch(r"cpu\d+", e)),
                      key=lambda e: int(e[3:]))

    def online_file(self, cpu_dir: str) -> str:
        try:
            return self._read(f"{cpu_dir}/online")
        except SysfsError:
            return "no-file"

    def acpi_processors(self) -> list[dict[str, str]]:
        kernel = self.system.kernel
        out = []
        for adev in kernel.scan.devices.values():
            if not adev.is_processor:
                continue
            status, sta = kernel.acpi.evaluate_integer(adev.path + "._STA")
            uid = kernel.acpi.evaluate(adev.path + "._UID", trace=False) \
                if kernel.acpi.exists(adev.path + "._UID") else None
            bound = adev.cpu is not None and adev.cpu in kernel.devices.registered
            out.append({"device": adev.name, "path": adev.path, "uid": "" if uid is None else str(uid),
                        "status": "NA" if sta is None else str(sta),
                        "physical_node": f"cpu{adev.cpu}" if bound else "none"})
        return sorted(out, key=lambda d: d["path"])

    def masks(self) -> dict[str, str]:
        return {name: self._read(name) for name in MASKS}

    def show(self, step: str) -> None:
        self.run.steps.append({"step": step, "masks": self.masks(), "cpu_dirs": self.cpu_dirs(),
                               "cpus": {d: self.online_file(d) for d in self.cpu_dirs()},
                               "acpi_processors": self.acpi_processors()})

    def online(self, cpu_dir: str, late: bool = False) -> None:
        """``echo 1 > cpuN/online`` as guest-init.sh does it, with its ONLINE-TRY/ONLINE-RESULT lines."""
        tag = " (late)" if late else ""
        self.run.guest_actions.append(f"{self.online_prefix}TRY{tag} {cpu_dir}")
        try:
            self.system.sysfs.write(f"{CPU_DIR}/{cpu_dir}/online", "1")
            rc, err = 0, ""
        except SysfsError as e:   # busybox sh: "sh: write error: <strerror>", exit status 1
            rc, err = 1, f"sh: write error: {e.errno.strerror}"
        self.run.guest_actions.append(f"{self.online_prefix}RESULT{tag} {cpu_dir} rc={rc} err={err}")
        self.system.run_until_idle()

    def offline_cpu_dirs(self) -> list[str]:
        return [d for d in self.cpu_dirs() if self.online_file(d) == "0"]

    def state_key(self) -> tuple:
        return tuple(self.masks().items()), tuple(self.cpu_dirs())

    # ---------------------------------------------------------------- the whole run

    def replay(self) -> ModelRun:
        flow = self.tr["flow"]
        adds, dels = self.recorded("device_add"), self.recorded("device_del")
        first = adds[:len(dels)] if dels else adds
        self.qmp("query-hotpluggable-cpus")
        self.qmp("query-cpus-fast")
        if self.system.kernel.booted:
            self.show("BOOT")       # guest-init.sh's first report; a kernel that panicked never ran it
        if not self.tr["result"]["ready"]:
            return self.run            # the real guest never reached its prompt: the rig sent nothing more
        pre = self.offline_cpu_dirs()
        self.online_prefix = "PRE-ONLINE-"
        for d in pre:
            self.online(d)
        if pre:
            self.show("AFTER-PRE-ONLINE")
        base = (self._read("enabled"), tuple(self.cpu_dirs()))
        self.plug(first)
        seen = (self._read("enabled"), tuple(self.cpu_dirs())) != base
        self.run.guest_actions.append("HOTADD-SEEN" if seen else "HOTADD-NOT-SEEN")
        self.show("AFTER-DEVICE_ADD")
        self.online_prefix = "ONLINE-"
        for d in self.offline_cpu_dirs():
            self.online(d)
        self.show("AFTER-ONLINE")
        self.loop_last, self.loop_dirs = None, self.cpu_dirs()
        for arguments in dels:
            self.qmp("device_del", **arguments)
        deleted = sum(e["event"] == "DEVICE_DELETED" for e in self.run.events) >= len(dels)
        self.poll()
        self.qmp("query-hotpluggable-cpus")
        self.qmp("query-cpus-fast")
        if flow["replug"] and deleted:
            self.plug(adds[len(first):])
            self.poll()
            self.qmp("query-cpus-fast")
        return self.run

    def poll(self) -> None:
        """guest-init.sh's polling loop after STAGE3-DONE, run until nothing changes any more: a state
        change is printed; a CPU directory that appeared since the last look is onlined (late)."""
        while True:
            cur = self.state_key()
            changed = cur != self.loop_last
            late_first = self.next_recorded_step() == "AFTER-LATE-ONLINE" and self.late_dirs()
            if changed and late_first:
                # the real loop read the masks just before the re-plug's CPU appeared and found it when
                # it listed the directories (a race of its 2 s polling): no state printed in between
                changed = False
            if changed:
                self.show("STATE-CHANGE")
                self.loop_last = cur
            late = self.late_dirs()
            for d in late:
                self.online(d, late=True)
                self.show("AFTER-LATE-ONLINE")
            self.loop_dirs = self.cpu_dirs()
            if not changed and not late and self.state_key() == self.loop_last:
                return

    def late_dirs(self) -> list[str]:
        """CPU directories that appeared since the loop last looked, offline (the loop onlines them)."""
        return [d for d in self.cpu_dirs() if d not in self.loop_dirs and self.online_file(d) == "0"]

    def next_recorded_step(self) -> str | None:
        steps = self.tr["steps"]
        return steps[len(self.run.steps)]["step"] if len(self.run.steps) < len(steps) else None


def replay(transcript: dict[str, Any]) -> tuple[ModelRun, System]:
    r = Replay(transcript)
    run = r.replay()
    run.guest_cpus = dispatch({"execute": "x-query-guest-cpus"}, r.ctx)["return"]
    run.kernel_log = [rec.text for rec in r.system.kernel.klog.records]
    return run, r.system
