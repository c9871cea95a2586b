"""``vcpu-hotplug-system-aarch64``: this project's VM behind QEMU's command line, for libvirt.

Stock libvirt (``src/qemu/qemu_process.c``, ``qemu_capabilities.c``) runs an
emulator two ways, both recorded in ``tests/libvirt/PROTOCOL.md``:

- the **capability probe**: ``-machine none ... -qmp unix:PATH,server=on,wait=off
  -pidfile FILE -daemonize``; as QEMU's ``os_daemonize``/``os_setup_post``
  (os-posix.c), the parent exits 0 only once the child listens and the
  pidfile names it, and the child's standard streams go to ``/dev/null``;
- the **domain**: ``-S`` (prelaunch), the monitor and the guest agent
  channel as already-listening sockets inherited as ``fd=N``, no
  ``-daemonize``; the process serves until SIGTERM (``virsh destroy``, or
  after the guest's power-off under ``-no-shutdown``) or ``quit``.

What the command line asks is checked here, before anything runs, with
QEMU's wording where QEMU has one: the machine must be ``virt`` (any
``virt-X.Y``) or ``none``; the accelerator ``tcg`` (this is an emulation:
``kvm`` alone is refused, ``kvm:tcg`` falls back as QEMU does); the GIC
version 3 (a redistributor per vCPU is what makes hotplug possible);
``-no-acpi`` only without hot-pluggable vCPUs, since hotplug on arm64 *is*
ACPI. Options the VM does not model (``-rtc``, ``-msg``, ``-blockdev`` of
the UEFI flash, ``-kernel`` ...) are accepted and recorded: the guest is
always this project's Linux model, booted on the VM's own ACPI tables.

Each vCPU device gets a real host thread (named ``CPU N/TCG`` as QEMU's
``debug-threads=on`` names them), so the ``thread-id`` management reads from
``query-cpus-fast`` is a thread of this process.

Time: the guest runs in realtime (``qmp/pacing.py``): replies first, the
guest's events when it gets there, with measured latencies, as a real QEMU
with a Linux guest. QEMU's command line has no place for a pace, so the
environment chooses it: ``VCPU_HOTPLUG_PACE=instant`` runs the guest until
idle after each command, ``VCPU_HOTPLUG_PACE_FACTOR=F`` scales the latencies
(libvirt passes environment variables with ``<qemu:commandline><qemu:env
name=... value=.../>``).

Save/restore (:mod:`vcpu_hotplug.qmp.migration`): QMP ``migrate`` to ``file:``,
``exec:`` or an inherited ``fd:N``; ``-incoming file:PATH|exec:CMD|fd:N`` loads a
saved VM at start-up (``fd:N`` is how libvirt hands over the save file on
``virsh restore``), ``-incoming defer`` waits for ``migrate-incoming``; with
``-S`` the loaded VM stays paused until ``cont``. A load that fails ends the
process with "load of migration failed: ...", as QEMU exits.

Profile (:mod:`vcpu_hotplug.profiles`): ``-machine virt,x-profile=qemu-rfc-v5``
(an ``x-`` property, as QEMU names its experimental ones; libvirt passes it with
``<qemu:commandline><qemu:arg value='-machine'/><qemu:arg
value='x-profile=qemu-rfc-v5'/>``, merged into its ``-machine`` as QEMU merges
repeated ``-machine`` options), else ``VCPU_HOTPLUG_PROFILE=qemu-rfc-v5`` in the
environment, else ``reference``.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from vcpu_hotplug import __version__
from vcpu_hotplug.guest.agent import GuestAgent
from vcpu_hotplug.migration.errors import UriError
from vcpu_hotplug.migration.transport import MigrationUri, parse_uri
from vcpu_hotplug.migration.vm_state import enable_migration
from vcpu_hotplug.profiles import DEFAULT_PROFILE, PROFILE_NAMES, ProfileName
from vcpu_hotplug.qmp.backend import RunState
from vcpu_hotplug.qmp.commands import REBOOT_SHUTDOWN, SHUTDOWN_PAUSE, ChardevInfo, VmIdentity
from vcpu_hotplug.qmp.emulator_info import NONE_MACHINE, QEMU_VERSION, VIRT_MACHINE, is_virt_machine
from vcpu_hotplug.qmp.errors import QmpError
from vcpu_hotplug.qmp.migration import (INCOMING_DEFER, incoming_failure, jobs_of, load_incoming,
                                        wait_for_incoming)
from vcpu_hotplug.qmp.pacing import DEFAULT_FACTOR, Pace, make_pacer
from vcpu_hotplug.qmp.server import QmpServer, TcpAddress, UnixAddress
from vcpu_hotplug.vm import VirtualMachine, VmConfigError, VmSpec, build_vm, normalize_cpu_type
from vcpu_hotplug.vmm.errors import VmmError
from vcpu_hotplug.vmm.smp import parse_smp

from .cmdline import Chardev, CommandLineError, QemuCommandLine, parse_command_line
from .guest_agent_channel import GuestAgentChannel

#: The program name QEMU's messages start with when argv[0] is missing.
PROGRAM = "vcpu-hotplug-system-aarch64"
#: The CPU model when the command line names none: QEMU virt's default (cortex-a15) is 32-bit
#: and cannot be hot-plugged; ``max`` is QEMU's most capable 64-bit TCG model.
DEFAULT_CPU_MODEL = "max"
#: Accelerators this VM provides (it is an emulation).
AVAILABLE_ACCELERATORS = ("tcg",)
#: ``gic-version`` values meaning GICv3 here (hw/arm/virt.c ``virt_set_gic_version``).
GICV3_NAMES = ("3", "host", "max")
EXIT_OK = 0
EXIT_FAILURE = 1
#: Environment variables choosing the pace (``realtime`` or ``instant``) and its factor.
PACE_ENV = "VCPU_HOTPLUG_PACE"
PACE_FACTOR_ENV = "VCPU_HOTPLUG_PACE_FACTOR"
#: The machine property and the environment variable naming the profile.
PROFILE_PROPERTY = "x-profile"
PROFILE_ENV = "VCPU_HOTPLUG_PROFILE"


class EmulatorError(Exception):
    """A command line that names something this VM cannot be; ``hint`` is a second line."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.hint = hint


