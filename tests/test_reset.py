"""Reset and power-off in the middle of a hot-add or an unplug, with the Linux guest (issue 11, item 3).

The machine is reset (the guest's PSCI SYSTEM_RESET, or the host's ``system_reset``) at each step
the simulation can stop at: for a hot-add before the guest reacted, after its ``Notify`` (hotplug
work queued), after registration and ``_OST``, after ``CPU_ON``; for an unplug before the guest
reacted, after its ``Notify(Eject Request)``, after ``_OST 0x84``, after ``CPU_OFF``, after ``_EJ0``
written while the vCPU still ran, and after the eject completed. The last four are played at the
register level by the test standing in for the old guest (in the Linux model they happen in one
step of its hotplug work). After each, the VM settles and the invariants hold:

- no vCPU is enabled in the VMM that the guest does not know about (and the other way round);
- no eject is completed that a guest did not perform (each DEVICE_DELETED follows an ``_EJ0`` write
  of that vCPU since its ``device_del``);
- exactly one terminal event (DEVICE_DELETED or DEVICE_UNPLUG_GUEST_ERROR) per ``device_del``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest

from vcpu_hotplug.acpi.notify import OstEvent, OstStatus
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import GuestConfig, PresentPolicy
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.cpuhp import CpuhpCommand, CpuhpFlag, CpuhpReg
from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState

SMP = "cpus=3,maxcpus=6"
ADDED = 4
REMOVED = 2


@dataclass
class Watch:
    """The machine's events, and the eject writes each vCPU got."""

    deleted: list[DeviceDeleted] = field(default_factory=list)
    failed: list[UnplugFailed] = field(default_factory=list)
    osts: list[OstReport] = field(default_factory=list)
    ejects: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)

    def terminal(self, cpu: int) -> int:
        return sum(e.cpu == cpu for e in self.deleted) + sum(e.cpu == cpu for e in self.failed)


def build(policy: PresentPolicy = PresentPolicy.LINUX_6_11) -> tuple[System, Watch]:
    system = System.build(SMP, guest=GuestConfig(present_policy=policy))
    m = system.machine
    watch = Watch()
    m.observers.device_deleted.append(watch.deleted.append)
    m.observers.unplug_failed.append(watch.failed.append)
    m.observers.ost.append(watch.osts.append)
    m.cpuhp.on_eject.insert(0, watch.ejects.append)
    return system, watch


def disable(system: System, watch: Watch, cpu: int) -> None:
    watch.requests.append(cpu)
    system.disable(cpu, settle=False)


def step_until(system: System, condition: Callable[[], bool]) -> None:
    """Fire clock events, one instant at a time, until ``condition()`` holds."""
    while not condition():
        nxt = system.clock.next_event_ns()
        assert nxt is not None, "the condition never held"
        system.run_for(nxt - system.clock.now_ns())


def notified(system: System, cpu: int, value: int) -> Callable[[], bool]:
    path = f"\\_SB.C{cpu:03X}"
    return lambda: any(e.path == path and e.value == value for e in system.trace.filter(TraceKind.NOTIFY))


def check_invariants(system: System, watch: Watch) -> None:
    """The three invariants of the issue, once the VM has settled."""
    system.run_until_idle()
    assert not system.boot_pending and system.kernel.booted and not system.kernel.halted
    view = system.guest_view()
    assert view.enabled == system.vmm_enabled(), (view, system.vmm_enabled())
    powered = frozenset(v.index for v in system.machine.vcpus if v.power is PowerState.ON)
    assert view.online == powered
    for event in watch.deleted:
        assert event.cpu in watch.ejects, f"vCPU {event.cpu} deleted without an eject"
        assert event.cpu not in view.enabled
    for cpu in set(watch.requests):
        assert watch.terminal(cpu) == watch.requests.count(cpu), (cpu, watch.deleted, watch.failed)
    assert system.machine.pending_unplugs() == []


def reset(system: System, how: str) -> None:
    if how == "guest":
        system.kernel.restart()                 # reboot: PSCI SYSTEM_RESET from the running kernel
    else:
        system.reset()                          # the host's system_reset


# ------------------------------------------------------------------ hot-add

HOT_ADD_STEPS: dict[str, Callable[[System], Callable[[], bool]]] = {
    "before the guest reacted": lambda s: lambda: True,
    "after Notify": lambda s: notified(s, ADDED, 1),
    "after registration and _OST": lambda s: lambda: ADDED in s.guest_view().enabled,
    "after CPU_ON": lambda s: lambda: s.machine.vcpus[ADDED].power is not PowerState.OFF,
}


