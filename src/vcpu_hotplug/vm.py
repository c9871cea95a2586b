"""A running VM: the VMM machine with the Linux guest booted on it, as the layers above use it.

``vcpu-hotplug run``, ``vcpu-hotplug demo``, the QEMU-compatible emulator
and the benchmarks all need the same thing: a VMM
:class:`~vcpu_hotplug.vmm.machine.Machine` with a Linux guest booted on it
(the wiring of :mod:`vcpu_hotplug.system`), seen through the
:class:`~vcpu_hotplug.qmp.backend.CpuBackend` the QMP server drives, plus
the views a person watches: a row per vCPU (the VMM's admin state next to
the guest's), the guest's sysfs masks, the one trace of boundary crossings
and what it costs in VM exits.

:class:`VmSpec` says what to build in the layers' own vocabulary: QEMU
``-smp`` text, the vCPU model, and the guest model's own
:class:`~vcpu_hotplug.guest.GuestConfig` (Linux release, unhappy-guest
knobs, ``dyndbg``); the guest's CPUs report the vCPU model's MIDR
(:data:`~vcpu_hotplug.arm.midr.CPU_MODEL_MIDR`, set into
:attr:`GuestConfig.midr`). :func:`build_vm` builds and boots it through
:meth:`vcpu_hotplug.system.System.build`. The backend settles each command
with :meth:`System.run_until_idle`; its guest view is the guest's sysfs
masks plus its kernel log tail (``x-query-guest-cpus``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from vcpu_hotplug.arm.midr import cpu_model_midr
from vcpu_hotplug.guest import GuestConfig, GuestKernel, PresentPolicy
from vcpu_hotplug.guest.releases import release_names
from vcpu_hotplug.guest.agent import GuestAgent
from vcpu_hotplug.hw.trace import Trace, TraceKind
from vcpu_hotplug.profiles import DEFAULT_PROFILE, ProfileName, get_profile
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.machine import Machine
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState
from vcpu_hotplug.qmp.backend import GuestCpuView, RunState
from vcpu_hotplug.qmp.devices import AARCH64_CPU_TYPES, ARM_CPU_TYPE_SUFFIX
from vcpu_hotplug.qmp.machine_backend import DEFAULT_CPU_TYPE, MachineBackend

#: ``--guest-kernel`` names -> the Linux release the guest models
#: (:class:`~vcpu_hotplug.guest.releases.GuestKernel`, whose module says what each does and where
#: the releases were established): ``6.11``, ``6.12`` (the same on this path), ``7.1`` (HOTPLUG_SMT,
#: from 6.15, without the 2026 fixes) and ``7.2`` (the first release with them); ``2026`` is the
#: older name of ``7.2``.
GUEST_KERNELS: dict[str, GuestKernel] = {name: GuestKernel.from_name(name) for name in release_names(aliases=True)}


def guest_kernel_name(kernel: GuestKernel | PresentPolicy) -> str:
    """The ``--guest-kernel`` name of a release (a bare present policy names its first release)."""
    if isinstance(kernel, PresentPolicy):
        kernel = GuestKernel.for_present_policy(kernel)
    return kernel.release


class VmConfigError(ValueError):
    """A VM specification that cannot be built (bad vCPU model, bad guest knob)."""


@dataclass(frozen=True)
class VmSpec:
    """What to build: ``smp`` in QEMU ``-smp`` syntax, the vCPU model, the guest model's config."""

    smp: str = "cpus=2,maxcpus=8"
    cpu_type: str = DEFAULT_CPU_TYPE
    guest: GuestConfig = field(default_factory=GuestConfig)
    trace_enabled: bool = True
    """False keeps only the trace's counters (benchmarks)."""
    start_paused: bool = False
    """QEMU ``-S``: built in prelaunch; the guest boots at the first ``cont``."""
    ram_size: Optional[int] = None
    """Guest RAM in bytes (QEMU ``-m``); the machine's default when None."""
    profile: ProfileName = DEFAULT_PROFILE
    """Which VMM to be (:mod:`vcpu_hotplug.profiles`): its tables, AML and unplug rules."""