class IncomingFailed(EmulatorError):
    """The saved VM could not be loaded; the reason went to stderr as it failed (QEMU's
    ``error_report`` "load of migration failed: ..." before ``exit(EXIT_FAILURE)``)."""


@dataclass
class EmulatorPlan:
    """What to run: a probe (no machine) or a VM, and where to serve."""

    command_line: QemuCommandLine
    spec: Optional[VmSpec]
    """None for ``-machine none`` (the capability probe)."""
    monitors: list[Chardev] = field(default_factory=list)
    agent: Optional[Chardev] = None
    agent_port_id: Optional[str] = None
    identity: VmIdentity = field(default_factory=VmIdentity)
    pace: Pace = Pace.REALTIME
    pace_factor: float = DEFAULT_FACTOR
    incoming: Optional[MigrationUri] = None
    """``-incoming URI``: the saved VM to load at start-up (None with ``defer``: ``migrate-incoming``)."""


def pace_from_environment(environ: dict[str, str]) -> tuple[Pace, float]:
    """``VCPU_HOTPLUG_PACE`` and ``VCPU_HOTPLUG_PACE_FACTOR`` (realtime, 1.0 when unset)."""
    text = environ.get(PACE_ENV, "") or Pace.REALTIME.value
    try:
        pace = Pace(text)
    except ValueError:
        raise EmulatorError(f"{PACE_ENV}={text}: not a pace (realtime or instant)") from None
    factor_text = environ.get(PACE_FACTOR_ENV, "")
    if not factor_text:
        return pace, DEFAULT_FACTOR
    try:
        factor = float(factor_text)
    except ValueError:
        factor = -1.0
    if not 0 < factor < float("inf"):
        raise EmulatorError(f"{PACE_FACTOR_ENV}={factor_text}: the pace factor must be a positive number")
    return pace, factor


def profile_of(command_line: QemuCommandLine, environ: Optional[Mapping[str, str]] = None) -> ProfileName:
    """``-machine ...,x-profile=NAME``, else ``VCPU_HOTPLUG_PROFILE``, else the default profile."""
    options = command_line.machine.options if command_line.machine is not None else {}
    if PROFILE_PROPERTY in options:
        text, where = options[PROFILE_PROPERTY], f"-machine {PROFILE_PROPERTY}"
    else:
        text, where = (environ or {}).get(PROFILE_ENV, ""), PROFILE_ENV
    if not text:
        return DEFAULT_PROFILE
    try:
        return ProfileName(text)
    except ValueError:
        raise EmulatorError(f"{where}={text}: not a profile (one of: {', '.join(PROFILE_NAMES)})") from None


