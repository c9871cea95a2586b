"""The scenarios of Linux's ``Documentation/arch/arm64/cpu-hotplug.rst``, one test each.

The document has two halves. *Physical systems* (CPUs not present at boot):
marking a possible-but-not-present CPU present "is not supported", and a
redistributor described through a disabled GICC "can't" be known to be
accessible. *Virtual systems* (CPUs not enabled at boot): everything is
described and present from boot, firmware (the VMM) enforces its policy with
PSCI ``DENIED``, online-capable GICCs are enabled later through ``_STA``
with Device Check / Eject Request, the always-on GICR structures describe
the redistributors, and ``_STA`` is re-read after a restart.

Expectations come from that document and the 6.11 code it describes
(``arch/arm64/kernel/smp.c``, ``drivers/acpi/acpi_processor.c``,
``drivers/acpi/scan.c``, ``drivers/irqchip/irq-gic-v3.c``).
"""

from __future__ import annotations

import pytest

from tests.guest.helpers import (CPU_SYSFS, assert_path, cpu_masks, edit_madt, evaluated, guest_line, hvc,
                                 log_lines, notify, ost, own_tables, replace_once, table_list)
from vcpu_hotplug.acpi.madt import GiccFlags, Gicr, Madt
from vcpu_hotplug.acpi.notify import NotifyValue, OstStatus
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import Errno, GuestConfig, GuestKnobs, PresentPolicy, SysfsError
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.machine import Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import AdminState, PowerState

SMP = "cpus=2,maxcpus=6"
INACCESSIBLE = "redistributor is inaccessible: this CPU can't be brought online"
PRESENT_BIT = "Changing CPU present bit is not supported"
STA_PRESENT = 0x01
STA_ENABLED = 0x02
AML_RETURN = 0xA4
AML_BYTE_PREFIX = 0x0A


def denied(event) -> bool:
    return (event.result[0] & 0xFFFF_FFFF) == (PsciReturn.DENIED & 0xFFFF_FFFF)


def cpu_on_calls(system: System, since_ns: int = 0) -> list:
    return system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON, since_ns=since_ns)


# --- physical systems: CPUs not present at boot -----------------------------------------------------

def test_physical_a_cpu_the_madt_does_not_describe_can_never_be_added() -> None:
    """A GICC with neither Enabled nor Online Capable is a CPU that is not there (a physical socket
    left empty): it is never possible, and a later Device Check claiming it present and enabled
    does not make it present ("This is not supported")."""
    tables = own_tables(SMP)

    def unplug_socket(madt: Madt) -> None:
        madt.giccs[5].flags = GiccFlags(0)
    tables["APIC"] = edit_madt(tables["APIC"], unplug_socket)
    system = System.build(SMP, tables=table_list(tables), guest=GuestConfig(dyndbg=True))  # pr_debug lines
    assert cpu_masks(system)["possible"] == "0-4"
    assert "skipping disabled CPU entry with 0x5 MPIDR" in log_lines(system)

    t0 = system.clock.now_ns()
    system.enable(5)                               # firmware now says present + enabled
    # acpi_processor_add finds no Enabled/Online Capable GICC for UID 5: no physical id, no CPU.
    assert_path(system.trace.filter(since_ns=t0), [notify("\\_SB.C005", NotifyValue.DEVICE_CHECK),
                                                   evaluated("\\_SB.C005._STA"),
                                                   guest_line("Failed to get CPU physical ID.")])
    assert cpu_masks(system) == {"possible": "0-4", "present": "0-4", "enabled": "0-1", "online": "0-1",
                                 "offline": "2-4"}
    assert not any(e.args[0] == system.machine.vcpus[5].mpidr for e in cpu_on_calls(system))
    assert system.guest_view().possible == frozenset({0, 1, 2, 3, 4})


def _sta_drops_present(tables: dict[str, bytes]) -> dict[str, bytes]:
    """Firmware whose processor ``_STA`` says "not present" (0) instead of "present, disabled" (0x0D)
    (our AML on QEMU's interface, whose ``CSTA`` returns the constant)."""
    disabled = bytes([AML_RETURN, AML_BYTE_PREFIX, 0x0D])
    absent = bytes([AML_RETURN, AML_BYTE_PREFIX, 0x00])
    tables = dict(tables)
    tables["DSDT"] = replace_once(tables["DSDT"], disabled, absent)
    return tables


