"""The prediction: what Linux does with the tables, found by running our Linux guest model on them.

The model follows the kernel source, not the specifications: a rule the
tables break (:mod:`.report`'s conformance section) never changes what is
predicted here. Nothing in this module reads a rule's result.

The stand-in machine is our VMM's arm64 ``virt`` machine
(:class:`~vcpu_hotplug.vmm.machine.Machine`): one vCPU per GICC of the MADT,
the GICC's vCPU being the one at its MADT position (QEMU's CPU index and
register block selector; KVM's default MPIDRs, so a GICC naming another
MPIDR makes Linux start whichever vCPU has it, or none), its
GICv3 at QEMU virt's addresses, PSCI over HVC that answers ``DENIED`` to a
vCPU its policy keeps disabled. The VMM's policy at boot is an assumption the
tables cannot settle (:class:`BootPolicy`): by default the vCPUs whose GICC
has the Enabled flag; a VMM that enables some Online Capable CPUs at boot
through its register block (QEMU's RFC and ours with ``-smp cpus=N``: only
CPU 0 is Enabled in the MADT) is described by ``boot_cpus=N``: the first N
possible CPUs in MADT order are enabled.

When the AML's operation region has QEMU's CPU hotplug register layout
(:func:`vcpu_hotplug.check.regmodel.is_qemu_cpuhp`), our VMM's implementation
of that block (:class:`~vcpu_hotplug.vmm.cpuhp.CpuHotplugRegisters`) is
mapped where the AML expects it, and so is the GED event register, raising
the interrupt the GED's ``_CRS`` names. The tables are placed in guest
memory with a fresh RSDP and XSDT (:meth:`vcpu_hotplug.system.System.from_tables`),
the guest boots from the RSDP, and then each CPU is taken through what a
VMM's management plane does to it (QEMU's ``device_add``/``device_del``):

* a CPU whose vCPU the VMM keeps disabled at boot: hot-add (insert event,
  GED interrupt), then hot-remove (remove event, eject), then re-add, then
  a last ``device_del`` that leaves the machine as it booted, so that each
  CPU's trial starts from the boot state;
* a CPU other than the boot CPU that the VMM enables at boot: hot-remove,
  then re-add.

Whether a hot-added CPU comes online depends on userspace, not the kernel:
udev's rule (or an agent) writes ``cpuN/online``; a kernel alone leaves it
offline (``GuestKnobs.auto_online``). Without udev (``udev=False``) the
prediction writes ``1`` to ``cpuN/online`` itself after a hot-add that left
the CPU offline, as a user would, and says so. The masks and the kernel log
lines after every step are kept, for every guest kernel version the model
knows (:func:`known_kernels`).

A boot ends one of three ways (:class:`BootOutcome`): the guest booted; the
kernel panicked (the model's kernel died of a fault in its own code, e.g. the
GICv3 driver's redistributor walk past a GICR range too short for the
redistributors, as real Linux 6.12.95 does: :mod:`vcpu_hotplug.guest.gic`),
with the Oops and panic lines kept whole (:attr:`KernelPrediction.panic`);
or the model could not boot at all (no MADT, a non hardware-reduced FADT).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from vcpu_hotplug.acpi.aml.regions import RegionSpace
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.check.context import BOOT_INDEX, CheckContext, Cpu
from vcpu_hotplug.check.rule import Arch, cpu_list
from vcpu_hotplug.guest import GuestConfig, GuestKernel, GuestKnobs, Kernel
from vcpu_hotplug.guest.errors import GuestError
from vcpu_hotplug.guest.klog import LogLevel, LogRecord
from vcpu_hotplug.hw.errors import HwError
from vcpu_hotplug.qmp.devices import EventName
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.cpuhp import CPUHP_REGION_SIZE
from vcpu_hotplug.vmm.errors import VmmError
from vcpu_hotplug.vmm.ged import GED_REGION_SIZE
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP
from vcpu_hotplug.vmm.smp import MAX_VCPUS, parse_smp
from vcpu_hotplug.vmm.topology import Topology
from vcpu_hotplug.vmm.vcpu import AdminState

NOT_PLACED = ("RSDP", "XSDT", "RSDT", "FACS")
"""place_tables writes its own RSDP and XSDT; the FACS is not used on hardware-reduced arm64."""

MAX_BOOT_LOG_LINES = 20
"""Boot log lines (warnings and worse) kept in the prediction."""

MAX_STEP_LOG_LINES = 20
"""Kernel log lines kept per step (everything a stock kernel prints: info and worse)."""

MAX_CPUS_TRIED = 8
"""CPUs taken through hot-add/hot-remove, in MADT order; a larger machine's others are alike or listed as
not tried."""

SYSFS_ONLINE = "/sys/devices/system/cpu/cpu{cpu}/online"

UDEV = "udev"
USER_ONLINE = "echo 1 > cpu{cpu}/online"


class Action(enum.Enum):
    """What a step does (the management plane's command, or the user's write)."""

    BOOT = "boot"
    HOT_ADD = "hot-add"
    """QEMU ``device_add``: the VMM enables the vCPU and raises the insert event."""
    ONLINE = "online"
    """``echo 1 > /sys/devices/system/cpu/cpuN/online`` (without udev: the user's write)."""
    HOT_REMOVE = "hot-remove"
    """QEMU ``device_del``: the VMM raises the remove event; the guest ejects the CPU."""
    RE_ADD = "re-add"
    """``device_add`` again after a hot-remove."""
    RESTORE = "restore"
    """``device_del`` of a re-added CPU the VMM kept disabled at boot: the machine is back as it booted, so the
    next CPU's trial starts from the boot state (its masks compare with a run that hot-adds only that CPU)."""


class BootOutcome(enum.Enum):
    """How the boot ended."""

    BOOTED = "booted"
    PANICKED = "panicked"
    """Linux panics at boot: an Oops, then "Kernel panic - not syncing: ..."; no CPU but the boot CPU comes up."""
    FAILED = "failed"
    """The model could not boot from the tables (or the model itself failed): ``error`` says why."""


@dataclass
class Panic:
    """Linux's panic at boot: its message, what faulted, and every line from the Oops to the panic."""

    message: str
    """The panic's reason (``Attempted to kill the idle task!``)."""
    cause: str
    """What the faulting access was, in the model's words (which region, which offset)."""
    log: list[str] = field(default_factory=list)
    """The Oops and panic lines as Linux prints them."""


PANIC_LOG_START = "Unable to handle kernel"
"""The Oops's first line (``die_kernel_fault``): the panic's log is kept from here on."""


def known_kernels() -> list[tuple[str, GuestKernel]]:
    """``(name, kernel)`` of every guest kernel version the model knows, oldest first, aliases left out: the
    ``--guest-kernel`` table of :mod:`vcpu_hotplug.vm`."""
    from vcpu_hotplug.vm import GUEST_KERNELS

    out: list[tuple[str, GuestKernel]] = []
    for name, kernel in GUEST_KERNELS.items():
        if all(kernel is not k for _, k in out):
            out.append((name, kernel))
    return out


def kernel_named(name: str) -> tuple[str, GuestKernel]:
    """The known kernel called ``name`` (an alias gives its release's own name); ValueError if none."""
    from vcpu_hotplug.vm import GUEST_KERNELS

    if name not in GUEST_KERNELS:
        raise ValueError(f"unknown guest kernel {name!r} (one of: {', '.join(n for n, _ in known_kernels())})")
    kernel = GUEST_KERNELS[name]
    return next((n, k) for n, k in known_kernels() if k is kernel)


@dataclass
class Masks:
    """Linux's CPU masks (logical CPU numbers, as ``/sys/devices/system/cpu/{possible,...}`` show them)."""

    possible: list[int] = field(default_factory=list)
    present: list[int] = field(default_factory=list)
    enabled: list[int] = field(default_factory=list)
    online: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, kernel: Kernel) -> "Masks":
        m = kernel.masks()
        return cls(sorted(m["possible"]), sorted(m["present"]), sorted(m["enabled"]), sorted(m["online"]))

    def line(self) -> str:
        return (f"possible {cpu_list(self.possible)}  present {cpu_list(self.present)}  "
                f"enabled {cpu_list(self.enabled)}  online {cpu_list(self.online)}")