@pytest.mark.parametrize("how", ["guest", "host"])
@pytest.mark.parametrize("step", list(HOT_ADD_STEPS))
@pytest.mark.parametrize("policy", list(PresentPolicy))
def test_reset_during_a_hot_add_keeps_the_vcpu_and_the_new_guest_brings_it_online(
        step: str, how: str, policy: PresentPolicy) -> None:
    system, watch = build(policy)
    system.enable(ADDED, settle=False)
    step_until(system, HOT_ADD_STEPS[step](system))
    old = system.kernel
    reset(system, how)
    check_invariants(system, watch)
    assert system.kernel is not old and system.boots == 2
    assert system.machine.vcpus[ADDED].admin is AdminState.ENABLED
    assert ADDED in system.guest_view().online
    assert watch.deleted == [] and watch.failed == []


# ------------------------------------------------------------------ unplug

def _as_old_guest(system: System, cpu: int, *, ost_84: bool, cpu_off: bool, eject: bool) -> None:
    """What Linux's hot-remove does, at the register level, up to a step (the test is the old guest)."""
    base = system.machine.memmap.cpuhp[0]
    bus = system.machine.bus
    bus.write(base + CpuhpReg.SELECTOR, 4, cpu)
    bus.write(base + CpuhpReg.FLAGS, 1, CpuhpFlag.REMOVE)              # the scan clears the event
    if ost_84:
        bus.write(base + CpuhpReg.COMMAND, 1, CpuhpCommand.OST_EVENT)
        bus.write(base + CpuhpReg.COMMAND_DATA, 4, OstEvent.EJECT_REQUEST)
        bus.write(base + CpuhpReg.COMMAND, 1, CpuhpCommand.OST_STATUS)
        bus.write(base + CpuhpReg.COMMAND_DATA, 4, OstStatus.EJECT_IN_PROGRESS)
    if cpu_off:
        assert system.hw.hvc.hvc(cpu, PsciFunction.CPU_OFF).ret == PsciReturn.SUCCESS
    if eject:
        bus.write(base + CpuhpReg.SELECTOR, 4, cpu)
        bus.write(base + CpuhpReg.FLAGS, 1, CpuhpFlag.EJECT)


UNPLUG_STEPS = {
    "after _OST 0x84": dict(ost_84=True, cpu_off=False, eject=False),
    "after CPU_OFF": dict(ost_84=True, cpu_off=True, eject=False),
}


@pytest.mark.parametrize("how", ["guest", "host"])
@pytest.mark.parametrize("step", ["before the guest reacted", "after Notify", *UNPLUG_STEPS])
def test_reset_during_an_unplug_re_signals_it_and_the_new_guest_ejects(step: str, how: str) -> None:
    system, watch = build()
    if step in UNPLUG_STEPS:
        system.knobs.ignore_notifications = True          # the old guest's steps are played below
    disable(system, watch, REMOVED)
    if step == "after Notify":
        step_until(system, notified(system, REMOVED, 3))
    elif step in UNPLUG_STEPS:
        step_until(system, notified(system, REMOVED, 3))   # the Linux guest ignored the Notify
        system.knobs.ignore_notifications = False
        _as_old_guest(system, REMOVED, **UNPLUG_STEPS[step])
    assert watch.terminal(REMOVED) == 0
    reset(system, how)
    assert system.machine.pending_unplugs() == [REMOVED]   # not completed against the new guest
    check_invariants(system, watch)
    # The new guest booted with the vCPU online, was told again, and ejected it itself.
    assert [e.cpu for e in watch.deleted] == [REMOVED] and watch.failed == []
    assert system.machine.vcpus[REMOVED].admin is AdminState.DISABLED
    assert REMOVED not in system.guest_view().enabled
    assert any(r.cpu == REMOVED and r.source == OstEvent.EJECT_REQUEST and r.status == OstStatus.SUCCESS
               for r in watch.osts)


