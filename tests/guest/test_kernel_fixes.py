"""The 2026 Linux fixes, each with the scenario it fixes: before (the older release) and after (7.2).

- ``f9a82544c717`` "cpu/hotplug: Fix NULL kobject warning in cpuhp_smt_enable()":
  with HOTPLUG_SMT (6.15, ``eed4583bcf9a``) and every possible CPU present,
  ``echo off``/``echo on`` to ``smt/control`` on a VM with threads and
  Online Capable vCPUs brings the secondary threads back, then warns on the
  first present CPU that was never registered and fails the write; 7.2 marks
  only registered (Enabled or hot-added) CPUs present. The reproduction is the
  commit message's: ``-smp 4,maxcpus=8`` with two threads per core.
- ``18a4e5cf633f`` "arm64: smp: Fix hot-unplug tearing by forcing
  unregistration": firmware whose ``_STA`` drops *present* after an eject
  (QEMU's generic CPU AML returns 0 for a vCPU that is not enabled) made
  ``arch_unregister_cpu`` return early, leaving ``cpuN`` behind; re-adding the
  CPU then finds the stale device, skips ``acpi_processor_hotadd_init`` and
  nothing onlines it. 7.2 unregisters it anyway.
"""

from __future__ import annotations

import base64

import pytest

from tests.guest.helpers import cpu_masks, log_lines, own_tables, replace_once, table_list
from vcpu_hotplug.guest import Errno, GuestConfig, GuestKernel, LogLevel, SysfsError
from vcpu_hotplug.guest.agent import AGENT_TASK, GuestAgent
from vcpu_hotplug.guest.smt import SYSFS_GROUP_WARNING, Task
from vcpu_hotplug.system import System

SMT_SMP = "cpus=4,maxcpus=8,threads=2"
CONTROL = "/sys/devices/system/cpu/smt/control"
ACTIVE = "/sys/devices/system/cpu/smt/active"


def smt_vm(kernel: GuestKernel, smp: str = SMT_SMP) -> System:
    return System.build(smp, guest=GuestConfig(kernel=kernel))


def warnings(system: System) -> list[str]:
    return [r.text for r in system.kernel.klog.records if r.text.startswith("WARNING:")]


# ------------------------------------------------- f9a82544c717: the NULL kobject warning


def test_7_1_smt_off_then_on_warns_on_the_first_never_registered_present_cpu() -> None:
    system = smt_vm(GuestKernel.LINUX_7_1)
    assert cpu_masks(system)["present"] == "0-7"          # every possible CPU, as until 7.1
    assert system.sysfs.read(CONTROL) == "on\n" and system.sysfs.read(ACTIVE) == "1\n"

    system.sysfs.write(CONTROL, "off\n")
    assert cpu_masks(system)["online"] == "0,2"
    assert {"psci: CPU1 killed (polled 0 ms)", "psci: CPU3 killed (polled 0 ms)"} <= set(log_lines(system))
    assert system.sysfs.read(CONTROL) == "off\n" and system.sysfs.read(ACTIVE) == "0\n"

    mark = len(log_lines(system))
    with pytest.raises(SysfsError) as raised:
        system.sysfs.write(CONTROL, "on", task=Task("sh", 181))
    assert raised.value.errno is Errno.EINVAL
    new = log_lines(system)[mark:]
    # CPU1 and CPU3 come back first (cpuhp_smt_enable walks the present CPUs in order), then CPU4,
    # present but never registered, fails topology_add_dev.
    assert [line for line in new if "Booted secondary processor" in line] == [
        f"CPU{c}: Booted secondary processor 0x{system.machine.vcpus[c].mpidr:010x} "
        f"[0x{system.kernel.config.midr:08x}]" for c in (1, 3)]
    cut = new.index("------------[ cut here ]------------")
    assert new[cut + 1] == f"{SYSFS_GROUP_WARNING}, CPU#0: sh/181"
    assert new[cut + 3] == "CPU: 0 UID: 0 PID: 181 Comm: sh Not tainted 7.1.0 #1 PREEMPT"
    assert " topology_add_dev+0x1c/0x28" in new and " cpuhp_smt_enable+0xbc/0x114" in new
    assert new[-1] == "---[ end trace 0000000000000000 ]---"
    assert all(r.level is LogLevel.WARNING for r in system.kernel.klog.records[-len(new) + cut:])
    assert cpu_masks(system)["online"] == "0-3" and cpu_masks(system)["enabled"] == "0-3"
    assert system.sysfs.read(CONTROL) == "on\n"           # set before the loop, kept after the failure

    # The next round warns again (WARN_ON, not _ONCE), now on a tainted kernel.
    system.sysfs.write(CONTROL, "off")
    with pytest.raises(SysfsError):
        system.sysfs.write(CONTROL, "on")
    assert len(warnings(system)) == 2
    assert "CPU: 0 UID: 0 PID: 181 Comm: sh Tainted: G        W 7.1.0 #1 PREEMPT" in log_lines(system)


