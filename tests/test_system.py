"""The system end to end: a VMM machine, its tables and the Linux guest, cpus=2,maxcpus=6 (issue 5)."""

from __future__ import annotations

import pytest

from tests.guest.helpers import (assert_path, evaluated, guest_line, hvc, irq, mmio, notify, ost,
                                 vcpu_start)
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import Errno, SysfsError
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState

CPU = "/sys/devices/system/cpu"


@pytest.fixture
def system() -> System:
    return System.build("cpus=2,maxcpus=6")


def sysfs(s: System) -> dict[str, str]:
    return {name: s.sysfs.read(f"{CPU}/{name}") for name in ("possible", "present", "enabled", "online",
                                                              "offline")}


def test_boot_masks_exact(system: System) -> None:
    assert sysfs(system) == {"possible": "0-5\n", "present": "0-5\n", "enabled": "0-1\n",
                             "online": "0-1\n", "offline": "2-5\n"}
    assert system.sysfs.read(f"{CPU}/cpu1/online") == "1\n"
    assert [v.power for v in system.machine.vcpus] == [PowerState.ON] * 2 + [PowerState.OFF] * 4


def test_boot_cpu_on_denied_is_silent(system: System) -> None:
    denied = [e for e in system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON)
              if (e.result[0] & 0xFFFF_FFFF) == (PsciReturn.DENIED & 0xFFFF_FFFF)]
    assert sorted(e.args[0] for e in denied) == [2, 3, 4, 5]
    assert not system.kernel.klog.contains("failed to boot")


def test_enable_vcpu4_path_and_masks(system: System) -> None:
    t0 = system.clock.now_ns()
    system.enable(4)
    assert sysfs(system)["enabled"] == "0-1,4\n"
    assert sysfs(system)["online"] == "0-1,4\n"
    assert sysfs(system)["present"] == "0-5\n"
    assert system.sysfs.read(f"{CPU}/cpu4/online") == "1\n"
    events = system.trace.filter(since_ns=t0)
    assert_path(events, [
        irq(GED_INTID),
        evaluated("\\_SB.GED._EVT(0x29)"),
        mmio("ged"),
        mmio("cpuhp"),
        notify("\\_SB.C004", 1),
        evaluated("\\_SB.C004._STA"),
        guest_line("register_cpu cpu4"),
        ost(1, 0),
        hvc(PsciFunction.CPU_ON, target=4, ret=0),
        vcpu_start(4),
        guest_line("CPU4: Booted secondary processor 0x0000000004"),
    ])
    assert system.machine.vcpus[4].power is PowerState.ON


def test_disable_vcpu4_path_then_denied(system: System) -> None:
    system.enable(4)
    deleted = []
    system.machine.observers.device_deleted.append(deleted.append)
    t0 = system.clock.now_ns()
    system.disable(4)
    events = system.trace.filter(since_ns=t0)
    assert_path(events, [
        irq(GED_INTID),
        evaluated("\\_SB.GED._EVT"),
        notify("\\_SB.C004", 3),
        ost(3, 0x84),
        hvc(PsciFunction.CPU_OFF, caller=4, ret=0),
        guest_line("psci: CPU4 killed"),
        evaluated("\\_SB.C004._EJ0(0x1)"),
        evaluated("\\_SB.C004._STA"),
        guest_line("unregister_cpu cpu4"),
        ost(3, 0),
    ])
    assert [d.cpu for d in deleted] == [4]
    assert system.machine.vcpus[4].admin is AdminState.DISABLED
    assert sysfs(system) == {"possible": "0-5\n", "present": "0-5\n", "enabled": "0-1\n",
                             "online": "0-1\n", "offline": "2-5\n"}
    # Firmware now refuses the CPU: the kernel's cpu_up (what `echo 1 > online` runs) gets DENIED,
    # silently, as -EPERM.
    result: list[int] = []
    system.kernel.cpu_hotplug.cpu_up(4, result.append)
    assert result == [-Errno.EPERM]
    last = system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON)[-1]
    assert last.args[0] == 4 and last.result[0] & 0xFFFF_FFFF == PsciReturn.DENIED & 0xFFFF_FFFF
    assert not system.kernel.klog.contains("CPU4: failed to boot")
    # Linux 6.11 unregistered cpu4 after the eject: its directory is gone.
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU}/cpu4/online", "1")
    assert e.value.errno is Errno.ENOENT


