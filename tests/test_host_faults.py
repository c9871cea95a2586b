"""A host bug never reaches the guest: observers that raise during a hot-add or an unplug.

The management plane's callbacks (machine observers, trace listeners, the QMP
backend's subscribers) run inside guest steps (an ``_OST`` or ``_EJ0``
register write). A callback that raises must not fail that write: the guest
completes the hotplug exactly as without it, and the fault comes back on the
host side as a :class:`~vcpu_hotplug.hw.observers.HostFault`.
"""

from __future__ import annotations

import pytest

from vcpu_hotplug.hw import HostFault
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vm import VmSpec, build_vm

SMP = "cpus=2,maxcpus=4"


class HostBug(Exception):
    """What a broken live view or QMP translator would raise."""


def broken(*_args: object) -> None:
    raise HostBug("observer bug")


def guest_failures(system: System) -> list[str]:
    """Kernel log lines a failed hotplug step would leave."""
    words = ("failed", "incomplete", "error", "Eject disabled")
    return [line for line in system.kernel.dmesg().splitlines() if any(w in line for w in words)]


def test_a_failing_ost_observer_leaves_the_hot_add_complete_and_is_reported() -> None:
    system = System.build(SMP)
    system.machine.observers.ost.append(broken)
    with pytest.raises(HostFault, match="HostBug: observer bug") as info:
        system.enable(3)
    assert isinstance(info.value.__cause__, HostBug)
    view = system.guest_view()
    assert 3 in view.enabled and 3 in view.online
    assert system.vmm_enabled() == {0, 1, 3}
    assert guest_failures(system) == []
    system.run_until_idle()  # collected once: nothing left to raise


def test_a_failing_device_deleted_observer_leaves_the_unplug_complete() -> None:
    system = System.build(SMP)
    system.enable(3)
    failed: list[object] = []
    system.machine.observers.unplug_failed.append(failed.append)
    system.machine.observers.device_deleted.append(broken)
    with pytest.raises(HostFault):
        system.disable(3)
    view = system.guest_view()
    assert 3 not in view.enabled and 3 not in view.online
    assert system.vmm_enabled() == {0, 1}
    assert failed == [] and system.machine.pending_unplugs() == []
    assert guest_failures(system) == []
    osts = [e for e in system.trace.filter(TraceKind.VMM_LOG) if "unplug failed" in (e.message or "")]
    assert osts == []


def test_a_failing_trace_listener_does_not_change_what_the_guest_does() -> None:
    reference = System.build(SMP)
    reference.enable(2)
    reference.disable(2)
    system = System.build(SMP)
    system.trace.subscribe(broken)
    with pytest.raises(HostFault) as info:
        system.enable(2)
    assert info.value.count > 1  # every traced crossing of the hot-add called it
    with pytest.raises(HostFault):
        system.disable(2)
    assert system.guest_view() == reference.guest_view()
    assert system.trace.counts == reference.trace.counts  # the same crossings, one by one


def test_a_broken_qmp_subscriber_is_an_internal_error_not_a_failed_unplug() -> None:
    vm = build_vm(VmSpec(smp="cpus=2,maxcpus=4"))
    seen: list[object] = []
    vm.backend.subscribe(broken)
    vm.backend.subscribe(seen.append)  # later subscribers still hear every event
    vm.backend.plug(3)
    with pytest.raises(HostFault):
        vm.backend.run_pending()
    vm.backend.unplug(3)
    with pytest.raises(HostFault):
        vm.backend.run_pending()
    assert [type(e).__name__ for e in seen] == ["OstReport", "OstReport", "DeviceDeleted",
                                                "OstReport"]
    view = vm.guest_view()
    assert view is not None and 3 not in view.online
    assert not vm.machine.vcpus[3].enabled
