"""SMT control: ``/sys/devices/system/cpu/smt/control`` and ``smt/active`` (``kernel/cpu.c``), with
arm64's thread topology from the PPTT (``arch/arm64/kernel/topology.c`` ``parse_acpi_topology``).

Which kernel has what (:class:`~vcpu_hotplug.guest.releases.KernelFeatures`):

- without ``CONFIG_HOTPLUG_SMT`` (arm64 before 6.15, ``eed4583bcf9a``) the
  ``smt`` directory still exists: ``control`` reads ``notimplemented``, a
  write is ``-ENODEV`` (the ``!CONFIG_HOTPLUG_SMT`` ``__store_smt_control``);
  every CPU is bootable;
- with it, ``parse_acpi_topology`` (``e6b18ebfaf63``) counts the threads per
  core: a CPU whose PPTT leaf node has "Processor is a Thread" has the
  parent node as its core, and its thread siblings are the CPUs with the same
  core; ``cpu_smt_set_num_threads(n, n)`` with the largest count, and a
  machine with one thread per core is ``notsupported`` (writes ``-ENODEV``).
  Otherwise ``control`` reads ``on`` (or ``off``/``forceoff``).

A write (``__store_smt_control``, ``sysfs_streq``: a trailing newline is
fine): ``on`` wants ``cpu_smt_max_threads`` threads per core, ``off`` and
``forceoff`` one, a number ``n`` is ``off`` for 1, ``on`` for the machine's
thread count, anything else ``-EINVAL`` (arm64 has a fixed thread count, no
``CONFIG_SMT_NUM_THREADS_DYNAMIC``); ``forceoff`` makes every later write
``-EPERM``. More threads than now runs ``cpuhp_smt_enable``, fewer (or
``forceoff``) ``cpuhp_smt_disable``; the same number does nothing.

- ``cpuhp_smt_disable``: every online CPU that is not its core's primary
  thread (``topology_is_primary_thread``: the first of its siblings) goes
  down, as ``cpu_down`` would ("psci: CPUn killed"); the first failure stops
  the loop and is the write's error, else the control takes the new state.
- ``cpuhp_smt_enable``: the control becomes ``on`` first, then
  ``for_each_present_cpu`` that is offline runs ``_cpu_up`` directly (no
  ``cpu_bootable`` check, no CPU device needed to get there). Its prepare
  stage ``topology_add_dev`` (``drivers/base/topology.c``) calls
  ``sysfs_create_group`` on ``&get_cpu_device(cpu)->kobj``: for a CPU that was
  never registered that is NULL, and ``internal_create_group``'s
  ``WARN_ON(!kobj || ...)`` fires (``fs/sysfs/group.c:137``) and returns
  ``-EINVAL``; the loop stops and the write fails with ``EINVAL``. Linux up
  to 7.1 marks every possible CPU present, so on a VM with Online Capable
  (not yet hot-added) vCPUs and threads this is what ``echo off``, ``echo on``
  does; 7.2's present mask (``f9a82544c717``) only holds registered CPUs.
  This is the reproduction in that commit's message (QEMU ``-smp 4,maxcpus=8``
  with two threads per core: "psci: CPU1 killed", "psci: CPU3 killed", then
  CPU1 and CPU3 boot again and the warning for CPU4).
- ``cpu_bootable`` (``cpu_up`` from ``cpuN/online``): with SMT ``off`` a
  secondary thread that has been up once is ``-EPERM``; SMT ``on``,
  ``notsupported`` or ``notimplemented`` boot every CPU.

``smt/active`` is ``sched_smt_active()``: 1 while some core has two online
threads.

The warning's text follows the commit message's splat (``__warn``:
"------------[ cut here ]------------", "WARNING: <file>:<line> at
<function>+<offset>/<size>, CPU#<n>: <comm>/<pid>", "Modules linked in:",
the "CPU: ..." line, "Call trace:" and "---[ end trace 0000000000000000 ]---");
register dumps are left out, and the symbol offsets are those of the build in
that message (they differ per build).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vcpu_hotplug.acpi.pptt import Pptt, ProcessorFlags, ProcessorNode
from vcpu_hotplug.guest.acpi_boot import AcpiTables
from vcpu_hotplug.guest.cpumask import CpuMask
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.klog import LogLevel
from vcpu_hotplug.guest.services import KernelServices


class _Cpu(Protocol):
    @property
    def uid(self) -> int | None: ...


class _CpuHotplug(Protocol):
    """``cpu_up``/``cpu_down`` as :class:`~vcpu_hotplug.guest.smp.CpuHotplug` provides them."""

    @property
    def locked(self) -> bool: ...

    def cpu_up(self, cpu: int, done: Callable[[int], None] | None = None, task: "Task | None" = None) -> None: ...

    def cpu_down(self, cpu: int) -> int: ...


class SmtKernel(KernelServices, Protocol):
    """What the SMT control uses of the running kernel besides :class:`KernelServices`."""

    tables: AcpiTables | None
    possible: CpuMask
    present: CpuMask
    online: CpuMask
    cpu_hotplug: _CpuHotplug

    @property
    def cpus(self) -> dict[int, _Cpu]: ...

    def block_until(self, condition: Callable[[], bool], what: str = ...) -> None: ...


class SmtState(enum.Enum):
    """``enum cpuhp_smt_control`` with the names ``control`` prints (``smt_states[]``)."""

    ON = "on"
    OFF = "off"
    FORCE_OFF = "forceoff"
    NOT_SUPPORTED = "notsupported"
    NOT_IMPLEMENTED = "notimplemented"


@dataclass(frozen=True)
class Task:
    """The task writing ``smt/control``, as the warning names it (``current->comm``/``pid``)."""

    comm: str = "sh"
    pid: int = 181
    """The shell of the commit message's reproduction."""