def plan(command_line: QemuCommandLine, environ: Optional[Mapping[str, str]] = None) -> EmulatorPlan:
    """Check the command line against what this VM is; raise :class:`EmulatorError`.

    ``environ`` may name the profile (:func:`profile_of`)."""
    cl = command_line
    machine = cl.machine.type if cl.machine is not None else None
    if machine is None:
        raise EmulatorError("No machine specified, and there is no default",
                            "Use -machine help to list supported machines")
    if machine != NONE_MACHINE and not is_virt_machine(machine):
        raise EmulatorError(f"unsupported machine type: \"{machine}\"",
                            "Use -machine help to list supported machines")
    _check_accelerators(cl.accelerators)
    monitors = [m.chardev for m in cl.monitors if _control_monitor(m.mode, m.chardev)]
    for chardev in monitors:
        _check_socket(chardev, "monitor")
    identity = VmIdentity(name=cl.name, uuid=cl.uuid or VmIdentity().uuid,
                          machine=VIRT_MACHINE if machine != NONE_MACHINE else NONE_MACHINE)
    # system/runstate.c: -no-reboot is reboot=shutdown, -no-shutdown is shutdown=pause (set-action's values)
    if cl.no_reboot:
        identity.actions["reboot"] = REBOOT_SHUTDOWN
    if cl.no_shutdown:
        identity.actions["shutdown"] = SHUTDOWN_PAUSE
    if machine == NONE_MACHINE:
        identity.chardevs = tuple(ChardevInfo(c.id, _chardev_filename(c)) for c in monitors)
        return EmulatorPlan(cl, None, monitors, identity=identity)

    gic = (cl.machine.options.get("gic-version") if cl.machine else None) or "3"
    if gic not in GICV3_NAMES:
        raise EmulatorError(f"gic-version={gic}: this VM has a GICv3 (vCPU hotplug needs a "
                            "redistributor for every possible vCPU)",
                            "add <gic version='3'/> to the domain's <features>")
    try:
        cpu_type = normalize_cpu_type(cl.cpu_model or DEFAULT_CPU_MODEL)
    except VmConfigError as exc:
        raise EmulatorError(f"-cpu {cl.cpu_model}: {exc}") from None
    smp_text = cl.smp or "1"
    try:
        smp = parse_smp(smp_text)
    except VmmError as exc:
        raise EmulatorError(f"-smp {smp_text}: {exc}") from None
    if not cl.acpi and smp.maxcpus > smp.cpus:
        raise EmulatorError(
            f"-no-acpi: vCPU hotplug on arm64 needs ACPI (maxcpus={smp.maxcpus} > "
            f"cpus={smp.cpus}): the guest learns of a vCPU from its _STA and a GED notification",
            "in the domain XML put <acpi/> in <features> and boot UEFI "
            "(<loader readonly='yes' type='pflash'>...</loader> and <nvram>), or make every vCPU "
            "non-hotpluggable")
    incoming: Optional[MigrationUri] = None
    if cl.incoming is not None and cl.incoming != INCOMING_DEFER:
        try:
            incoming = parse_uri(cl.incoming)
        except UriError as exc:
            raise EmulatorError(f"-incoming {cl.incoming}: {exc}") from None
    spec = VmSpec(smp=smp_text, cpu_type=cpu_type, start_paused=cl.start_paused or cl.incoming is not None,
                  ram_size=cl.memory_bytes, profile=profile_of(cl, environ))
    agent = cl.guest_agent_chardev()
    port_id = None
    if agent is not None:
        _check_socket(agent, "guest agent channel")
        port_id = next((d.id for d in cl.devices if d.driver == "virtserialport"
                        and d.props.get("chardev") == agent.id), None)
    served = monitors + ([agent] if agent is not None else [])
    identity.chardevs = tuple(ChardevInfo(c.id, _chardev_filename(c),
                                          frontend_open=c is not agent or not cl.start_paused)
                              for c in served)
    return EmulatorPlan(cl, spec, monitors, agent, port_id, identity, incoming=incoming)


