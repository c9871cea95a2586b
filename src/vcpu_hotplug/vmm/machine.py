"""The machine: hardware boundary, vCPUs, GICv3, PSCI, CPU hotplug block, GED, admin operations.

The memory map and interrupt numbers are QEMU ``virt``'s (``hw/arm/virt.c``
``base_memmap``/``a15irqmap``), with the CPU hotplug register block where the
arm64 RFC puts it (0x090C0000, as in ``reference-tables/qemu-rfc-v5``).

Admin operations (what the management plane calls; QMP ``device_add`` /
``device_del`` of a vCPU map to them):

- Before the machine has started (:meth:`Machine.start`, when firmware hands
  the boot vCPU to the guest; QEMU's ``-S`` prelaunch), an operation is a
  *cold* plug or unplug: the admin state changes and nothing is signalled,
  since no guest is running to be told; the guest then boots with the vCPU
  as its ``_STA`` says. (The arm64 RFC raises an insert event in prelaunch
  that the guest's first scan then reports, ahead of a later eject.)

- :meth:`Machine.enable`: the vCPU becomes ENABLED at once, its insert event
  is raised in the register block and the GED pulses its interrupt (event
  0x8). The guest's ``_EVT`` then issues ``Notify(Cxxx, 1)``; ``_STA`` reads
  0x0F; the guest may ``CPU_ON`` it.
- :meth:`Machine.disable`: the remove event is raised and the GED pulses.
  The vCPU stays ENABLED until the guest *ejects* it (``_EJ0`` writes the
  eject bit, as in QEMU). Linux offlines the CPU first (``CPU_OFF`` from the
  dying vCPU) and then calls ``_EJ0``; the eject completes when both have
  happened: an eject written while the vCPU is still powered on waits for its
  ``CPU_OFF``, which then completes it (a running CPU is never pulled). On
  completion the vCPU is DISABLED, ``_STA`` reads 0x0D, ``CPU_ON`` is DENIED
  again, and the "device deleted" observers run.
- If the guest does not complete within ``unplug_timeout_ns`` of simulated
  time, or reports a failing ``_OST`` for the eject (status other than 0
  and 0x84 "in progress"), the request fails: the remove event and the eject
  permission are withdrawn, the vCPU stays ENABLED (nothing half-changed),
  and the "unplug failed" observers run.

Power and reset (:meth:`Machine.reset`, for the guest's PSCI ``SYSTEM_RESET``
and the host's QMP ``system_reset`` alike; PSCI ``SYSTEM_OFF``):

- A reset stops every vCPU and starts the boot vCPU again; whoever runs a
  guest on the machine boots a new one (the ``reset`` observers; ``System``
  does it). The firmware tables are never rewritten, so the new guest boots
  on the same MADT and learns the dynamic state from ``_STA``.
- The administrator's policy stands: a vCPU's admin state is not reset, so a
  hot-added vCPU is still ENABLED and the new guest brings it online at boot,
  and a cold- or hot-removed one stays DISABLED. (QEMU keeps a hot-plugged
  CPU device across reset; the arm64 RFC V6 review found a QEMU bug that lost
  it, which is what this rule guards against.)
- A pending unplug is **re-signalled to the new guest**, never completed
  against it and never dropped. QEMU's ACPI CPU hotplug state has no reset
  handler: ``hw/acpi/cpu.c`` ``cpu_hotplug_hw_init`` zero-fills the
  ``AcpiCpuStatus`` array once at realize, and the GED's reset
  (``hw/acpi/generic_event_device.c`` ``ged_reset_hold``) resets only PCI
  hotplug, so ``is_removing`` (set by ``acpi_cpu_unplug_request_cb``) and
  ``is_inserting`` (``acpi_cpu_plug_cb``) survive a reset and the new guest's
  next ``CSCN`` scan reports them: its ``Notify(Eject Request)`` is the same
  request. The QMP device stays in unplug (QEMU's ``qdev_unplug`` state is not
  reset either); the unplug ends in exactly one ``DEVICE_DELETED`` (the new
  guest ejects) or ``DEVICE_UNPLUG_GUEST_ERROR`` (it refuses, or the timeout,
  which keeps running from the ``device_del``, expires). The same holds for
  every step the old guest had reached (Notify, ``_OST 0x84``, ``CPU_OFF``):
  the new guest knows nothing of them, so it starts from the request. Two
  things go further than QEMU, where the request survives only while
  ``is_removing`` is set: once the old guest's scan has cleared it (the AML
  clears the event after its ``Notify``) a reset loses the request, and the
  device stays in unplug with no event ever. So every pending unplug's remove
  event is raised again at reset; and, where QEMU leaves surviving events to
  the next GED interrupt (the pulse itself is lost in the GIC's reset), this
  machine re-announces them once, when the new guest unmasks the GED's
  interrupt (its GED driver is then listening), so a pending request does not
  wait for an unrelated event or run into its timeout.
- The one exception is an eject the guest *did* perform: ``_EJ0`` written
  while the vCPU was still on. In QEMU that write completes the unplug at once
  (``cpu_hotplug_wr``, flags bit 3: ``hotplug_handler_unplug`` and
  ``object_unparent``, hence ``DEVICE_DELETED``); this machine only waited for
  the vCPU to stop, which the reset (or ``SYSTEM_OFF``) does. So it completes
  then, before the new guest boots, which finds the vCPU disabled (``_STA``
  0x0D). It is never left pending into the next boot, where the new guest's
  first ``CPU_OFF`` of that vCPU would have completed an eject it never asked
  for while it still had the CPU registered.
- ``SYSTEM_OFF``: every vCPU stops and none can start again (PSCI ``CPU_ON``
  answers ``DENIED``) until a reset; eject-written unplugs complete as above;
  other pending unplugs stay, for the guest booted by the next reset (their
  timeout keeps running while the clock does).
- ``reboot_shuts_down`` (QEMU ``-no-reboot``, or QMP ``set-action
  reboot=shutdown``): the guest's ``SYSTEM_RESET`` powers the machine off as
  ``SYSTEM_OFF`` does (``system/runstate.c`` ``qemu_system_reset_request``
  turns it into a shutdown request, cause ``guest-reset``); a host reset
  still resets.

Every step is traced (VMM_LOG) on the machine's one trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vcpu_hotplug.acpi.notify import OstEvent, OstStatus
from vcpu_hotplug.arm.gic import PPI_BASE, SPI_BASE
from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.clock import NS_PER_S, ScheduledEvent
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.cpuhp import CPUHP_REGION_SIZE, CpuHotplugRegisters
from vcpu_hotplug.vmm.errors import (AlreadyDisabledError, AlreadyEnabledError, BootVcpuError, ColdBootedVcpuError,
                                     ConfigError, EjectPendingError, UnknownVcpuError)
from vcpu_hotplug.vmm.ged import GED_REGION_SIZE, GedEvent, GenericEventDevice
from vcpu_hotplug.vmm.gic import GicV3
from vcpu_hotplug.vmm.psci import DEFAULT_CPU_ON_DELAY_NS, PsciFirmware, SystemEvent
from vcpu_hotplug.vmm.smp import SmpConfig, parse_smp
from vcpu_hotplug.vmm.topology import Topology, VcpuTopology
from vcpu_hotplug.vmm.vcpu import BOOT_VCPU, AdminState, PowerState, Vcpu, VcpuSet

GiB = 1 << 30


@dataclass(frozen=True)
class VirtMemoryMap:
    """QEMU ``virt`` addresses (``base_memmap``, ``extended_memmap``) the machine uses or describes."""

    gic_dist: tuple[int, int] = (0x0800_0000, 0x0001_0000)
    gic_its: tuple[int, int] = (0x0808_0000, 0x0002_0000)
    gic_redist: tuple[int, int] = (0x080A_0000, 0x00F6_0000)
    """Room for 123 redistributor frames."""
    uart: tuple[int, int] = (0x0900_0000, 0x0000_1000)
    ged: tuple[int, int] = (0x0908_0000, GED_REGION_SIZE)
    cpuhp: tuple[int, int] = (0x090C_0000, CPUHP_REGION_SIZE)
    ram_base: int = 0x4000_0000
    high_gic_redist2: tuple[int, int] = (0x40_0000_0000, 0x0400_0000)
    """VIRT_HIGH_GIC_REDIST2 at 256 GiB: the frames beyond the first 123."""


VIRT_MEMMAP = VirtMemoryMap()

GED_SPI = 9
"""a15irqmap[VIRT_ACPI_GED]."""

GED_INTID = SPI_BASE + GED_SPI
"""The GED's GSI/INTID (41), as its ``_CRS`` states it."""