def test_echo_1_fails_with_eperm_when_firmware_denies_a_registered_cpu() -> None:
    # auto-online off: cpu4 is registered (enabled) but offline; the operator offlines it again after
    # onlining, the VMM policy then disables it while the guest keeps it registered because its eject
    # is still in progress... the direct way: an operator writes online while firmware denies.
    from vcpu_hotplug.guest import GuestConfig, GuestKnobs
    s = System.build("cpus=2,maxcpus=6", guest=GuestConfig(knobs=GuestKnobs(auto_online=False,
                                                                            ignore_notifications=False)))
    s.enable(4)
    assert s.sysfs.read(f"{CPU}/cpu4/online") == "0\n"
    # The guest ignores the removal; the VMM times out and keeps the vCPU enabled ...
    s.knobs.ignore_notifications = True
    s.disable(4)
    assert s.machine.vcpus[4].admin is AdminState.ENABLED
    s.sysfs.write(f"{CPU}/cpu4/online", "1")
    assert s.sysfs.read(f"{CPU}/online") == "0-1,4\n"


def test_user_online_offline_round_trip(system: System) -> None:
    system.enable(4)
    system.sysfs.write(f"{CPU}/cpu4/online", "0")
    assert system.sysfs.read(f"{CPU}/online") == "0-1\n"
    assert system.sysfs.read(f"{CPU}/enabled") == "0-1,4\n"
    assert system.machine.vcpus[4].power is PowerState.OFF
    system.sysfs.write(f"{CPU}/cpu4/online", "1")
    assert system.sysfs.read(f"{CPU}/online") == "0-1,4\n"
    assert system.machine.vcpus[4].power is PowerState.ON


def test_last_online_cpu_cannot_go_offline(system: System) -> None:
    system.sysfs.write(f"{CPU}/cpu1/online", "0")
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU}/cpu0/online", "0")
    assert e.value.errno is Errno.EBUSY
    assert system.sysfs.read(f"{CPU}/online") == "0\n"


def test_sysfs_write_errors(system: System) -> None:
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU}/cpu1/online", "maybe")
    assert e.value.errno is Errno.EINVAL
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU}/online", "0-3")
    assert e.value.errno is Errno.EACCES
    with pytest.raises(SysfsError) as e:
        system.sysfs.read(f"{CPU}/cpu3/online")
    assert e.value.errno is Errno.ENOENT


def test_guest_and_vmm_agree_after_each_operation(system: System) -> None:
    for op, cpu in [("enable", 3), ("enable", 5), ("disable", 3), ("enable", 2), ("disable", 5)]:
        getattr(system, op)(cpu)
        assert system.guest_view().enabled == system.vmm_enabled()
        assert system.guest_view().online == system.vmm_enabled()


def test_from_tables_boots_another_vmms_tables_with_its_boot_policy() -> None:
    """The checker's stand-in machine: the tables as given, the boot policy applied as cold plugs."""
    image = build_firmware(Machine(MachineConfig(smp="cpus=1,maxcpus=4")))
    tables = [data for sig, data in image.tables.items() if sig not in ("RSDP", "XSDT")]
    system = System.from_tables(tables, maxcpus=4, enabled_at_boot=[0, 2])
    assert system.vmm_enabled() == {0, 2}
    assert system.guest_view().online == {0, 2}
    system.enable(1)
    assert system.guest_view().online == {0, 1, 2}


def test_from_tables_ged_raises_the_interrupt_the_tables_name() -> None:
    system = System.from_tables([], maxcpus=2, ged_gsi=GED_INTID + 1, boot=False)
    assert system.machine.config.ged_gsi == GED_INTID + 1
