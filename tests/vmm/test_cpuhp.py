"""The CPU hotplug register block, driven over the MMIO bus exactly as QEMU's AML drives it."""

import pytest

from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.hw.errors import BusError
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.cpuhp import CpuhpCommand, CpuhpFlag, CpuhpReg
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState

from .standin import DEVICE_CHECK, EJECT_REQUEST, AmlRegisterDriver

BASE = VIRT_MEMMAP.cpuhp[0]


def make(smp="cpus=2,maxcpus=6"):
    m = Machine(MachineConfig(smp=smp))
    return m, AmlRegisterDriver(m.bus, BASE)


def test_register_layout_is_qemus():
    assert BASE == 0x090C_0000
    assert (CpuhpReg.SELECTOR, CpuhpReg.FLAGS, CpuhpReg.COMMAND, CpuhpReg.COMMAND_DATA) == (0, 4, 5, 8)
    assert [f.value for f in CpuhpFlag] == [1, 2, 4, 8, 16, 32]
    assert [c.value for c in CpuhpCommand] == [0, 1, 2, 3]


def test_sta_reads_0f_for_enabled_and_0d_for_disabled_vcpus():
    m, aml = make()
    assert [aml.csta(i) for i in range(6)] == [0x0F, 0x0F, 0x0D, 0x0D, 0x0D, 0x0D]


def test_enable_flow_with_qemus_scan():
    m, aml = make()
    m.enable(3)
    m.bus.reset_counters()
    aml.cscn_qemu(maxcpus=6)
    assert aml.notifies == [(3, DEVICE_CHECK)]
    assert aml.csta(3) == 0x0F
    assert m.cpuhp.pending_events() == []
    assert m.bus.exits_by_device["cpuhp"] > 0


def test_enable_then_disable_flow_with_eject_and_ost():
    m, aml = make()
    deleted, osts = [], []
    m.observers.device_deleted.append(deleted.append)
    m.observers.ost.append(osts.append)
    m.enable(3)
    assert aml.drain() == [(3, DEVICE_CHECK)]
    m.disable(3)
    assert aml.drain() == [(3, EJECT_REQUEST)]
    assert aml.csta(3) == 0x0F               # still enabled until the guest ejects
    aml.cost(3, 0x03, 0x84)                  # _OST(eject request, in progress)
    aml.cej0(3)
    assert aml.csta(3) == 0x0D
    assert m.vcpus[3].admin is AdminState.DISABLED
    assert [d.cpu for d in deleted] == [3]
    assert [(o.cpu, o.source, o.status) for o in osts] == [(3, 0x03, 0x84)]
    assert m.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[3].mpidr, 0x4008_0000, 0).ret == PsciReturn.DENIED


def test_remove_event_without_ack_is_found_again():
    m, aml = make()
    m.disable(1)
    m.bus.write(BASE + CpuhpReg.COMMAND, 1, CpuhpCommand.NEXT_CPU_WITH_EVENT)
    assert m.bus.read(BASE + CpuhpReg.COMMAND_DATA, 4) == 1
    assert m.bus.read(BASE + CpuhpReg.FLAGS, 1) == CpuhpFlag.PRESENT | CpuhpFlag.ENABLED | CpuhpFlag.REMOVE
    assert aml.drain() == [(1, EJECT_REQUEST)]


def test_next_cpu_with_event_wraps_around_and_keeps_selector_when_none():
    m, aml = make("cpus=1,maxcpus=8")
    m.enable(2)
    m.enable(6)
    aml._w(0, 4, 5)
    aml._w(5, 1, 0)
    assert aml._r(8, 4) == 6
    aml._w(4, 1, CpuhpFlag.INSERT)
    aml._w(5, 1, 0)
    assert aml._r(8, 4) == 2          # wrapped past the end
    aml._w(4, 1, CpuhpFlag.INSERT)
    aml._w(5, 1, 0)
    assert aml._r(8, 4) == 2          # no event left: selector unchanged
    assert aml._r(4, 1) & (CpuhpFlag.INSERT | CpuhpFlag.REMOVE) == 0


