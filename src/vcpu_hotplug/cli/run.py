"""``vcpu-hotplug run``: boot a VM and serve QMP until ``quit`` or a signal.

Options follow QEMU's where QEMU has one: ``--smp`` is ``-smp``
(``hw/core/machine-smp.c`` rules), ``--qmp`` is ``-qmp`` (``unix:PATH,server``
or ``tcp:HOST:PORT,server``, repeatable), ``--cpu-type`` is the ``-cpu``
model hot-plugged vCPUs get, ``--qga`` serves the guest's QEMU guest agent
(the ``org.qemu.guest_agent.0`` channel) on a unix socket. The guest options choose the Linux behaviour
(``--guest-kernel``) and make it an unhappy guest for testing orchestrators.
``--pace`` says how the guest takes time (``qmp/pacing.py``): ``realtime`` (the
default) answers a command first and sends the guest's events when it gets
there, with measured latencies scaled by ``--pace-factor``; ``instant`` runs
the guest until idle after each command.

``--incoming`` is QEMU's ``-incoming``: the VM starts waiting for a saved
state (``inmigrate``) and loads it from ``file:PATH`` or ``exec:CMD`` (one
saved by QMP ``migrate``, :mod:`vcpu_hotplug.qmp.migration`) before serving,
or, with ``defer``, when a client sends ``migrate-incoming``; a VM saved
running runs on at once. A stream that cannot be loaded is one error line
and exit status 1, as QEMU exits after "load of migration failed".

The unix socket is created owner-only (0600) by the QMP server; TCP listens
on loopback unless another address is named. ``quit`` over QMP, SIGINT
(Ctrl-C) or SIGTERM shut down cleanly: clients are disconnected and the
socket is removed. Every expected error is one line on stderr and exit
status 1.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import stat
import sys
from pathlib import Path
from typing import IO, Any, NoReturn, Optional, Sequence

import click
from rich.console import Console

from vcpu_hotplug.emulator.guest_agent_channel import GuestAgentChannel
from vcpu_hotplug.guest import GuestConfig, GuestKnobs
from vcpu_hotplug.hw.clock import NS_PER_MS
from vcpu_hotplug.migration.errors import UriError
from vcpu_hotplug.migration.transport import MigrationUri, parse_uri
from vcpu_hotplug.migration.vm_state import enable_migration
from vcpu_hotplug.qmp.errors import QmpError
from vcpu_hotplug.qmp.migration import INCOMING_DEFER, incoming_failure, load_incoming, wait_for_incoming
from vcpu_hotplug.qmp.machine_backend import DEFAULT_CPU_TYPE
from vcpu_hotplug.profiles import DEFAULT_PROFILE, PROFILE_NAMES, ProfileName
from vcpu_hotplug.qmp.pacing import DEFAULT_FACTOR, Pace, make_pacer
from vcpu_hotplug.qmp.server import (MAX_CLIENTS, QmpAddress, QmpServer, TcpAddress, UnixAddress,
                                     parse_qmp_address)
from vcpu_hotplug.vm import GUEST_KERNELS, VirtualMachine, VmConfigError, VmSpec, build_vm, guest_kernel_name
from vcpu_hotplug.vmm.errors import ConfigError, VmmError

from .live_view import LiveView, PlainLog, terminal_supports_live

#: How often the live view checks for changes to draw (wall seconds).
REFRESH_INTERVAL_S = 0.1
#: Exit status for an expected error (bad option, socket in use).
EXIT_ERROR = 1


class RunError(Exception):
    """An expected failure of ``run``: printed as one line."""


#: Exit status for a command line click cannot parse (click's own convention).
EXIT_USAGE = 2


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


class OneLineUsageError(click.ClickException):
    """A bad option, shown as one ``error:`` line instead of click's usage block."""

    exit_code = EXIT_USAGE

    def show(self, file: Optional[IO[str]] = None) -> None:  # noqa: D401 - click API
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineErrorCommand(click.Command):
    """A click command whose option errors are one line: ``error: vcpu-hotplug run: ...``."""

    def make_context(self, info_name: Optional[str], args: list[str],
                     parent: Optional[click.Context] = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            raise OneLineUsageError(f"{exc.format_message().rstrip('.')}{hint}") from exc


def parse_cpu_list(text: Optional[str]) -> frozenset[int]:
    """``"3,5-7"`` -> {3, 5, 6, 7} (the kernel's cpulist syntax)."""
    if not text:
        return frozenset()
    cpus: set[int] = set()
    for part in text.split(","):
        lo, sep, hi = part.strip().partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise RunError(f"--busy-cpus: '{part}' is not a CPU number or range (e.g. 3,5-7)")
        first, last = int(lo), int(hi) if sep else int(lo)
        if last < first:
            raise RunError(f"--busy-cpus: range '{part}' goes backwards")
        cpus.update(range(first, last + 1))
    return frozenset(cpus)


def address_text(address: QmpAddress) -> str:
    if isinstance(address, UnixAddress):
        return f"unix:{address.path}"
    return f"tcp:{address.host}:{address.port}"


def check_unix_socket_free(path: Path) -> None:
    """Refuse a socket path another live server listens on (a stale socket is replaced)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise RunError(f"cannot create QMP socket at '{path}': a file is in the way")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        return  # nobody listens: stale, the server replaces it as QEMU does
    finally:
        probe.close()
    raise RunError(f"QMP socket '{path}' is in use by another process")


@click.command("run", cls=OneLineErrorCommand)
@click.option("--smp", default="cpus=2,maxcpus=8", show_default=True, metavar="SMP",
              help="QEMU -smp: [cpus=]N[,maxcpus=M][,sockets=S][,clusters=C][,cores=K][,threads=T]")
@click.option("--qmp", "qmp_specs", multiple=True, metavar="ADDR",
              help="QEMU -qmp: unix:PATH,server or tcp:HOST:PORT,server (repeatable)")
@click.option("--cpu-type", default=DEFAULT_CPU_TYPE, show_default=True,
              help="vCPU model (host, max, cortex-a57, neoverse-n1, ... with or without -arm-cpu)")
@click.option("--guest-kernel", type=click.Choice(list(GUEST_KERNELS)), default="6.11",
              show_default=True,
              help="Linux release the guest models: 6.11/6.12, 7.1 (SMT control, before the 2026 fixes) or 7.2 "
                   "(present on hot-add, forced unregistration); 2026 is an alias of 7.2")
@click.option("--busy-cpus", metavar="LIST", default="",
              help="guest CPUs that refuse to go offline, e.g. 3,5-7 (unplug fails, _OST 0x82)")
@click.option("--ignore-notifications", is_flag=True,
              help="the guest ignores hotplug notifications (unplug times out)")
@click.option("--slow-online", "slow_online_ms", type=click.FloatRange(min=0), default=0.0,
              metavar="MS", help="simulated delay before the guest onlines a hot-added CPU")
@click.option("--no-auto-online", is_flag=True,
              help="hot-added CPUs stay offline until cpuN/online is written")
@click.option("--qga", "qga_spec", metavar="ADDR", default=None,
              help="serve the guest agent (qemu-ga) on unix:PATH,server")
@click.option("--max-clients", type=click.IntRange(min=1), default=MAX_CLIENTS, show_default=True,
              help="QMP connections served at a time; one more is refused with an error line")
@click.option("--guest-dyndbg", is_flag=True,
              help="the guest's dynamic debug on (dyndbg=): pr_debug/dev_dbg lines reach its kernel log")
@click.option("--pace", type=click.Choice([p.value for p in Pace]), default=Pace.REALTIME.value,
              show_default=True,
              help="realtime: replies first, the guest's events when it gets there (measured latencies); "
                   "instant: the guest runs until idle after each command")
@click.option("--pace-factor", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_FACTOR,
              show_default=True, metavar="F",
              help="realtime: every latency times F (0.1: ten times faster, 3: three times slower)")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default=DEFAULT_PROFILE.value,
              show_default=True,
              help="which VMM to be: reference (this project's design) or qemu-rfc-v5 (QEMU RFC V5's "
                   "tables, AML and refusal of cold-booted vCPU unplug)")
@click.option("--incoming", "incoming_spec", metavar="URI", default=None,
              help="QEMU -incoming: restore a VM saved with migrate (file:PATH or exec:CMD), "
                   "or 'defer' to wait for migrate-incoming")
@click.option("--no-tui", is_flag=True, help="print log lines instead of the live view")
def run(smp: str, qmp_specs: Sequence[str], cpu_type: str, guest_kernel: str, busy_cpus: str,
        ignore_notifications: bool, slow_online_ms: float, no_auto_online: bool,
        qga_spec: Optional[str], max_clients: int, guest_dyndbg: bool, pace: str, pace_factor: float,
        profile: str, incoming_spec: Optional[str], no_tui: bool) -> None:
    """Boot an arm64 VM and serve QMP until quit.

    The VM is the VMM machine with the Linux guest model booted on it; QMP
    is QEMU's protocol (qemu.qmp, libvirt-style tools and qmp-shell connect
    to it). It serves until a client sends quit, or Ctrl-C / SIGTERM,
    showing a live view of the vCPUs and the event trace (--no-tui: plain
    log lines).
    """
    try:
        if not qmp_specs:
            raise RunError("nothing to serve: give --qmp unix:PATH,server or "
                           "--qmp tcp:127.0.0.1:PORT,server")
        addresses = [parse_qmp_address(spec) for spec in qmp_specs]
        qga = parse_qga_address(qga_spec) if qga_spec is not None else None
        for address in addresses + ([qga] if qga is not None else []):
            if isinstance(address, UnixAddress):
                check_unix_socket_free(address.path)
        knobs = GuestKnobs(auto_online=not no_auto_online,
                           online_delay_ns=round(slow_online_ms * NS_PER_MS),
                           ignore_notifications=ignore_notifications,
                           busy_cpus=set(parse_cpu_list(busy_cpus)))
        guest = GuestConfig(kernel=GUEST_KERNELS[guest_kernel], knobs=knobs, dyndbg=guest_dyndbg)
        incoming = parse_incoming(incoming_spec)
        vm = build_vm(VmSpec(smp=smp, cpu_type=cpu_type, guest=guest, profile=ProfileName(profile),
                             start_paused=incoming_spec is not None))
        enable_migration(vm)
        if incoming_spec is not None:
            wait_for_incoming(vm.backend, autostart=True)
    except ConfigError as exc:
        fail(f"--smp {smp}: {exc}")
    except VmmError as exc:
        fail(str(exc))
    except (RunError, VmConfigError, QmpError) as exc:
        fail(str(exc))

    console = Console()
    tui = not no_tui and terminal_supports_live(console)
    try:
        asyncio.run(serve_vm(vm, addresses, console if tui else None, smp, qga,
                             max_clients=max_clients, pace=Pace(pace), pace_factor=pace_factor,
                             incoming=incoming))
    except (RunError, QmpError) as exc:
        fail(str(exc))
    failure = incoming_failure(vm.backend)
    if failure is not None:  # migrate-incoming failed and ended the server: QEMU exits with the reason
        fail(failure)


def parse_incoming(spec: Optional[str]) -> Optional[MigrationUri]:
    """``--incoming URI``: what to restore from (None: nothing, or ``defer``: migrate-incoming later)."""
    if spec is None or spec == INCOMING_DEFER:
        return None
    try:
        return parse_uri(spec)
    except UriError as exc:
        raise RunError(f"--incoming {spec}: {exc}") from None


def parse_qga_address(spec: str) -> UnixAddress:
    """``--qga unix:PATH,server``: the host end of the guest agent's virtio-serial port."""
    address = parse_qmp_address(spec)
    if not isinstance(address, UnixAddress):
        raise RunError(f"--qga {spec}: the guest agent is served on a unix socket "
                       "(unix:PATH,server)")
    return address