@pytest.mark.parametrize("how", ["guest", "host"])
def test_an_eject_written_while_the_vcpu_ran_completes_at_the_reset_not_in_the_next_boot(how: str) -> None:
    """``_EJ0`` written before ``CPU_OFF`` waits for the vCPU to stop; the reset stops it, so the eject
    completes then (QEMU completes it at the write). The new guest boots with the vCPU disabled, and
    its own ``CPU_OFF``s complete nothing."""
    system, watch = build()
    system.knobs.ignore_notifications = True
    disable(system, watch, REMOVED)
    step_until(system, notified(system, REMOVED, 3))       # the Linux guest ignored the Notify
    system.knobs.ignore_notifications = False
    _as_old_guest(system, REMOVED, ost_84=True, cpu_off=False, eject=True)
    assert watch.terminal(REMOVED) == 0 and system.machine.vcpus[REMOVED].power is PowerState.ON
    reset(system, how)
    assert [e.cpu for e in watch.deleted] == [REMOVED]      # at the reset, before the new guest runs
    check_invariants(system, watch)
    assert system.guest_view().enabled == frozenset({0, 1})
    # The new guest's CPU_OFF of another vCPU, or any later boot, completes nothing more.
    system.reboot()
    check_invariants(system, watch)
    assert [e.cpu for e in watch.deleted] == [REMOVED]


@pytest.mark.parametrize("how", ["guest", "host"])
def test_reset_after_the_eject_completed_boots_the_new_guest_without_the_vcpu(how: str) -> None:
    system, watch = build()
    disable(system, watch, REMOVED)
    system.run_until_idle()
    assert [e.cpu for e in watch.deleted] == [REMOVED]
    reset(system, how)
    check_invariants(system, watch)
    assert system.guest_view().enabled == frozenset({0, 1})


def test_an_unplug_the_new_guest_refuses_fails_once() -> None:
    """Re-signalled to a guest that will not eject (eject disabled): DEVICE_UNPLUG_GUEST_ERROR, once,
    and the vCPU stays enabled and online in both views."""
    system, watch = build()
    disable(system, watch, REMOVED)
    system.kernel.restart()
    system.knobs.eject_enabled = False
    check_invariants(system, watch)
    assert watch.deleted == [] and [e.cpu for e in watch.failed] == [REMOVED]
    assert REMOVED in system.guest_view().online


def test_an_unplug_pending_across_a_reset_to_a_deaf_guest_times_out_once() -> None:
    system, watch = build()
    disable(system, watch, REMOVED)
    system.knobs.ignore_notifications = True
    system.reset()
    check_invariants(system, watch)
    assert watch.deleted == [] and [e.cpu for e in watch.failed] == [REMOVED]


def test_the_old_kernels_queued_work_never_runs_after_a_reset() -> None:
    system, watch = build()
    system.enable(ADDED, settle=False)
    step_until(system, notified(system, ADDED, 1))          # the old kernel queued its hotplug work
    old = system.kernel
    system.reset()
    system.run_until_idle()
    assert old.halted and not old.klog.contains(f"CPU{ADDED} has been hot-added")
    assert system.kernel.klog.lines()[0].startswith("Booting Linux")


# ------------------------------------------------------------------ power off

def test_after_system_off_no_vcpu_runs_and_psci_refuses_cpu_on() -> None:
    system, watch = build()
    disable(system, watch, REMOVED)                           # pending when the guest powers off
    system.kernel.power_off()
    m = system.machine
    assert m.powered_off and m.vcpus.online() == []
    for cpu in (1, ADDED, REMOVED):
        assert system.hw.hvc.hvc(0, PsciFunction.CPU_ON, m.vcpus[cpu].mpidr, 0x4008_0000, 0).ret == \
            PsciReturn.DENIED
    assert system.hw.hvc.hvc(0, PsciFunction.SYSTEM_RESET).ret == PsciReturn.DENIED
    system.run_until_idle()
    assert m.vcpus.online() == [] and system.boots == 1      # nothing boots, nothing starts
    assert watch.terminal(REMOVED) == 1 and [e.cpu for e in watch.failed] == [REMOVED]  # timed out
    # A reset brings it back: policy stands, the new guest boots with what the VMM has enabled.
    system.reset()
    check_invariants(system, watch)
    assert system.boots == 2 and system.guest_view().online == frozenset({0, 1, 2})


def test_system_off_completes_an_eject_the_guest_wrote() -> None:
    system, watch = build()
    system.knobs.ignore_notifications = True
    disable(system, watch, REMOVED)
    step_until(system, notified(system, REMOVED, 3))       # the Linux guest ignored the Notify
    system.knobs.ignore_notifications = False
    _as_old_guest(system, REMOVED, ost_84=True, cpu_off=False, eject=True)
    system.kernel.power_off()
    assert [e.cpu for e in watch.deleted] == [REMOVED] and system.machine.vcpus.online() == []
    system.reset()
    check_invariants(system, watch)