SYSFS_GROUP_WARNING = "WARNING: fs/sysfs/group.c:137 at internal_create_group+0x41c/0x4bc"
"""``WARN_ON(!kobj || (!update && !kobj->sd))`` in ``internal_create_group``, as 7.0-rc1 reports it."""
CALL_TRACE = (
    "internal_create_group+0x41c/0x4bc (P)", "sysfs_create_group+0x18/0x24", "topology_add_dev+0x1c/0x28",
    "cpuhp_invoke_callback+0x104/0x20c", "__cpuhp_invoke_callback_range+0x94/0x11c", "_cpu_up+0x200/0x37c",
    "cpuhp_smt_enable+0xbc/0x114", "control_store+0xe8/0x1d4", "dev_attr_store+0x18/0x2c",
    "sysfs_kf_write+0x7c/0x94", "kernfs_fop_write_iter+0x128/0x1b8", "vfs_write+0x2b0/0x354",
    "ksys_write+0x68/0xfc", "__arm64_sys_write+0x1c/0x28", "invoke_syscall+0x48/0x10c",
    "el0_svc_common.constprop.0+0x40/0xe8", "do_el0_svc+0x20/0x2c", "el0_svc+0x34/0x124",
    "el0t_64_sync_handler+0xa0/0xe4", "el0t_64_sync+0x198/0x19c",
)
"""The call trace of the commit message's splat (the write of ``smt/control`` down to the warning)."""


def thread_siblings(pptt: Pptt | None, uid_of_cpu: dict[int, int]) -> dict[int, tuple[int, ...]]:
    """``cpu_topology[cpu].thread_sibling`` for the CPUs given (logical CPU -> ACPI UID).

    Only CPUs whose PPTT leaf is a thread have siblings besides themselves
    (``acpi_cpu_is_threaded``); the core is the leaf's parent node
    (``find_acpi_cpu_topology(cpu, 1)``).
    """
    core_of_uid: dict[int, int] = {}
    if pptt is not None:
        for node in pptt.nodes:
            if isinstance(node, ProcessorNode) and node.flags & ProcessorFlags.ACPI_PROCESSOR_ID_VALID \
                    and node.flags & ProcessorFlags.PROCESSOR_IS_A_THREAD:
                core_of_uid.setdefault(node.acpi_processor_id, node.parent)
    by_core: dict[int, list[int]] = {}
    for cpu, uid in sorted(uid_of_cpu.items()):
        core = core_of_uid.get(uid)
        if core is not None:
            by_core.setdefault(core, []).append(cpu)
    siblings = {cpu: (cpu,) for cpu in uid_of_cpu}
    for cpus in by_core.values():
        for cpu in cpus:
            siblings[cpu] = tuple(cpus)
    return siblings


