"""The whole system: a VMM machine, its firmware tables and a Linux guest, wired together.

The one place that knows both sides. :meth:`System.build` creates a
:class:`~vcpu_hotplug.vmm.machine.Machine` on a fresh
:class:`~vcpu_hotplug.hw.HardwareBoundary`, places the ACPI tables in guest
memory (RSDP, XSDT, FADT, MADT, PPTT, GTDT, DSDT), hands the guest the RSDP
address as UEFI would, and boots it. After that the two sides meet only at
the hardware boundary: MMIO, HVC, interrupts, the vCPU start port.

Tables: the VMM's own firmware image (:mod:`vcpu_hotplug.vmm.firmware_tables`:
every possible vCPU in the MADT, Enabled or Online Capable; always-on GICR
ranges; the ``-smp`` topology in the PPTT; the hotplug DSDT), or any set of
tables the caller brings (:func:`place_tables`, e.g. QEMU's real ones).

Time is simulated: an admin operation (enable/disable) only starts things;
:meth:`System.run_until_idle` lets the guest react until nothing is left on
the clock. Tests, the CLI and the QMP server all use this module.

Resets: whenever the machine resets (the guest's PSCI ``SYSTEM_RESET``, e.g.
``reboot``, or the host's :meth:`System.reset`, QMP ``system_reset``) the
firmware starts the boot vCPU again, and the system boots a fresh kernel with
the same configuration on the same tables, as the next event on the clock
(so it boots whoever runs the clock, like a real VM). The old kernel is gone:
it let go of the hardware (or is detached from it by a host reset) and the
work it had queued never runs. After the guest's ``SYSTEM_OFF`` nothing boots
until a reset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vcpu_hotplug.acpi.fadt import Fadt
from vcpu_hotplug.acpi.header import HEADER_LENGTH, LENGTH_OFFSET
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.acpi.rsdp import RSDP_V2_LENGTH, Rsdp
from vcpu_hotplug.acpi.xsdt import Xsdt
from vcpu_hotplug.guest import GuestConfig, Kernel
from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.clock import ScheduledEvent
from vcpu_hotplug.hw.memory import GuestMemory
from vcpu_hotplug.vmm.firmware_tables import FirmwareOptions, install_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine, MachineConfig, VirtMemoryMap

TABLES_OFFSET = 0x0800_0000
"""Tables go 128 MiB into RAM (UEFI's ACPI reclaim memory; clear of the kernel image)."""
TABLE_ALIGN = 16


def _align(value: int) -> int:
    return (value + TABLE_ALIGN - 1) // TABLE_ALIGN * TABLE_ALIGN


def place_tables(memory: GuestMemory, tables: list[bytes], base: int, oem_id: str = "VCPUHP") -> int:
    """Write ``tables`` to guest memory at ``base`` with an XSDT and RSDP; returns the RSDP address.

    The XSDT lists every table but the DSDT; a FADT (``FACP``) in ``tables``
    is re-encoded with ``X_DSDT`` pointing at the placed DSDT (and the
    32-bit ``DSDT`` field zeroed, as ACPI 6.5 asks when X_DSDT is used).
    """
    by_sig = [(bytes(t[:4]).decode("latin-1"), bytes(t)) for t in tables]
    pos = _align(base + RSDP_V2_LENGTH)
    xsdt_at = pos
    listed = [(s, d) for s, d in by_sig if s != "DSDT"]
    pos = _align(xsdt_at + HEADER_LENGTH + Xsdt.ENTRY_SIZE * len(listed))
    dsdt_at = None
    addresses: dict[int, int] = {}
    for i, (sig, data) in enumerate(by_sig):
        addresses[i] = pos
        if sig == "DSDT":
            dsdt_at = pos
        pos = _align(pos + int.from_bytes(data[LENGTH_OFFSET:LENGTH_OFFSET + 4], "little"))
    entries = []
    for i, (sig, data) in enumerate(by_sig):
        if sig == "FACP" and dsdt_at is not None:
            fadt = decode_table(data, lenient=True)
            assert isinstance(fadt, Fadt)
            if fadt.x_dsdt is not None:
                fadt.x_dsdt = dsdt_at
                if fadt.dsdt is not None:
                    fadt.dsdt = 0
            elif fadt.dsdt is not None:
                fadt.dsdt = dsdt_at
            data = fadt.encode()
        memory.write(addresses[i], data)
        if sig != "DSDT":
            entries.append(addresses[i])
    xsdt = Xsdt.new(entries)
    xsdt.header.oem_id = oem_id
    memory.write(xsdt_at, xsdt.encode())
    memory.write(base, Rsdp(oem_id=oem_id, xsdt_address=xsdt_at).encode())
    return base


@dataclass
class GuestVcpuView:
    """The guest's masks in vCPU index terms (what the management plane compares with the VMM)."""

    possible: frozenset[int] = field(default_factory=frozenset)
    present: frozenset[int] = field(default_factory=frozenset)
    enabled: frozenset[int] = field(default_factory=frozenset)
    online: frozenset[int] = field(default_factory=frozenset)


class System:
    """A machine and a guest on one hardware boundary."""

    def __init__(self, machine: Machine, kernel: Kernel, rsdp_address: int) -> None:
        self.machine = machine
        self.kernel = kernel
        self.rsdp_address = rsdp_address
        self.boots = 0
        """Kernels booted on this system (1 after the first boot; one more per reset)."""
        self._boot_event: ScheduledEvent | None = None
        machine.observers.reset.append(self._machine_reset)

    @classmethod
    def build(cls, smp: str | int = "cpus=2,maxcpus=6", *, guest: GuestConfig | None = None,
              machine_config: MachineConfig | None = None, tables: list[bytes] | None = None,
              firmware: FirmwareOptions | None = None, boot: bool = True) -> "System":
        """Build machine + tables + guest and (by default) boot the guest until it is idle.

        ``machine_config`` overrides ``smp`` when given. By default the guest
        boots on the VMM's own firmware image
        (:func:`~vcpu_hotplug.vmm.firmware_tables.install_firmware`, shaped by
        ``firmware``); ``tables`` replaces it (they are placed as given, plus
        RSDP/XSDT).
        """
        hw = HardwareBoundary()
        machine = Machine(machine_config or MachineConfig(smp=smp), hw, started=False)
        guest = guest or GuestConfig()
        guest.boot_mpidr = machine.vcpus[guest.boot_hw_vcpu].mpidr
        if tables is None:
            rsdp = install_firmware(machine, firmware).rsdp_address
        else:
            rsdp = place_tables(hw.memory, tables, machine.memmap.ram_base + TABLES_OFFSET)
        system = cls(machine, Kernel(hw, guest), rsdp)
        if boot:
            system.boot()
        return system

    @classmethod
    def from_tables(cls, tables: list[bytes], *, maxcpus: int, enabled_at_boot: Iterable[int] = (),
                    ged_gsi: int = GED_INTID, memmap: VirtMemoryMap = VIRT_MEMMAP, guest: GuestConfig | None = None,
                    boot: bool = True) -> "System":
        """Our machine running another VMM's ``tables`` (the conformance checker's stand-in for that VMM).

        The machine has ``maxcpus`` vCPUs (KVM's default MPIDRs), the devices
        at ``memmap`` and a GED raising ``ged_gsi``, as the tables' AML
        expects them. ``enabled_at_boot`` is the VMM's boot policy: those vCPU
        indexes are enabled before the machine starts (a cold plug, as QEMU's
        ``-smp cpus=N`` or ``device_add`` in prelaunch); the boot vCPU always
        is. Then the guest boots from the tables (unless ``boot`` is False).
        """
        config = MachineConfig(smp=f"cpus=1,maxcpus={maxcpus}", memmap=memmap, ged_gsi=ged_gsi)
        system = cls.build(machine_config=config, guest=guest, tables=tables, boot=False)
        machine = system.machine
        for index in sorted(set(enabled_at_boot)):
            if not machine.vcpus[index].enabled:
                machine.enable(index)
        if boot:
            system.boot()
        return system

    # shortcuts --------------------------------------------------------------

    @property
    def hw(self) -> HardwareBoundary:
        return self.machine.hw

    @property
    def clock(self):
        return self.machine.clock

    @property
    def trace(self):
        return self.machine.trace

    @property
    def sysfs(self):
        return self.kernel.sysfs

    @property
    def knobs(self):
        return self.kernel.knobs

    # running ----------------------------------------------------------------

    def boot(self) -> None:
        """Start the machine, boot the guest from the RSDP and let it settle."""
        self.machine.start()
        self.kernel.boot(self.rsdp_address)
        self.boots += 1
        self.run_until_idle()

    def reboot(self) -> Kernel:
        """The guest runs ``reboot``: its kernel asks PSCI for SYSTEM_RESET, the machine resets (admin
        policy survives, as on QEMU) and a fresh kernel with the same configuration boots on the same
        firmware tables, which the VMM never rewrites. Returns the new kernel."""
        self.run_until_idle()
        self.kernel.restart()
        self.run_until_idle()
        return self.kernel

    def reset(self) -> None:
        """The host resets the machine (QMP ``system_reset``): the running kernel stops where it is, the
        machine resets (see :meth:`Machine.reset`) and a new kernel boots at the next run of the clock."""
        self.kernel.detach()
        self.machine.reset()

    @property
    def boot_pending(self) -> bool:
        """A reset happened and the new kernel has not booted yet."""
        return self._boot_event is not None

    def _machine_reset(self) -> None:
        """The machine's ``reset`` observer: the old kernel is gone; firmware boots a new one next."""
        self.kernel.detach()
        if self._boot_event is None:
            self._boot_event = self.clock.schedule(0, self._boot_after_reset, "firmware boots the guest")

    def _boot_after_reset(self) -> None:
        self._boot_event = None
        if self.machine.powered_off:
            return
        self.kernel = Kernel(self.hw, self.kernel.config)
        self.kernel.boot(self.rsdp_address)
        self.boots += 1

    def run_until_idle(self) -> int:
        """Fire simulated-time events until none is left (a pending unplug runs into its timeout).

        A host callback that failed meanwhile is raised afterwards as
        :class:`~vcpu_hotplug.hw.observers.HostFault`; the guest's steps completed regardless.
        """
        fired = self.clock.run_until_idle()
        self.hw.faults.raise_pending()
        return fired

    def run_for(self, ns: int) -> int:
        """Let ``ns`` of simulated time pass (host faults re-raised afterwards, as above)."""
        fired = self.clock.advance_ns(ns)
        self.hw.faults.raise_pending()
        return fired

    def enable(self, cpu: int | None = None, *, settle: bool = True, **topology_ids: int | None) -> int:
        """Admin: enable a vCPU (hot-add); with ``settle``, run until the guest is done with it."""
        index = self.machine.enable(cpu, **topology_ids)
        if settle:
            self.run_until_idle()
        return index

    def disable(self, cpu: int | None = None, *, settle: bool = True, **topology_ids: int | None) -> int:
        """Admin: request a vCPU's removal; with ``settle``, run until it is ejected or has failed."""
        index = self.machine.disable(cpu, **topology_ids)
        if settle:
            self.run_until_idle()
        return index

    # views ------------------------------------------------------------------

    def vcpu_of_cpu(self, cpu: int) -> int | None:
        """The vCPU index behind the guest's logical CPU ``cpu`` (by MPIDR)."""
        lcpu = self.kernel.cpus.get(cpu)
        if lcpu is None:
            return None
        vcpu = self.machine.vcpus.by_mpidr(lcpu.mpidr)
        return None if vcpu is None else vcpu.index

    def guest_view(self) -> GuestVcpuView:
        """The guest's possible/present/enabled/online masks as vCPU indexes."""
        def conv(mask) -> frozenset[int]:
            out = set()
            for cpu in mask:
                v = self.vcpu_of_cpu(cpu)
                if v is not None:
                    out.add(v)
            return frozenset(out)
        k = self.kernel
        return GuestVcpuView(conv(k.possible), conv(k.present), conv(k.enabled), conv(k.online))

    def vmm_enabled(self) -> frozenset[int]:
        return frozenset(self.machine.vcpus.enabled())


def build_system(smp: str | int = "cpus=2,maxcpus=6", **kw) -> System:
    """Shorthand for :meth:`System.build`."""
    return System.build(smp, **kw)


__all__ = ["GuestVcpuView", "System", "build_system", "place_tables"]
