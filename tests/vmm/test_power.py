"""Power and reset at the VMM: PSCI after SYSTEM_OFF, what survives a reset, and its re-announcement.

The guest is a stand-in driving the register block as QEMU's AML does (``standin.py``), so each
register-level effect of ``Machine.reset`` is seen on its own. The semantics are
``vmm/machine.py``'s "Power and reset".
"""

from vcpu_hotplug.arm.gic import GicdReg
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState

from .test_machine import ENTRY, TIMEOUT, make, online

GED_EVENT_CPU = 0x8


def cpu_on(m: Machine, target: int, caller: int = 0) -> int:
    return m.hw.hvc.hvc(caller, PsciFunction.CPU_ON, m.vcpus[target].mpidr, ENTRY, 0).ret


def unmask_ged(m: Machine) -> None:
    """What the guest's GED driver does at probe: set the GED's SPI in GICD_ISENABLER<n>."""
    m.bus.write(VIRT_MEMMAP.gic_dist[0] + GicdReg.ISENABLER + 4 * (GED_INTID // 32), 4, 1 << (GED_INTID % 32))


def test_after_system_off_cpu_on_is_denied_and_nothing_starts_until_a_reset():
    m, _, _ = make()
    assert cpu_on(m, 1) == PsciReturn.SUCCESS                 # ON_PENDING when the system goes off
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_OFF)
    m.clock.run_until_idle()
    assert m.powered_off and m.vcpus.online() == [] and m.vcpus[1].power is PowerState.OFF
    assert cpu_on(m, 1) == PsciReturn.DENIED
    assert m.hw.hvc.hvc(0, PsciFunction.SYSTEM_OFF).ret == PsciReturn.DENIED
    assert m.hw.hvc.hvc(0, PsciFunction.SYSTEM_RESET).ret == PsciReturn.DENIED
    assert m.vcpus.online() == []
    m.reset()                                                   # the host's system_reset
    assert not m.powered_off and m.vcpus.online() == [0]
    online(m, 1)
    assert m.vcpus.online() == [0, 1]


def test_system_off_tells_the_system_observers_once():
    m, _, _ = make()
    seen = []
    m.observers.system.append(seen.append)
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_OFF)
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_OFF)
    assert [e.name for e in seen] == ["OFF"]


def test_reset_runs_the_reset_observers_for_the_guests_and_the_hosts_reset():
    m, _, _ = make()
    resets = []
    m.observers.reset.append(lambda: resets.append(m.vcpus.online()))
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_RESET)
    m.reset()
    assert resets == [[0], [0]] and m.resets == 2


def test_a_remove_event_the_old_guest_cleared_is_raised_again_and_announced_when_the_new_guest_listens():
    m, aml, rec = make()
    online(m, 1)
    m.disable(1)
    assert aml.drain() == [(1, 3)]                     # the old guest's scan took (and cleared) the event
    assert m.cpuhp.pending_events() == []
    raised = m.ged.raised
    m.reset()
    assert m.cpuhp.pending_events() == [1] and m.pending_unplugs() == [1]
    assert m.bus.read(VIRT_MEMMAP.ged[0], 4) == 0 and m.ged.raised == raised   # nobody listens yet
    delivered = []
    m.hw.irq.register(GED_INTID, delivered.append)
    unmask_ged(m)                                        # the new guest's GED driver probes
    assert delivered == [GED_INTID] and m.ged.raised == raised + 1
    assert m.bus.read(VIRT_MEMMAP.ged[0], 4) == GED_EVENT_CPU
    assert aml.drain() == [(1, 3)]                      # the same request, to the new guest
    unmask_ged(m)                                        # only once
    assert delivered == [GED_INTID]
    aml.cej0(1)                                          # the new guest ejects it (vCPU 1 is off)
    assert [e.cpu for e in rec.deleted] == [1] and m.vcpus[1].admin is AdminState.DISABLED
    assert rec.failed == []


def test_nothing_is_announced_after_a_reset_without_pending_events():
    m, _, _ = make()
    m.reset()
    raised = m.ged.raised
    unmask_ged(m)
    assert m.ged.raised == raised


def test_an_eject_written_before_cpu_off_completes_at_the_reset_and_never_in_the_next_boot():
    m, aml, rec = make()
    online(m, 1)
    m.disable(1)
    aml.drain()
    aml.cej0(1)                                          # written while vCPU 1 still runs
    assert rec.deleted == [] and m.pending_unplugs() == [1]
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_RESET)
    assert [e.cpu for e in rec.deleted] == [1] and m.pending_unplugs() == []
    assert m.vcpus[1].admin is AdminState.DISABLED and aml.csta(1) == 0x0D
    assert cpu_on(m, 1) == PsciReturn.DENIED             # the new guest cannot bring it up
    assert m.cpuhp.pending_events() == []


def test_an_eject_written_before_system_off_completes_at_the_power_off():
    m, aml, rec = make()
    online(m, 1)
    m.disable(1)
    aml.drain()
    aml.cej0(1)
    m.hw.hvc.hvc(0, PsciFunction.SYSTEM_OFF)
    assert [e.cpu for e in rec.deleted] == [1] and rec.failed == []


def test_a_pending_unplug_across_a_reset_still_times_out_once():
    m, aml, rec = make()
    m.disable(1)
    m.reset()
    m.clock.advance_ns(TIMEOUT)
    assert [e.cpu for e in rec.failed] == [1] and rec.deleted == [] and m.vcpus[1].enabled
    assert m.cpuhp.pending_events() == []


def test_admin_policy_survives_a_reset_including_a_hot_add_the_guest_never_saw():
    m, aml, rec = make()
    m.enable(4)
    m.reset()
    assert m.vcpus[4].enabled and m.cpuhp.pending_events() == [4]
    assert aml.csta(4) == 0x0F and cpu_on(m, 4) == PsciReturn.SUCCESS
    assert rec.deleted == [] and rec.failed == []


def test_a_machine_built_stopped_resets_like_any_other():
    m = Machine(MachineConfig(smp="cpus=1,maxcpus=4"), started=False)
    m.enable(2)
    m.reset()
    assert m.vcpus.enabled() == [0, 2] and m.vcpus.online() == [0] and m.cpuhp.pending_events() == []
