"""Invariants of the whole system under random operations (a Hypothesis state machine).

Random hot-adds and removals (settled or left in flight), user online/offline
writes, guest knob changes (busy CPUs, auto-online, slow onlining, ejects
disabled, a disable the guest ignores) and reboots, on either present-mask
policy. After every step:

- the guest's masks nest: online ⊆ enabled ⊆ present ⊆ possible
  (``include/linux/cpumask.h``: a CPU must be present to be registered,
  registered (``enabled``) before udev or a user can online it);
- whenever nothing is pending on the simulated clock, the guest's enabled
  set is the VMM's enabled set, no unplug is pending, and the vCPUs the
  guest has online are exactly those the VMM has powered on;
- firmware never answered ``DENIED`` to a ``CPU_ON`` of a vCPU it had enabled
  (checked on every HVC as it is traced);
- a write to ``cpuN/online`` fails only with the errno Linux gives in that
  situation.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.guest.helpers import CPU_SYSFS
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import Errno, GuestConfig, PresentPolicy, SysfsError
from vcpu_hotplug.hw.clock import NS_PER_MS, NS_PER_S, NS_PER_US
from vcpu_hotplug.hw.trace import TraceEvent, TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.vcpu import PowerState

# The AML interpreter raises the recursion limit for deep AML; Hypothesis only notes it.
pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")

MAXCPUS = 5
DENIED = PsciReturn.DENIED & 0xFFFF_FFFF
vcpus = st.integers(0, MAXCPUS - 1)
durations = st.sampled_from([NS_PER_US, 7 * NS_PER_US, 250 * NS_PER_US, 3 * NS_PER_MS, 2 * NS_PER_S])


class HotplugStateMachine(RuleBasedStateMachine):
    system: System

    @initialize(policy=st.sampled_from(list(PresentPolicy)), cpus=st.integers(1, MAXCPUS))
    def boot(self, policy: PresentPolicy, cpus: int) -> None:
        self.system = System.build(f"cpus={cpus},maxcpus={MAXCPUS}", guest=GuestConfig(present_policy=policy))
        self.denied_enabled: list[str] = []
        self.system.trace.subscribe(self._watch_psci)

    def _watch_psci(self, event: TraceEvent) -> None:
        if event.kind is not TraceKind.HVC or event.function != PsciFunction.CPU_ON:
            return
        if (event.result[0] & 0xFFFF_FFFF) != DENIED:
            return
        vcpu = self.system.machine.vcpus.by_mpidr(event.args[0])
        if vcpu is not None and vcpu.enabled:
            self.denied_enabled.append(event.describe())

    # helpers -------------------------------------------------------------------------------------

    def idle(self) -> bool:
        return self.system.clock.next_event_ns() is None

    def cpu_of(self, vcpu: int) -> int | None:
        return self.system.kernel.cpu_of_mpidr(self.system.machine.vcpus[vcpu].mpidr)

    # VMM operations ------------------------------------------------------------------------------

    @rule(vcpu=vcpus, settle=st.booleans())
    def enable(self, vcpu: int, settle: bool) -> None:
        machine = self.system.machine
        if machine.vcpus[vcpu].enabled:
            return
        self.system.enable(vcpu, settle=settle)

    @rule(vcpu=vcpus, settle=st.booleans())
    def disable(self, vcpu: int, settle: bool) -> None:
        machine = self.system.machine
        v = machine.vcpus[vcpu]
        if v.is_boot or not v.enabled or vcpu in machine.pending_unplugs():
            return
        self.system.disable(vcpu, settle=settle)

    @rule(vcpu=vcpus, gap=st.sampled_from([0, NS_PER_US, 7 * NS_PER_US, 250 * NS_PER_US]))
    def enable_then_disable_before_the_guest_settles(self, vcpu: int, gap: int) -> None:
        """An orchestrator that changes its mind: the disable may overtake the guest's hot-add."""
        machine = self.system.machine
        v = machine.vcpus[vcpu]
        if v.is_boot or v.enabled:
            return
        self.system.enable(vcpu, settle=False)
        self.system.run_for(gap)
        if vcpu not in machine.pending_unplugs() and machine.vcpus[vcpu].enabled:
            self.system.disable(vcpu, settle=False)

    @rule(vcpu=vcpus)
    def disable_while_the_guest_ignores_it(self, vcpu: int) -> None:
        self.system.run_until_idle()
        machine = self.system.machine
        v = machine.vcpus[vcpu]
        if v.is_boot or not v.enabled:
            return
        self.system.knobs.ignore_notifications = True
        try:
            self.system.disable(vcpu)
        finally:
            self.system.knobs.ignore_notifications = False
        assert machine.vcpus[vcpu].enabled           # timed out: the vCPU stays

    # the guest's user ----------------------------------------------------------------------------

    @rule(vcpu=vcpus)
    def online(self, vcpu: int) -> None:
        cpu = self.cpu_of(vcpu)
        k = self.system.kernel
        if cpu is None or cpu not in k.devices.registered or not k.devices.hotpluggable(cpu):
            return
        was_idle = self.idle()
        ejecting = vcpu in self.system.machine.pending_unplugs()
        try:
            self.system.sysfs.write(f"{CPU_SYSFS}/cpu{cpu}/online", "1")
        except SysfsError as e:
            # DENIED (EPERM) needs firmware to have disabled a CPU the guest still has registered:
            # only while an eject is in flight, never when both sides have settled.
            assert e.errno is Errno.EPERM and not was_idle, e
            assert not self.system.machine.vcpus[vcpu].enabled or vcpu in self.system.machine.pending_unplugs()
            return
        # The write blocks until the CPU is up (simulated time passes); an Eject Request already on
        # its way runs as soon as the write lets go of the hotplug lock, and may offline it again.
        assert cpu in k.online or ejecting

    @rule(vcpu=vcpus)
    def offline(self, vcpu: int) -> None:
        cpu = self.cpu_of(vcpu)
        k = self.system.kernel
        if cpu is None or cpu not in k.devices.registered or not k.devices.hotpluggable(cpu):
            return
        was_online = cpu in k.online
        try:
            self.system.sysfs.write(f"{CPU_SYSFS}/cpu{cpu}/online", "0")
        except SysfsError as e:
            # kernel/cpu.c: the last online CPU, or a teardown callback refusing (the busy knob).
            assert e.errno is Errno.EBUSY, e
            assert len(k.online) == 1 or cpu in k.knobs.busy_cpus
            assert was_online and cpu in k.online
            return
        assert cpu not in k.online

    # knobs and time ------------------------------------------------------------------------------

    @rule(vcpu=vcpus, busy=st.booleans())
    def set_busy(self, vcpu: int, busy: bool) -> None:
        cpu = self.cpu_of(vcpu)
        if cpu is None:
            return
        (self.system.knobs.busy_cpus.add if busy else self.system.knobs.busy_cpus.discard)(cpu)

    @rule(on=st.booleans())
    def set_auto_online(self, on: bool) -> None:
        self.system.knobs.auto_online = on

    @rule(delay=st.sampled_from([0, 150 * NS_PER_US, 2 * NS_PER_S]))
    def set_online_delay(self, delay: int) -> None:
        self.system.knobs.online_delay_ns = delay

    @rule(on=st.booleans())
    def set_eject_enabled(self, on: bool) -> None:
        self.system.knobs.eject_enabled = on

    @rule(ns=durations)
    def let_time_pass(self, ns: int) -> None:
        self.system.run_for(ns)

    @rule()
    def settle(self) -> None:
        self.system.run_until_idle()

    @rule()
    def reboot(self) -> None:
        self.system.reboot()

    # invariants ----------------------------------------------------------------------------------

    @invariant()
    def masks_nest(self) -> None:
        m = self.system.kernel.masks()
        assert m["online"] <= m["enabled"] <= m["present"] <= m["possible"], m

    @invariant()
    def guest_and_vmm_agree_when_nothing_is_pending(self) -> None:
        if not self.idle():
            return
        system = self.system
        assert system.machine.pending_unplugs() == []
        view = system.guest_view()
        assert view.enabled == system.vmm_enabled(), (view, system.vmm_enabled())
        powered = frozenset(v.index for v in system.machine.vcpus if v.power is PowerState.ON)
        assert view.online == powered, (view.online, powered)

    @invariant()
    def no_enabled_vcpu_is_ever_denied(self) -> None:
        assert self.denied_enabled == []


HotplugStateMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_hotplug_invariants = HotplugStateMachine.TestCase
