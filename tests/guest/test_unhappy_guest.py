"""An unhappy guest, for orchestrators to be tested against (``GuestKnobs``).

A CPU that refuses to go offline, a guest that ignores notifications, slow
onlining, no auto-online, ejects disabled, offlining disabled. In each case
the guest answers as Linux would (``_OST`` codes of ``acpi_device_hotplug``,
errnos of ``online_store``), the VMM reports the failure to the management
plane (``machine.observers``) and neither side loses state.
"""

from __future__ import annotations

import pytest

from tests.guest.helpers import CPU_SYSFS, assert_path, cpu_masks, guest_line, log_lines, ost
from vcpu_hotplug.acpi.notify import NotifyValue, OstStatus
from vcpu_hotplug.guest import Errno, GuestConfig, GuestKnobs, SysfsError
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.machine import MachineConfig, UnplugFailed
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState

SMP = "cpus=2,maxcpus=6"
BOOTED = "CPU4: Booted secondary processor"


def build(**knobs) -> System:
    return System.build(SMP, guest=GuestConfig(knobs=GuestKnobs(**knobs)))


def failures(system: System) -> list[UnplugFailed]:
    seen: list[UnplugFailed] = []
    system.machine.observers.unplug_failed.append(seen.append)
    return seen


def assert_cpu4_still_plugged(system: System) -> None:
    """Both sides still have vCPU 4: VMM enabled and powered, guest enabled and online."""
    vcpu = system.machine.vcpus[4]
    assert vcpu.admin is AdminState.ENABLED and vcpu.power is PowerState.ON
    assert system.machine.pending_unplugs() == []
    masks = cpu_masks(system)
    assert masks["enabled"] == "0-1,4" and masks["online"] == "0-1,4"
    assert system.guest_view().enabled == system.vmm_enabled()


def test_a_busy_cpu_fails_the_eject_with_ost_busy_and_stays() -> None:
    system = build(busy_cpus={4})
    system.enable(4)
    failed = failures(system)
    t0 = system.clock.now_ns()
    system.disable(4)
    assert_path(system.trace.filter(since_ns=t0), [
        ost(NotifyValue.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS),
        guest_line("cpu cpu4: Offline failed."),
        ost(NotifyValue.EJECT_REQUEST, OstStatus.DEVICE_BUSY),
    ])
    assert [(f.cpu, f.status) for f in failed] == [(4, OstStatus.DEVICE_BUSY)]
    assert_cpu4_still_plugged(system)
    # No state lost: once the CPU is idle the same request succeeds.
    system.knobs.busy_cpus.clear()
    system.disable(4)
    assert system.machine.vcpus[4].admin is AdminState.DISABLED
    assert cpu_masks(system)["enabled"] == "0-1"


def test_a_busy_cpu_refuses_a_user_offline_with_ebusy() -> None:
    system = build(busy_cpus={1})
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU_SYSFS}/cpu1/online", "0")
    assert e.value.errno is Errno.EBUSY
    assert cpu_masks(system)["online"] == "0-1"


def test_ignored_notifications_make_a_disable_time_out_with_nothing_lost() -> None:
    system = build()
    system.enable(4)
    system.knobs.ignore_notifications = True
    failed = failures(system)
    t0 = system.clock.now_ns()
    system.disable(4)
    assert [(f.cpu, f.status) for f in failed] == [(4, None)]
    assert failed[0].time_ns - t0 == system.machine.config.unplug_timeout_ns
    assert_cpu4_still_plugged(system)
    # The register block dropped the remove event: a later disable of a listening guest works.
    system.knobs.ignore_notifications = False
    system.disable(4)
    assert system.machine.vcpus[4].admin is AdminState.DISABLED and cpu_masks(system)["enabled"] == "0-1"


def test_the_unplug_timeout_is_the_machines() -> None:
    timeout = 123_000_000
    system = System.build(machine_config=MachineConfig(smp=SMP, unplug_timeout_ns=timeout))
    system.enable(4)
    system.knobs.ignore_notifications = True
    failed = failures(system)
    t0 = system.clock.now_ns()
    system.disable(4)
    assert failed[0].time_ns - t0 == timeout


def online_time(delay_ns: int) -> tuple[int, System]:
    """Simulated ns from the enable to the hot-added CPU's "Booted secondary processor" line."""
    system = build(online_delay_ns=delay_ns)
    t0 = system.clock.now_ns()
    system.enable(4)
    booted = [r for r in system.kernel.klog.records if r.text.startswith(BOOTED)]
    assert len(booted) == 1
    return booted[0].time_ns - t0, system


