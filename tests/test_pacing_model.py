"""The realtime pace's step latencies in simulated time, exactly, without the wall clock.

A :class:`RealtimePacer` gives the guest's steps their latencies on the simulated clock (it postpones the
work each step queues); the wall clock only decides when those simulated instants are played. So the
machine's own event times (``OstReport.time_ns``, ``DeviceDeleted.time_ns``) and the guest's kernel-log
timestamps show the model exactly, here with the clock run to idle as fast as it goes.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.notify import NotifyValue, OstStatus
from vcpu_hotplug.guest import GuestConfig, GuestKnobs
from vcpu_hotplug.hw.clock import NS_PER_MS, NS_PER_US
from vcpu_hotplug.qmp.pacing import DEFAULT_LATENCIES, RealtimePacer, StepLatencies
from vcpu_hotplug.vm import VirtualMachine, VmSpec, build_vm
from vcpu_hotplug.vmm.machine import DeviceDeleted, OstReport, UnplugFailed

SLACK_NS = 20 * NS_PER_US
"""The guest model's own microsecond steps (IRQ thread, work item, udev) on top of the latencies."""
LAT = DEFAULT_LATENCIES


def paced_vm(latencies: StepLatencies = LAT, **spec) -> tuple[VirtualMachine, RealtimePacer, list]:
    vm = build_vm(VmSpec(**({"smp": "cpus=2,maxcpus=6"} | spec)))
    pacer = RealtimePacer(vm.backend, latencies)
    events: list = []
    vm.backend.subscribe(events.append)
    return vm, pacer, events


def settle(vm: VirtualMachine) -> None:
    assert vm.system is not None
    vm.system.run_until_idle()


def after(events: list, kind: type, start_ns: int, **match: int) -> list[int]:
    return [e.time_ns - start_ns for e in events
            if isinstance(e, kind) and e.time_ns >= start_ns and all(getattr(e, k) == v for k, v in match.items())]


def close_to(measured: int, expected: int) -> bool:
    return expected <= measured <= expected + SLACK_NS


def test_a_hot_add_answers_ost_after_notify_and_work_and_comes_online_after_bring_up() -> None:
    vm, _, events = paced_vm()
    start = vm.now_ns()
    vm.backend.plug(2)
    settle(vm)
    [ost] = after(events, OstReport, start, cpu=2, source=1)
    assert close_to(ost, LAT.acpi_notify_ns + LAT.hot_add_work_ns)
    assert vm.system is not None
    booted = [r for r in vm.system.kernel.klog.records if "CPU2: Booted secondary processor" in r.text]
    assert booted and booted[-1].time_ns - start >= ost + LAT.cpu_up_ns


EJECT = NotifyValue.EJECT_REQUEST
IN_PROGRESS = OstStatus.EJECT_IN_PROGRESS


def test_an_unplug_says_0x84_after_notify_then_is_deleted_after_cpu_off_and_ej0() -> None:
    """As recorded on real Linux: the eject's _OST 0x84 when its work starts (device_del -> 0x84 median
    12.9 ms), DEVICE_DELETED once the CPU is offline and _EJ0 has run, the final _OST after the _STA check
    and post_eject (DEVICE_DELETED -> final _OST median 5.7 ms)."""
    vm, _, events = paced_vm()
    vm.backend.plug(2)
    settle(vm)
    start = vm.now_ns()
    vm.backend.unplug(2)
    settle(vm)
    [in_progress] = after(events, OstReport, start, cpu=2, source=EJECT, status=IN_PROGRESS)
    assert close_to(in_progress, LAT.eject_started_ns)
    [deleted] = after(events, DeviceDeleted, start, cpu=2)
    assert close_to(deleted, LAT.acpi_notify_ns + LAT.cpu_off_ns + LAT.eject_ns)
    [final] = after(events, OstReport, start, cpu=2, source=EJECT, status=OstStatus.SUCCESS)
    assert close_to(final, deleted + LAT.post_eject_ns)
    assert close_to(final, LAT.eject_done_ns)