@dataclass
class Event:
    """One QMP event a step caused, with the vCPU it is about."""

    event: str
    """The QMP event's name as QEMU sends it (:class:`~vcpu_hotplug.qmp.devices.EventName`: ``ACPI_DEVICE_OST``
    for the guest's ``_OST`` with its ``source`` and ``status``, ``DEVICE_DELETED``)."""
    vcpu: int
    source: int | None = None
    status: int | None = None

    def text(self) -> str:
        if self.source is None:
            return f"{self.event}(vCPU {self.vcpu})"
        return f"{self.event}(vCPU {self.vcpu}, source {self.source:#x}, status {self.status:#x})"


@dataclass
class Step:
    """One thing done to the system and what Linux did: its masks afterwards and the lines it logged."""

    action: str
    """An :class:`Action` value."""
    cpu: int | None
    """The logical CPU acted on (None for the boot)."""
    vcpu: int | None
    """The VMM's vCPU index (MADT order; QEMU's CPU index)."""
    vmm: str
    """What the VMM did or saw (``vCPU 2 enabled``, ``vCPU 2 ejected (QEMU: DEVICE_DELETED)``)."""
    masks: Masks
    log: list[str] = field(default_factory=list)
    """Kernel log lines printed during the step (info and worse, as ``dmesg`` shows on a stock kernel)."""
    events: list[Event] = field(default_factory=list)
    """The QMP events the step caused, in order."""
    error: str | None = None

    def lines(self) -> list[str]:
        what = "boot" if self.cpu is None else f"{self.action} CPU{self.cpu} (vCPU {self.vcpu})"
        out = [f"    {what}: {self.vmm}; {self.masks.line()}"]
        if self.error:
            out.append(f"      failed: {self.error}")
        out += [f"      kernel: {line}" for line in self.log]
        if self.events:
            out.append(f"      QMP: {', '.join(e.text() for e in self.events)}")
        return out