def test_physical_a_cpu_whose_sta_drops_present_is_not_unregistered_by_6_11() -> None:
    """Ejecting a CPU and then reporting it *not present* looks like physical CPU hot-remove, which
    6.11's ``arch_unregister_cpu`` refuses: "Changing CPU present bit is not supported", the CPU stays
    registered (``enabled``, ``cpuN/``) although firmware removed it."""
    system = System.build(SMP, tables=table_list(_sta_drops_present(own_tables(SMP, qemu_block=True))))
    assert cpu_masks(system)["enabled"] == "0-1"     # 2..5 read _STA 0: not even present to ACPI
    system.disable(1)
    assert system.machine.vcpus[1].admin is AdminState.DISABLED
    assert PRESENT_BIT in log_lines(system)
    masks = cpu_masks(system)
    assert masks["online"] == "0" and masks["enabled"] == "0-1" and masks["present"] == "0-5"
    assert "cpu1" in system.sysfs.listdir()


def test_physical_the_2026_fix_logs_the_refusal_but_unregisters() -> None:
    """With the 2026 fix ``arch_unregister_cpu`` only warns about the present bit and unregisters, and
    ``acpi_unmap_cpu`` clears *present*."""
    system = System.build(SMP, tables=table_list(_sta_drops_present(own_tables(SMP, qemu_block=True))),
                          guest=GuestConfig(present_policy=PresentPolicy.FIX_2026))
    system.disable(1)
    assert PRESENT_BIT in log_lines(system)
    assert cpu_masks(system) == {"possible": "0-5", "present": "0", "enabled": "0", "online": "0",
                                 "offline": "1-5"}
    assert "cpu1" not in system.sysfs.listdir()


def _boot_cpus_enabled_in_madt(smp: str) -> dict[str, bytes]:
    """Our tables, but with every vCPU enabled at boot marked Enabled in the MADT (our VMM marks only
    the boot vCPU Enabled): what a physical machine, or a VMM that ignores the advice, describes."""
    machine = Machine(MachineConfig(smp=smp))
    tables = own_tables(smp)

    def boot_enabled(madt: Madt) -> None:
        for gicc in madt.giccs:
            if machine.vcpus[gicc.acpi_processor_uid].enabled:
                gicc.flags = GiccFlags.ENABLED
    tables["APIC"] = edit_madt(tables["APIC"], boot_enabled)
    return tables


def _redistributors_in_giccs(smp: str) -> list[bytes]:
    """Tables of a machine whose boot CPUs are MADT-Enabled, with the GICR structures replaced by
    each GICC's GICR Base Address."""
    machine = Machine(MachineConfig(smp=smp))
    tables = _boot_cpus_enabled_in_madt(smp)

    def via_gicc(madt: Madt) -> None:
        madt.subtables = [s for s in madt.subtables if not isinstance(s, Gicr)]
        for gicc in madt.giccs:
            gicc.gicr_base_address = machine.gic.redistributor_base(gicc.acpi_processor_uid)
    tables["APIC"] = edit_madt(tables["APIC"], via_gicc)
    return table_list(tables)


def test_physical_a_disabled_gicc_redistributor_is_inaccessible() -> None:
    """"ACPI's MADT GICC structures can describe a redistributor associated with a disabled CPU, but
    can't describe whether the redistributor is accessible": the GICv3 driver warns for every Online
    Capable, not Enabled GICC, and those CPUs never come online, not even after firmware enables them."""
    system = System.build(SMP, tables=_redistributors_in_giccs(SMP))
    lines = log_lines(system)
    for cpu in (2, 3, 4, 5):
        assert f"GICv3: CPU {cpu}'s {INACCESSIBLE}" in lines
    assert not any(f"CPU {cpu}'s {INACCESSIBLE}" in line for cpu in (0, 1) for line in lines)
    assert cpu_masks(system)["online"] == "0-1"

    t0 = system.clock.now_ns()
    system.enable(4)
    # The hot-add registers the CPU (ACPI has no objection), but the checkrdist hotplug state
    # refuses its bring-up with -EINVAL before any PSCI call.
    masks = cpu_masks(system)
    assert masks["enabled"] == "0-1,4" and masks["online"] == "0-1"
    assert cpu_on_calls(system, t0) == []
    with pytest.raises(SysfsError) as e:
        system.sysfs.write(f"{CPU_SYSFS}/cpu4/online", "1")
    assert e.value.errno is Errno.EINVAL
    assert system.machine.vcpus[4].power is PowerState.OFF


# --- virtual systems: CPUs not enabled at boot -------------------------------------------------------