def test_an_unplugged_cpu_goes_down_after_its_teardown_not_at_the_0x84() -> None:
    """Real Linux logs "psci: CPUn killed" about 96 ms after the 0x84 (cpu_down's cpuhp teardown, then
    the dying CPU's CPU_OFF), and the CPU stays online until then; _EJ0 follows the kill by eject_ns."""
    vm, _, events = paced_vm()
    vm.backend.plug(2)
    settle(vm)
    assert vm.system is not None
    start = vm.now_ns()
    vm.backend.unplug(2)
    vm.system.run_for(LAT.eject_started_ns + LAT.cpu_off_ns // 2)
    [in_progress] = after(events, OstReport, start, cpu=2, source=EJECT, status=IN_PROGRESS)
    assert 2 in vm.system.kernel.online  # the teardown runs: the CPU is not down yet
    settle(vm)
    [killed] = [r.time_ns - start for r in vm.system.kernel.klog.records
                if r.time_ns >= start and "psci: CPU2 killed" in r.text]
    assert close_to(killed, in_progress + LAT.cpu_off_ns)
    [deleted] = after(events, DeviceDeleted, start, cpu=2)
    assert close_to(deleted, killed + LAT.eject_ns)


def test_commands_before_the_evt_share_it_and_its_work_queues_in_order() -> None:
    """As recorded (a guest without udev: no bring-up holds cpu_hotplug_lock against the next work)."""
    vm, _, events = paced_vm(guest=GuestConfig(knobs=GuestKnobs(auto_online=False)))
    start = vm.now_ns()
    for cpu in (2, 3, 4):
        vm.backend.plug(cpu)
    settle(vm)
    osts = [after(events, OstReport, start, cpu=cpu, source=1)[0] for cpu in (2, 3, 4)]
    first = LAT.acpi_notify_ns + LAT.hot_add_work_ns
    assert [close_to(t, first + i * LAT.next_device_ns) for i, t in enumerate(osts)] == [True] * 3

    start = vm.now_ns()
    vm.backend.unplug(3)
    vm.backend.unplug(4)  # offline CPUs: no CPU goes down, only _EJ0 takes time (real Linux: ~2 ms)
    settle(vm)
    assert close_to(after(events, DeviceDeleted, start, cpu=3)[0], LAT.acpi_notify_ns + LAT.eject_ns)
    # the second eject's work starts next_device_ns after the first's has ended
    [second_0x84] = after(events, OstReport, start, cpu=4, source=EJECT, status=IN_PROGRESS)
    assert close_to(second_0x84, LAT.acpi_notify_ns + LAT.eject_ns + LAT.post_eject_ns + LAT.next_device_ns)
    assert close_to(after(events, DeviceDeleted, start, cpu=4)[0], second_0x84 + LAT.eject_ns)


def test_a_command_after_the_evt_waits_for_its_own() -> None:
    vm, pacer, events = paced_vm(guest=GuestConfig(knobs=GuestKnobs(auto_online=False)))
    start = vm.now_ns()
    vm.backend.plug(2)
    assert vm.system is not None
    vm.system.run_for(LAT.acpi_notify_ns + NS_PER_MS)  # the first _EVT has run; its work is queued
    vm.backend.plug(3)
    settle(vm)
    first = after(events, OstReport, start, cpu=2, source=1)[0]
    second = after(events, OstReport, start, cpu=3, source=1)[0]
    assert close_to(first, LAT.acpi_notify_ns + LAT.hot_add_work_ns)
    # its own _EVT 13 ms after its interrupt, then its work behind the first's
    own_evt = LAT.acpi_notify_ns + NS_PER_MS + LAT.acpi_notify_ns
    assert close_to(second, max(own_evt, first) + LAT.hot_add_work_ns)


def test_a_refused_unplug_reports_as_soon_as_the_offline_fails() -> None:
    """A busy CPU: the work says 0x84, the offline fails at once ("Offline failed."), and the refusal's
    _OST (0x82, busy) follows with no offline or _EJ0 time."""
    vm, _, events = paced_vm()
    vm.backend.plug(2)
    settle(vm)
    assert vm.system is not None
    vm.system.knobs.busy_cpus.add(2)
    start = vm.now_ns()
    vm.backend.unplug(2)
    settle(vm)
    [in_progress] = after(events, OstReport, start, cpu=2, source=EJECT, status=IN_PROGRESS)
    [refused] = after(events, OstReport, start, cpu=2, source=EJECT, status=OstStatus.DEVICE_BUSY)
    [failed] = after(events, UnplugFailed, start, cpu=2)
    assert close_to(in_progress, LAT.eject_started_ns)
    assert refused == failed == in_progress
    assert not after(events, DeviceDeleted, start)


def test_two_ejects_of_online_cpus_queue_whole_on_the_ordered_workqueue() -> None:
    """kacpi_hotplug runs one work item at a time: the second eject's 0x84 comes after the first eject's
    offline and _EJ0 (real Linux: 0x84 of the second 2-3 ms after the first's final _OST)."""
    vm, _, events = paced_vm(guest=GuestConfig(knobs=GuestKnobs(auto_online=False)))
    for cpu in (2, 3):
        vm.backend.plug(cpu)
    settle(vm)
    assert vm.system is not None
    for cpu in (2, 3):
        vm.system.sysfs.write(f"cpu{cpu}/online", 1)
    settle(vm)
    start = vm.now_ns()
    vm.backend.unplug(2)
    vm.backend.unplug(3)
    settle(vm)
    whole = LAT.cpu_off_ns + LAT.eject_ns
    first = after(events, DeviceDeleted, start, cpu=2)[0]
    assert close_to(first, LAT.acpi_notify_ns + whole)
    [second_0x84] = after(events, OstReport, start, cpu=3, source=EJECT, status=IN_PROGRESS)
    assert close_to(second_0x84, first + LAT.post_eject_ns + LAT.next_device_ns)
    assert close_to(after(events, DeviceDeleted, start, cpu=3)[0], second_0x84 + whole)


def test_a_hot_add_queued_behind_an_eject_waits_for_its_ej0() -> None:
    """A device_add sent while an eject's offline runs: its own _EVT notifies the new CPU, whose work
    waits on the ordered workqueue until the eject's work has ended."""
    vm, _, events = paced_vm(guest=GuestConfig(knobs=GuestKnobs(auto_online=False)))
    vm.backend.plug(2)
    settle(vm)
    assert vm.system is not None
    vm.system.sysfs.write("cpu2/online", 1)
    settle(vm)
    start = vm.now_ns()
    vm.backend.unplug(2)
    vm.system.run_for(LAT.acpi_notify_ns + NS_PER_MS)  # the eject's work has started
    vm.backend.plug(3)
    settle(vm)
    deleted = after(events, DeviceDeleted, start, cpu=2)[0]
    [added] = after(events, OstReport, start, cpu=3, source=1)
    assert close_to(deleted, LAT.device_deleted_ns)
    assert close_to(added, deleted + LAT.post_eject_ns + LAT.hot_add_work_ns)


def test_a_bring_up_holds_cpu_hotplug_lock_against_the_next_hot_add_work() -> None:
    """With udev onlining, the first CPU's bring-up (CPU_ON to online) holds cpu_hotplug_lock, which
    the next processor's acpi_processor_add needs (cpu_maps_update_begin), so that work waits for it."""
    vm, _, events = paced_vm()
    start = vm.now_ns()
    vm.backend.plug(2)
    vm.backend.plug(3)
    settle(vm)
    first = after(events, OstReport, start, cpu=2, source=1)[0]
    second = after(events, OstReport, start, cpu=3, source=1)[0]
    udev = vm.spec.guest.latency.udev_ns  # KOBJ_ADD to udev's write of cpu2/online
    assert close_to(second, first + udev + LAT.cpu_up_ns)


def test_latencies_of_zero_leave_the_guest_models_own_timing() -> None:
    zero = StepLatencies(acpi_notify_ns=0, hot_add_work_ns=0, next_device_ns=0, cpu_up_ns=0, cpu_off_ns=0,
                         eject_ns=0, post_eject_ns=0)
    vm, pacer, events = paced_vm(zero)
    start = vm.now_ns()
    vm.backend.plug(2)
    settle(vm)
    assert after(events, OstReport, start, cpu=2, source=1)[0] <= SLACK_NS
