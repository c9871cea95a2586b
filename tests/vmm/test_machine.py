"""Admin operations: enable/disable by index or topology ids, errors, eject, timeout, failing _OST."""

import pytest

from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.hw import HardwareBoundary
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.errors import (AdminError, AlreadyDisabledError, AlreadyEnabledError, BootVcpuError,
                                     ConfigError, EjectPendingError, UnknownVcpuError)
from vcpu_hotplug.vmm.machine import VIRT_MEMMAP, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState

from .standin import AmlRegisterDriver

TIMEOUT = 1_000_000
ENTRY = 0x4008_0000


class Recorder:
    def __init__(self, m):
        self.deleted, self.osts, self.failed = [], [], []
        m.observers.device_deleted.append(self.deleted.append)
        m.observers.ost.append(self.osts.append)
        m.observers.unplug_failed.append(self.failed.append)


def make(smp="cpus=2,maxcpus=6"):
    m = Machine(MachineConfig(smp=smp, unplug_timeout_ns=TIMEOUT))
    return m, AmlRegisterDriver(m.bus, VIRT_MEMMAP.cpuhp[0]), Recorder(m)


def online(m, i):
    assert m.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[i].mpidr, ENTRY, 0).ret == PsciReturn.SUCCESS
    m.clock.run_until_idle()


def test_all_possible_vcpus_exist_and_the_first_cpus_are_enabled():
    m, _, _ = make()
    assert len(m.vcpus) == 6
    assert [v.admin for v in m.vcpus] == [AdminState.ENABLED] * 2 + [AdminState.DISABLED] * 4
    assert m.vcpus.online() == [0]


@pytest.mark.parametrize("op, cpu, error", [
    ("enable", 6, UnknownVcpuError),
    ("disable", -1, UnknownVcpuError),
    ("enable", 1, AlreadyEnabledError),
    ("disable", 4, AlreadyDisabledError),
    ("disable", 0, BootVcpuError),
])
def test_admin_errors_are_clear_and_change_nothing(op, cpu, error):
    m, _, rec = make()
    before = [v.admin for v in m.vcpus]
    with pytest.raises(error) as info:
        getattr(m, op)(cpu)
    assert isinstance(info.value, AdminError) and str(cpu) in str(info.value)
    assert [v.admin for v in m.vcpus] == before
    assert m.ged.raised == 0 and m.cpuhp.pending_events() == []


def test_second_disable_while_pending_is_refused():
    m, _, _ = make()
    m.disable(1)
    with pytest.raises(EjectPendingError, match="already pending"):
        m.disable(1)
    with pytest.raises(AlreadyEnabledError, match="unplug is still pending"):
        m.enable(1)


def test_enable_and_disable_by_topology_ids():
    m, _, _ = make("cpus=1,maxcpus=8,sockets=2,cores=2,threads=2")
    assert m.enable(socket_id=1, core_id=0, thread_id=1) == 5
    assert m.vcpus[5].enabled
    with pytest.raises(UnknownVcpuError, match="core_id is required"):
        m.enable(socket_id=1, thread_id=1)
    with pytest.raises(UnknownVcpuError, match="no vCPU at socket-id=2"):
        m.enable(socket_id=2, core_id=0, thread_id=0)
    with pytest.raises(UnknownVcpuError, match="not both"):
        m.enable(3, socket_id=0)
    with pytest.raises(UnknownVcpuError, match="unknown topology id"):
        m.enable(die_id=0)


def test_disable_of_an_offline_vcpu_completes_at_eject():
    m, aml, rec = make()
    m.disable(1)
    assert m.vcpus[1].enabled and m.pending_unplugs() == [1]
    aml.drain()
    aml.cej0(1)
    assert m.vcpus[1].admin is AdminState.DISABLED and m.pending_unplugs() == []
    assert [d.cpu for d in rec.deleted] == [1] and rec.failed == []


def test_linux_order_cpu_off_then_eject_completes():
    m, aml, rec = make()
    online(m, 1)
    m.disable(1)
    aml.drain()
    aml.cost(1, 0x03, 0x84)
    assert m.hw.hvc.hvc(1, PsciFunction.CPU_OFF).ret == PsciReturn.SUCCESS
    assert m.vcpus[1].enabled                       # CPU_OFF alone is plain offline
    aml.cej0(1)
    assert not m.vcpus[1].enabled and [d.cpu for d in rec.deleted] == [1]


def test_eject_of_a_running_vcpu_waits_for_its_cpu_off():
    m, aml, rec = make()
    online(m, 1)
    m.disable(1)
    aml.cej0(1)
    assert m.vcpus[1].enabled and aml.csta(1) == 0x0F and rec.deleted == []
    m.hw.hvc.hvc(1, PsciFunction.CPU_OFF)
    assert not m.vcpus[1].enabled and aml.csta(1) == 0x0D and [d.cpu for d in rec.deleted] == [1]


def test_cpu_off_without_a_pending_unplug_never_disables():
    m, _, _ = make()
    online(m, 1)
    m.hw.hvc.hvc(1, PsciFunction.CPU_OFF)
    assert m.vcpus[1].enabled and m.vcpus[1].power is PowerState.OFF


