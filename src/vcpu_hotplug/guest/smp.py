"""SMP: the MADT's CPUs, bring-up and tear-down (``arch/arm64/kernel/smp.c``, ``kernel/cpu.c``,
``arch/arm64/kernel/cpuinfo.c``).

**Enumeration** (``acpi_parse_and_init_cpus`` -> ``acpi_map_gic_cpu_interface``),
GICC structures in table order:

- neither Enabled nor Online Capable: skipped, ``pr_debug("skipping disabled
  CPU entry with 0x%llx MPIDR")``;
- MPIDR with bits outside ``MPIDR_HWID_BITMASK`` (0xff00ffffff) or
  ``INVALID_HWID``: "skipping CPU entry with invalid MPIDR 0x%llx";
- an MPIDR already seen: "duplicate CPU MPIDR 0x%llx in MADT";
- the boot CPU's MPIDR: logical CPU 0 (a second one: "duplicate boot CPU
  MPIDR: 0x%llx in MADT");
- anything else: the next logical CPU number; entries beyond ``NR_CPUS``
  are dropped silently (``acpi_map_gic_cpu_interface`` stops counting
  there, so "Number of cores (%d) exceeds configured maximum" only fires
  for a ``nr_cpus=`` command line, which this model does not take).

No GICC for the boot CPU: "missing boot CPU MPIDR, not enabling
secondaries" and only CPU 0 exists. Each secondary needs an enable method
(PSCI here, else "Unsupported ACPI enable-method"); those that have one
become *possible*. ``smp_prepare_cpus`` marks them *present* (Linux 6.11 to
7.1; 7.2's ``f9a82544c717`` marks only Enabled GICCs present, see :mod:`.kernel`).

**Bring-up** (``cpu_up`` -> ``__cpu_up``): a CPU must be possible ("can't
online cpu %d because it is not configured as may-hotadd at boot time"),
bootable under the SMT control (``cpu_bootable``, ``-EPERM``; see :mod:`.smt`)
and present (``-EINVAL``); after boot, a CPU without a CPU device fails
``topology_add_dev`` (only ``cpuhp_smt_enable`` gets one there: the NULL
kobject warning, :mod:`.smt`); the GIC's ``checkrdist`` state may refuse it;
then ``CPU_ON(mpidr, secondary_entry)``. An error other than ``-EPERM`` logs
"CPU%u: failed to boot: %d"; ``-EPERM`` (DENIED) is silent. On success the
boot CPU waits up to 5 s for the secondary: the VMM starts the vCPU at the
entry point through the hardware :class:`~vcpu_hotplug.hw.VcpuPort`, and
the secondary runs ``secondary_start_kernel``: "Detected PIPT I-cache on
CPU%d" (``cpuinfo_store_cpu``), its redistributor and, the first time, its
LPI pending table (``gic_starting_cpu``), "CPU%u: Booted secondary processor
0x%010lx [0x%08x]" with the vCPU model's MIDR, then it is online. No start within 5 s: "CPU%u: failed to come
online" and ``-EIO``.

**Tear-down** (``cpu_down``): refused with ``-EBUSY`` for the last online CPU,
``-EOPNOTSUPP`` when CPU offlining is disabled; a teardown callback may
refuse (``-EBUSY``, the "busy CPU" knob); otherwise the CPU leaves the online
mask, runs ``CPU_OFF`` itself, and the control CPU polls ``AFFINITY_INFO``
("psci: CPU%d killed (polled %d ms)"). An eject's offline
(:meth:`CpuHotplug.cpu_down_then`) runs the teardown as a clock event of its
own, holding ``cpu_hotplug_lock``; the refusals answer at once.

Hotplug operations are serialised by ``cpu_hotplug_lock``: one bring-up at a
time; others wait for it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, Madt
from vcpu_hotplug.arm.mpidr import INVALID_HWID, MPIDR_HWID_MASK
from vcpu_hotplug.guest.config import NR_CPUS
from vcpu_hotplug.guest.cpumask import CpuMask
from vcpu_hotplug.guest.errors import Errno
from vcpu_hotplug.guest.gic import GicV3Driver
from vcpu_hotplug.guest.psci import PsciClient
from vcpu_hotplug.guest.services import KernelServices
from vcpu_hotplug.guest.smt import SmtControl, Task
from vcpu_hotplug.hw.clock import NS_PER_S

CPU_TEARDOWN_LABEL = "guest cpu_down teardown"
"""The label of :meth:`CpuHotplug.cpu_down_then`'s teardown event (a pacer charges the teardown there)."""


