"""The SMT control under random operations (a Hypothesis state machine), on 7.1 and 7.2.

A VM with two threads per core and vCPUs to hot-add: random hot-adds and
removals, ``smt/control`` writes (``on``, ``off``, ``1``, ``2``) and
``cpuN/online`` writes. After every step:

- the masks nest (online ⊆ enabled ⊆ present ⊆ possible);
- once nothing is pending, the guest's enabled set is the VMM's and the
  vCPUs online in the guest are exactly those the VMM has powered on;
- 7.2 never logs the NULL kobject warning; on 7.1 it comes only from a write
  of ``smt/control`` that failed with EINVAL;
- with SMT off, writing 1 to ``cpuN/online`` of a secondary thread that has
  run before is EPERM, and only then (``cpu_bootable``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.guest.helpers import CPU_SYSFS
from vcpu_hotplug.guest import Errno, GuestConfig, GuestKernel, SysfsError
from vcpu_hotplug.guest.smt import SYSFS_GROUP_WARNING
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.vcpu import PowerState

pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")

MAXCPUS = 6
CONTROL = f"{CPU_SYSFS}/smt/control"
vcpus = st.integers(0, MAXCPUS - 1)


class SmtStateMachine(RuleBasedStateMachine):
    system: System

    @initialize(kernel=st.sampled_from([GuestKernel.LINUX_7_1, GuestKernel.LINUX_7_2]),
                cpus=st.sampled_from([2, 4]))
    def boot(self, kernel: GuestKernel, cpus: int) -> None:
        self.kernel = kernel
        self.system = System.build(f"cpus={cpus},maxcpus={MAXCPUS},threads=2", guest=GuestConfig(kernel=kernel))
        self.failed_enables = 0

    def warnings(self) -> int:
        return sum(1 for r in self.system.kernel.klog.records if r.text.startswith(SYSFS_GROUP_WARNING))

    @rule(vcpu=vcpus)
    def enable(self, vcpu: int) -> None:
        if not self.system.machine.vcpus[vcpu].enabled:
            self.system.enable(vcpu)

    @rule(vcpu=vcpus)
    def disable(self, vcpu: int) -> None:
        v = self.system.machine.vcpus[vcpu]
        if not v.is_boot and v.enabled:
            self.system.disable(vcpu)

    @rule(value=st.sampled_from(["on", "off", "1", "2", "on\n"]))
    def write_control(self, value: str) -> None:
        before = self.warnings()
        try:
            self.system.sysfs.write(CONTROL, value)
        except SysfsError as e:
            # cpuhp_smt_disable cannot take down the last online CPU (a user offlined the primaries).
            if e.errno is Errno.EBUSY:
                assert len(self.system.kernel.online) == 1, e
                return
            # Otherwise only cpuhp_smt_enable reaching a present CPU without a device (7.1), or
            # firmware denying a CPU it keeps disabled.
            assert self.kernel is GuestKernel.LINUX_7_1, e
            assert e.errno in (Errno.EINVAL, Errno.EPERM), e
            if e.errno is Errno.EINVAL:
                assert self.warnings() == before + 1
                self.failed_enables += 1
            return
        assert self.warnings() == before

    @rule(vcpu=vcpus, on=st.booleans())
    def write_online(self, vcpu: int, on: bool) -> None:
        k = self.system.kernel
        cpu = k.cpu_of_mpidr(self.system.machine.vcpus[vcpu].mpidr)
        if cpu is None or cpu not in k.devices.registered:
            return
        # cpu_bootable: with SMT off a secondary thread that has run before may not come up.
        refused = on and cpu not in k.online and k.smt.state.value == "off" \
            and not k.smt.is_primary_thread(cpu) and cpu in k.smt.booted_once
        try:
            self.system.sysfs.write(f"{CPU_SYSFS}/cpu{cpu}/online", "1" if on else "0")
        except SysfsError as e:
            if on:
                assert refused and e.errno is Errno.EPERM, e
            else:
                assert e.errno is Errno.EBUSY and len(k.online) == 1, e
            return
        assert not refused, f"cpu{cpu} came online with SMT off"

    @rule()
    def settle(self) -> None:
        self.system.run_until_idle()

    @invariant()
    def masks_nest(self) -> None:
        m = self.system.kernel.masks()
        assert m["online"] <= m["enabled"] <= m["present"] <= m["possible"], m

    @invariant()
    def warnings_only_from_failed_enables_on_7_1(self) -> None:
        assert self.warnings() == self.failed_enables
        if self.kernel is GuestKernel.LINUX_7_2:
            assert self.failed_enables == 0

    @invariant()
    def guest_and_vmm_agree_when_idle(self) -> None:
        system = self.system
        if system.clock.next_event_ns() is not None:
            return
        view = system.guest_view()
        assert view.enabled == system.vmm_enabled(), (view, system.vmm_enabled())
        powered = frozenset(v.index for v in system.machine.vcpus if v.power is PowerState.ON)
        assert view.online == powered, (view.online, powered)


SmtStateMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_smt_invariants = SmtStateMachine.TestCase