@dataclass
class AddOutcome:
    """What a hot-add (or re-add) did for Linux."""

    registered: bool
    """Linux registered the CPU (``cpuN/`` exists, the CPU is in the *enabled* mask)."""
    online: bool
    onlined_by: str | None = None
    """``udev`` or the user's ``echo 1 > cpuN/online`` (None: not online)."""
    online_error: str | None = None
    """Why writing ``cpuN/online`` failed."""
    already_registered: bool = False
    """Linux had the CPU registered before the insert event (its ``_STA`` said enabled already)."""

    def text(self) -> str:
        if self.already_registered and self.registered:
            return "already registered, nothing visible changes" + (
                f"; online ({self.onlined_by})" if self.online and self.onlined_by else "")
        if not self.registered:
            return "not registered (the insert event did not make Linux register it)"
        if self.online:
            return f"registered, online ({self.onlined_by})" if self.onlined_by else "registered, online"
        if self.online_error:
            return f"registered, offline (onlining fails: {self.online_error})"
        return "registered, offline"


@dataclass
class RemoveOutcome:
    """What a hot-remove did, on each side."""

    ejected: bool
    """The VMM saw the guest's ``_EJ0`` and removed the vCPU (QEMU: ``DEVICE_DELETED``)."""
    unregistered: bool
    """Linux unregistered the CPU (``cpuN/`` gone, the CPU out of the *enabled* mask)."""
    offline: bool
    warnings: list[str] = field(default_factory=list)
    """What Linux logged about it at warning level or worse (``Status check after eject failed (0x5)``)."""
    was_registered: bool = True
    """Linux had the CPU registered when the remove event came."""

    def text(self, cpu: int) -> str:
        said = "".join(f'; Linux logs "{line}"' for line in self.warnings)
        if not self.was_registered and self.unregistered:
            ejected = "ejected by the VMM (QEMU: DEVICE_DELETED)" if self.ejected else "not ejected (no DEVICE_DELETED)"
            return f"{ejected}; Linux never had cpu{cpu} registered{said}"
        if self.ejected and self.unregistered:
            return "ejected by the VMM (QEMU: DEVICE_DELETED), unregistered by Linux" + said
        if self.ejected:
            return (f"ejected by the VMM (QEMU: DEVICE_DELETED), but Linux keeps cpu{cpu} registered "
                    f"(a stale CPU{'' if self.offline else ', still online'}){said}")
        if self.unregistered:
            return "not ejected (no DEVICE_DELETED), though Linux unregistered it" + said
        return f"not ejected (no DEVICE_DELETED): Linux keeps cpu{cpu}{' online' if not self.offline else ''}{said}"