def test_7_2_smt_off_then_on_brings_the_threads_back_without_a_warning() -> None:
    system = smt_vm(GuestKernel.LINUX_7_2)
    assert cpu_masks(system)["present"] == "0-3"          # only the MADT-Enabled vCPUs
    system.sysfs.write(CONTROL, "off")
    assert cpu_masks(system)["online"] == "0,2"
    system.sysfs.write(CONTROL, "on")
    assert cpu_masks(system)["online"] == "0-3"
    assert warnings(system) == []
    assert system.sysfs.read(ACTIVE) == "1\n"
    # A hot-added vCPU is present (acpi_map_cpu) and registered, so SMT control reaches it safely.
    system.enable(5)
    assert cpu_masks(system)["present"] == "0-3,5"
    system.sysfs.write(CONTROL, "off")
    assert cpu_masks(system)["online"] == "0,2"              # cpu5 is core 2's second thread
    system.sysfs.write(CONTROL, "on")
    assert cpu_masks(system)["online"] == "0-3,5" and warnings(system) == []


def test_6_12_has_no_smt_control_on_arm64() -> None:
    system = smt_vm(GuestKernel.LINUX_6_12)
    assert system.sysfs.read(CONTROL) == "notimplemented\n"
    with pytest.raises(SysfsError) as raised:
        system.sysfs.write(CONTROL, "off")
    assert raised.value.errno is Errno.ENODEV
    assert cpu_masks(system)["online"] == "0-3"


@pytest.mark.parametrize("kernel", [GuestKernel.LINUX_7_1, GuestKernel.LINUX_7_2])
def test_one_thread_per_core_is_notsupported(kernel: GuestKernel) -> None:
    system = smt_vm(kernel, "cpus=2,maxcpus=4")
    assert system.sysfs.read(CONTROL) == "notsupported\n"
    assert system.sysfs.read(ACTIVE) == "0\n"
    with pytest.raises(SysfsError) as raised:
        system.sysfs.write(CONTROL, "on")
    assert raised.value.errno is Errno.ENODEV


def test_smt_control_values_as_control_store_parses_them() -> None:
    system = smt_vm(GuestKernel.LINUX_7_2)
    for bad in ("3", "yes", ""):
        with pytest.raises(SysfsError) as raised:
            system.sysfs.write(CONTROL, bad)
        assert raised.value.errno is Errno.EINVAL
    system.sysfs.write(CONTROL, "1")                      # one thread per core: off
    assert system.sysfs.read(CONTROL) == "off\n"
    # With SMT off a secondary thread that has run once may not be onlined by hand (cpu_bootable).
    with pytest.raises(SysfsError) as raised:
        system.sysfs.write("/sys/devices/system/cpu/cpu1/online", "1")
    assert raised.value.errno is Errno.EPERM
    system.sysfs.write(CONTROL, "2")                      # the machine's thread count: on
    assert system.sysfs.read(CONTROL) == "on\n" and cpu_masks(system)["online"] == "0-3"
    system.sysfs.write(CONTROL, "forceoff")
    assert system.sysfs.read(CONTROL) == "forceoff\n" and cpu_masks(system)["online"] == "0,2"
    with pytest.raises(SysfsError) as raised:
        system.sysfs.write(CONTROL, "on")
    assert raised.value.errno is Errno.EPERM
    with pytest.raises(SysfsError) as raised:
        system.sysfs.write(ACTIVE, "1")
    assert raised.value.errno is Errno.EACCES


