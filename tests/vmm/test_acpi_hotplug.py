"""The VMM's DSDT driven by a scripted guest stand-in, against the live machine.

The stand-in uses only the hardware boundary, as a guest would: it finds the
DSDT from the RSDP in guest memory, runs the AML in our interpreter with its
regions on the MMIO bus (a small RegionHandler adapter), takes the GED's
interrupt on its line, and calls PSCI over HVC. Processor devices are
``\\_SB.Cxxx`` (``\\_SB.C003`` for vCPU 3).
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.acpi.aml import Interpreter, RegionSpace
from vcpu_hotplug.acpi.device_status import ProcessorStatus
from vcpu_hotplug.acpi.fadt import Fadt
from vcpu_hotplug.acpi.notify import NotifyValue, OstEvent, OstStatus
from vcpu_hotplug.acpi.rsdp import RSDP_V2_LENGTH, Rsdp
from vcpu_hotplug.acpi.xsdt import Xsdt
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.dsdt import cpu_device_path
from vcpu_hotplug.vmm.firmware_tables import install_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState

ENTRY = 0x4008_0000
"""A secondary entry point in guest RAM."""


class BusRegions:
    """RegionHandler adapter: SystemMemory regions are loads/stores on the MMIO bus (VM exits)."""

    def __init__(self, hw: HardwareBoundary) -> None:
        self.bus = hw.bus

    def read(self, space, address, size):
        assert space == RegionSpace.SYSTEM_MEMORY, f"unexpected region space {space!r}"
        return self.bus.read(address, size)

    def write(self, space, address, size, value):
        assert space == RegionSpace.SYSTEM_MEMORY, f"unexpected region space {space!r}"
        self.bus.write(address, size, value)


def read_table(hw: HardwareBoundary, address: int) -> bytes:
    return hw.memory.read(address, hw.memory.read_u32(address + 4))


class GuestStandIn:
    """What the guest's ACPI code does at the boundary, scripted. Interrupts run ``_EVT`` when drained."""

    def __init__(self, hw: HardwareBoundary, rsdp_address: int) -> None:
        self.hw = hw
        rsdp = Rsdp.decode(hw.memory.read(rsdp_address, RSDP_V2_LENGTH))
        xsdt = Xsdt.decode(read_table(hw, rsdp.xsdt_address))
        fadt = next(Fadt.decode(t) for t in (read_table(hw, a) for a in xsdt.entries) if t[:4] == b"FACP")
        self.aml = Interpreter(handler=BusRegions(hw), notify=self._notified)
        self.aml.load(read_table(hw, fadt.x_dsdt))
        assert self.aml.load_errors == []
        self.notifies: list[tuple[str, int]] = []
        self.pending_irqs: list[int] = []
        hw.irq.register(GED_INTID, self.pending_irqs.append)

    def _notified(self, path: str, value: int) -> None:
        self.notifies.append((path, value))
        self.hw.trace.record(TraceKind.NOTIFY, path=path, value=value)

    def handle_interrupts(self) -> list[tuple[str, int]]:
        """Run the GED's ``_EVT`` once per interrupt taken (Linux's threaded handler); the new Notifies."""
        before = len(self.notifies)
        while self.pending_irqs:
            self.aml.evaluate("\\_SB.GED._EVT", self.pending_irqs.pop(0))
        return self.notifies[before:]

    def sta(self, cpu: int) -> int:
        return self.aml.evaluate(f"{cpu_device_path(cpu)}._STA")

    def cpu_on(self, cpu: int, mpidr: int) -> int:
        return self.hw.hvc.hvc(0, PsciFunction.CPU_ON, mpidr, ENTRY, cpu).ret

    def cpu_off(self, cpu: int) -> int:
        return self.hw.hvc.hvc(cpu, PsciFunction.CPU_OFF).ret


def boot(smp: str = "cpus=2,maxcpus=6") -> tuple[Machine, GuestStandIn]:
    m = Machine(MachineConfig(smp=smp))
    image = install_firmware(m)
    return m, GuestStandIn(m.hw, image.rsdp_address)


def test_boot_cpu_on_succeeds_for_an_enabled_vcpu_and_is_denied_for_a_disabled_one():
    m, guest = boot()
    assert [guest.sta(i) for i in range(6)] == [ProcessorStatus.ENABLED] * 2 + [ProcessorStatus.DISABLED] * 4
    assert guest.cpu_on(1, m.vcpus[1].mpidr) == PsciReturn.SUCCESS
    assert guest.cpu_on(3, m.vcpus[3].mpidr) == PsciReturn.DENIED