UART_SPI = 1
"""a15irqmap[VIRT_UART] (for tables that describe the console)."""

NUM_SPIS = 256
"""QEMU virt's NUM_IRQS."""


@dataclass(frozen=True)
class VirtPpis:
    """Per-CPU interrupts QEMU virt describes (``include/hw/arm/virt.h``), as INTIDs.

    They go to the MADT GICC (performance, VGIC maintenance) and the GTDT
    (timers); the values match ``reference-tables/qemu-rfc-v5``.
    """

    pmu: int = PPI_BASE + 7                    # VIRTUAL_PMU_IRQ -> 23
    vgic_maintenance: int = PPI_BASE + 9       # ARCH_GIC_MAINT_IRQ -> 25
    timer_ns_el2: int = PPI_BASE + 10          # ARCH_TIMER_NS_EL2_IRQ -> 26
    timer_virt: int = PPI_BASE + 11            # ARCH_TIMER_VIRT_IRQ -> 27
    timer_ns_el2_virt: int = PPI_BASE + 12     # ARCH_TIMER_NS_EL2_VIRT_IRQ -> 28
    timer_s_el1: int = PPI_BASE + 13           # ARCH_TIMER_S_EL1_IRQ -> 29
    timer_ns_el1: int = PPI_BASE + 14          # ARCH_TIMER_NS_EL1_IRQ -> 30


