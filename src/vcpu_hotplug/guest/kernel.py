"""The guest kernel: boot from the firmware hand-off, then run on the simulated clock.

Boot follows Linux arm64's order (``init/main.c``, ``arch/arm64/kernel/setup.c``):

1. "Booting Linux on physical CPU 0x%010lx [0x%08x]" (the MPIDR and the
   vCPU model's MIDR, :attr:`GuestConfig.midr`);
2. ACPI tables from the RSDP (:mod:`.acpi_boot`); arm64 requires a
   hardware-reduced FADT;
3. PSCI from the FADT (:mod:`.psci`);
4. ``smp_init_cpus``: MADT GICC -> logical CPUs -> *possible* (:mod:`.smp`);
   these end ``setup_arch``;
5. ``smp_prepare_boot_cpu`` -> ``cpuinfo_store_boot_cpu``: "Detected PIPT
   I-cache on CPU0";
   then ``init_IRQ``: the GICv3 driver (:mod:`.gic`), the boot CPU's
   redistributor, the ITS and the boot CPU's LPI pending table;
6. ``smp_prepare_cpus``: *present*. The release's
   :class:`~vcpu_hotplug.guest.releases.PresentPolicy` selects Linux
   6.11 to 7.1 (every possible CPU is present) or 7.2's ``f9a82544c717``
   (only CPUs whose
   GICC is Enabled are present at boot, ``acpi_cpu_is_present``; arm64's
   ``acpi_map_cpu`` sets present on a hot-add, ``acpi_unmap_cpu`` clears it
   on an eject, see :mod:`.processor`); ``init_cpu_topology`` reads the
   PPTT's threads for the SMT control (:mod:`.smt`; HOTPLUG_SMT from 6.15);
7. ``smp_init``: ``cpu_up`` of every present secondary via PSCI (DENIED is
   silent and leaves the CPU offline); ``smp_cpus_done``: "SMP: Total of %d
   processors activated.", ``hyp_mode_check``: "CPU: All CPU(s) started at
   EL1";
8. ACPI: DSDT and SSDTs into the interpreter, the namespace scan
   (processor driver: *enabled* and ``cpuN/``; GED driver).

Afterwards the guest only reacts: GED interrupts, hotplug work, udev,
secondary CPUs starting, sysfs writes. :class:`GuestKnobs` make it an
unhappy guest on demand.

A kernel that faults in its own code during boot dies there (:mod:`.panic`):
so far one path does, the GICv3 driver's redistributor walk past a GICR
range too short for the redistributors (:mod:`.gic`). The Oops is logged,
then "Kernel panic - not syncing: Attempted to kill the idle task!" (the
boot runs in the idle task), and the kernel stops where it was: no further
boot, no secondary CPU, no ACPI namespace; :attr:`Kernel.panicked` holds the
panic message and :meth:`Kernel.boot` returns with :attr:`Kernel.booted`
False. With ``panic=N`` (:attr:`GuestConfig.panic_timeout_s`) it logs
"Rebooting in N seconds.." and N simulated seconds later asks PSCI for
SYSTEM_RESET, as ``emergency_restart`` does; what the VMM makes of that
(a reset, or QEMU ``-no-reboot``'s shutdown) is the VMM's.

A kernel ends with ``reboot`` (:meth:`Kernel.restart`, PSCI SYSTEM_RESET),
``poweroff`` (:meth:`Kernel.power_off`, PSCI SYSTEM_OFF) or a reset of the
machine under it (:meth:`Kernel.detach`, the host's ``system_reset``). Either
way it lets go of the hardware, and the work it had queued on the clock
(hotplug work, IRQ threads, udev, timers) never runs: its CPUs no longer
execute it (:class:`KernelClock`).

The guest touches the machine only through the :class:`~vcpu_hotplug.hw.HardwareBoundary`.
"""

from __future__ import annotations

from collections.abc import Callable