def test_hotplug_then_unplug_end_to_end():
    m, guest = boot()
    osts, deleted = [], []
    m.observers.ost.append(osts.append)
    m.observers.device_deleted.append(deleted.append)

    m.enable(3)
    assert guest.pending_irqs == [GED_INTID]                    # the GED interrupt fired
    assert guest.handle_interrupts() == [("\\_SB.C003", NotifyValue.DEVICE_CHECK)]
    assert guest.sta(3) == 0x0F
    assert m.cpuhp.pending_events() == []                        # the scan acknowledged the insert
    guest.aml.evaluate("\\_SB.C003._OST", OstEvent.DEVICE_CHECK, OstStatus.SUCCESS, b"")
    assert guest.cpu_on(3, m.vcpus[3].mpidr) == PsciReturn.SUCCESS
    m.clock.advance_ns(m.config.cpu_on_delay_ns)

    m.disable(3)
    assert guest.handle_interrupts() == [("\\_SB.C003", NotifyValue.EJECT_REQUEST)]
    assert guest.sta(3) == 0x0F                                  # still enabled until ejected
    guest.aml.evaluate("\\_SB.C003._OST", OstEvent.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS, b"")
    assert guest.cpu_off(3) == PsciReturn.SUCCESS               # Linux offlines it first
    guest.aml.evaluate("\\_SB.C003._EJ0", 1)
    assert guest.sta(3) == 0x0D
    assert m.vcpus[3].admin is AdminState.DISABLED and [d.cpu for d in deleted] == [3]
    assert guest.cpu_on(3, m.vcpus[3].mpidr) == PsciReturn.DENIED

    assert [(o.cpu, o.source, o.status) for o in osts] == [(3, 0x01, 0x00), (3, 0x03, 0x84)]
    assert m.trace.count(TraceKind.NOTIFY) == 2 and m.trace.count(TraceKind.OST) == 2


def test_one_interrupt_scan_handles_every_pending_event():
    m, guest = boot("cpus=2,maxcpus=8")
    for cpu in (2, 5, 7):
        m.enable(cpu)
    m.disable(1)
    notifies = guest.handle_interrupts()
    assert sorted(notifies) == [("\\_SB.C001", 3), ("\\_SB.C002", 1), ("\\_SB.C005", 1), ("\\_SB.C007", 1)]
    assert len(notifies) == 4                                    # the later _EVTs find ESEL clear
    assert m.cpuhp.pending_events() == []


@pytest.mark.parametrize("maxcpus", [8, 64, 512])
def test_one_hotplug_costs_the_same_register_accesses_whatever_maxcpus(maxcpus):
    m, guest = boot(f"cpus=1,maxcpus={maxcpus}")
    m.bus.reset_counters()
    m.enable(maxcpus - 1)
    guest.handle_interrupts()
    assert m.bus.exits_by_device == {"ged": 1, "cpuhp": 1}    # the GED read, one fast *next event* read
    m.bus.reset_counters()
    assert guest.sta(maxcpus - 1) == 0x0F
    assert m.bus.exits == 1                                   # its byte of the fast status window


def test_notify_dispatch_grows_with_log_maxcpus_not_maxcpus():
    costs = {}
    for maxcpus in (8, 512):
        m, guest = boot(f"cpus=1,maxcpus={maxcpus}")
        m.enable(maxcpus - 1)
        before = guest.aml.opcodes_executed
        guest.handle_interrupts()
        costs[maxcpus] = guest.aml.opcodes_executed - before
    # 6 more tree levels: a few opcodes each, not 504 more If comparisons
    assert 0 < costs[512] - costs[8] <= 6 * 8


def test_the_boot_vcpu_has_no_ej0_and_others_do():
    m, guest = boot("cpus=3,maxcpus=6")
    assert not guest.aml.exists("\\_SB.C000._EJ0")
    assert all(guest.aml.exists(f"{cpu_device_path(i)}._EJ0") for i in range(1, 6))


def test_ej0_the_vmm_did_not_ask_for_changes_nothing():
    m, guest = boot()
    guest.aml.evaluate("\\_SB.C001._EJ0", 1)
    assert guest.sta(1) == 0x0F and m.vcpus[1].enabled


def test_a_failing_ost_for_an_eject_reaches_the_vmm_and_keeps_the_vcpu():
    m, guest = boot()
    failed = []
    m.observers.unplug_failed.append(failed.append)
    m.disable(1)
    guest.handle_interrupts()
    guest.aml.evaluate("\\_SB.C001._OST", OstEvent.EJECT_REQUEST, OstStatus.DEVICE_BUSY, b"")
    assert [(f.cpu, f.status) for f in failed] == [(1, OstStatus.DEVICE_BUSY)]
    assert guest.sta(1) == 0x0F