# ------------------------------------------------- 18a4e5cf633f: forced unregistration

STA_SMP = "cpus=2,maxcpus=4"


def sta_drops_present() -> list[bytes]:
    """Our tables with CSTA returning 0 (not present) instead of 0x0D for a vCPU that is not enabled:
    what QEMU's generic CPU hotplug AML answers, so the eject takes away *present* too."""
    tables = own_tables(STA_SMP, qemu_block=True)       # CSTA returns the constant 0x0D
    tables["DSDT"] = replace_once(tables["DSDT"], b"\xa4\x0a\x0d", b"\xa4\x0a\x00")
    return table_list(tables)


def add_remove_add(kernel: GuestKernel) -> tuple[System, list[str]]:
    system = System.build(STA_SMP, tables=sta_drops_present(), guest=GuestConfig(kernel=kernel))
    system.enable(3)
    assert cpu_masks(system)["online"] == "0-1,3"
    system.disable(3)
    mark = len(log_lines(system))
    system.enable(3)
    return system, log_lines(system)[mark:]


def test_before_forced_unregistration_a_stale_cpu_blocks_its_re_add() -> None:
    system, readd = add_remove_add(GuestKernel.LINUX_7_1)
    lines = log_lines(system)
    assert lines.count("Changing CPU present bit is not supported") == 1
    assert lines.count("ACPI: CPU3 has been hot-added") == 1          # only the first add
    assert "ACPI: CPU3 has been hot-added" not in readd
    assert system.machine.vcpus[3].enabled                             # the VMM did plug it
    masks = cpu_masks(system)
    assert masks["enabled"] == "0-1,3" and masks["online"] == "0-1", "cpu3 is the stale device, offline"
    assert "cpu3" in system.sysfs.listdir()


def test_with_forced_unregistration_the_cpu_is_added_again() -> None:
    system, readd = add_remove_add(GuestKernel.LINUX_7_2)
    assert log_lines(system).count("Changing CPU present bit is not supported") == 1
    assert "ACPI: CPU3 has been hot-added" in readd
    assert cpu_masks(system) == {"possible": "0-3", "present": "0-1,3", "enabled": "0-1,3",
                                 "online": "0-1,3", "offline": "2"}


@pytest.mark.parametrize("kernel, registered", [(GuestKernel.LINUX_6_11, True), (GuestKernel.LINUX_7_2, False)])
def test_the_eject_itself_unregisters_only_with_the_fix(kernel: GuestKernel, registered: bool) -> None:
    system = System.build(STA_SMP, tables=sta_drops_present(), guest=GuestConfig(kernel=kernel))
    system.enable(2)
    system.disable(2)
    assert ("cpu2" in system.sysfs.listdir()) is registered
    assert (2 in system.kernel.enabled) is registered
    assert not system.machine.vcpus[2].enabled


@pytest.mark.parametrize("kernel", [GuestKernel.LINUX_7_1, GuestKernel.LINUX_7_2])
def test_the_guest_agent_can_write_smt_control(kernel: GuestKernel) -> None:
    """What a user of ``run --qga`` (or ``virsh qemu-agent-command``) does: guest-file-open/write/close."""
    system = smt_vm(kernel)
    agent = GuestAgent(system.kernel)

    def echo(text: str) -> dict:
        handle = agent.handle({"execute": "guest-file-open", "arguments": {"path": CONTROL, "mode": "w"}})["return"]
        agent.handle({"execute": "guest-file-write",
                      "arguments": {"handle": handle, "buf-b64": base64.b64encode(text.encode()).decode()}})
        return agent.handle({"execute": "guest-file-close", "arguments": {"handle": handle}})

    assert echo("off\n") == {"return": {}}
    reply = echo("on\n")
    if kernel is GuestKernel.LINUX_7_1:
        assert reply == {"error": {"class": "GenericError", "desc": "failed to close handle: Invalid argument"}}
        assert warnings(system) == [f"{SYSFS_GROUP_WARNING}, CPU#0: qemu-ga/{AGENT_TASK.pid}"]
    else:
        assert reply == {"return": {}} and warnings(system) == []
    assert cpu_masks(system)["online"] == "0-3"