async def serve_vm(vm: VirtualMachine, addresses: Sequence[QmpAddress],
                   console: Optional[Console], smp: str,
                   qga: Optional[UnixAddress] = None, *, max_clients: int = MAX_CLIENTS,
                   pace: Pace = Pace.REALTIME, pace_factor: float = DEFAULT_FACTOR,
                   incoming: Optional[MigrationUri] = None) -> None:
    """Serve ``vm`` on ``addresses`` (and its guest agent on ``qga``) until ``quit`` or a signal,
    paced by ``pace``; first restore the VM saved at ``incoming`` (QEMU ``-incoming``), failing
    with :class:`RunError` as QEMU exits when the load fails."""
    server = QmpServer(vm.backend, max_clients=max_clients,
                       pacer=make_pacer(pace, vm.backend, factor=pace_factor))
    agent_channel = GuestAgentChannel(vm.guest_agent) if qga is not None else None
    loop = asyncio.get_running_loop()
    stop_reason: list[str] = []

    def stop(signum: int) -> None:
        if not stop_reason:
            stop_reason.append(signal.Signals(signum).name)
            asyncio.ensure_future(server.close())

    # Before listening: once the socket exists a client (or a test) may signal us at once.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        for address in addresses:
            await server.start(address)
        if incoming is not None:
            failure = load_incoming(vm.backend, server.devices, incoming,
                                    events=False, emit=server.emit_event)
            if failure is not None:
                raise RunError(f"--incoming: {failure}")
            server.pacer.after_command(True)  # a VM restored running goes on at once
        if agent_channel is not None and qga is not None:
            await agent_channel.start_unix(str(qga.path))
    except BaseException:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if agent_channel is not None:
            await agent_channel.close()
        await server.close()
        raise
    shown = [address_text(a) if not isinstance(a, TcpAddress) or a.port
             else f"tcp:{a.host}:{port}" for a, port in zip(addresses, _ports(server, addresses))]
    title = f"vcpu-hotplug: arm64 virt, -smp {vm.machine.smp.to_option()}"
    try:
        if console is not None:
            view = LiveView(vm, console, title, shown)
            view.attach()
            closed = asyncio.ensure_future(server.wait_closed())
            with view:
                while not closed.done():
                    view.refresh()
                    await asyncio.wait({closed}, timeout=REFRESH_INTERVAL_S)
                view.note(f"stopped: {stop_reason[0] if stop_reason else 'quit'}")
        else:
            log = PlainLog(vm, sys.stdout)
            log.line(f"{title}; guest {guest_kernel_name(vm.spec.guest.kernel)}; "
                     f"QMP on {', '.join(shown)}")
            log.line(log.summary())
            log.attach()
            await server.wait_closed()
            log.line(f"stopped ({stop_reason[0] if stop_reason else 'quit'}); {log.summary()}")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if agent_channel is not None:
            await agent_channel.close()
        await server.close()
        report_server_summaries(server)


def report_server_summaries(server: QmpServer) -> None:
    """After serving: what went wrong inside the server (one line per error type, with its
    first message and count), and what it did to protect itself from clients."""
    for entry in server.internal_errors:
        times = f" ({entry.count} times)" if entry.count > 1 else ""
        click.echo(f"warning: internal error while serving{times}: {entry.kind}: {entry.first}",
                   err=True)
    for entry in server.notices:
        times = f" ({entry.count} times)" if entry.count > 1 else ""
        click.echo(f"note: {entry.kind}{times}: {entry.first}", err=True)


def _ports(server: QmpServer, addresses: Sequence[QmpAddress]) -> list[int]:
    ports = iter(server.tcp_ports)
    return [next(ports, 0) if isinstance(a, TcpAddress) else 0 for a in addresses]
