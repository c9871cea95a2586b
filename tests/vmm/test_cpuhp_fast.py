"""The register block's fast path (docs/cpu-hotplug-registers.md) and what our AML pays on it."""

import pytest

from vcpu_hotplug.acpi.aml import load_tables
from vcpu_hotplug.acpi.notify import NotifyValue, OstEvent, OstStatus
from vcpu_hotplug.hw.errors import BusError
from vcpu_hotplug.profiles import QEMU_RFC_V5, REFERENCE
from vcpu_hotplug.vmm.cpuhp import CPUHP_FAST_REGION_SIZE, CPUHP_REGION_SIZE, CpuhpFlag, CpuhpReg, FastEvent, FastReg
from vcpu_hotplug.vmm.dsdt import notify_depth
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine
from vcpu_hotplug.vmm.vcpu import AdminState

BASE = VIRT_MEMMAP.cpuhp[0]
INSERT, REMOVE, MORE = int(FastEvent.INSERT), int(FastEvent.REMOVE), int(FastEvent.MORE)


def machine(smp="cpus=2,maxcpus=6", profile=REFERENCE) -> Machine:
    m = Machine(profile.machine_config(smp=smp))
    m.trace.enabled = False
    return m


def test_reference_maps_64_kib_and_qemu_rfc_v5_exactly_qemus_12_bytes() -> None:
    assert machine().bus.find(BASE + FastReg.OST + 8 * 5).name == "cpuhp"
    assert machine().bus.find(BASE + CPUHP_FAST_REGION_SIZE) is None
    qemu = machine(profile=QEMU_RFC_V5)
    assert qemu.bus.find(BASE + CPUHP_REGION_SIZE - 1).name == "cpuhp"
    with pytest.raises(BusError):
        qemu.bus.read(BASE + FastReg.EVENT, 4)       # real QEMU RFC V5 lacks the fast path


def test_next_event_hands_over_and_acknowledges_one_event_per_read() -> None:
    m = machine()
    m.enable(5)
    m.enable(3)
    m.bus.write(BASE + CpuhpReg.SELECTOR, 4, 1)
    assert m.bus.read(BASE + FastReg.EVENT, 4) == 3 | INSERT | MORE
    assert m.bus.read(BASE + FastReg.EVENT, 4) == 5 | INSERT
    assert m.bus.read(BASE + FastReg.EVENT, 4) == 0
    assert m.cpuhp.pending_events() == []
    assert m.cpuhp.selector == 1                       # QEMU's selector untouched
    # QEMU's view agrees: no insert left for either
    for cpu in (3, 5):
        m.bus.write(BASE + CpuhpReg.SELECTOR, 4, cpu)
        assert not m.bus.read(BASE + CpuhpReg.FLAGS, 1) & CpuhpFlag.INSERT


def test_an_event_acknowledged_through_qemus_registers_is_gone_from_the_fast_path() -> None:
    m = machine()
    m.enable(4)
    m.bus.write(BASE + CpuhpReg.SELECTOR, 4, 4)
    m.bus.write(BASE + CpuhpReg.FLAGS, 1, CpuhpFlag.INSERT)
    assert m.bus.read(BASE + FastReg.EVENT, 4) == 0


def test_narrow_reads_of_next_event_read_zero_and_acknowledge_nothing() -> None:
    m = machine()
    m.enable(4)
    assert m.bus.read(BASE + FastReg.EVENT, 1) == 0 and m.bus.read(BASE + FastReg.EVENT, 2) == 0
    assert m.cpuhp.pending_events() == [4]


def test_status_window_is_each_vcpus_sta_without_the_selector() -> None:
    m = machine()
    assert [m.bus.read(BASE + FastReg.STATUS + i, 1) for i in range(7)] == [0x0F, 0x0F, 0x0D, 0x0D, 0x0D, 0x0D, 0]
    assert m.bus.read(BASE + FastReg.STATUS, 4) == 0x0D0D_0F0F        # consecutive vCPUs, little endian
    assert m.cpuhp.selector == 0


def test_ost_window_reports_event_and_status_in_one_store_and_leaves_qemus_latch() -> None:
    m = machine()
    osts = []
    m.observers.ost.append(osts.append)
    m.bus.write(BASE + CpuhpReg.SELECTOR, 4, 2)
    m.bus.write(BASE + CpuhpReg.COMMAND, 1, 1)
    m.bus.write(BASE + CpuhpReg.COMMAND_DATA, 4, OstEvent.DEVICE_CHECK)     # QEMU's event latch of vCPU 2
    m.bus.write(BASE + FastReg.OST + 8 * 2, 8, OstEvent.EJECT_REQUEST | OstStatus.EJECT_IN_PROGRESS << 32)
    m.bus.write(BASE + FastReg.OST + 8 * 3, 4, 0x1234)                        # not an 8-byte store: ignored
    m.bus.write(BASE + FastReg.OST + 8 * 3 + 4, 8, 0x1234)                    # misaligned: ignored
    m.bus.write(BASE + CpuhpReg.COMMAND, 1, 2)
    m.bus.write(BASE + CpuhpReg.COMMAND_DATA, 4, OstStatus.SUCCESS)
    assert [(o.cpu, o.source, o.status) for o in osts] == [(2, 0x03, 0x84), (2, 0x01, 0x00)]