@dataclass
class CpuFate:
    """One possible CPU: how it is at boot and what happens to it on hot-add and hot-remove."""

    cpu: int
    """Logical CPU (``cpuN``)."""
    vcpu: int
    """The VMM's vCPU index (MADT order)."""
    uid: int
    mpidr: int
    vmm_enabled_at_boot: bool
    registered_at_boot: bool
    online_at_boot: bool
    hot_add: AddOutcome | None = None
    """None: not tried (the VMM enabled the CPU at boot, or it is the boot CPU)."""
    hot_remove: RemoveOutcome | None = None
    re_add: AddOutcome | None = None
    note: str = ""

    @property
    def hot_addable(self) -> bool:
        """A hot-add or re-add made Linux register the CPU."""
        return any(a is not None and a.registered for a in (self.hot_add, self.re_add))

    @property
    def removable(self) -> bool:
        """A hot-remove of the registered CPU was ejected by the VMM and unregistered by Linux."""
        r = self.hot_remove
        return r is not None and r.was_registered and r.ejected and r.unregistered

    def at_boot(self) -> str:
        if self.online_at_boot:
            state = "online at boot"
        elif self.registered_at_boot:
            state = "registered at boot, offline"
        else:
            state = "not enabled at boot"
        return state + ("" if self.vmm_enabled_at_boot else " (the VMM keeps its vCPU disabled)")

    def line(self) -> str:
        parts = [self.at_boot()]
        if self.hot_add is not None:
            parts.append(f"hot-add: {self.hot_add.text()}")
        if self.hot_remove is not None:
            parts.append(f"hot-remove: {self.hot_remove.text(self.cpu)}")
        if self.re_add is not None:
            parts.append(f"re-add: {self.re_add.text()}")
        if self.note:
            parts.append(self.note)
        return f"  CPU{self.cpu} (UID {self.uid}, MPIDR {self.mpidr:#x}, vCPU {self.vcpu}): " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hot_addable"] = self.hot_addable
        d["removable"] = self.removable
        d["summary"] = self.line().strip()
        return d


