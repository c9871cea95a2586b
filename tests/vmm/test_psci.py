"""PSCI 1.1 on HVC: every function, every return code the spec gives them, and hotplug policy."""

import pytest

from vcpu_hotplug.arm.mpidr import mpidr_el1
from vcpu_hotplug.arm.psci import PSCI_VERSION_1_1, AffinityInfo, MigrateInfoType, PsciFunction, PsciReturn
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.machine import Machine, MachineConfig
from vcpu_hotplug.vmm.psci import SystemEvent
from vcpu_hotplug.vmm.vcpu import PowerState

RAM = 0x4000_0000
ENTRY = RAM + 0x8_0000
DELAY = 10_000


@pytest.fixture
def machine():
    return Machine(MachineConfig(smp="cpus=2,maxcpus=6", cpu_on_delay_ns=DELAY))


def call(m, fn, *args, caller=0):
    return m.hw.hvc.hvc(caller, fn, *args).ret


def mpidr(m, i):
    return m.vcpus[i].mpidr


def test_version_is_1_1_and_migrate_info_type_not_required(machine):
    assert call(machine, PsciFunction.PSCI_VERSION) == PSCI_VERSION_1_1 == 0x10001
    assert call(machine, PsciFunction.MIGRATE_INFO_TYPE) == MigrateInfoType.NOT_REQUIRED == 2


@pytest.mark.parametrize("fn", list(PsciFunction))
def test_features_reports_every_implemented_function(machine, fn):
    assert call(machine, PsciFunction.PSCI_FEATURES, fn) == PsciReturn.SUCCESS


@pytest.mark.parametrize("fid", [0x8400_0005, 0xC400_0012, 0x8400_0013, 0x1234])
def test_features_and_calls_of_unknown_functions_are_not_supported(machine, fid):
    assert call(machine, PsciFunction.PSCI_FEATURES, fid) == PsciReturn.NOT_SUPPORTED
    assert call(machine, fid) == PsciReturn.NOT_SUPPORTED


def test_cpu_on_of_an_enabled_vcpu_is_pending_then_on(machine):
    started = []
    machine.hw.vcpus.register_entry(lambda cpu, entry, ctx: started.append((cpu, entry, ctx, machine.clock.now_ns())))
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 1), ENTRY, 0xC0FFEE) == PsciReturn.SUCCESS
    assert machine.vcpus[1].power is PowerState.ON_PENDING
    assert call(machine, PsciFunction.AFFINITY_INFO, mpidr(machine, 1), 0) == AffinityInfo.ON_PENDING
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 1), ENTRY, 0) == PsciReturn.ON_PENDING
    assert started == []
    machine.clock.advance_ns(DELAY)
    assert started == [(1, ENTRY, 0xC0FFEE, DELAY)]
    assert call(machine, PsciFunction.AFFINITY_INFO, mpidr(machine, 1), 0) == AffinityInfo.ON
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 1), ENTRY, 0) == PsciReturn.ALREADY_ON


def test_cpu_on_of_a_disabled_vcpu_is_denied_and_nothing_starts(machine):
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 4), ENTRY, 0) == PsciReturn.DENIED
    machine.clock.run_until_idle()
    assert machine.vcpus[4].power is PowerState.OFF and machine.hw.vcpus.started == 0
    assert call(machine, PsciFunction.AFFINITY_INFO, mpidr(machine, 4), 0) == AffinityInfo.OFF


def test_cpu_on_of_an_unknown_mpidr_is_invalid_parameters(machine):
    assert call(machine, PsciFunction.CPU_ON, 0x6, ENTRY, 0) == PsciReturn.INVALID_PARAMETERS
    assert call(machine, PsciFunction.CPU_ON, 0x100, ENTRY, 0) == PsciReturn.INVALID_PARAMETERS


def test_cpu_on_accepts_mpidr_el1_with_res1_bit(machine):
    assert call(machine, PsciFunction.CPU_ON, mpidr_el1(mpidr(machine, 1)), ENTRY, 0) == PsciReturn.SUCCESS


def test_cpu_on_outside_ram_is_invalid_address(machine):
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 1), 0x1000, 0) == PsciReturn.INVALID_ADDRESS
    assert machine.vcpus[1].power is PowerState.OFF