VIRT_PPIS = VirtPpis()

DEFAULT_RAM_SIZE = 1 * GiB
DEFAULT_UNPLUG_TIMEOUT_NS = 5 * NS_PER_S
"""How long a disable waits for the guest's eject (libvirt waits 5 s for DEVICE_DELETED)."""


COLD_BOOTED_REFUSAL = "Hot-unplug of cold-booted CPU not supported!"
"""QEMU RFC V5 ``hw/arm/virt.c`` ``virt_cpu_unplug_request``: a CPU realized before the machine
was ready (``!dev->hotplugged``, ``cs->cold_booted``) is refused, before the boot-CPU check, "as a
temporary mitigation" while its MADT cannot mark a CPU both Enabled and Online Capable."""


@dataclass(frozen=True)
class MachineConfig:
    """What a machine is built from. ``smp`` accepts QEMU ``-smp`` text or an :class:`SmpConfig`."""

    smp: SmpConfig | str | int = "1"
    ram_size: int = DEFAULT_RAM_SIZE
    unplug_timeout_ns: int = DEFAULT_UNPLUG_TIMEOUT_NS
    cpu_on_delay_ns: int = DEFAULT_CPU_ON_DELAY_NS
    memmap: VirtMemoryMap = VIRT_MEMMAP
    ged_gsi: int = GED_INTID
    """The interrupt the GED raises (its ``_CRS``); QEMU virt's by default, another VMM's tables may name another."""
    unplug_cold_booted: bool = True
    """False: refuse to disable a vCPU enabled when the machine was built, as QEMU RFC V5 does
    (:data:`COLD_BOOTED_REFUSAL`; the ``qemu-rfc-v5`` profile)."""
    unplug_request_stands: bool = False
    """True: an unplug request stands until the guest ejects the vCPU, as in QEMU: no timeout, a
    failing eject ``_OST`` is only reported (QEMU's ``hw/acpi/cpu.c`` forwards it as
    ``ACPI_DEVICE_OST`` and nothing else), and a repeated request raises the remove event and the
    GED interrupt again (``acpi_cpu_unplug_request_cb``; ``qmp_device_del`` refuses a repeat only
    for a device with ``pending_deleted_event``, which a CPU sets only when it is unrealized). The
    ``qemu-rfc-v5`` profile. False: a request is one attempt, failed by the guest's refusal or the
    timeout, and a repeat while it is pending is refused."""
    guest_may_eject: bool = False
    """True: the guest may eject any enabled vCPU but the boot one without an unplug request, as
    QEMU's register block lets it (``hw/acpi/cpu.c`` ``cpu_hotplug_wr``); it completes as an unplug
    does (``DEVICE_DELETED``), once the vCPU is off. The ``qemu-rfc-v5`` profile."""
    cpuhp_fast: bool = True
    """True: the CPU hotplug block decodes the fast path beside QEMU's registers (64 KiB at the same
    base, :mod:`vcpu_hotplug.vmm.cpuhp`); False: QEMU's 12 bytes only (the ``qemu-rfc-v5`` profile)."""

    @property
    def smp_config(self) -> SmpConfig:
        return self.smp if isinstance(self.smp, SmpConfig) else parse_smp(self.smp)