#: Devices and objects the VM models (the rest of ``-device``/``-object`` is recorded only).
MODELLED_DEVICES = frozenset({"virtserialport"})
MODELLED_OBJECTS = frozenset({"memory-backend-ram"})


def unmodelled_summary(command_line: QemuCommandLine) -> list[str]:
    """What the command line asked for that the VM accepts without modelling, for the log."""
    cl = command_line
    items = [option for option, _ in cl.unmodelled]
    items += [f"-device {d.driver}" for d in cl.devices if d.driver not in MODELLED_DEVICES
              and not (d.driver == "virtio-serial-pci" and cl.guest_agent_chardev() is not None)]
    items += [f"-object {o.get('qom-type')}" for o in cl.objects
              if o.get("qom-type") not in MODELLED_OBJECTS]
    items += ["-blockdev"] * len(cl.blockdevs)
    items += [option for option, value in (("-kernel", cl.kernel), ("-initrd", cl.initrd),
                                           ("-append", cl.append)) if value is not None]
    counted: dict[str, int] = {}
    for item in items:
        counted[item] = counted.get(item, 0) + 1
    return [item if n == 1 else f"{item} x{n}" for item, n in counted.items()]


def _check_accelerators(accelerators: Sequence[str]) -> None:
    """system/vl.c ``configure_accelerators``: the first that initialises wins."""
    wanted = list(accelerators) or ["tcg"]
    if not any(a in AVAILABLE_ACCELERATORS for a in wanted):
        raise EmulatorError(f"-accel {wanted[0]}: accelerator {wanted[0]} is not available: "
                            "this VM is an emulation (use -accel tcg)")


def _control_monitor(mode: str, chardev: Chardev) -> bool:
    if mode == "control":
        return True
    raise EmulatorError(f"-mon chardev={chardev.id},mode={mode}: only QMP monitors "
                        "(mode=control) are served; the human monitor is not modelled")


def _check_socket(chardev: Chardev, what: str) -> None:
    if chardev.backend != "socket":
        raise EmulatorError(f"-chardev {chardev.backend},id={chardev.id}: the {what} must be "
                            "a socket chardev")
    if not chardev.server:
        raise EmulatorError(f"-chardev socket,id={chardev.id}: the {what} must listen "
                            "(server=on); this VM does not connect out")


def _chardev_filename(chardev: Chardev) -> str:
    """``ChardevInfo.filename`` as char-socket.c's ``qemu_chr_compute_filename`` writes it."""
    if chardev.fd is not None:
        try:
            sock = socket.socket(fileno=os.dup(chardev.fd))
            with sock:
                name = sock.getsockname()
        except OSError:
            name = ""
        if isinstance(name, tuple):
            return f"disconnected:tcp:{name[0]}:{name[1]},server=on"
        return f"disconnected:unix:{name},server=on"
    if chardev.path is not None:
        return f"disconnected:unix:{chardev.path},server=on"
    return f"disconnected:tcp:{chardev.host}:{chardev.port},server=on"


class VcpuThreads:
    """A parked host thread per vCPU (``thread-id`` of ``query-cpus-fast``), created on first use."""

    def __init__(self) -> None:
        self._threads: dict[int, int] = {}
        self._park = threading.Event()
        self._lock = threading.Lock()

    def thread_id(self, index: int) -> int:
        with self._lock:
            if index not in self._threads:
                ready = threading.Event()
                found: list[int] = []

                def body() -> None:
                    _set_thread_name(f"CPU {index}/TCG")
                    found.append(threading.get_native_id())
                    ready.set()
                    self._park.wait()
                threading.Thread(target=body, name=f"CPU {index}/TCG", daemon=True).start()
                ready.wait()
                self._threads[index] = found[0]
            return self._threads[index]