class _CpuDevices(Protocol):
    """The CPU devices (:class:`~vcpu_hotplug.guest.sysfs.CpuDevices`): which CPUs have one."""

    registered: set[int]


class SmpKernel(KernelServices, Protocol):
    """What the SMP code uses of the running kernel besides :class:`KernelServices`."""

    cpus: dict[int, LogicalCpu]
    possible: CpuMask
    present: CpuMask
    online: CpuMask
    gic: GicV3Driver
    psci: PsciClient
    smt: SmtControl
    devices: _CpuDevices
    booted: bool

    def control_hw_vcpu(self) -> int: ...


CPU_UP_TIMEOUT_NS = 5 * NS_PER_S
"""``wait_for_completion_timeout(&cpu_running, msecs_to_jiffies(5000))``."""

CPU_BOOT_STATUS_MMU_OFF = 0
"""``CPU_MMU_OFF``: what ``secondary_data.status`` holds when a CPU never started."""


@dataclass
class LogicalCpu:
    """One entry of ``cpu_logical_map`` with its ``cpu_madt_gicc``."""

    cpu: int
    mpidr: int
    gicc: Gicc | None
    hw_vcpu: int | None = None
    """Which hardware vCPU runs it (learnt when it starts; the boot CPU's is known)."""

    @property
    def uid(self) -> int | None:
        return None if self.gicc is None else self.gicc.acpi_processor_uid

    @property
    def madt_enabled(self) -> bool:
        return self.gicc is not None and bool(self.gicc.flags & GiccFlags.ENABLED)


def map_gic_cpu_interfaces(kernel: SmpKernel, madt: Madt, boot_mpidr: int,
                           nr_cpus: int = NR_CPUS) -> tuple[list[LogicalCpu], bool]:
    """``acpi_parse_and_init_cpus``: the logical map and whether the boot CPU was found."""
    klog = kernel.klog
    cpus = [LogicalCpu(0, boot_mpidr, None)]
    seen: set[int] = set()
    bootcpu_valid = False
    cpu_count = 1
    for gicc in madt.giccs:
        hwid = gicc.mpidr
        if not gicc.flags & (GiccFlags.ENABLED | GiccFlags.ONLINE_CAPABLE):
            klog.debug(f"skipping disabled CPU entry with 0x{hwid:x} MPIDR")
            continue
        if hwid & ~MPIDR_HWID_MASK or hwid == INVALID_HWID:
            klog.err(f"skipping CPU entry with invalid MPIDR 0x{hwid:x}")
            continue
        if hwid in seen and hwid != boot_mpidr:
            klog.err(f"duplicate CPU MPIDR 0x{hwid:x} in MADT")
            continue
        if hwid == boot_mpidr:
            if bootcpu_valid:
                klog.err(f"duplicate boot CPU MPIDR: 0x{hwid:x} in MADT")
                continue
            bootcpu_valid = True
            cpus[0].gicc = gicc
            continue
        if cpu_count >= nr_cpus:
            continue
        seen.add(hwid)
        cpus.append(LogicalCpu(cpu_count, hwid, gicc))
        cpu_count += 1
    if not bootcpu_valid:
        klog.err("missing boot CPU MPIDR, not enabling secondaries")
        return cpus[:1], False
    return cpus, True