def normalize_cpu_type(name: str) -> str:
    """``host`` or ``host-arm-cpu`` -> ``host-arm-cpu``; a hot-pluggable 64-bit model, or an error."""
    full = name if name.endswith(ARM_CPU_TYPE_SUFFIX) else name + ARM_CPU_TYPE_SUFFIX
    if full not in AARCH64_CPU_TYPES:
        models = ", ".join(sorted(t[: -len(ARM_CPU_TYPE_SUFFIX)] for t in AARCH64_CPU_TYPES))
        raise VmConfigError(f"CPU model '{name}' is not a hot-pluggable 64-bit Arm CPU "
                            f"(one of: {models})")
    return full


class GuestState(str, enum.Enum):
    """A vCPU as the guest sees it (Linux's masks, most specific first)."""

    ONLINE = "online"
    OFFLINE = "offline"          # registered (enabled, cpuN/ exists) but not online
    PRESENT = "present"          # present, not registered
    ABSENT = "absent"            # possible only
    NO_GUEST = "-"


@dataclass(frozen=True)
class VcpuRow:
    """One vCPU in the live view: the VMM's side and the guest's side."""

    index: int
    topology: tuple[int, int, int, int]
    mpidr: int
    admin: str
    """``enabled``, ``disabled`` or ``unplugging`` (a disable waiting for the guest)."""
    power: str
    guest: GuestState
    online: bool


@dataclass(frozen=True)
class ExitCounts:
    """VM exits so far: MMIO accesses (reads + writes) and hypercalls."""

    mmio: int
    hvc: int

    @property
    def total(self) -> int:
        return self.mmio + self.hvc

    def __sub__(self, other: "ExitCounts") -> "ExitCounts":
        return ExitCounts(self.mmio - other.mmio, self.hvc - other.hvc)

    def to_json(self) -> dict[str, int]:
        return {"total": self.total, "mmio": self.mmio, "hvc": self.hvc}


class VirtualMachine:
    """A built, booted VM: machine, guest (when wired), backend, views."""

    def __init__(self, spec: VmSpec, machine: Machine, *, system: Optional[System] = None,
                 guest_view: Optional[Callable[[], GuestCpuView]] = None,
                 settle: Optional[Callable[[], object]] = None,
                 start: Optional[Callable[[], object]] = None) -> None:
        self.spec = spec
        self.machine = machine
        self.system = system
        """The :class:`~vcpu_hotplug.system.System` (machine + guest), or None when no guest is wired."""
        self._guest_view = guest_view
        self._agent: Optional[GuestAgent] = None
        self.backend = MachineBackend(machine, cpu_type=spec.cpu_type, guest_view=guest_view,
                                      settle=settle, start=start)

    @property
    def trace(self) -> Trace:
        return self.machine.trace

    def guest_agent(self) -> Optional[GuestAgent]:
        """The guest's qemu-ga while the guest runs; None before boot, while paused or powered off.

        One agent per booted kernel (a reboot starts a new qemu-ga, with a fresh parser)."""
        system = self.system
        if system is None or self.backend.status() is not RunState.RUNNING:
            return None
        kernel = system.kernel
        if not kernel.booted or kernel.halted:
            return None
        if self._agent is None or self._agent.kernel is not kernel:
            self._agent = GuestAgent(kernel)
        return self._agent

    @property
    def has_guest(self) -> bool:
        return self._guest_view is not None

    def now_ns(self) -> int:
        return self.machine.clock.now_ns()

    def exits(self) -> ExitCounts:
        counts = self.machine.trace.counts
        return ExitCounts(counts[TraceKind.MMIO_READ] + counts[TraceKind.MMIO_WRITE],
                          counts[TraceKind.HVC])

    def guest_view(self) -> Optional[GuestCpuView]:
        return self._guest_view() if self._guest_view is not None else None

    def vcpu_rows(self) -> list[VcpuRow]:
        view = self.guest_view()
        present = set(view.present) if view else set()
        enabled = set(view.enabled) if view else set()
        online = set(view.online) if view else set()
        rows = []
        for status in self.machine.vcpu_status():
            i = status.index
            if status.unplug_pending:
                admin = "unplugging"
            else:
                admin = "enabled" if status.admin is AdminState.ENABLED else "disabled"
            if view is None:
                guest = GuestState.NO_GUEST
            elif i in online:
                guest = GuestState.ONLINE
            elif i in enabled:
                guest = GuestState.OFFLINE
            elif i in present:
                guest = GuestState.PRESENT
            else:
                guest = GuestState.ABSENT
            is_online = i in online if view is not None else status.power is PowerState.ON
            rows.append(VcpuRow(i, status.topology.ids, status.topology.mpidr, admin, status.power.value,
                                guest, is_online))
        return rows