@dataclass
class KernelPrediction:
    """What one guest kernel version does with the tables."""

    kernel: str
    """The ``--guest-kernel`` name (``6.12``)."""
    present_policy: str
    description: str = ""
    booted: bool = False
    error: str | None = None
    boot: Masks = field(default_factory=Masks)
    uids: dict[int, int] = field(default_factory=dict)
    """Logical CPU -> MADT ACPI Processor UID."""
    cpus: list[CpuFate] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    boot_log: list[str] = field(default_factory=list)
    """Kernel log lines of the boot, warning level or worse."""
    panic: Panic | None = None
    """Linux panicked at boot (``outcome`` is ``panicked``)."""

    @property
    def outcome(self) -> BootOutcome:
        if self.booted:
            return BootOutcome.BOOTED
        return BootOutcome.PANICKED if self.panic is not None else BootOutcome.FAILED

    @property
    def hot_addable(self) -> list[int]:
        """Logical CPUs some hot-add registered."""
        return sorted({c.cpu for c in self.cpus if c.hot_addable})

    @property
    def removable(self) -> list[int]:
        return sorted({c.cpu for c in self.cpus if c.removable})

    def fate(self, cpu: int) -> CpuFate:
        """The fate of logical CPU ``cpu`` (the first GICC Linux gave it)."""
        return next(c for c in self.cpus if c.cpu == cpu)

    def fate_of_vcpu(self, vcpu: int) -> CpuFate:
        """The fate of the VMM's vCPU ``vcpu`` (MADT position; QEMU's ``core-id`` on a flat topology)."""
        return next(c for c in self.cpus if c.vcpu == vcpu)

    def same_as(self, other: "KernelPrediction") -> bool:
        """Everything but the version's name and description is the same (masks, fates, steps, log lines)."""
        mine, theirs = self.to_dict(), other.to_dict()
        for d in (mine, theirs):
            del d["kernel"], d["description"]
        return mine == theirs

    def lines(self, same_as: str | None = None) -> list[str]:
        """The text; ``same_as``: the version whose identical prediction was printed (only the header then)."""
        out = [f"Linux {self.kernel} (guest model; present policy {self.present_policy})"]
        if self.description:
            out.append(f"  model: {self.description}")
        if same_as is not None:
            out.append(f"  the same as Linux {same_as}: boot masks, every CPU's fate, every step's masks, "
                       f"kernel log lines and QMP events")
            return out
        if self.panic is not None:
            out.append(f"  boot: Linux panics at boot: {self.error}")
            out += [f"  panic log: {line}" for line in self.panic.log]
        elif self.error is not None:
            out.append(f"  boot failed: {self.error}")
        if self.booted:
            out.append(f"  boot: {self.boot.line()}")
            out += [f"  boot log: {line}" for line in self.boot_log]
            out.append(f"  hot-addable: {cpu_list(self.hot_addable)}; removable: {cpu_list(self.removable)}")
        out += [c.line() for c in self.cpus]
        out += [f"  note: {n}" for n in self.notes]
        if len(self.steps) > 1:
            out.append("  steps:")
            for step in self.steps[1:]:
                out += step.lines()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kernel": self.kernel, "present_policy": self.present_policy, "description": self.description,
                "booted": self.booted, "error": self.error, "boot": dataclasses.asdict(self.boot),
                "uids": {str(k): v for k, v in self.uids.items()},
                "hot_addable": self.hot_addable, "removable": self.removable,
                "cpus": [c.to_dict() for c in self.cpus], "steps": [dataclasses.asdict(s) for s in self.steps],
                "notes": list(self.notes), "boot_log": list(self.boot_log), "outcome": self.outcome.value,
                "panic": None if self.panic is None else dataclasses.asdict(self.panic)}


@dataclass
class BootPolicy:
    """Which vCPUs the VMM enables at boot: the MADT's Enabled ones (assumed) or the first ``boot_cpus``."""

    boot_cpus: int | None = None

    def enabled(self, ctx: CheckContext) -> list[Cpu]:
        if self.boot_cpus is None:
            return [c for c in ctx.cpus if c.enabled]
        return ctx.cpus[:self.boot_cpus]


# -- the stand-in machine ------------------------------------------------------------------------------------------


def _relocated_memmap(ctx: CheckContext, notes: list[str]):
    """QEMU virt's memory map with the register block and GED register where the AML has them."""
    memmap = VIRT_MEMMAP
    model = ctx.aml.model if ctx.aml is not None else None
    if model is None:
        return memmap
    region = model.cpuhp_region
    if region is not None:
        if region.space == RegionSpace.SYSTEM_MEMORY:
            memmap = dataclasses.replace(memmap, cpuhp=(region.address, CPUHP_REGION_SIZE))
        else:
            notes.append(f"the register block {region.describe()} is not in SystemMemory: arm64 has no "
                         f"such address space, so the guest cannot reach it")
    if model.ged_region is not None:
        memmap = dataclasses.replace(memmap, ged=(model.ged_region.address, GED_REGION_SIZE))
    return memmap


def _framed(t) -> bytes:
    """The table's bytes up to its Length field (a file may carry more, which place_tables must not copy)."""
    header = getattr(t.table, "header", None)
    return t.data[:header.length] if header is not None else t.data


def _ged_gsi(ctx: CheckContext) -> int:
    geds = ctx.aml.geds if ctx.aml is not None else []
    for ged in geds:
        if ged.gsis:
            return ged.gsis[0]
    return GED_INTID