def test_fast_eject_follows_the_eject_bits_policy() -> None:
    m = machine()
    m.bus.write(BASE + FastReg.EJECT, 4, 0)            # the boot vCPU: never
    m.bus.write(BASE + FastReg.EJECT, 4, 1)            # nobody asked: ignored
    m.bus.write(BASE + FastReg.EJECT, 4, 99)           # no such vCPU: ignored
    assert m.vcpus[0].admin is m.vcpus[1].admin is AdminState.ENABLED
    m.disable(1)
    assert m.bus.read(BASE + FastReg.EVENT, 4) == 1 | REMOVE
    m.bus.write(BASE + FastReg.EJECT, 2, 1)            # wrong width: ignored
    assert m.vcpus[1].admin is AdminState.ENABLED
    m.bus.write(BASE + FastReg.EJECT, 4, 1)
    assert m.vcpus[1].admin is AdminState.DISABLED
    assert m.bus.read(BASE + FastReg.STATUS + 1, 1) == 0x0D


class Os:
    """Our DSDT in the interpreter on the machine bus, evaluated as Linux's acpi_device_hotplug does."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.aml = load_tables([build_firmware(m).tables["DSDT"]], handler=self)

    def read(self, space, address, size):
        return self.m.bus.read(address, size)

    def write(self, space, address, size, value):
        self.m.bus.write(address, size, value)

    def event(self) -> list[tuple[str, int]]:
        self.aml.notifications.clear()
        self.aml.evaluate("\\_SB.GED._EVT", GED_INTID)
        return list(self.aml.notifications)

    def hot_add(self) -> None:
        for path, value in self.event():
            assert value == NotifyValue.DEVICE_CHECK and self.aml.evaluate(f"{path}._STA") == 0x0F
            self.aml.evaluate(f"{path}._OST", OstEvent.DEVICE_CHECK, OstStatus.SUCCESS, b"")

    def unplug(self) -> None:
        (path, value), = self.event()
        assert value == NotifyValue.EJECT_REQUEST
        self.aml.evaluate(f"{path}._OST", OstEvent.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS, b"")
        self.aml.evaluate(f"{path}._EJ0", 1)
        assert self.aml.evaluate(f"{path}._STA") == 0x0D
        self.aml.evaluate(f"{path}._OST", OstEvent.EJECT_REQUEST, OstStatus.SUCCESS, b"")


@pytest.mark.parametrize("maxcpus", [2, 3, 8, 64, 100, 512])
def test_exits_per_event_are_at_the_floor_whatever_maxcpus(maxcpus) -> None:
    m = machine(f"cpus=1,maxcpus={maxcpus}")
    os = Os(m)
    last = maxcpus - 1
    m.bus.reset_counters()
    m.enable(last)
    os.hot_add()
    assert m.bus.exits == 4                             # GED, next event, _STA, _OST
    assert dict(m.bus.exits_by_device) == {"ged": 1, "cpuhp": 3}
    m.bus.reset_counters()
    m.disable(last)
    os.unplug()
    assert m.bus.exits == 6                             # GED, next event, _OST 0x84, _EJ0, _STA, _OST 0
    assert not m.vcpus[last].enabled
    if maxcpus > 2:
        m.bus.reset_counters()
        for cpu in range(1, maxcpus):
            m.enable(cpu)
        os.hot_add()
        assert m.bus.exits == 4 + 3 * (maxcpus - 2)     # each further vCPU of the scan: 3


def test_maxcpus_1_loads_and_its_scan_finds_nothing() -> None:
    m = machine("cpus=1,maxcpus=1")
    os = Os(m)
    assert os.aml.load_errors == [] and os.event() == []


def test_notify_dispatch_stays_logarithmic() -> None:
    ops = {}
    for maxcpus in (8, 512):
        m = machine(f"cpus=1,maxcpus={maxcpus}")
        os = Os(m)
        m.enable(maxcpus - 1)
        before = os.aml.opcodes_executed
        os.event()
        ops[maxcpus] = os.aml.opcodes_executed - before
    levels = notify_depth(512) - notify_depth(8)
    assert 0 < ops[512] - ops[8] <= 4 * levels          # per extra tree level: If, LLess and its operands