def build_vm(spec: VmSpec) -> VirtualMachine:
    """Build the machine and the Linux guest described by ``spec``, boot, and return the VM.

    The wiring is :meth:`vcpu_hotplug.system.System.build`: the VMM's own
    firmware tables in guest memory, the guest booted from the RSDP on the
    same hardware boundary, then run until idle. Afterwards every QMP command
    that changes the machine is settled with :meth:`System.run_until_idle`,
    so a command's reply is followed by the events of the guest's reaction.

    Raises :class:`~vcpu_hotplug.vmm.errors.ConfigError` for a bad ``smp``
    and :class:`VmConfigError` for a bad vCPU model or guest knob.
    """
    cpu_type = normalize_cpu_type(spec.cpu_type)
    spec = replace(spec, cpu_type=cpu_type, guest=replace(spec.guest, midr=cpu_model_midr(cpu_type)))
    profile = get_profile(spec.profile)
    config = profile.machine_config(smp=spec.smp)
    if spec.ram_size is not None:
        config = replace(config, ram_size=spec.ram_size)
    smp = config.smp_config  # validates -smp before anything is built
    check_guest_config(spec.guest, smp.maxcpus)
    system = System.build(machine_config=config, guest=spec.guest, firmware=profile.firmware, boot=False)
    _configure_trace(system.trace, spec)
    if not spec.start_paused:
        system.boot()
    return VirtualMachine(spec, system.machine, system=system,
                          guest_view=lambda: guest_cpu_view(system),
                          settle=system.run_until_idle,
                          start=system.boot if spec.start_paused else None)


#: Kernel log records ``x-query-guest-cpus`` returns (the newest ones).
LOG_TAIL = 20


def check_guest_config(config: GuestConfig, maxcpus: int) -> None:
    """Refuse knobs that name CPUs the guest cannot have, or negative delays.

    ``busy_cpus`` are the guest's logical CPU numbers (what its sysfs calls
    ``cpuN``); with the VMM's tables they equal the vCPU indexes.
    """
    knobs = config.knobs
    bad = sorted(cpu for cpu in knobs.busy_cpus if not 0 <= cpu < maxcpus)
    if bad:
        raise VmConfigError(f"busy CPU {bad[0]} does not exist: the guest has CPUs "
                            f"0-{maxcpus - 1}")
    if knobs.online_delay_ns < 0:
        raise VmConfigError("the online delay must not be negative")


def guest_cpu_view(system: System, log_tail: int = LOG_TAIL) -> GuestCpuView:
    """The guest's sysfs masks (as vCPU indexes), the tail of its kernel log, dmesg-formatted, the
    Linux release it models (``"kernel": {"release", "description"}`` on the wire) and, once the kernel has
    panicked, its panic message (``"panic"``)."""
    view = system.guest_view()
    records = system.kernel.klog.records
    tail = records[-log_tail:] if log_tail > 0 else []
    kernel = system.kernel.config.kernel
    return GuestCpuView(tuple(sorted(view.possible)), tuple(sorted(view.present)),
                        tuple(sorted(view.enabled)), tuple(sorted(view.online)),
                        tuple(record.format() for record in tail),
                        kernel_release=kernel.release, kernel_description=kernel.description,
                        panic=system.kernel.panicked or "")


def _configure_trace(trace: Trace, spec: VmSpec) -> None:
    trace.enabled = spec.trace_enabled