def _set_thread_name(name: str) -> None:
    """prctl(PR_SET_NAME), as QEMU's ``qemu_thread_create`` names threads (15 bytes kept)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Emulator:
    """One running emulator: the VM (or none), the QMP server, the agent channel."""

    def __init__(self, emulator_plan: EmulatorPlan, prog: str) -> None:
        self.plan = emulator_plan
        self.prog = prog
        self.threads = VcpuThreads()
        self.vm: Optional[VirtualMachine] = None
        self.server: Optional[QmpServer] = None
        self.agent_channel: Optional[GuestAgentChannel] = None
        self._stopping: Optional[str] = None

    def build(self) -> None:
        spec = self.plan.spec
        if spec is not None:
            self.vm = build_vm(spec)
            backend = self.vm.backend
            backend.on_guest_started.append(self._guest_started)
            backend.set_reboot_shuts_down(self.plan.identity.actions["reboot"] == REBOOT_SHUTDOWN)
            enable_migration(self.vm)
            # QEMU's error_report before it exits: into the domain log, which libvirt quotes.
            jobs_of(backend).on_incoming_failure.append(
                lambda text: print(f"{self.prog}: {text}", file=sys.stderr, flush=True))
            if self.plan.command_line.incoming is not None:
                # -incoming: inmigrate until the state is loaded; -S decides whether it then runs.
                wait_for_incoming(backend, autostart=not self.plan.command_line.start_paused)
        else:
            backend = _ProbeBackend()
        pacer = make_pacer(self.plan.pace if spec is not None else Pace.INSTANT, backend,
                           factor=self.plan.pace_factor)
        self.server = QmpServer(backend, thread_id=self.threads.thread_id,
                                identity=self.plan.identity, pacer=pacer,
                                exit_on_shutdown=not self.plan.command_line.no_shutdown,
                                package=f"vcpu-hotplug {__version__}", version=QEMU_VERSION)

    def agent(self) -> Optional[GuestAgent]:
        """The guest's qemu-ga while the guest runs (None before boot, paused or powered off)."""
        return self.vm.guest_agent() if self.vm is not None else None

    def _guest_started(self) -> None:
        """The guest booted: its qemu-ga opens the port (virtio-serial ``VSERPORT_CHANGE``)."""
        agent = self.plan.agent
        if agent is None or self.server is None:
            return
        self.plan.identity.chardevs = tuple(
            ChardevInfo(c.label, c.filename, True) for c in self.plan.identity.chardevs)
        if self.plan.agent_port_id is not None:
            self.server.emit_event("VSERPORT_CHANGE", {"id": self.plan.agent_port_id, "open": True})

    async def listen(self) -> None:
        assert self.server is not None
        for chardev in self.plan.monitors:
            if chardev.fd is not None:
                await self.server.start_socket(_inherited_socket(chardev))
            elif chardev.path is not None:
                await self.server.start(UnixAddress(Path(chardev.path)))
            else:
                await self.server.start(TcpAddress(chardev.host or "127.0.0.1", int(chardev.port or 0)))
        if self.plan.incoming is not None and self.vm is not None:
            # migration/migration.c: a load that fails ends the process ("load of migration failed").
            failure = load_incoming(self.vm.backend, self.server.devices, self.plan.incoming,
                                    events=False, emit=self.server.emit_event)
            if failure is not None:
                raise IncomingFailed(failure)
            self.server.pacer.after_command(True)
        agent = self.plan.agent
        if agent is not None:
            self.agent_channel = GuestAgentChannel(self.agent)
            if agent.fd is not None:
                await self.agent_channel.start_socket(_inherited_socket(agent))
            elif agent.path is not None:
                await self.agent_channel.start_unix(agent.path)

    def stop(self, signum: int) -> None:
        """QEMU on SIGTERM/SIGINT/SIGHUP: ``SHUTDOWN`` (host-signal), then exit."""
        if self._stopping is not None or self.server is None:
            return
        self._stopping = signal.Signals(signum).name
        print(f"{self.prog}: terminating on signal {signum}", file=sys.stderr, flush=True)
        self.server.emit_event("SHUTDOWN", {"guest": False, "reason": "host-signal"})
        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(self.close()))

    async def close(self) -> None:
        if self.agent_channel is not None:
            await self.agent_channel.close()
        if self.server is not None:
            await self.server.close()


class _ProbeBackend:
    """``-machine none``: no CPUs, nothing to run (what libvirt's probe sees)."""

    def cpu_type(self) -> str:
        return ""

    def cpu_slots(self) -> list:
        return []

    def plug(self, index: int) -> None:
        raise QmpError("machine does not support hot-plugging CPUs")

    unplug = plug

    def subscribe(self, callback: Callable) -> None:
        pass

    def run_pending(self) -> None:
        pass

    def guest_cpus(self):
        raise QmpError("No guest is attached to this machine")

    def status(self) -> RunState:
        return RunState.PRELAUNCH

    def resume(self) -> None:
        pass

    def pause(self) -> None:
        pass

    def power_button(self) -> None:
        pass

    def set_reboot_shuts_down(self, shuts_down: bool) -> None:
        pass