def _vcpus_at_boot(ctx: CheckContext, topology: Topology, enabled: list[Cpu], notes: list[str]) -> list[int]:
    """The stand-in machine's vCPUs to enable at boot: the vCPU of each ``enabled`` CPU.

    A GICC's vCPU is the one at its MADT position (QEMU's CPU index, the register block's selector, what
    ``device_add core-id=N`` plugs); Linux starts the CPU at the MPIDR the GICC names, which a VMM may have
    got wrong (a duplicate MPIDR): then the vCPU PSCI starts is the one with that MPIDR, if any.
    """
    for cpu in ctx.cpus:
        if cpu.index < len(topology) and topology[cpu.index].mpidr != cpu.hw_id:
            notes.append(f"GICC #{cpu.index} (UID {cpu.uid}) names MPIDR {cpu.hw_id:#x}, but the VMM's vCPU "
                         f"{cpu.index} has MPIDR {topology[cpu.index].mpidr:#x} (KVM's default MPIDRs): Linux starts "
                         f"that CPU at {cpu.hw_id:#x}")
    return [cpu.index for cpu in enabled if cpu.index < len(topology)]


# -- the steps -------------------------------------------------------------------------------------------------------


class _Run:
    """One kernel's run: the system, and a step recorder that keeps the log lines each step printed."""

    def __init__(self, system: System, prediction: KernelPrediction, udev: bool) -> None:
        self.system = system
        self.prediction = prediction
        self.udev = udev
        self._seen = 0
        self.warnings: list[str] = []
        """The last recorded step's log lines at warning level or worse."""
        self._events: list[Event] = []
        observers = system.machine.observers
        observers.ost.append(lambda r: self._events.append(
            Event(EventName.ACPI_DEVICE_OST.value, r.cpu, r.source, r.status)))
        observers.device_deleted.append(lambda d: self._events.append(
            Event(EventName.DEVICE_DELETED.value, d.cpu)))
        # A failed unplug is no event of QEMU's ACPI CPU hotplug (RFC V5 sends only the guest's ACPI_DEVICE_OST,
        # as real runs show); our VMM's DEVICE_UNPLUG_GUEST_ERROR is left out.

    @property
    def kernel(self) -> Kernel:
        return self.system.kernel

    def _new_log(self) -> list[LogRecord]:
        klog = self.kernel.klog
        total = len(klog.records) + klog.dropped
        fresh = klog.records[max(0, len(klog.records) - (total - self._seen)):]
        self._seen = total
        return [r for r in fresh if r.level <= LogLevel.INFO][:MAX_STEP_LOG_LINES]

    def mark(self) -> None:
        klog = self.kernel.klog
        self._seen = len(klog.records) + klog.dropped
        self._events.clear()

    def record(self, action: Action, cpu: int | None, vcpu: int | None, vmm: str,
               error: str | None = None) -> Step:
        records = self._new_log()
        step = Step(action.value, cpu, vcpu, vmm, Masks.of(self.kernel), [r.text for r in records],
                    list(self._events), error)
        self._events.clear()
        self.prediction.steps.append(step)
        self.warnings = [r.text for r in records if r.level <= LogLevel.WARNING]
        return step

    def vcpu_enabled(self, vcpu: int) -> bool:
        return self.system.machine.vcpus[vcpu].admin is AdminState.ENABLED

    def registered(self, cpu: int) -> bool:
        return cpu in self.kernel.enabled

    def online(self, cpu: int) -> bool:
        return cpu in self.kernel.online

    def add(self, action: Action, cpu: int, vcpu: int) -> AddOutcome:
        before = self.registered(cpu)
        error = None
        try:
            self.system.enable(vcpu)
        except (VmmError, GuestError, AcpiError, HwError) as exc:
            error = str(exc)
        vmm = f"vCPU {vcpu} enabled, insert event raised" if self.vcpu_enabled(vcpu) else f"vCPU {vcpu} not enabled"
        self.record(action, cpu, vcpu, vmm, error)
        outcome = AddOutcome(self.registered(cpu), self.online(cpu), already_registered=before)
        if outcome.online:
            outcome.onlined_by = UDEV if self.udev else None
        elif outcome.registered and not self.udev:
            self._user_online(cpu, vcpu, outcome)
        return outcome

    def _user_online(self, cpu: int, vcpu: int, outcome: AddOutcome) -> None:
        """Without udev, a user onlines the CPU the hot-add left offline."""
        error = None
        try:
            self.system.sysfs.write(SYSFS_ONLINE.format(cpu=cpu), "1")
            self.system.run_until_idle()
        except (GuestError, VmmError, AcpiError, HwError) as exc:
            error = str(exc)
            outcome.online_error = error
        outcome.online = self.online(cpu)
        if outcome.online:
            outcome.onlined_by = USER_ONLINE.format(cpu=cpu)
        self.record(Action.ONLINE, cpu, vcpu, "no VMM command (the guest's user writes 1 to the online file)", error)

    def remove(self, cpu: int, vcpu: int, action: Action = Action.HOT_REMOVE) -> RemoveOutcome:
        before = self.registered(cpu)
        error = None
        try:
            self.system.disable(vcpu)
        except (VmmError, GuestError, AcpiError, HwError) as exc:
            error = str(exc)
        ejected = not self.vcpu_enabled(vcpu)
        vmm = (f"remove event raised; vCPU {vcpu} ejected (QEMU: DEVICE_DELETED)" if ejected
               else f"remove event raised; vCPU {vcpu} not ejected (no DEVICE_DELETED)")
        self.record(action, cpu, vcpu, vmm, error)
        return RemoveOutcome(ejected, not self.registered(cpu), not self.online(cpu), self.warnings, before)