def test_disable_times_out_on_the_simulated_clock_and_leaves_the_vcpu_enabled():
    m, aml, rec = make()
    online(m, 1)
    m.disable(1)
    m.clock.advance_ns(TIMEOUT - 1)
    assert rec.failed == [] and m.pending_unplugs() == [1]
    m.clock.advance_ns(1)
    (failure,) = rec.failed
    assert failure.cpu == 1 and "did not eject" in failure.reason and failure.time_ns == m.clock.now_ns()
    assert m.vcpus[1].enabled and m.vcpus[1].power is PowerState.ON
    assert m.pending_unplugs() == [] and m.cpuhp.pending_events() == []
    assert m.trace.count(TraceKind.VMM_LOG, message="vCPU 1 unplug failed: " + failure.reason) == 1
    aml.cej0(1)                                      # too late: the request is gone
    assert m.vcpus[1].enabled and rec.deleted == []
    m.disable(1)                                     # and a new request may be made
    assert m.pending_unplugs() == [1]


def test_completed_eject_cancels_the_timeout():
    m, aml, rec = make()
    m.disable(1)
    aml.cej0(1)
    m.clock.run_until_idle()
    assert rec.failed == [] and [d.cpu for d in rec.deleted] == [1]


@pytest.mark.parametrize("status", [0x01, 0x80, 0x81, 0x82])
def test_failing_ost_for_the_eject_fails_the_unplug(status):
    m, aml, rec = make()
    m.disable(1)
    aml.drain()
    aml.cost(1, 0x03, status)
    (failure,) = rec.failed
    assert failure.status == status and m.vcpus[1].enabled and m.pending_unplugs() == []
    m.clock.run_until_idle()
    assert len(rec.failed) == 1                      # the timeout was cancelled


def test_in_progress_and_unrelated_ost_do_not_fail_the_unplug():
    m, aml, rec = make()
    m.disable(1)
    aml.cost(1, 0x03, 0x84)
    aml.cost(1, 0x01, 0x01)                          # a device-check failure is not about the eject
    assert rec.failed == [] and m.pending_unplugs() == [1]
    assert [(o.source, o.status) for o in rec.osts] == [(0x03, 0x84), (0x01, 0x01)]


def test_re_enable_after_eject_and_cpu_on_works_again():
    m, aml, rec = make()
    m.disable(1)
    assert aml.drain() == [(1, 3)]       # the scan clears the remove event (it would stay otherwise)
    aml.cej0(1)
    assert m.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[1].mpidr, ENTRY, 0).ret == PsciReturn.DENIED
    m.enable(1)
    assert aml.drain() == [(1, 1)]
    online(m, 1)
    assert m.vcpus[1].power is PowerState.ON


def test_disable_keeps_an_unacknowledged_insert_event_and_reports_it_first():
    # QEMU's acpi_cpu_unplug_request_cb leaves is_inserting set: the guest hears of the hot-add,
    # then of the removal, in that order.
    m, aml, _ = make()
    m.enable(3)
    m.disable(3)
    assert aml.drain() == [(3, 1), (3, 3)]


def test_a_failed_unplug_does_not_lose_the_hot_add_the_guest_has_not_seen():
    m, aml, rec = make()
    m.enable(3)
    m.disable(3)                                     # the guest saw neither event
    m.clock.advance_ns(TIMEOUT)
    assert [f.cpu for f in rec.failed] == [3] and m.vcpus[3].enabled
    assert m.cpuhp.pending_events() == [3]           # the insert still waits for the next scan
    assert aml.drain() == [(3, 1)]


def test_machine_shares_a_given_hardware_boundary_and_validates_its_config():
    hw = HardwareBoundary()
    m = Machine(MachineConfig(smp="2"), hw=hw)
    assert m.bus is hw.bus and m.clock is hw.clock and m.trace is hw.trace
    with pytest.raises(ConfigError, match="unplug_timeout_ns"):
        Machine(MachineConfig(smp="2", unplug_timeout_ns=0))
    with pytest.raises(ConfigError, match="ram_size"):
        Machine(MachineConfig(smp="2", ram_size=0))
    with pytest.raises(ConfigError, match="maxcpus"):
        Machine(MachineConfig(smp="cpus=2,maxcpus=3,cores=2"))


def test_system_reset_powers_secondaries_off_but_keeps_policy_and_pending_unplugs():
    m, aml, _ = make()
    seen = []
    m.observers.system.append(seen.append)
    online(m, 1)
    m.enable(3)
    online(m, 3)
    m.disable(1)
    m.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[2].mpidr, ENTRY, 0)       # denied, stays off
    m.hw.hvc.hvc(3, PsciFunction.SYSTEM_RESET)
    assert [v.power for v in m.vcpus] == [PowerState.ON] + [PowerState.OFF] * 5
    assert m.vcpus.enabled() == [0, 1, 3] and m.pending_unplugs() == [1]
    assert m.bus.read(VIRT_MEMMAP.ged[0], 4) == 0
    online(m, 3)                                   # a rebooted guest can bring it up again
    assert [e.name for e in seen] == ["RESET"]


def test_system_off_stops_every_vcpu():
    m, _, _ = make()
    online(m, 1)
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_OFF)
    assert m.powered_off and m.vcpus.online() == []


def test_vcpu_status_reports_policy_power_and_pending_unplugs():
    m, _, _ = make("cpus=2,maxcpus=4,sockets=2,cores=2")
    online(m, 1)
    m.disable(1)
    rows = {r.index: r for r in m.vcpu_status()}
    assert (rows[1].topology.socket_id, rows[1].topology.core_id, rows[1].power,
            rows[1].unplug_pending) == (0, 1, PowerState.ON, True)
    assert (rows[2].topology.socket_id, rows[2].admin, rows[2].unplug_pending) == \
        (1, AdminState.DISABLED, False)