def test_virtual_a_vm_boots_with_one_cpu_and_the_orchestrator_adds_the_rest() -> None:
    """"An example is where a virtual machine boots with a single CPU, and additional CPUs are added
    once a cloud orchestrator deploys the workload." All of them are present from boot; only which
    are enabled and online changes."""
    system = System.build("cpus=1,maxcpus=4")
    assert cpu_masks(system) == {"possible": "0-3", "present": "0-3", "enabled": "0", "online": "0",
                                 "offline": "1-3"}
    for cpu in (1, 2, 3):
        system.enable(cpu)
    assert cpu_masks(system) == {"possible": "0-3", "present": "0-3", "enabled": "0-3", "online": "0-3",
                                 "offline": ""}
    assert all(f"ACPI: CPU{n} has been hot-added" in log_lines(system) for n in (1, 2, 3))


def test_virtual_firmware_enforces_its_policy_with_psci_denied() -> None:
    """"Firmware can enforce its policy via PSCI's return codes. e.g. DENIED": the same CPU_ON is
    refused while the VMM keeps the CPU disabled and succeeds once policy enables it."""
    system = System.build(SMP, guest=GuestConfig(knobs=GuestKnobs(auto_online=False)))
    mpidr = system.machine.vcpus[3].mpidr
    result: list[int] = []
    system.kernel.cpu_hotplug.cpu_up(3, result.append)
    assert result == [-Errno.EPERM]
    assert denied(cpu_on_calls(system)[-1]) and cpu_on_calls(system)[-1].args[0] == mpidr
    assert not any("failed to boot" in line for line in log_lines(system))   # DENIED is not an error

    system.enable(3)
    system.sysfs.write(f"{CPU_SYSFS}/cpu3/online", "1")
    last = cpu_on_calls(system)[-1]
    assert last.args[0] == mpidr and last.result[0] == PsciReturn.SUCCESS
    assert cpu_masks(system)["online"] == "0-1,3"


def test_virtual_sta_always_reports_the_cpu_present() -> None:
    """"On virtual systems the _STA method must always report the CPU as present": every processor
    device's ``_STA``, as the guest read it, has *present* at boot, after a hot-add and after an eject;
    *enabled* follows the policy."""
    system = System.build(SMP)

    def statuses() -> dict[int, int]:
        return {adev.cpu if adev.cpu is not None else int(adev.path[-3:], 16): adev.status
                for adev in system.kernel.scan.devices.values() if adev.is_processor}
    at_boot = statuses()
    assert all(sta & STA_PRESENT for sta in at_boot.values())
    assert {cpu for cpu, sta in at_boot.items() if sta & STA_ENABLED} == {0, 1}
    system.enable(4)
    assert statuses()[4] & (STA_PRESENT | STA_ENABLED) == STA_PRESENT | STA_ENABLED
    system.disable(4)
    assert statuses()[4] & (STA_PRESENT | STA_ENABLED) == STA_PRESENT


def test_virtual_device_check_enables_an_online_capable_cpu() -> None:
    """"CPUs described as online capable but not enabled can be set to enabled by the DSDT's
    Processor object's _STA method ... notified to the OS via device-check": Device Check, ``_STA``,
    registration ("ACPI: CPU4 has been hot-added"), ``_OST`` success, then udev onlines it."""
    system = System.build(SMP)
    t0 = system.clock.now_ns()
    system.enable(4)
    assert_path(system.trace.filter(since_ns=t0), [
        notify("\\_SB.C004", NotifyValue.DEVICE_CHECK),
        evaluated("\\_SB.C004._STA"),
        guest_line("register_cpu cpu4"),
        guest_line("ACPI: CPU4 has been hot-added"),
        ost(NotifyValue.DEVICE_CHECK, OstStatus.SUCCESS),
        guest_line("udev: echo 1 > /sys/devices/system/cpu/cpu4/online"),
        hvc(PsciFunction.CPU_ON, target=system.machine.vcpus[4].mpidr, ret=PsciReturn.SUCCESS),
    ])
    assert system.sysfs.read(f"{CPU_SYSFS}/cpu4/online") == "1\n"