def _take_through(run: _Run, fate: CpuFate) -> None:
    """Hot-add (if the VMM keeps it disabled), hot-remove, re-add: what a management plane does to a CPU."""
    if not fate.vmm_enabled_at_boot:
        fate.hot_add = run.add(Action.HOT_ADD, fate.cpu, fate.vcpu)
    if not run.vcpu_enabled(fate.vcpu):
        return
    fate.hot_remove = run.remove(fate.cpu, fate.vcpu)
    if not fate.hot_remove.ejected:
        fate.note = "not re-added: the VMM still has the vCPU (its eject never came)"
        return
    fate.re_add = run.add(Action.RE_ADD, fate.cpu, fate.vcpu)
    if not fate.vmm_enabled_at_boot and run.vcpu_enabled(fate.vcpu):
        run.remove(fate.cpu, fate.vcpu, Action.RESTORE)


def _fates(ctx: CheckContext, run: _Run, enabled_vcpus: set[int]) -> list[CpuFate]:
    """One fate per possible GICC (per vCPU), with the logical CPU Linux gave its MPIDR."""
    kernel = run.kernel
    fates = []
    for cpu in ctx.cpus:
        lcpu = kernel.cpu_of_mpidr(cpu.hw_id)
        if lcpu is None or lcpu not in kernel.possible or cpu.index >= len(run.system.machine.vcpus):
            continue
        fates.append(CpuFate(lcpu, cpu.index, cpu.uid, cpu.hw_id, cpu.index in enabled_vcpus,
                             run.registered(lcpu), run.online(lcpu)))
    return fates


def _hotplug(ctx: CheckContext, run: _Run, fates: list[CpuFate]) -> None:
    prediction = run.prediction
    facts = ctx.aml
    candidates = [f for f in fates if f.vcpu != BOOT_INDEX]
    if not candidates:
        return
    if facts is None or facts.model is None or facts.model.cpuhp is None:
        prediction.notes.append("no register block in QEMU's layout: the checker cannot drive this VMM's hotplug, "
                                "so no hot-add or hot-remove was tried")
        return
    # CPUs the VMM keeps disabled first (a hot-add), then those it enables at boot (a hot-remove).
    order = [f for f in candidates if not f.vmm_enabled_at_boot] + [f for f in candidates if f.vmm_enabled_at_boot]
    for fate in order[:MAX_CPUS_TRIED]:
        _take_through(run, fate)
    if len(order) > MAX_CPUS_TRIED:
        rest = sorted(f.cpu for f in order[MAX_CPUS_TRIED:])
        prediction.notes.append(f"CPUs {cpu_list(rest)} were not taken through hot-add and hot-remove (the first "
                                f"{MAX_CPUS_TRIED} were)")


