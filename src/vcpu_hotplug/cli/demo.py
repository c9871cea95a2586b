"""``vcpu-hotplug demo``: the cloud-scaling story, end to end, over a real QMP socket.

Runs :func:`vcpu_hotplug.story.scaling.run_scaling` (a ``qemu.qmp`` client
driving the QMP server on a temporary unix socket, a Linux guest model
reacting) and shows, for each step, the guest's view (possible / present /
enabled / online), the path one event took from the QMP command to the
guest's last word, and the VM exits and simulated time it cost. ``--json``
prints the same report as data.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Iterable

import click
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vcpu_hotplug.guest import GuestConfig
from vcpu_hotplug.guest.cpumask import format_range_list
from vcpu_hotplug.profiles import DEFAULT_PROFILE, PROFILE_NAMES, ProfileName
from vcpu_hotplug.qmp.backend import GuestCpuView
from vcpu_hotplug.qmp.errors import QmpError
from vcpu_hotplug.story.hotplug_path import HotplugPath, Stage
from vcpu_hotplug.story.scaling import (ScalingReport, ScalingStep, StepKind, VcpuChange,
                                      run_scaling)
from vcpu_hotplug.vm import GUEST_KERNELS, VmConfigError, VmSpec
from vcpu_hotplug.vmm.errors import ConfigError, VmmError

from .run import OneLineErrorCommand, fail

#: Width the report is laid out for when stdout is not a terminal (``make demo | less``).
PIPE_WIDTH = 110
#: Rows of the per-vCPU table before the middle ones are elided (a maxcpus=512 VM).
MAX_CHANGE_ROWS = 16
#: Stage colours of the path tables.
_STAGE_STYLE = {
    Stage.QMP: "bold cyan", Stage.QMP_EVENT: "bold cyan", Stage.VMM: "magenta",
    Stage.INTERRUPT: "yellow", Stage.AML: "blue", Stage.NOTIFY: "bold yellow",
    Stage.OST: "bold blue", Stage.PSCI: "bold red", Stage.VCPU: "red", Stage.GUEST: "green",
    Stage.KERNEL_LOG: "dim green",
}
_WHY = {
    StepKind.PRE_DEPLOY: ("Every possible vCPU exists from boot and is in the MADT (the boot CPU "
                          "Enabled, the others Online Capable); the VMM, playing firmware, "
                          "answers PSCI CPU_ON with DENIED for the ones policy keeps disabled."),
    StepKind.SCALE_UP: ("The orchestrator plugs each free slot with device_add. The VMM sets the "
                        "vCPU's policy to enabled and signals the GED; the guest's _EVT reads the "
                        "hotplug registers and Notifies the processor device; _STA now says "
                        "enabled, so Linux registers the CPU, and udev onlines it with CPU_ON."),
    StepKind.SCALE_DOWN: ("The orchestrator unplugs with device_del. The guest gets an Eject "
                          "Request, reports _OST 0x84 (in progress), offlines the CPU (CPU_OFF), "
                          "calls _EJ0, unregisters it and reports success; DEVICE_DELETED tells "
                          "the orchestrator the vCPU is gone."),
}


def cpu_list(indices: Iterable[int]) -> str:
    """``0-3,6`` (the kernel's cpulist format)."""
    return format_range_list(indices) or "(none)"


def sim_time(ns: int) -> str:
    if ns >= 1_000_000:
        return f"{ns / 1e6:.3f} ms"
    return f"{ns / 1e3:.0f} us"


def guest_view_table(view: GuestCpuView) -> Table:
    table = Table(title="guest's view (sysfs cpu masks)", title_justify="left",
                  title_style="bold", box=None, pad_edge=False)
    for name in ("possible", "present", "enabled", "online"):
        table.add_column(name, style="bold green" if name == "online" else "")
    table.add_row(cpu_list(view.possible), cpu_list(view.present), cpu_list(view.enabled),
                  cpu_list(view.online))
    return table


def path_table(change: VcpuChange) -> Table:
    path = change.path
    table = Table(title=f"path of {change.command} {change.device} (vCPU {change.vcpu})",
                  title_justify="left", title_style="bold", box=None, pad_edge=False,
                  show_edge=False)
    table.add_column("sim time", justify="right", style="dim", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("what")
    table.add_column("register accesses", justify="right", style="dim", no_wrap=True)
    for step in path.steps:
        repeat = f" (x{step.repeat})" if step.repeat > 1 else ""
        mmio = ", ".join(f"{device} {count}" for device, count in step.mmio)
        table.add_row(f"{(step.time_ns - path.start_ns) / 1e3:.0f} us",
                      Text(step.stage.value, style=_STAGE_STYLE.get(step.stage, "")),
                      step.detail + repeat, mmio)
    return table


def changes_table(step: ScalingStep) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in (("vCPU", "right"), ("QMP command", "left"), ("events received", "left"),
                          ("VM exits", "right"), ("simulated", "right"), ("online", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    changes = step.changes
    hidden = 0
    if len(changes) > MAX_CHANGE_ROWS:
        hidden = len(changes) - MAX_CHANGE_ROWS
        half = MAX_CHANGE_ROWS // 2
        changes = changes[:half] + changes[-half:]
    for position, change in enumerate(changes):
        if hidden and position == MAX_CHANGE_ROWS // 2:
            table.add_row("...", f"({hidden} more, see --json)", "", "", "", "")
        table.add_row(str(change.vcpu), f"{change.command} {change.device}",
                      ", ".join(_event_short(e.name, e.data) for e in change.events),
                      _exits_text(change.path), sim_time(change.path.sim_ns),
                      Text("yes" if change.online_after else "no",
                           style="bold green" if change.online_after else "dim"))
    return table


def _event_short(name: str, data: object) -> str:
    info = data.get("info") if isinstance(data, dict) else None
    if isinstance(info, dict):
        return f"{name}({info.get('source', 0):#x},{info.get('status', 0):#x})"
    return name


def _exits_text(path: HotplugPath) -> str:
    return f"{path.exits.total} ({path.exits.mmio} MMIO, {path.exits.hvc} HVC)"


def render_step(number: int, step: ScalingStep, report: ScalingReport) -> Panel:
    parts: list[object] = [Text(_WHY[step.kind], style="italic")]
    if step.kind is StepKind.PRE_DEPLOY:
        denied = [i for i, r in report.boot.cpu_on.items() if r == "DENIED"]
        started = [i for i, r in report.boot.cpu_on.items() if r == "SUCCESS"]
        parts.append(Text.assemble(
            ("boot: ", "bold"), f"PSCI CPU_ON SUCCESS for vCPU {cpu_list(started)}, ",
            ("DENIED", "bold red"), f" for vCPU {cpu_list(denied)} (silent: they stay offline)"))
        plugged = sum(1 for s in step.slots if "qom-path" in s)
        parts.append(Text(f"query-hotpluggable-cpus: {len(step.slots)} slots, {plugged} plugged"))
    if step.changes:
        parts.append(path_table(step.changes[0]))
        if len(step.changes) > 1:
            parts.append(Text(f"every {step.changes[0].command} of this step:", style="bold"))
        parts.append(changes_table(step))
    parts.append(guest_view_table(step.guest))
    parts.append(Text.assemble(
        ("cost of the step: ", "bold"), f"{step.exits.total} VM exits ",
        f"({step.exits.mmio} MMIO, {step.exits.hvc} HVC), ",
        f"{sim_time(step.sim_ns)} simulated"))
    return Panel(Group(*parts), title=f"[bold]step {number}: {step.title}", title_align="left")


def render_report(report: ScalingReport) -> Group:
    header = Text.assemble(
        ("vcpu-hotplug demo", "bold"), ": arm64 vCPU hotplug for cloud scaling, driven over QMP\n",
        ("VM ", "dim"), f"-smp {report.smp}, -cpu {report.cpu_type}, Linux {report.guest_kernel} "
        "guest model\n",
        ("orchestrator ", "dim"), "qemu.qmp client on a unix socket, QMP server ",
        f"{report.version.get('package', '')}")
    final = report.steps[-1].guest
    footer = Text.assemble(
        ("done: ", "bold green"),
        f"scaled {report.steps[0].target} -> {report.steps[1].target} -> "
        f"{report.steps[2].target} vCPUs; guest online {cpu_list(final.online)}; "
        f"quit {'answered with SHUTDOWN' if report.shutdown else 'not acknowledged'}")
    return Group(header, *(render_step(i, s, report) for i, s in enumerate(report.steps, 1)),
                 footer)


@click.command("demo", cls=OneLineErrorCommand)
@click.option("--smp", default="cpus=2,maxcpus=8", show_default=True, metavar="SMP",
              help="QEMU -smp of the VM: it boots with cpus, scales to maxcpus and back")
@click.option("--guest-kernel", type=click.Choice(list(GUEST_KERNELS)), default="6.11",
              show_default=True,
              help="Linux release the guest models: 6.11/6.12, 7.1 (SMT control, before the 2026 fixes) or 7.2 "
                   "(present on hot-add, forced unregistration); 2026 is an alias of 7.2")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default=DEFAULT_PROFILE.value,
              show_default=True,
              help="which VMM the VM is: reference (this project's design) or qemu-rfc-v5 (QEMU RFC V5's "
                   "tables and AML)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def demo(smp: str, guest_kernel: str, profile: str, as_json: bool) -> None:
    """Cloud scaling over QMP: 2 -> 8 -> 2 vCPUs.

    The seed talk's story end to end: a VM pre-deployed with 2 of 8 vCPUs,
    the workload arrives and an orchestrator (the qemu.qmp client, on a real
    unix socket) plugs the other 6 with device_add, the workload leaves and
    it unplugs them with device_del. Each step shows the guest's view, the
    path one event took and its cost in VM exits and simulated time.
    --profile qemu-rfc-v5 runs the same story on QEMU RFC V5's tables and AML
    (it unplugs only what it added, which QEMU allows).
    """
    spec = VmSpec(smp=smp, guest=GuestConfig(kernel=GUEST_KERNELS[guest_kernel]), profile=ProfileName(profile))
    try:
        report = asyncio.run(run_scaling(spec))
    except ConfigError as exc:
        fail(f"--smp {smp}: {exc}")
    except (VmmError, VmConfigError, QmpError, OSError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    console = Console(width=None if sys.stdout.isatty() else PIPE_WIDTH)
    console.print(render_report(report))


__all__ = ["demo", "render_report"]