def test_slow_onlining_shows_on_the_simulated_clock() -> None:
    delay = 3_000_000_000
    fast, system = online_time(0)
    slow, _ = online_time(delay)
    assert slow - fast == delay
    latency = system.kernel.config.latency
    # Notify -> hotplug work -> registration -> udev -> CPU_ON -> the vCPU starts.
    assert fast == (latency.irq_thread_ns + latency.hotplug_work_ns + latency.udev_ns
                    + system.machine.config.cpu_on_delay_ns)


def test_while_onlining_is_slow_the_cpu_is_enabled_but_offline() -> None:
    delay = 3_000_000_000
    system = build(online_delay_ns=delay)
    system.enable(4, settle=False)
    system.run_for(delay // 2)
    masks = cpu_masks(system)
    assert masks["enabled"] == "0-1,4" and masks["online"] == "0-1"
    assert system.sysfs.read(f"{CPU_SYSFS}/cpu4/online") == "0\n"
    system.run_until_idle()
    assert cpu_masks(system)["online"] == "0-1,4"


def test_without_auto_online_a_hot_added_cpu_waits_for_cpu_online() -> None:
    system = build(auto_online=False)
    system.enable(4)
    assert cpu_masks(system)["enabled"] == "0-1,4" and cpu_masks(system)["online"] == "0-1"
    assert system.sysfs.read(f"{CPU_SYSFS}/cpu4/online") == "0\n"
    assert system.machine.vcpus[4].power is PowerState.OFF
    system.run_for(10 * 1_000_000_000)
    assert cpu_masks(system)["online"] == "0-1"
    system.sysfs.write(f"{CPU_SYSFS}/cpu4/online", "1")
    assert cpu_masks(system)["online"] == "0-1,4"
    assert system.machine.vcpus[4].power is PowerState.ON


def test_ejects_disabled_answer_ost_not_supported() -> None:
    """``/sys/firmware/acpi/hotplug/processor/enabled`` = 0: "Eject disabled", ``-EPERM`` -> 0x80."""
    system = build()
    system.enable(4)
    system.knobs.eject_enabled = False
    failed = failures(system)
    system.disable(4)
    assert "acpi ACPI0007:04: Eject disabled" in log_lines(system)
    assert [(f.cpu, f.status) for f in failed] == [(4, OstStatus.EJECT_NOT_SUPPORTED)]
    assert_cpu4_still_plugged(system)


def test_a_cpu_whose_offline_is_disabled_has_no_online_file_and_fails_the_eject() -> None:
    """``offline_disabled``: no ``online`` attribute (so udev cannot online the hot-added CPU either);
    ``device_offline`` is ``-EPERM`` before it looks at the CPU, which the eject reports as "Offline
    failed." and ``_OST`` 0x82 (``acpi_scan_try_to_offline``)."""
    system = build(offline_disabled_cpus={4})
    system.enable(4)
    with pytest.raises(SysfsError) as e:
        system.sysfs.read(f"{CPU_SYSFS}/cpu4/online")
    assert e.value.errno is Errno.ENOENT
    assert cpu_masks(system)["enabled"] == "0-1,4" and cpu_masks(system)["online"] == "0-1"
    failed = failures(system)
    system.disable(4)
    assert "cpu cpu4: Offline failed." in log_lines(system)
    assert [(f.cpu, f.status) for f in failed] == [(4, OstStatus.DEVICE_BUSY)]
    assert system.machine.vcpus[4].admin is AdminState.ENABLED
    assert cpu_masks(system)["enabled"] == "0-1,4"


def test_offlining_disabled_everywhere_is_eopnotsupp() -> None:
    system = build(offline_disabled=True)
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU_SYSFS}/cpu1/online", "0")
    assert e.value.errno is Errno.EOPNOTSUPP
    system.enable(4)
    failed = failures(system)
    system.disable(4)
    assert [(f.cpu, f.status) for f in failed] == [(4, OstStatus.DEVICE_BUSY)]
    assert_cpu4_still_plugged(system)


def test_a_disable_that_overtakes_its_hot_add_is_seen_as_both_events_in_order() -> None:
    """The VMM keeps the unacknowledged insert (as QEMU does), so the guest adds the processor on
    the Device Check before the Eject Request reaches it; with ejects disabled it refuses the
    eject ("Eject disabled", ``_OST`` 0x80) and both sides keep the vCPU."""
    system = build(eject_enabled=False)
    failed = failures(system)
    system.enable(4, settle=False)
    system.disable(4)
    lines = log_lines(system)
    added = lines.index("ACPI: CPU4 has been hot-added")
    assert added < lines.index("acpi ACPI0007:04: Eject disabled")
    assert [(f.cpu, f.status) for f in failed] == [(4, OstStatus.EJECT_NOT_SUPPORTED)]
    assert_cpu4_still_plugged(system)