@dataclass(frozen=True)
class DeviceDeleted:
    """An eject completed: the vCPU is now disabled (QMP DEVICE_DELETED)."""

    cpu: int
    time_ns: int


@dataclass(frozen=True)
class OstReport:
    """The guest wrote an _OST status for a vCPU (QMP ACPI_DEVICE_OST)."""

    cpu: int
    source: int
    status: int
    time_ns: int


@dataclass(frozen=True)
class UnplugFailed:
    """A disable did not complete; the vCPU stays enabled. ``status`` is the failing _OST status, if any."""

    cpu: int
    reason: str
    time_ns: int
    status: int | None = None


@dataclass
class UnplugRequest:
    """A disable waiting for the guest."""

    cpu: int
    requested_ns: int
    timeout: ScheduledEvent | None = None
    eject_written: bool = False
    """The guest wrote the eject bit while the vCPU was still powered on."""


@dataclass
class Observers:
    """Callbacks for the management plane (lists: append yours).

    They are host code called from inside a guest step, through
    :class:`~vcpu_hotplug.hw.observers.HostFaults`: a callback that raises
    never fails the guest's access; the fault is re-raised on the host side.
    """

    device_deleted: list[Callable[[DeviceDeleted], None]] = field(default_factory=list)
    ost: list[Callable[[OstReport], None]] = field(default_factory=list)
    unplug_failed: list[Callable[[UnplugFailed], None]] = field(default_factory=list)
    system: list[Callable[[SystemEvent], None]] = field(default_factory=list)
    """PSCI SYSTEM_OFF / SYSTEM_RESET, after the machine has acted on it (QMP SHUTDOWN / RESET)."""
    reset: list[Callable[[], None]] = field(default_factory=list)
    """After every reset, the guest's or the host's: the boot vCPU runs firmware again (boot a new guest)."""


@dataclass(frozen=True)
class VcpuStatus:
    """One row of :meth:`Machine.vcpu_status` (for ``query-cpus-fast``, the CLI, metrics)."""

    topology: VcpuTopology
    """Where the vCPU sits (index, topology ids, MPIDR)."""
    admin: AdminState
    power: PowerState
    unplug_pending: bool

    @property
    def index(self) -> int:
        return self.topology.index


TOPOLOGY_ID_NAMES = ("socket_id", "cluster_id", "core_id", "thread_id")
_LEVEL_OF_ID = dict(zip(TOPOLOGY_ID_NAMES, ("sockets", "clusters", "cores", "threads")))