def test_cpu_on_smc32_truncates_to_32_bits(machine):
    assert call(machine, PsciFunction.CPU_ON_32, (1 << 32) | mpidr(machine, 1), ENTRY, 0) == PsciReturn.SUCCESS


def test_cpu_off_powers_the_caller_down_and_affinity_info_sees_it(machine):
    call(machine, PsciFunction.CPU_ON, mpidr(machine, 1), ENTRY, 0)
    machine.clock.run_until_idle()
    assert call(machine, PsciFunction.CPU_OFF, caller=1) == PsciReturn.SUCCESS
    assert machine.vcpus[1].power is PowerState.OFF
    assert call(machine, PsciFunction.AFFINITY_INFO, mpidr(machine, 1), 0) == AffinityInfo.OFF
    assert call(machine, PsciFunction.CPU_OFF, caller=1) == PsciReturn.DENIED
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 1), ENTRY, 0) == PsciReturn.SUCCESS


def test_affinity_info_levels_and_invalid_parameters():
    m = Machine(MachineConfig(smp="cpus=20,maxcpus=32"))
    # vCPU 0 is on: the Aff0 group 0..15 is ON at level 1; group 16..31 is OFF
    assert call(m, PsciFunction.AFFINITY_INFO, 0x005, 1) == AffinityInfo.ON
    assert call(m, PsciFunction.AFFINITY_INFO, 0x105, 1) == AffinityInfo.OFF
    assert call(m, PsciFunction.AFFINITY_INFO, 0x105, 0) == AffinityInfo.OFF
    assert call(m, PsciFunction.AFFINITY_INFO, 0x300, 0) == PsciReturn.INVALID_PARAMETERS
    assert call(m, PsciFunction.AFFINITY_INFO, 0, 4) == PsciReturn.INVALID_PARAMETERS


def test_cpu_suspend_offers_standby_only(machine):
    assert call(machine, PsciFunction.PSCI_FEATURES, PsciFunction.CPU_SUSPEND) == 0
    assert call(machine, PsciFunction.CPU_SUSPEND, 0, 0, 0) == PsciReturn.SUCCESS
    assert call(machine, PsciFunction.CPU_SUSPEND, 1 << 16, ENTRY, 0) == PsciReturn.INVALID_PARAMETERS


@pytest.mark.parametrize("fn, event", [(PsciFunction.SYSTEM_OFF, SystemEvent.OFF),
                                       (PsciFunction.SYSTEM_RESET, SystemEvent.RESET)])
def test_system_off_and_reset_are_reported_to_the_machine(machine, fn, event):
    seen = []
    machine.psci.on_system_event.append(seen.append)
    call(machine, fn)
    assert seen == [event] and machine.psci.system_event is event


def test_every_call_is_traced_with_its_result(machine):
    call(machine, PsciFunction.CPU_ON, mpidr(machine, 4), ENTRY, 7)
    (event,) = machine.trace.filter(TraceKind.HVC)
    assert event.function == PsciFunction.CPU_ON and event.args == (4, ENTRY, 7)
    assert event.result[0] == PsciReturn.DENIED & 0xFFFF_FFFF_FFFF_FFFF


def test_scripted_boot_brings_up_enabled_vcpus_and_denied_ones_stay_offline(machine):
    """A guest stand-in boots as Linux does: CPU_ON every possible MPIDR from the boot vCPU."""
    online = {0}
    machine.hw.vcpus.register_entry(lambda cpu, entry, ctx: online.add(cpu))
    results = {i: call(machine, PsciFunction.CPU_ON, mpidr(machine, i), ENTRY, i) for i in range(1, 6)}
    machine.clock.run_until_idle()
    assert results == {1: PsciReturn.SUCCESS, 2: PsciReturn.DENIED, 3: PsciReturn.DENIED,
                       4: PsciReturn.DENIED, 5: PsciReturn.DENIED}
    assert online == {0, 1} and machine.vcpus.online() == [0, 1]
    # after hotplug, the same call succeeds
    machine.enable(3)
    assert call(machine, PsciFunction.CPU_ON, mpidr(machine, 3), ENTRY, 3) == PsciReturn.SUCCESS
    machine.clock.run_until_idle()
    assert online == {0, 1, 3}