def test_arch_id_command_returns_the_mpidr():
    m, aml = make("cpus=1,maxcpus=64")
    aml._w(0, 4, 37)
    aml._w(5, 1, CpuhpCommand.ARCH_ID)
    assert aml._r(8, 4) == m.vcpus[37].mpidr == 0x205
    assert aml._r(0, 4) == 0          # upper 32 bits
    aml._w(5, 1, CpuhpCommand.NEXT_CPU_WITH_EVENT)
    assert aml._r(0, 4) == 0          # "command data 2" reads 0: the modern interface is there


def test_selector_past_the_last_vcpu_reads_zero_and_ignores_writes():
    m, aml = make()
    m.disable(1)
    aml._w(0, 4, 6)
    assert [aml._r(off, 1) for off in range(12)] == [0] * 12
    aml._w(4, 1, CpuhpFlag.EJECT)
    aml._w(5, 1, CpuhpCommand.OST_EVENT)
    assert m.cpuhp.command is CpuhpCommand.NEXT_CPU_WITH_EVENT
    assert m.pending_unplugs() == [1]


def test_guest_cannot_eject_what_the_vmm_did_not_ask_to_remove_nor_the_boot_vcpu():
    m, aml = make("cpus=4,maxcpus=6")
    aml.cej0(2)
    aml.cej0(0)
    aml._w(0, 4, 0)
    aml._w(4, 1, CpuhpFlag.FW_EJECT)
    assert m.vcpus.enabled() == [0, 1, 2, 3]
    assert aml._r(4, 1) & CpuhpFlag.FW_EJECT == 0


def test_guest_cannot_raise_events_or_enable_through_flags():
    m, aml = make()
    aml._w(0, 4, 4)
    for value in range(256):
        aml._w(4, 1, value)
    assert m.vcpus[4].admin is AdminState.DISABLED
    assert aml._r(4, 1) == CpuhpFlag.PRESENT
    assert m.cpuhp.pending_events() == []


def test_firmware_eject_bit_is_recorded_and_cleared_by_the_eject():
    m, aml = make()
    m.disable(1)
    aml._w(0, 4, 1)
    aml._w(4, 1, CpuhpFlag.FW_EJECT)
    assert aml._r(4, 1) & CpuhpFlag.FW_EJECT
    aml._w(4, 1, CpuhpFlag.EJECT)
    assert aml._r(4, 1) == CpuhpFlag.PRESENT | CpuhpFlag.REMOVE   # the remove event waits for the guest
    aml._w(4, 1, CpuhpFlag.REMOVE)
    assert aml._r(4, 1) == CpuhpFlag.PRESENT


def test_remove_event_stays_pending_after_the_eject_until_the_guest_clears_it():
    """QEMU hw/acpi/cpu.c: acpi_cpu_unplug_cb clears is_enabled only; CRMV is the guest's to clear."""
    m, aml = make()
    deleted = []
    m.observers.device_deleted.append(deleted.append)
    m.disable(1)
    m.hw.hvc.hvc(1, PsciFunction.CPU_OFF)        # the guest offlines it
    aml.cej0(1)                                  # and ejects it without clearing CRMV first
    assert [d.cpu for d in deleted] == [1] and m.vcpus[1].admin is AdminState.DISABLED
    aml._w(0, 4, 0)
    aml._w(5, 1, CpuhpCommand.NEXT_CPU_WITH_EVENT)
    assert aml._r(8, 4) == 1                     # found again
    assert aml._r(4, 1) == CpuhpFlag.PRESENT | CpuhpFlag.REMOVE
    assert m.cpuhp.pending_events() == [1]
    aml._w(4, 1, CpuhpFlag.REMOVE)               # the guest writes it clear
    assert m.cpuhp.pending_events() == []
    aml._w(0, 4, 0)
    aml._w(5, 1, CpuhpCommand.NEXT_CPU_WITH_EVENT)
    assert aml._r(8, 4) == 0                     # no event: the selector stays
    aml.cej0(1)                                  # a second eject is not a request: ignored
    assert [d.cpu for d in deleted] == [1]