def predict_kernel(ctx: CheckContext, name: str, kernel: GuestKernel, policy: BootPolicy,
                   udev: bool) -> KernelPrediction:
    """Boot one guest kernel version on the tables and take each CPU through hot-add and hot-remove."""
    prediction = KernelPrediction(name, kernel.present_policy.value, kernel.description)
    notes = prediction.notes
    count = max(1, len(ctx.entries))
    if count > MAX_VCPUS:
        notes.append(f"the MADT has {count} GICCs; the stand-in machine has at most {MAX_VCPUS} vCPUs")
        count = MAX_VCPUS
    system = None
    try:
        memmap = _relocated_memmap(ctx, notes)
        at_boot = _vcpus_at_boot(ctx, Topology(parse_smp(f"cpus=1,maxcpus={count}")), policy.enabled(ctx), notes)
        tables = [_framed(t) for t in ctx.tables if t.signature not in NOT_PLACED]
        system = System.from_tables(tables, maxcpus=count, enabled_at_boot=at_boot, ged_gsi=_ged_gsi(ctx),
                                    memmap=memmap,
                                    guest=GuestConfig(kernel=kernel, knobs=GuestKnobs(auto_online=udev)), boot=False)
        system.boot()
        if system.kernel.panicked is not None:
            _panicked(system.kernel, prediction)
            return prediction
        prediction.booted = True
        run = _Run(system, prediction, udev)
        prediction.boot = Masks.of(system.kernel)
        prediction.uids = {c.cpu: c.uid for c in system.kernel.cpus.values() if c.uid is not None}
        prediction.boot_log = system.kernel.klog.lines(LogLevel.WARNING)[:MAX_BOOT_LOG_LINES]
        enabled_vcpus = set(at_boot) | {BOOT_INDEX}
        prediction.steps.append(Step(Action.BOOT.value, None, None, f"vCPUs {cpu_list(enabled_vcpus)} enabled",
                                     prediction.boot, list(prediction.boot_log)))
        run.mark()
        prediction.cpus = _fates(ctx, run, enabled_vcpus)
        _hotplug(ctx, run, prediction.cpus)
    except (GuestError, AcpiError, HwError, VmmError) as exc:
        prediction.error = str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - foreign tables must never crash the checker
        prediction.error = (f"the guest model failed ({type(exc).__name__}: {exc}): a bug of the checker's "
                            f"Linux model, not necessarily of the tables")
    if system is not None and not prediction.booted:
        prediction.boot_log = system.kernel.klog.lines(LogLevel.WARNING)[:MAX_BOOT_LOG_LINES]
    return prediction


def _panicked(kernel: Kernel, prediction: KernelPrediction) -> None:
    """The kernel died at boot: say so, with what faulted and the Oops and panic lines whole."""
    lines = [r.text for r in kernel.klog.records]
    start = next((i for i, line in enumerate(lines) if line.startswith(PANIC_LOG_START)), len(lines) - 1)
    fault = kernel.fault
    cause = fault.what if fault is not None else "no Oops recorded"
    headline = f"Kernel panic - not syncing: {kernel.panicked}"
    where = f"an Oops in {fault.backtrace.pc.split('+')[0]} ({cause}), then " if fault is not None else ""
    prediction.panic = Panic(kernel.panicked, cause, lines[start:])
    prediction.error = f'{where}"{headline}"; no CPU but the boot CPU comes up, nothing is hot-added'
    prediction.boot = Masks.of(kernel)
    prediction.boot_log = [line for line in kernel.klog.lines(LogLevel.WARNING)
                           if line not in prediction.panic.log][:MAX_BOOT_LOG_LINES]


def predict(ctx: CheckContext, kernels: list[tuple[str, GuestKernel]], policy: BootPolicy,
            udev: bool) -> list[KernelPrediction] | None:
    """Each kernel's prediction (None for x86 tables: the model is arm64 Linux)."""
    if ctx.arch is not Arch.ARM64:
        return None
    return [predict_kernel(ctx, name, kernel, policy, udev) for name, kernel in kernels]