def has_leaf(pptt: Pptt | None, uid: int) -> bool:
    """``acpi_find_processor_node`` (``drivers/acpi/pptt.c``) finds a leaf processor node for ``uid``: a
    processor node with that ACPI Processor ID that is flagged a leaf (revision 2 on) or that no node
    names as its parent (``acpi_pptt_leaf_node``). True without a PPTT (nothing to look up)."""
    if pptt is None:
        return True
    parents = {node.parent for node in pptt.nodes if isinstance(node, ProcessorNode)}
    for offset, node in zip(pptt.offsets(), pptt.nodes):
        if isinstance(node, ProcessorNode) and node.acpi_processor_id == uid and (
                (pptt.header.revision > 1 and node.flags & ProcessorFlags.NODE_IS_A_LEAF) or offset not in parents):
            return True
    return False


class SmtControl:
    """``cpu_smt_control``, ``cpu_smt_num_threads`` and ``cpu_smt_max_threads`` with the ``smt/`` files."""

    def __init__(self, kernel: SmtKernel) -> None:
        self.k = kernel
        self.state = SmtState.NOT_IMPLEMENTED
        self.num_threads = 1
        self.max_threads = 1
        self.siblings: dict[int, tuple[int, ...]] = {}
        self.booted_once: set[int] = set()
        """``cpus_booted_once_mask``."""
        self.warnings = 0
        """Warnings issued so far (the kernel is tainted ``W`` after the first)."""

    # boot -------------------------------------------------------------------

    def init_topology(self) -> None:
        """``init_cpu_topology`` -> ``parse_acpi_topology`` (in ``smp_prepare_cpus``)."""
        k = self.k
        uids = {cpu: c.uid for cpu, c in k.cpus.items() if c.uid is not None and cpu in k.possible}
        pptt = k.tables.pptt if k.tables else None
        missing = next(((cpu, uid) for cpu, uid in sorted(uids.items()) if not has_leaf(pptt, uid)), None)
        if pptt is not None and missing is not None:
            # parse_acpi_topology (drivers/base/arch_topology.c) stops at the first possible CPU without a
            # leaf, whose find_acpi_cpu_topology warned (drivers/acpi/pptt.c topology_get_acpi_cpu_tag),
            # and init_cpu_topology resets the topology: no thread siblings
            k.klog.once("pptt-missing-core", LogLevel.WARNING,
                        "ACPI PPTT: PPTT table found, but unable to locate core %d (%d)" % missing)
            pptt = None
        self.siblings = thread_siblings(pptt, uids)
        if not k.config.kernel.features.hotplug_smt:
            return
        threads = max((len(s) for s in self.siblings.values()), default=1)
        self.max_threads = threads
        self.num_threads = threads
        self.state = SmtState.NOT_SUPPORTED if threads == 1 else SmtState.ON

    # topology -----------------------------------------------------------------

    def is_primary_thread(self, cpu: int) -> bool:
        """``topology_is_primary_thread``: the first CPU of its thread siblings."""
        return self.siblings.get(cpu, (cpu,))[0] == cpu

    def bootable(self, cpu: int) -> bool:
        """``cpu_bootable``: may ``cpu_up`` start this CPU under the SMT control?"""
        if self.state in (SmtState.ON, SmtState.NOT_IMPLEMENTED, SmtState.NOT_SUPPORTED):
            return True
        return self.is_primary_thread(cpu) or cpu not in self.booted_once

    def active(self) -> bool:
        """``sched_smt_active()``: some core has two online threads."""
        online = self.k.online
        return any(sum(1 for s in sib if s in online) > 1 for cpu, sib in self.siblings.items()
                   if self.is_primary_thread(cpu))

    # sysfs --------------------------------------------------------------------

    def show_control(self) -> str:
        """``control_show``."""
        if self.state is SmtState.ON and self.num_threads != self.max_threads:
            return f"{self.num_threads}\n"
        return f"{self.state.value}\n"

    def show_active(self) -> str:
        return f"{int(self.active())}\n"

    def store_control(self, value: str, task: Task = Task()) -> int:
        """``control_store``: 0 or a negative errno. Blocks (simulated time) while CPUs go up or down."""
        if self.state is SmtState.NOT_IMPLEMENTED:
            return -Errno.ENODEV
        if self.state is SmtState.FORCE_OFF:
            return -Errno.EPERM
        if self.state is SmtState.NOT_SUPPORTED:
            return -Errno.ENODEV
        text = value[:-1] if value.endswith("\n") else value     # sysfs_streq
        if text == "on":
            ctrl, threads = SmtState.ON, self.max_threads
        elif text == "off":
            ctrl, threads = SmtState.OFF, 1
        elif text == "forceoff":
            ctrl, threads = SmtState.FORCE_OFF, 1
        else:
            try:
                threads = int(text.strip(), 10)
            except ValueError:
                return -Errno.EINVAL
            if threads == 1:
                ctrl = SmtState.OFF
            elif threads == self.max_threads:
                ctrl = SmtState.ON
            else:
                return -Errno.EINVAL
        orig = self.num_threads
        self.num_threads = threads
        force_off = ctrl is not self.state and ctrl is SmtState.FORCE_OFF
        if threads > orig:
            return self._enable(task)
        if threads < orig or force_off:
            return self._disable(ctrl)
        return 0

    def _disable(self, ctrl: SmtState) -> int:
        """``cpuhp_smt_disable``."""
        k = self.k
        for cpu in list(k.online):
            if self.is_primary_thread(cpu):
                continue
            k.block_until(lambda: not k.cpu_hotplug.locked, "smt/control off")
            err = k.cpu_hotplug.cpu_down(cpu)
            if err:
                return err
        self.state = ctrl
        return 0

    def _enable(self, task: Task) -> int:
        """``cpuhp_smt_enable``: ``_cpu_up`` of every offline present CPU."""
        k = self.k
        self.state = SmtState.ON
        for cpu in list(k.present):
            if cpu in k.online:
                continue
            result: list[int] = []
            k.cpu_hotplug.cpu_up(cpu, result.append, task=task)
            k.block_until(lambda: bool(result), f"smt/control on: CPU{cpu}")
            if result[0]:
                return result[0]
        return 0

    # the warning --------------------------------------------------------------

    def warn_null_kobject(self, task: Task) -> None:
        """The splat of ``internal_create_group``'s ``WARN_ON`` for a CPU without a device."""
        k = self.k
        cpu = min(k.online, default=0)
        tainted = "Tainted: G        W" if self.warnings else "Not tainted"
        self.warnings += 1
        release = f"{k.config.kernel.release}.0"
        for line in ("------------[ cut here ]------------",
                     f"{SYSFS_GROUP_WARNING}, CPU#{cpu}: {task.comm}/{task.pid}",
                     "Modules linked in:",
                     f"CPU: {cpu} UID: 0 PID: {task.pid} Comm: {task.comm} {tainted} {release} #1 PREEMPT",
                     "Call trace:",
                     *(f" {frame}" for frame in CALL_TRACE),
                     "---[ end trace 0000000000000000 ]---"):
            k.klog.warn(line)


__all__ = ["SYSFS_GROUP_WARNING", "SmtControl", "SmtState", "Task", "thread_siblings"]