def test_virtual_bus_check_is_handled_like_device_check() -> None:
    """Bus Check (0) on a processor re-reads ``_STA`` and adds it as Device Check does
    (``acpi_scan_bus_check``), answering ``_OST`` with source 0."""
    system = System.build(SMP, guest=GuestConfig(knobs=GuestKnobs(ignore_notifications=True)))
    system.enable(3)                          # the guest drops this Device Check ...
    assert cpu_masks(system)["enabled"] == "0-1"
    system.knobs.ignore_notifications = False
    t0 = system.clock.now_ns()
    system.kernel.scan.notify("\\_SB.C003", NotifyValue.BUS_CHECK)   # ... firmware's AML sends Bus Check
    system.run_until_idle()
    assert_path(system.trace.filter(since_ns=t0), [evaluated("\\_SB.C003._STA"),
                                                   guest_line("ACPI: CPU3 has been hot-added"),
                                                   ost(NotifyValue.BUS_CHECK, OstStatus.SUCCESS)])
    assert cpu_masks(system)["online"] == "0-1,3"


def test_virtual_eject_request_takes_a_cpu_enabled_at_boot_away_and_back() -> None:
    """"CPUs that firmware wishes to disable either from boot (or later)": a CPU Enabled in the MADT
    can be disabled later by Eject Request and enabled again by Device Check."""
    system = System.build("cpus=3,maxcpus=4")
    system.disable(2)
    assert cpu_masks(system)["enabled"] == "0-1" and system.machine.vcpus[2].admin is AdminState.DISABLED
    system.enable(2)
    assert cpu_masks(system)["enabled"] == "0-2" and cpu_masks(system)["online"] == "0-2"


def test_virtual_always_on_gicr_structures_let_a_disabled_cpu_come_online() -> None:
    """"The 'always on' GICR structure must be used to describe the redistributors": with them the
    driver finds a hot-added CPU's redistributor when the CPU starts, and nothing is inaccessible."""
    system = System.build(SMP)
    system.enable(5)
    base = system.machine.gic.redistributor_base(5)
    assert any(line.startswith("GICv3: CPU5: found redistributor 5 region") and line.endswith(f"0x{base:016x}")
               for line in log_lines(system))
    assert not any(INACCESSIBLE in line for line in log_lines(system))
    assert cpu_masks(system)["online"] == "0-1,5"


@pytest.mark.parametrize("policy", list(PresentPolicy))
def test_virtual_after_a_restart_linux_rediscovers_enabled_cpus_from_sta(policy: PresentPolicy) -> None:
    """"Soft-restart features ... re-read the static properties of the system from these static
    tables ... Linux will re-discover the dynamic properties of the system from the _STA method later
    during boot": after hot-adding vCPU 4 and rebooting, the MADT still calls it Online Capable, not
    Enabled, yet the new kernel finds it enabled through ``_STA`` and brings it online."""
    system = System.build(SMP, guest=GuestConfig(present_policy=policy))
    system.enable(4)
    madt = Madt.decode(system.kernel.tables.by_signature["APIC"][0][1])
    kernel = system.reboot()
    assert kernel is system.kernel and kernel.klog.lines()[0].startswith("Booting Linux")
    assert Madt.decode(kernel.tables.by_signature["APIC"][0][1]) == madt       # static tables unchanged
    assert not madt.giccs[4].flags & GiccFlags.ENABLED
    masks = cpu_masks(system)
    assert masks["enabled"] == "0-1,4" and masks["online"] == "0-1,4"
    assert masks["present"] == ("0-5" if policy is PresentPolicy.LINUX_6_11 else "0-1,4")
    assert "ACPI: CPU4 has been hot-added" in kernel.klog.lines()
    assert system.guest_view().enabled == system.vmm_enabled()


def test_virtual_after_a_restart_an_madt_enabled_cpu_that_firmware_disabled_is_still_present() -> None:
    """"CPUs described as enabled in the static table, should not have their _STA modified dynamically
    by firmware ... may malfunction": after firmware disables CPU 1 (Enabled in the MADT) and the guest
    restarts, the 2026 fix still counts it present from the MADT and tries to boot it (DENIED, silent);
    only ``_STA`` keeps it out of ``enabled``."""
    system = System.build(SMP, guest=GuestConfig(present_policy=PresentPolicy.FIX_2026),
                          tables=table_list(_boot_cpus_enabled_in_madt(SMP)))
    system.disable(1)
    t0 = system.clock.now_ns()
    system.reboot()
    assert any(denied(e) and e.args[0] == system.machine.vcpus[1].mpidr for e in cpu_on_calls(system, t0))
    assert cpu_masks(system) == {"possible": "0-5", "present": "0-1", "enabled": "0", "online": "0",
                                 "offline": "1-5"}