from vcpu_hotplug.acpi.fadt import FadtFlags
from vcpu_hotplug.guest.acpi_boot import AcpiTables, TableLoader
from vcpu_hotplug.guest.acpi_scan import AcpiScan
from vcpu_hotplug.guest.acpi_utils import AcpiCore
from vcpu_hotplug.guest.button import ButtonDriver
from vcpu_hotplug.guest.config import GuestConfig, GuestKnobs, Latency
from vcpu_hotplug.guest.cpumask import CpuMask
from vcpu_hotplug.guest.errors import BootError, GuestError
from vcpu_hotplug.guest.ged import GedDriver
from vcpu_hotplug.guest.gic import GicV3Driver
from vcpu_hotplug.guest.klog import KernelLog
from vcpu_hotplug.guest.panic import IDLE_TASK_PANIC, KernelFault, Oops, panic_lines
from vcpu_hotplug.guest.processor import ProcessorDriver
from vcpu_hotplug.guest.psci import PsciClient
from vcpu_hotplug.guest.region_bridge import MachineRegionHandler
from vcpu_hotplug.guest.smp import CpuHotplug, LogicalCpu, map_gic_cpu_interfaces
from vcpu_hotplug.guest.smt import SmtControl
from vcpu_hotplug.guest.sysfs import CpuDevices, Sysfs
from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.clock import NS_PER_S, ScheduledEvent, SimClock

BLOCK_EVENT_LIMIT = 1_000_000
"""Clock events a blocking call may wait through before it is declared stuck."""

BOOT_EXCEPTION_LEVEL = "EL1"
"""Where the CPUs enter the kernel: a KVM (or TCG without ``virtualization=on``) guest has no EL2."""