class Machine:
    """An arm64 ``virt`` machine whose firmware is the VMM.

    ``hw`` is the hardware boundary to build on (a fresh one by default);
    pass the same boundary to a guest to run it on this machine. ``started``
    False builds it stopped before its guest runs (QEMU ``-S``): admin
    operations are cold until :meth:`start`.
    """

    def __init__(self, config: MachineConfig | None = None, hw: HardwareBoundary | None = None,
                 *, started: bool = True) -> None:
        self.config = config or MachineConfig()
        if self.config.unplug_timeout_ns <= 0:
            raise ConfigError("unplug_timeout_ns", "must be a positive number of nanoseconds")
        if self.config.cpu_on_delay_ns < 0:
            raise ConfigError("cpu_on_delay_ns", "must not be negative")
        if self.config.ram_size <= 0:
            raise ConfigError("ram_size", "must be a positive number of bytes")
        self.smp = self.config.smp_config
        self.memmap = self.config.memmap
        self.hw = hw or HardwareBoundary()
        self.topology = Topology(self.smp)
        self.vcpus = VcpuSet(self.topology)
        self.cold_booted = frozenset(v.index for v in self.vcpus if v.enabled)
        """vCPUs enabled when the machine was built (QEMU's ``cold_booted``; a cold plug before
        :meth:`start` is a QMP ``device_add`` and, as in QEMU, not cold-booted)."""
        self.observers = Observers()
        self._unplugs: dict[int, UnplugRequest] = {}

        mm = self.memmap
        self.gic = GicV3(self.hw.bus, self.hw.irq, self.vcpus, mm.gic_dist[0],
                         [mm.gic_redist, mm.high_gic_redist2], NUM_SPIS)
        ram_end = mm.ram_base + self.config.ram_size
        self.psci = PsciFirmware(self.vcpus, self.hw.clock, self.hw.vcpus, self.trace,
                                 valid_entry=lambda address: mm.ram_base <= address < ram_end,
                                 cpu_on_delay_ns=self.config.cpu_on_delay_ns)
        self.psci.attach(self.hw.hvc)
        self.psci.on_cpu_off.append(self._cpu_powered_off)
        self.psci.on_system_event.append(self._system_event)
        self.powered_off = False
        """Set by PSCI SYSTEM_OFF, cleared by :meth:`reset`."""
        self.reboot_shuts_down = False
        """QEMU ``-no-reboot`` / ``set-action reboot=shutdown``: the guest's SYSTEM_RESET powers off."""
        self.resets = 0
        """Resets since creation."""
        self._announce_after_reset = False
        """Hotplug events survived a reset: re-announce them when the new guest unmasks the GED's interrupt."""
        self.started = started
        """Set by :meth:`start`: a guest runs, so admin operations are signalled to it."""
        self.cpuhp = CpuHotplugRegisters(self.vcpus, self.trace, boot_vcpu=BOOT_VCPU,
                                         guest_may_eject=self.config.guest_may_eject,
                                         fast=self.config.cpuhp_fast)
        self.cpuhp.on_eject.append(self._eject_written)
        self.cpuhp.on_ost.append(self._ost_written)
        self.hw.bus.map(mm.cpuhp[0], self.cpuhp.size, self.cpuhp, self.cpuhp.name)
        self.ged = GenericEventDevice(lambda: self.gic.raise_spi(self.config.ged_gsi, "ged"), self.trace)
        self.hw.bus.map(mm.ged[0], mm.ged[1], self.ged, self.ged.name)
        self.gic.on_spi_enabled.append(self._spi_enabled)

    # shortcuts to the boundary ------------------------------------------

    @property
    def clock(self):
        return self.hw.clock

    @property
    def trace(self):
        return self.hw.trace

    @property
    def bus(self):
        return self.hw.bus

    @property
    def memory(self):
        return self.hw.memory

    def _log(self, message: str) -> None:
        self.trace.log(TraceKind.VMM_LOG, message)

    # power -------------------------------------------------------------------

    def start(self) -> None:
        """Firmware hands the boot vCPU to the guest: from now on admin operations are hotplug."""
        if not self.started:
            self.started = True
            self._log("machine started: admin operations are signalled to the guest")

    def reset(self) -> None:
        """Warm reset (the guest's PSCI SYSTEM_RESET, or the host's QMP ``system_reset``).

        The boot vCPU runs again and every other vCPU is off; the semantics
        are the module's "Power and reset": admin policy survives, an unplug
        whose ``_EJ0`` was written completes now, every other pending unplug
        stays (its timeout keeps running, its remove event is raised again) and
        the register block's events,
        with the selector (QEMU's spec: "on reset it keeps the current
        value"), survive to be re-announced to the new guest. The GED
        selector is cleared and the GIC is as at power-on (a GED interrupt
        left pending is lost: the re-announcement replaces it). The ``reset``
        observers run last.
        """
        self._stop_all_vcpus()
        boot = self.vcpus[BOOT_VCPU]
        boot.power = PowerState.ON
        boot.starts += 1
        self.ged.selector = 0
        self.gic.reset()
        self.powered_off = False
        self.psci.reset()
        self.resets += 1
        for i in self._unplugs:
            self.cpuhp.request_remove(i)        # the old guest's scan may have cleared it
        self._announce_after_reset = bool(self.cpuhp.pending_events())
        pending = self.pending_unplugs()
        self._log("machine reset: boot vCPU running, all others off"
                  + (f"; unplug of vCPU {', '.join(map(str, pending))} re-signalled to the next guest"
                     if pending else ""))
        self.hw.faults.dispatch(self.observers.reset)

    def _stop_all_vcpus(self) -> None:
        """Every vCPU stops; an unplug whose eject the guest wrote completes (see the module's docstring)."""
        for vcpu in self.vcpus:
            vcpu.power = PowerState.OFF
            vcpu.entry_point = vcpu.context_id = None
        for i in sorted(self._unplugs):
            if self._unplugs[i].eject_written:
                self._log(f"vCPU {i} stopped with its eject written: the eject completes")
                self._complete(i)

    def _spi_enabled(self, intid: int) -> None:
        if intid != self.config.ged_gsi or not self._announce_after_reset:
            return
        self._announce_after_reset = False
        if self.cpuhp.pending_events():
            self._log("the guest unmasked the GED interrupt: re-announcing hotplug events from before the reset")
            self.ged.event(GedEvent.CPU_HOTPLUG)

    def power_button(self) -> None:
        """The power button (QEMU ``system_powerdown``, hw/arm/virt.c ``virt_powerdown_req``):
        the GED's power-down event. What follows is the guest's business: its ``_EVT`` must
        handle the event and its OS must act on it (our DSDT declares no power button)."""
        self._log("power button pressed")
        self.ged.event(GedEvent.PWR_DOWN)

    def _system_event(self, event: SystemEvent) -> None:
        if event is SystemEvent.RESET and not self.reboot_shuts_down:
            self.reset()
        else:
            self.powered_off = True
            self._stop_all_vcpus()
            why = " (the guest's reset, under -no-reboot)" if event is SystemEvent.RESET else ""
            self._log(f"machine powered off{why}: no vCPU runs until a reset")
        self.hw.faults.dispatch(self.observers.system, event)

    # admin operations ------------------------------------------------------

    def resolve(self, cpu: int | None = None, **topology_ids: int | None) -> Vcpu:
        """The vCPU named by index or by ``socket_id``/``cluster_id``/``core_id``/``thread_id``.

        A topology id may be omitted only for a level of size 1.
        """
        ids = {k: v for k, v in topology_ids.items() if v is not None}
        unknown = set(ids) - set(TOPOLOGY_ID_NAMES)
        if unknown:
            raise UnknownVcpuError(f"unknown topology id {sorted(unknown)[0]!r} "
                                   f"(expected {', '.join(TOPOLOGY_ID_NAMES)})")
        if cpu is not None:
            if ids:
                raise UnknownVcpuError("name a vCPU by index or by topology ids, not both", cpu)
            return self.vcpus[cpu]
        if not ids:
            raise UnknownVcpuError("no vCPU named: give an index or topology ids")
        values = []
        for name in TOPOLOGY_ID_NAMES:
            if name in ids:
                values.append(ids[name])
            elif getattr(self.smp, _LEVEL_OF_ID[name]) == 1:
                values.append(0)
            else:
                raise UnknownVcpuError(f"{name} is required: this machine has "
                                       f"{getattr(self.smp, _LEVEL_OF_ID[name])} {_LEVEL_OF_ID[name]}")
        return self.vcpus[self.topology.by_ids(*values).index]

    def enable(self, cpu: int | None = None, **topology_ids: int | None) -> int:
        """Hotplug: enable a disabled vCPU, raise its insert event and the GED interrupt. Returns its index."""
        vcpu = self.resolve(cpu, **topology_ids)
        i = vcpu.index
        if vcpu.enabled:
            extra = " (its unplug is still pending)" if i in self._unplugs else ""
            raise AlreadyEnabledError(f"vCPU {i} is already enabled{extra}", i)
        vcpu.admin = AdminState.ENABLED
        if not self.started:
            self._log(f"vCPU {i} enabled before start (cold plug); nothing to signal")
            return i
        self.cpuhp.request_insert(i)
        self._log(f"vCPU {i} enabled; insert event raised")
        self.ged.event(GedEvent.CPU_HOTPLUG)
        return i

    def unplug_refusal(self, index: int) -> str | None:
        """Why vCPU ``index`` can never be unplugged on this machine, before any other check; else None.

        With ``unplug_cold_booted`` False that is every cold-booted vCPU (QEMU RFC V5)."""
        if not self.config.unplug_cold_booted and index in self.cold_booted:
            return COLD_BOOTED_REFUSAL
        return None

    def disable(self, cpu: int | None = None, **topology_ids: int | None) -> int:
        """Unplug request: raise the remove event and the GED interrupt. Returns the vCPU index.

        The vCPU becomes disabled only when the guest ejects it, or the request
        fails after ``unplug_timeout_ns``; observers are told either way.
        """
        vcpu = self.resolve(cpu, **topology_ids)
        i = vcpu.index
        refusal = self.unplug_refusal(i)
        if refusal is not None:
            raise ColdBootedVcpuError(refusal, i)
        if vcpu.is_boot:
            raise BootVcpuError(f"vCPU {i} is the boot vCPU and cannot be disabled", i)
        if i in self._unplugs:
            if self.config.unplug_request_stands:
                self.cpuhp.request_remove(i)
                self._log(f"vCPU {i} unplug requested again; remove event raised")
                self.ged.event(GedEvent.CPU_HOTPLUG)
                return i
            raise EjectPendingError(f"an unplug of vCPU {i} is already pending", i)
        if not vcpu.enabled:
            raise AlreadyDisabledError(f"vCPU {i} is already disabled", i)
        if not self.started:
            self._unplugs[i] = UnplugRequest(i, self.clock.now_ns())
            self._log(f"vCPU {i} disabled before start (cold unplug)")
            self._complete(i)
            return i
        request = UnplugRequest(i, self.clock.now_ns())
        if not self.config.unplug_request_stands:
            request.timeout = self.clock.schedule(self.config.unplug_timeout_ns, lambda: self._timed_out(i),
                                                  f"unplug timeout vcpu{i}")
        self._unplugs[i] = request
        # A pending insert stays (QEMU's acpi_cpu_unplug_request_cb leaves is_inserting): the scan
        # reports it first, then the removal. Dropping it would lose the hot-add for good if this
        # unplug then fails, leaving the vCPU enabled here and unknown to the guest.
        self.cpuhp.request_remove(i)
        self._log(f"vCPU {i} unplug requested; remove event raised")
        self.ged.event(GedEvent.CPU_HOTPLUG)
        return i

    def vcpu_status(self) -> list[VcpuStatus]:
        """Every possible vCPU: where it sits, its policy, its power state, a pending unplug."""
        return [VcpuStatus(v.topology, v.admin, v.power, v.index in self._unplugs)
                for v in self.vcpus]

    def pending_unplugs(self) -> list[int]:
        """vCPUs with a disable waiting for the guest."""
        return sorted(self._unplugs)

    # eject path ------------------------------------------------------------

    def _eject_written(self, i: int) -> None:
        request = self._unplugs.get(i)
        if request is None:
            if not (self.config.guest_may_eject and self.vcpus[i].enabled and not self.vcpus[i].is_boot):
                return
            request = self._unplugs[i] = UnplugRequest(i, self.clock.now_ns())
            self._log(f"vCPU {i} ejected by the guest with no unplug requested (QEMU's block allows it)")
        if self.vcpus[i].power is not PowerState.OFF:
            request.eject_written = True
            self._log(f"vCPU {i} eject written while powered on: completes at its CPU_OFF")
            return
        self._complete(i)

    def _cpu_powered_off(self, vcpu: Vcpu) -> None:
        request = self._unplugs.get(vcpu.index)
        if request is not None and request.eject_written:
            self._complete(vcpu.index)

    def _complete(self, i: int) -> None:
        request = self._unplugs.pop(i)
        if request.timeout is not None:
            request.timeout.cancel()
        vcpu = self.vcpus[i]
        vcpu.admin = AdminState.DISABLED
        vcpu.entry_point = vcpu.context_id = None
        self.cpuhp.ejected(i)                   # the remove event stays until the guest clears it
        self._log(f"vCPU {i} ejected: disabled")
        event = DeviceDeleted(i, self.clock.now_ns())
        self.hw.faults.dispatch(self.observers.device_deleted, event)

    def _fail(self, i: int, reason: str, status: int | None = None) -> None:
        request = self._unplugs.pop(i)
        if request.timeout is not None:
            request.timeout.cancel()
        self.cpuhp.cancel_remove(i)
        self._log(f"vCPU {i} unplug failed: {reason}")
        event = UnplugFailed(i, reason, self.clock.now_ns(), status)
        self.hw.faults.dispatch(self.observers.unplug_failed, event)

    def _timed_out(self, i: int) -> None:
        if i in self._unplugs:
            self._fail(i, f"guest did not eject within {self.config.unplug_timeout_ns} ns")

    def _ost_written(self, i: int, source: int, status: int) -> None:
        report = OstReport(i, source, status, self.clock.now_ns())
        self.hw.faults.dispatch(self.observers.ost, report)
        failing = status not in (OstStatus.SUCCESS, OstStatus.EJECT_IN_PROGRESS)
        if i in self._unplugs and source in (OstEvent.EJECT_REQUEST, OstEvent.OSPM_EJECT) and failing:
            if self.config.unplug_request_stands:
                self._log(f"vCPU {i}: the guest refused the eject (_OST status {status:#x}); the request stands")
                return
            self._fail(i, f"guest reported _OST source {source:#x} status {status:#x}", status)