def test_a_failed_unplug_withdraws_its_remove_event():
    """The VMM gives up (timeout): unlike a completed eject, the request is taken back."""
    m, aml = make()
    m.disable(1)
    m.clock.advance_ns(m.config.unplug_timeout_ns + 1)
    assert m.pending_unplugs() == [] and m.cpuhp.pending_events() == []


def test_next_cpu_with_event_stops_at_an_eject_handed_to_firmware():
    """QEMU's command 0 loop tests is_inserting || is_removing || fw_remove."""
    m, aml = make("cpus=4,maxcpus=6")
    m.disable(3)
    aml._w(0, 4, 3)
    aml._w(4, 1, CpuhpFlag.REMOVE)               # acknowledged
    aml._w(4, 1, CpuhpFlag.FW_EJECT)             # handed to firmware
    aml._w(0, 4, 0)
    aml._w(5, 1, CpuhpCommand.NEXT_CPU_WITH_EVENT)
    assert aml._r(8, 4) == 3


@pytest.mark.parametrize("maxcpus", [8, 64, 512])
def test_one_event_costs_a_constant_number_of_exits_whatever_maxcpus(maxcpus):
    m, aml = make(f"cpus=1,maxcpus={maxcpus}")
    target = maxcpus - 1
    m.enable(target)
    m.bus.reset_counters()
    assert aml.handle_next_event() == (target, DEVICE_CHECK)
    per_event = m.bus.exits
    assert aml.handle_next_event() is None
    assert per_event == 4
    # QEMU's own scan walks the CPUs: more exits, growing with the selector
    m.enable(target - 1)
    m.bus.reset_counters()
    aml.cscn_qemu(maxcpus)
    assert m.bus.exits > per_event


def test_ost_values_reach_observers_and_the_trace_exactly():
    m, aml = make()
    seen = []
    m.observers.ost.append(seen.append)
    aml.cost(1, 0x103, 0x80)
    assert [(o.cpu, o.source, o.status) for o in seen] == [(1, 0x103, 0x80)]
    (event,) = m.trace.filter(TraceKind.OST)
    assert (event.vcpu, event.source, event.status) == (1, 0x103, 0x80)


def test_8_byte_accesses_are_not_decoded_like_qemus_block():
    m, aml = make()
    with pytest.raises(BusError, match="up to 4 bytes"):
        m.bus.read(BASE + 4, 8)
    with pytest.raises(BusError, match="up to 4 bytes"):
        m.bus.write(BASE, 8, 1)


def test_qemus_block_lets_the_guest_eject_an_unrequested_vcpu_but_the_boot_one():
    """hw/acpi/cpu.c cpu_hotplug_wr, flags bit 3: only !cdev->cpu || cdev->cpu == first_cpu is refused."""
    m = Machine(MachineConfig(smp="cpus=3,maxcpus=6", guest_may_eject=True))
    aml = AmlRegisterDriver(m.bus, BASE)
    deleted = []
    m.observers.device_deleted.append(deleted.append)
    aml.cej0(0)                                  # the boot vCPU: never
    aml.cej0(4)                                  # not plugged: nothing to eject
    m.hw.hvc.hvc(2, PsciFunction.CPU_OFF)
    aml.cej0(2)                                  # plugged, never asked to remove: ejected (QEMU)
    assert [d.cpu for d in deleted] == [2]
    assert m.vcpus.enabled() == [0, 1] and m.pending_unplugs() == []


def test_our_block_ejects_only_what_the_vmm_asked_to_remove():
    m, aml = make("cpus=3,maxcpus=6")
    m.hw.hvc.hvc(2, PsciFunction.CPU_OFF)
    aml.cej0(2)
    assert m.vcpus.enabled() == [0, 1, 2]