class KernelClock:
    """The simulated clock as one kernel uses it: what it schedules does not run once it has halted."""

    def __init__(self, clock: SimClock, running: Callable[[], bool]) -> None:
        self._clock = clock
        self._running = running

    def schedule(self, delay_ns: int, callback: Callable[[], object], label: str = "") -> ScheduledEvent:
        return self._clock.schedule(delay_ns, self._guarded(callback), label)

    def schedule_at(self, when_ns: int, callback: Callable[[], object], label: str = "") -> ScheduledEvent:
        return self._clock.schedule_at(when_ns, self._guarded(callback), label)

    def _guarded(self, callback: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            return callback() if self._running() else None
        return run

    def __getattr__(self, name: str):
        return getattr(self._clock, name)


class Kernel:
    """One Linux arm64 guest on a :class:`HardwareBoundary`."""

    def __init__(self, hw: HardwareBoundary, config: GuestConfig | None = None) -> None:
        self.hw = hw
        self.config = config or GuestConfig()
        self.halted = False
        """Set when this kernel stops running (:meth:`restart`, :meth:`power_off`, :meth:`detach`)."""
        self.clock = KernelClock(hw.clock, lambda: not self.halted)
        self.trace = hw.trace
        self.klog = KernelLog(self.clock.now_ns, self.trace, self.config.log_buf_len, self.config.dyndbg)
        self.possible = CpuMask("possible")
        self.present = CpuMask("present")
        self.enabled = CpuMask("enabled")
        self.online = CpuMask("online")
        self.cpus: dict[int, LogicalCpu] = {}
        self.tables: AcpiTables | None = None
        self.psci = PsciClient(hw.hvc, self.klog)
        self.gic = GicV3Driver(hw.bus, self.klog)
        self.cpu_hotplug = CpuHotplug(self)
        self.smt = SmtControl(self)
        self.devices = CpuDevices(self)
        self.sysfs = Sysfs(self)
        self.processor_driver = ProcessorDriver(self)
        self.ged = GedDriver(self)
        self.button = ButtonDriver(self)
        self.scan = AcpiScan(self)
        self.acpi = AcpiCore(MachineRegionHandler(hw.bus, hw.memory), self.scan.notify, self.clock, self.klog)
        self.booted = False
        self.panicked: str | None = None
        """The panic message once the kernel has panicked (``Attempted to kill the idle task!``)."""
        self.fault: KernelFault | None = None
        """The kernel-mode fault whose Oops killed it, if one did."""
        self._panic_restart: ScheduledEvent | None = None
        self._owns_entry = False
        self._blocking = False

    @property
    def knobs(self) -> GuestKnobs:
        return self.config.knobs

    # helpers ----------------------------------------------------------------

    def cpu_for_uid(self) -> dict[int, int]:
        """UID -> logical CPU over the possible CPUs (``get_cpu_for_acpi_id`` for all of them)."""
        return {c.uid: c.cpu for c in self.cpus.values() if c.uid is not None and c.cpu in self.possible}

    def control_hw_vcpu(self) -> int:
        """The hardware vCPU running kernel work (the lowest online CPU's)."""
        for cpu in self.online:
            hw = self.cpus[cpu].hw_vcpu
            if hw is not None:
                return hw
        return self.config.boot_hw_vcpu

    def block_until(self, condition: Callable[[], bool], what: str = "a blocking call") -> None:
        """Let simulated time pass until ``condition()`` holds (a blocking syscall)."""
        if self._blocking:
            raise GuestError(f"{what}: cannot block inside another blocking call")
        self._blocking = True
        try:
            fired = 0
            while not condition():
                nxt = self.clock.next_event_ns()
                if nxt is None:
                    raise GuestError(f"{what}: nothing left to wait for, the condition never held")
                self.clock.advance_ns(nxt - self.clock.now_ns())
                fired += 1
                if fired > BLOCK_EVENT_LIMIT:
                    raise GuestError(f"{what}: still waiting after {BLOCK_EVENT_LIMIT} events")
        finally:
            self._blocking = False

    def idle(self) -> bool:
        """No guest work queued or in flight (hotplug work, bring-up)."""
        return self.scan.pending_work == 0 and not self.cpu_hotplug.locked

    # boot -------------------------------------------------------------------

    def boot(self, rsdp_address: int) -> None:
        """Boot from the RSDP at ``rsdp_address``; returns once secondaries are up and ACPI is scanned."""
        if self.booted:
            raise GuestError("the guest has already booted")
        cfg = self.config
        self.hw.vcpus.register_entry(self.cpu_hotplug.secondary_entry)
        self._owns_entry = True
        self.klog.info(f"Booting Linux on physical CPU 0x{cfg.boot_mpidr:010x} [0x{cfg.midr:08x}]")
        tables = TableLoader(self.hw.memory, self.klog).load(rsdp_address)
        self.tables = tables
        if tables.fadt is None or tables.madt is None:
            missing = "FADT" if tables.fadt is None else "MADT"
            self.klog.err(f"ACPI: {missing} not found")
            raise BootError(f"no {missing} among the tables at RSDP {rsdp_address:#x}")
        if not (tables.fadt.flags or FadtFlags(0)) & FadtFlags.HW_REDUCED_ACPI:
            self.klog.err("ACPI: FADT not ACPI hardware reduced compliant")
            raise BootError("FADT not ACPI hardware reduced compliant: arm64 disables ACPI")
        self.psci.probe(cfg.boot_hw_vcpu, tables.psci_compliant, tables.psci_use_hvc)

        cpus, _ = map_gic_cpu_interfaces(self, tables.madt, cfg.boot_mpidr, cfg.nr_cpus)
        boot = cpus[0]
        boot.hw_vcpu = cfg.boot_hw_vcpu
        self.cpus = {c.cpu: c for c in cpus}
        self.possible.set(0)
        for c in cpus[1:]:
            if not self.psci.available:
                self.klog.err("Unsupported ACPI enable-method")
                continue
            self.possible.set(c.cpu)

        self.klog.info("Detected PIPT I-cache on CPU0")
        try:
            self.gic.init(tables.madt, self.cpu_for_uid())
        except KernelFault as fault:
            # start_kernel -> init_IRQ runs in the idle task: the Oops kills it, which is a panic.
            # boot_cpu_init (start_kernel, before setup_arch) had marked the boot CPU present and online.
            self.present.set(0)
            self.online.set(0)
            self.oops(fault)
            self.panic(IDLE_TASK_PANIC)
            return
        self.gic.populate_rdist(0, boot.mpidr)
        self.gic.its_init(tables.madt, list(self.possible))
        self.gic.its_cpu_init(0)

        self.smt.init_topology()
        self.smt.booted_once.add(0)
        self.present.set(0)
        for cpu in self.possible:
            if cpu == 0:
                continue
            if cfg.kernel.present_policy.present_only_if_madt_enabled and not self.cpus[cpu].madt_enabled:
                continue
            self.present.set(cpu)
        self.online.set(0)

        self.klog.info("smp: Bringing up secondary CPUs ...")
        for cpu in self.present:
            if cpu == 0:
                continue
            result: list[int] = []
            self.cpu_hotplug.cpu_up(cpu, result.append)
            self.block_until(lambda: bool(result), f"bring-up of CPU{cpu}")
        n = len(self.online)
        self.klog.info(f"smp: Brought up 1 node, {n} CPU{'s' if n > 1 else ''}")
        self.klog.info(f"SMP: Total of {n} processors activated.")
        self.klog.info(f"CPU: All CPU(s) started at {BOOT_EXCEPTION_LEVEL}")

        self.acpi.load(tables.aml_blocks)
        self.klog.info("ACPI: Interpreter enabled")
        self.klog.info("ACPI: Using GIC for interrupt routing")
        self.scan.scan()
        self.booted = True
        self.devices.coldplug()

    def oops(self, fault: KernelFault) -> None:
        """``die_kernel_fault`` -> ``die``: log the Oops of a kernel-mode fault on the boot CPU (:mod:`.panic`)."""
        self.fault = fault
        for level, text in Oops(fault).lines():
            self.klog.log(level, text)

    def panic(self, message: str) -> None:
        """``panic``: log it, stop every CPU where it is (the kernel lets go of the hardware; its queued work
        never runs) and, with ``panic=N``, ask PSCI for SYSTEM_RESET N seconds later (``emergency_restart``)."""
        if self.panicked is not None:
            return
        self.panicked = message
        for level, text in panic_lines(message, self.config.panic_timeout_s):
            self.klog.log(level, text)
        caller = self.control_hw_vcpu()
        self._let_go()
        timeout = self.config.panic_timeout_s
        if timeout != 0:
            self._panic_restart = self.hw.clock.schedule(max(0, timeout) * NS_PER_S,
                                                         lambda: self.psci.system_reset(caller),
                                                         "panic: emergency_restart")

    def restart(self) -> None:
        """``reboot``: ``kernel_restart`` (``kernel/reboot.c``, "reboot: Restarting system"), then arm64
        ``machine_restart`` -> ``psci_sys_reset`` (PSCI SYSTEM_RESET).

        The kernel is gone afterwards: it lets go of the hardware (its
        interrupt handlers and the secondary entry point), so that the next
        kernel firmware starts can claim them.
        """
        if not self.booted or self.halted:
            raise GuestError("only a running kernel can restart")
        self.klog.emerg("reboot: Restarting system")
        caller = self.control_hw_vcpu()
        self._let_go()
        self.psci.system_reset(caller)

    def power_off(self) -> None:
        """``poweroff``: ``kernel_power_off`` (``kernel/reboot.c``, "reboot: Power down"), then arm64
        ``machine_power_off`` -> ``psci_sys_poweroff`` (PSCI SYSTEM_OFF). The kernel is gone afterwards."""
        if not self.booted or self.halted:
            raise GuestError("only a running kernel can power off")
        self.klog.emerg("reboot: Power down")
        caller = self.control_hw_vcpu()
        self._let_go()
        self.psci.system_off(caller)

    def detach(self) -> None:
        """The machine was reset under this kernel (the host's ``system_reset``): it stops where it is,
        without a word, and lets go of the hardware so that the next kernel can claim it. Idempotent."""
        if not self.halted:
            self._let_go()
        if self._panic_restart is not None:
            self._panic_restart.cancel()     # the machine was reset first: the panic's restart never comes
            self._panic_restart = None

    def _let_go(self) -> None:
        """Stop running: release the interrupt handlers and the secondary entry point; queued work is dropped."""
        for gsi in list(self.ged.events):
            self.hw.irq.unregister(gsi)
        if self._owns_entry:
            self.hw.vcpus.register_entry(None)
            self._owns_entry = False
        self.halted = True

    # views ------------------------------------------------------------------

    def masks(self) -> dict[str, frozenset[int]]:
        """possible/present/enabled/online as sets of logical CPUs."""
        return {"possible": self.possible.as_set(), "present": self.present.as_set(),
                "enabled": self.enabled.as_set(), "online": self.online.as_set()}

    def cpu_of_mpidr(self, mpidr: int) -> int | None:
        """The logical CPU with that MPIDR, if the MADT described it."""
        for c in self.cpus.values():
            if c.mpidr == mpidr:
                return c.cpu
        return None

    def dmesg(self) -> str:
        return self.klog.dmesg()