def _inherited_socket(chardev: Chardev) -> socket.socket:
    assert chardev.fd is not None
    try:
        return socket.socket(fileno=chardev.fd)
    except OSError as exc:
        raise EmulatorError(f"-chardev socket,id={chardev.id},fd={chardev.fd}: "
                            f"not an open socket: {exc.strerror or exc}") from None


def _write_pidfile(path: str) -> None:
    """util/oslib-posix.c ``qemu_write_pidfile``: ``PID\\n``."""
    try:
        Path(path).write_text(f"{os.getpid()}\n")
    except OSError as exc:
        raise EmulatorError(f"cannot create PID file: {exc.strerror or exc}") from None


async def _serve(emulator: Emulator, ready: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, emulator.stop, signum)
    try:
        await emulator.listen()
        ready()
        assert emulator.server is not None
        await emulator.server.wait_closed()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        await emulator.close()


def _run(emulator_plan: EmulatorPlan, prog: str, on_ready: Callable[[], None]) -> int:
    cl = emulator_plan.command_line
    summary = unmodelled_summary(cl)
    if emulator_plan.spec is not None and summary:
        # Into the domain's log (libvirt's /var/log/libvirt/qemu/NAME.log): what was not run.
        print(f"{prog}: info: accepted, not modelled: {', '.join(summary)}", file=sys.stderr,
              flush=True)
    emulator = Emulator(emulator_plan, prog)
    emulator.build()

    def ready() -> None:
        if cl.pidfile is not None:
            _write_pidfile(cl.pidfile)
        on_ready()
    try:
        asyncio.run(_serve(emulator, ready))
    finally:
        if cl.pidfile is not None:
            try:
                os.unlink(cl.pidfile)
            except OSError:
                pass
    if emulator.vm is not None and incoming_failure(emulator.vm.backend) is not None:
        return EXIT_FAILURE  # migrate-incoming failed (reported as it failed): QEMU exits EXIT_FAILURE
    return EXIT_OK


def _daemonize_and_run(emulator_plan: EmulatorPlan, prog: str) -> int:
    """os-posix.c ``os_daemonize``: the parent's exit status is the child's start-up verdict."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            status = pipe.read(1)
        return EXIT_OK if status == b"\0" else EXIT_FAILURE
    os.close(read_fd)
    os.setsid()
    reported = False

    def ready() -> None:
        nonlocal reported
        # os_setup_post: stdio to /dev/null, then tell the parent (its pipes reach the caller).
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        os.write(write_fd, b"\0")
        os.close(write_fd)
        reported = True
    try:
        code = _run(emulator_plan, prog, ready)
    except BaseException as exc:  # noqa: BLE001 - the parent must hear of any start-up failure
        if not reported:
            _report(prog, exc)
            os.write(write_fd, b"\1")
        os._exit(EXIT_FAILURE)
    os._exit(code)


def _report(prog: str, exc: BaseException) -> None:
    if isinstance(exc, IncomingFailed):
        return  # said already, as it happened
    if isinstance(exc, (EmulatorError, CommandLineError)):
        print(f"{prog}: {exc}", file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
    elif isinstance(exc, (QmpError, VmmError, VmConfigError, OSError)):
        print(f"{prog}: {exc}", file=sys.stderr)
    else:
        print(f"{prog}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    sys.stderr.flush()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The console script: QEMU's command line in, exit status out."""
    argv = list(sys.argv if argv is None else argv)
    prog = os.path.basename(argv[0]) if argv and argv[0] else PROGRAM
    args = argv[1:]
    if args in (["-version"], ["--version"]):
        print(f"QEMU emulator version {QEMU_VERSION} (vcpu-hotplug {__version__})")
        return EXIT_OK
    try:
        emulator_plan = plan(parse_command_line(args), dict(os.environ))
        emulator_plan.pace, emulator_plan.pace_factor = pace_from_environment(dict(os.environ))
        if emulator_plan.command_line.daemonize:
            return _daemonize_and_run(emulator_plan, prog)
        return _run(emulator_plan, prog, lambda: None)
    except (EmulatorError, CommandLineError, QmpError, VmmError, VmConfigError, OSError) as exc:
        _report(prog, exc)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE


def console_main() -> None:
    sys.exit(main())