@dataclass
class _Bringup:
    cpu: int
    done: Callable[[int], None] | None
    timeout: object = None


class CpuHotplug:
    """``cpu_up``/``cpu_down`` with ``cpu_hotplug_lock``, over PSCI and the vCPU start port."""

    def __init__(self, kernel: SmpKernel) -> None:
        self.k = kernel
        self._inflight: _Bringup | None = None
        self._waiters: deque[Callable[[], None]] = deque()
        self._tearing_down: int | None = None
        """The CPU whose :meth:`cpu_down_then` teardown is pending (it holds the lock)."""

    # the lock ---------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._inflight is not None or self._tearing_down is not None

    def with_lock(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` now, or once the bring-up or teardown in flight has finished."""
        if not self.locked:
            fn()
        else:
            self._waiters.append(fn)

    def _release(self) -> None:
        self._inflight = None
        while self._waiters and not self.locked:
            self._waiters.popleft()()

    # bring-up ---------------------------------------------------------------

    def cpu_up(self, cpu: int, done: Callable[[int], None] | None = None, task: Task | None = None) -> None:
        """Start bringing ``cpu`` online; ``done(err)`` is called with 0 or a negative errno.

        ``task`` set means ``_cpu_up`` as ``cpuhp_smt_enable`` calls it for
        that writer of ``smt/control`` (no ``cpu_bootable`` check); otherwise
        ``cpu_up``.
        """
        self.with_lock(lambda: self._cpu_up_locked(cpu, done, task))

    def _finish(self, done: Callable[[int], None] | None, err: int) -> None:
        if done is not None:
            done(err)

    def _cpu_up_locked(self, cpu: int, done: Callable[[int], None] | None, task: Task | None = None) -> None:
        k = self.k
        if cpu not in k.possible:
            k.klog.err(f"can't online cpu {cpu} because it is not configured as may-hotadd at boot time")
            return self._finish(done, -Errno.EINVAL)
        if task is None and not k.smt.bootable(cpu):
            return self._finish(done, -Errno.EPERM)
        if cpu not in k.present:
            return self._finish(done, -Errno.EINVAL)
        if cpu in k.online:
            return self._finish(done, 0)
        if task is not None and k.booted and cpu not in k.devices.registered:
            # CPUHP_TOPOLOGY_PREPARE: topology_add_dev -> sysfs_create_group(&get_cpu_device(cpu)->kobj).
            # Of the callers modelled only cpuhp_smt_enable reaches a CPU without a device.
            k.smt.warn_null_kobject(task)
            return self._finish(done, -Errno.EINVAL)
        err = k.gic.check_rdist(cpu)
        if err:
            return self._finish(done, err)
        lcpu = k.cpus[cpu]
        self._inflight = _Bringup(cpu, done)
        k.klog.tracepoint(f"cpu_up cpu{cpu}: CPU_ON 0x{lcpu.mpidr:x}")
        err = k.psci.cpu_on(k.control_hw_vcpu(), cpu, lcpu.mpidr, k.config.secondary_entry)
        if err:
            if err != -Errno.EPERM:
                k.klog.err(f"CPU{cpu}: failed to boot: {err}")
            self._release()
            return self._finish(done, err)
        self._inflight.timeout = k.clock.schedule(CPU_UP_TIMEOUT_NS, lambda: self._timed_out(cpu),
                                                  f"guest cpu{cpu} cpu_running timeout")

    def _timed_out(self, cpu: int) -> None:
        b = self._inflight
        if b is None or b.cpu != cpu or cpu in self.k.online:
            return
        self.k.klog.crit(f"CPU{cpu}: failed to come online")
        self.k.klog.err(f"CPU{cpu}: failed in unknown state : 0x{CPU_BOOT_STATUS_MMU_OFF:x}")
        self._release()
        self._finish(b.done, -Errno.EIO)

    def secondary_entry(self, hw_vcpu: int, entry: int, context: int) -> None:
        """The hardware started ``hw_vcpu`` at ``entry``: ``secondary_start_kernel``."""
        k = self.k
        b = self._inflight
        if b is None or entry != k.config.secondary_entry:
            k.klog.tracepoint(f"vCPU {hw_vcpu} started at {entry:#x} with no bring-up waiting for it")
            return
        cpu = b.cpu
        lcpu = k.cpus[cpu]
        lcpu.hw_vcpu = hw_vcpu
        k.klog.info(f"Detected PIPT I-cache on CPU{cpu}")
        k.gic.starting_cpu(cpu, lcpu.mpidr)
        k.klog.info(f"CPU{cpu}: Booted secondary processor 0x{lcpu.mpidr:010x} [0x{k.config.midr:08x}]")
        k.online.set(cpu)
        k.smt.booted_once.add(cpu)
        if b.timeout is not None:
            b.timeout.cancel()
        self._release()
        self._finish(b.done, 0)

    # tear-down --------------------------------------------------------------

    def cpu_down(self, cpu: int) -> int:
        """``cpu_down`` (call with the lock free): 0 or a negative errno, the CPU down on return."""
        err = self._cpu_down_check(cpu)
        if err or cpu not in self.k.online:
            return err
        self._take_down(cpu)
        return 0

    def cpu_down_then(self, cpu: int, done: Callable[[int], None]) -> None:
        """``cpu_down`` with its teardown as a clock event of its own; ``done(err)`` at its end.

        A refusal (or a CPU already offline) calls ``done`` at once. Otherwise the
        ``cpuhp`` teardown before the dying CPU's ``CPU_OFF`` takes time on a real guest
        (about 96 ms on Linux 6.12.95 under TCG, ``tests/data/real-linux/``): the model
        runs it as the event labelled :data:`CPU_TEARDOWN_LABEL`, scheduled with no delay
        of its own (a run to idle gives what :meth:`cpu_down` gives), holding
        ``cpu_hotplug_lock`` until it is done, and whoever paces the machine against the
        wall clock charges its time there.
        """
        err = self._cpu_down_check(cpu)
        if err or cpu not in self.k.online:
            return done(err)
        self._tearing_down = cpu

        def teardown() -> None:
            try:
                self._take_down(cpu)
            finally:
                self._tearing_down = None
            done(0)  # before the waiters: the caller's next step is queued first, as it holds its locks
            self._release()

        self.k.clock.schedule(0, teardown, f"{CPU_TEARDOWN_LABEL} cpu{cpu}")

    def _cpu_down_check(self, cpu: int) -> int:
        """``cpu_down``'s refusals: 0 or a negative errno."""
        k = self.k
        if k.knobs.offline_disabled:
            return -Errno.EOPNOTSUPP
        if cpu not in k.present:
            return -Errno.EINVAL
        if cpu not in k.online:
            return 0
        if len(k.online) == 1:
            return -Errno.EBUSY
        if cpu in k.knobs.busy_cpus:
            k.klog.tracepoint(f"cpu_down cpu{cpu}: a teardown callback returned -EBUSY")
            return -Errno.EBUSY
        return 0

    def _take_down(self, cpu: int) -> None:
        """The CPU leaves the online mask, runs ``CPU_OFF``; ``cpu_kill`` polls for it."""
        k = self.k
        lcpu = k.cpus[cpu]
        k.online.clear(cpu)
        k.klog.tracepoint(f"cpu_down cpu{cpu}: CPU_OFF")
        dying = lcpu.hw_vcpu if lcpu.hw_vcpu is not None else cpu
        k.psci.cpu_off(dying)
        k.klog.debug(f"CPU{cpu}: shutdown")
        err = k.psci.cpu_kill(k.control_hw_vcpu(), cpu, lcpu.mpidr)
        if err:
            k.klog.warn(f"CPU{cpu} may not have shut down cleanly: {err}")
