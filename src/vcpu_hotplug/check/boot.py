"""What Linux would do with the tables: boot our Linux guest model on them, then try one hotplug.

The stand-in machine is our VMM's arm64 ``virt`` machine
(:class:`~vcpu_hotplug.vmm.machine.Machine`): one vCPU per GICC of the MADT
(KVM's default MPIDRs; a GICC whose MPIDR is no vCPU's cannot start), its
GICv3 at QEMU virt's addresses, PSCI over HVC that answers ``DENIED`` to a
vCPU its policy keeps disabled. The policy at boot is the MADT's by default:
a vCPU is enabled when its GICC is Enabled (the tables cannot say more). A
VMM that enables some Online Capable CPUs at boot through its register block
(QEMU's RFC and ours with ``-smp cpus=N``: only CPU 0 is Enabled in the
MADT) is described by ``boot_cpus=N``: the first N possible CPUs in MADT
order are enabled.

When the AML's operation region has QEMU's CPU hotplug register layout
(:func:`vcpu_hotplug.check.regmodel.is_qemu_cpuhp`), our VMM's implementation
of that block (:class:`~vcpu_hotplug.vmm.cpuhp.CpuHotplugRegisters`, the
same one :mod:`~vcpu_hotplug.check.regmodel` runs the rules' probes on) is
mapped where the AML expects it, and so is the GED event register, raising
the interrupt the GED's ``_CRS`` names. The tables are placed in guest
memory with a fresh RSDP and XSDT (:meth:`vcpu_hotplug.system.System.from_tables`,
the policy at boot applied as cold plugs before the machine starts), the
guest boots from the RSDP (:class:`vcpu_hotplug.guest.Kernel`),
and then the first hot-addable CPU is enabled through the block (insert
event, GED interrupt) and, if it came up, disabled again (remove event,
eject): that is a hot-add and a hot-remove as Linux would see them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from vcpu_hotplug.acpi.aml.regions import RegionSpace
from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.check.context import CheckContext, Cpu
from vcpu_hotplug.check.rule import Arch, cpu_list
from vcpu_hotplug.guest import GuestConfig, Kernel, PresentPolicy
from vcpu_hotplug.guest.errors import GuestError
from vcpu_hotplug.guest.klog import LogLevel
from vcpu_hotplug.hw.errors import HwError
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.cpuhp import CPUHP_REGION_SIZE
from vcpu_hotplug.vmm.errors import VmmError
from vcpu_hotplug.vmm.ged import GED_REGION_SIZE
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine
from vcpu_hotplug.vmm.smp import MAX_VCPUS, parse_smp
from vcpu_hotplug.vmm.topology import Topology
from vcpu_hotplug.vmm.vcpu import AdminState

NOT_PLACED = ("RSDP", "XSDT", "RSDT", "FACS")
"""place_tables writes its own RSDP and XSDT; the FACS is not used on hardware-reduced arm64."""

MAX_LOG_LINES = 20
"""Kernel log lines (errors and warnings) kept in the prediction."""


@dataclass
class HotplugTrial:
    """One hot-add (and hot-remove) through the register block."""

    cpu: int
    """The logical CPU Linux gave the GICC."""
    uid: int
    added: bool = False
    online: bool = False
    removed: bool | None = None
    """None: the hot-remove was not tried (the hot-add did not work)."""
    note: str = ""

    def line(self) -> str:
        if not self.added:
            return f"hot-add of CPU{self.cpu} (UID {self.uid}): not registered{': ' + self.note if self.note else ''}"
        add = f"hot-add of CPU{self.cpu} (UID {self.uid}): registered" + (", online" if self.online else
                                                                            ", not online")
        if self.removed is None:
            return add
        return add + ("; hot-remove: ejected and unregistered" if self.removed else
                      f"; hot-remove: not completed{': ' + self.note if self.note else ''}")


@dataclass
class BootPrediction:
    """What the guest model did on the tables (logical CPU numbers, as Linux's sysfs shows them)."""

    policy: str
    booted: bool = False
    error: str | None = None
    possible: list[int] = field(default_factory=list)
    present: list[int] = field(default_factory=list)
    enabled: list[int] = field(default_factory=list)
    online: list[int] = field(default_factory=list)
    hot_addable: list[int] = field(default_factory=list)
    """Possible CPUs not enabled at boot whose GICC is Online Capable: what firmware may hot-add."""
    uids: dict[int, int] = field(default_factory=dict)
    """Logical CPU -> MADT ACPI Processor UID."""
    trial: HotplugTrial | None = None
    notes: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    """Kernel log lines of warning level or worse."""

    def lines(self) -> list[str]:
        out = [f"guest model (Linux 6.11 arm64, present policy {self.policy}):"]
        if self.error is not None:
            out.append(f"  boot failed: {self.error}")
        else:
            out.append(f"  possible {cpu_list(self.possible)}  present {cpu_list(self.present)}  "
                       f"enabled {cpu_list(self.enabled)}  online {cpu_list(self.online)}")
            out.append(f"  could be hot-added: {cpu_list(self.hot_addable)}")
        if self.trial is not None:
            out.append("  " + self.trial.line())
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  kernel: {line}" for line in self.log]
        return out

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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


def _vcpu_of(machine: Machine, cpu: Cpu):
    return machine.vcpus.by_mpidr(cpu.hw_id)


def _policy_enabled(ctx: CheckContext, boot_cpus: int | None) -> list[Cpu]:
    """The possible CPUs the VMM enables at boot: the MADT's Enabled ones, or the first ``boot_cpus``."""
    if boot_cpus is None:
        return [c for c in ctx.cpus if c.enabled]
    return ctx.cpus[:boot_cpus]


def _boot_policy(ctx: CheckContext, topology: Topology, enabled: list[Cpu], notes: list[str]) -> list[int]:
    """The stand-in machine's vCPUs to enable at boot: those whose MPIDR an ``enabled`` CPU's GICC names."""
    unmatched = [cpu for cpu in ctx.cpus if topology.by_mpidr(cpu.hw_id) is None]
    if unmatched:
        notes.append(f"GICC MPIDR(s) {', '.join(f'{c.hw_id:#x}' for c in unmatched[:8])} are no vCPU of the stand-in "
                     f"machine (KVM's default MPIDRs): those CPUs cannot start")
    found = (topology.by_mpidr(cpu.hw_id) for cpu in enabled)
    return [t.index for t in found if t is not None]


def _masks(kernel: Kernel, prediction: BootPrediction, ctx: CheckContext) -> None:
    masks = kernel.masks()
    prediction.possible = sorted(masks["possible"])
    prediction.present = sorted(masks["present"])
    prediction.enabled = sorted(masks["enabled"])
    prediction.online = sorted(masks["online"])
    prediction.uids = {c.cpu: c.uid for c in kernel.cpus.values() if c.uid is not None}
    oc = {c.hw_id for c in ctx.cpus if c.online_capable and not c.enabled}
    prediction.hot_addable = sorted(c.cpu for c in kernel.cpus.values()
                                    if c.cpu in masks["possible"] and c.cpu not in masks["enabled"]
                                    and c.mpidr in oc)


def _try_hotplug(ctx: CheckContext, system: System, prediction: BootPrediction, enabled: list[Cpu]) -> None:
    facts = ctx.aml
    candidates = [c for c in ctx.hot_addable if c not in enabled]
    if not candidates or facts is None:
        return
    if facts.model is None or facts.model.cpuhp is None:
        prediction.notes.append("no register block in QEMU's layout: the checker cannot drive this VMM's hotplug, "
                                "so no hot-add was tried")
        return
    cpu = candidates[0]
    vcpu = _vcpu_of(system.machine, cpu)
    lcpu = system.kernel.cpu_of_mpidr(cpu.hw_id)
    if vcpu is None or lcpu is None:
        return
    trial = HotplugTrial(lcpu, cpu.uid)
    prediction.trial = trial
    kernel = system.kernel
    try:
        system.enable(vcpu.index)
        trial.added = lcpu in kernel.enabled
        trial.online = lcpu in kernel.online
        if not trial.added:
            trial.note = "the insert event did not make Linux register it"
            return
        system.disable(vcpu.index)
        trial.removed = system.machine.vcpus[vcpu.index].admin is AdminState.DISABLED and lcpu not in kernel.enabled
        if not trial.removed:
            trial.note = "the remove event did not end in an eject"
    except (VmmError, GuestError, AcpiError, HwError) as exc:
        trial.note = str(exc)


def predict_boot(ctx: CheckContext, policy: PresentPolicy = PresentPolicy.LINUX_6_11,
                 boot_cpus: int | None = None) -> BootPrediction | None:
    """Boot the guest model on the tables and try one hotplug (None for x86 tables: the model is arm64 Linux).

    ``boot_cpus``: the VMM enables the first N possible CPUs at boot (default: the MADT's Enabled ones).
    """
    if ctx.arch is not Arch.ARM64:
        return None
    prediction = BootPrediction(policy.value)
    notes = prediction.notes
    count = max(1, len(ctx.entries))
    if count > MAX_VCPUS:
        notes.append(f"the MADT has {count} GICCs; the stand-in machine has at most {MAX_VCPUS} vCPUs")
        count = MAX_VCPUS
    system = None
    try:
        memmap = _relocated_memmap(ctx, notes)
        enabled = _policy_enabled(ctx, boot_cpus)
        at_boot = _boot_policy(ctx, Topology(parse_smp(f"cpus=1,maxcpus={count}")), enabled, notes)
        tables = [_framed(t) for t in ctx.tables if t.signature not in NOT_PLACED]
        system = System.from_tables(tables, maxcpus=count, enabled_at_boot=at_boot, ged_gsi=_ged_gsi(ctx),
                                    memmap=memmap, guest=GuestConfig(present_policy=policy), boot=False)
        system.boot()
        prediction.booted = True
        _masks(system.kernel, prediction, ctx)
        _try_hotplug(ctx, system, prediction, enabled)
    except (GuestError, AcpiError, HwError, VmmError) as exc:
        prediction.error = str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - foreign tables must never crash the checker
        prediction.error = (f"the guest model failed ({type(exc).__name__}: {exc}): a bug of the checker's "
                            f"Linux model, not necessarily of the tables")
    if system is not None:
        prediction.log = system.kernel.klog.lines(LogLevel.WARNING)[:MAX_LOG_LINES]
    return prediction
