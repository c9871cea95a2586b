"""Bad MADTs and processor namespaces, handled as Linux handles them.

``arch/arm64/kernel/smp.c`` (``acpi_map_gic_cpu_interface``, ``smp_init_cpus``)
decides what is *possible*; ``drivers/acpi/acpi_processor.c`` maps the
processor devices onto those CPUs afterwards and has its own complaints
(``acpi_processor_get_info``, ``acpi_processor_set_per_cpu``,
``acpi_processor_check_duplicates``), as does arm64's ``acpi_map_cpu``.
Each test breaks one thing in the VMM's own tables and checks the kernel's
message and what became possible, present, enabled and online.
"""

from __future__ import annotations

from tests.guest.helpers import cpu_masks, edit_madt, log_lines, own_tables, replace_once, table_list
from vcpu_hotplug.acpi.madt import GiccFlags, Madt
from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.guest import GuestConfig
from vcpu_hotplug.guest.klog import LogLevel
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System

MPIDR_HWID_BITMASK = 0xFF_00FF_FFFF
INVALID_HWID = (1 << 64) - 1
AML_NAME = 0x08
AML_BYTE_PREFIX = 0x0A


def boot_with_madt(smp: str, edit) -> System:
    """Boot on our tables with the MADT edited; dynamic debug on, so that pr_debug lines can be checked."""
    tables = own_tables(smp)
    tables["APIC"] = edit_madt(tables["APIC"], edit)
    return System.build(smp, tables=table_list(tables), guest=GuestConfig(dyndbg=True))


def logged(system: System, text: str, level: LogLevel) -> bool:
    return any(r.text == text and r.level is level for r in system.kernel.klog.records)


def test_a_gicc_with_neither_flag_is_skipped_with_the_debug_message() -> None:
    def disable(madt: Madt) -> None:
        madt.giccs[3].flags = GiccFlags(0)
    system = boot_with_madt("cpus=2,maxcpus=6", disable)
    assert logged(system, "skipping disabled CPU entry with 0x3 MPIDR", LogLevel.DEBUG)
    # Logical numbers are handed out in table order to the entries kept: vCPUs 4 and 5 become CPUs 3, 4.
    assert cpu_masks(system)["possible"] == "0-4"
    assert system.guest_view().possible == frozenset({0, 1, 2, 4, 5})
    assert system.vcpu_of_cpu(3) == 4


def test_an_mpidr_outside_the_hardware_id_mask_is_skipped() -> None:
    bad = {}

    def corrupt(madt: Madt) -> None:
        madt.giccs[2].mpidr |= 1 << 31              # bit 31 is RES1 in MPIDR_EL1, not part of the id
        madt.giccs[4].mpidr = INVALID_HWID
        bad.update({2: madt.giccs[2].mpidr, 4: madt.giccs[4].mpidr})
    system = boot_with_madt("cpus=6,maxcpus=6", corrupt)
    assert bad[2] & ~MPIDR_HWID_BITMASK
    for mpidr in bad.values():
        assert logged(system, f"skipping CPU entry with invalid MPIDR 0x{mpidr:x}", LogLevel.ERR)
    assert system.guest_view().possible == frozenset({0, 1, 3, 5})
    # The processor devices of those UIDs find their GICC, but no possible CPU has its MPIDR:
    # arm64's acpi_map_cpu cannot map them (pr_warn_once).
    assert log_lines(system).count("ACPI: Unable to map CPU to valid ID") == 1
    assert system.guest_view().enabled == frozenset({0, 1, 3, 5})
    assert not any(e.args[0] == bad[2] for e in system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON))


def test_a_duplicate_mpidr_is_skipped_and_its_processor_is_reported_as_a_bios_bug() -> None:
    def duplicate(madt: Madt) -> None:
        madt.giccs[4].mpidr = madt.giccs[3].mpidr
    system = boot_with_madt("cpus=6,maxcpus=6", duplicate)
    mpidr = system.machine.vcpus[3].mpidr
    assert logged(system, f"duplicate CPU MPIDR 0x{mpidr:x} in MADT", LogLevel.ERR)
    assert cpu_masks(system)["possible"] == "0-4"
    # UID 4's GICC names vCPU 3's MPIDR, so ACPI id 4 maps to the CPU processor UID 3 already
    # claimed: acpi_processor_set_per_cpu's "Buggy BIOS check".
    cpu = system.kernel.cpu_of_mpidr(mpidr)
    assert logged(system, f"acpi ACPI0007:04: BIOS reported wrong ACPI id {cpu} for the processor",
                  LogLevel.WARNING)
    assert system.guest_view().enabled == frozenset({0, 1, 2, 3, 5})


def test_a_second_gicc_with_the_boot_mpidr_is_a_duplicate_boot_cpu() -> None:
    def duplicate_boot(madt: Madt) -> None:
        madt.giccs[5].mpidr = madt.giccs[0].mpidr
    system = boot_with_madt("cpus=2,maxcpus=6", duplicate_boot)
    assert logged(system, "duplicate boot CPU MPIDR: 0x0 in MADT", LogLevel.ERR)
    assert cpu_masks(system)["possible"] == "0-4"


def test_a_madt_without_the_boot_cpu_enables_no_secondaries() -> None:
    def drop_boot(madt: Madt) -> None:
        madt.subtables.remove(madt.giccs[0])
    system = boot_with_madt("cpus=2,maxcpus=6", drop_boot)
    assert logged(system, "missing boot CPU MPIDR, not enabling secondaries", LogLevel.ERR)
    assert cpu_masks(system) == {"possible": "0", "present": "0", "enabled": "", "online": "0", "offline": ""}
    assert system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON) == []
    # No GICC carries UID 0, so processor C000 has no physical id; C001's GICC MPIDR belongs to no
    # possible CPU. Neither is registered.
    assert logged(system, "acpi ACPI0007:00: Failed to get CPU physical ID.", LogLevel.DEBUG)
    assert "ACPI: Unable to map CPU to valid ID" in log_lines(system)


def test_a_duplicate_processor_uid_fails_both_devices() -> None:
    """``acpi_processor_check_duplicates`` walks the namespace first; every device whose ``_UID`` is
    used twice then fails ``acpi_processor_add`` with "Failed to get unique processor _UID"."""
    smp = "cpus=6,maxcpus=6"
    tables = own_tables(smp)
    uid = b"_UID"
    tables["DSDT"] = replace_once(tables["DSDT"], bytes([AML_NAME]) + uid + bytes([AML_BYTE_PREFIX, 5]),
                                  bytes([AML_NAME]) + uid + bytes([AML_BYTE_PREFIX, 4]))
    system = System.build(smp, tables=table_list(tables))
    for device in ("ACPI0007:04", "ACPI0007:05"):
        assert logged(system, f"acpi {device}: Failed to get unique processor _UID (0x4)", LogLevel.ERR)
    masks = cpu_masks(system)
    # SMP bring-up comes from the MADT: CPUs 4 and 5 run, but no CPU device is registered for them.
    assert masks["online"] == "0-5" and masks["enabled"] == "0-3"
    assert not {"cpu4", "cpu5"} & set(system.sysfs.listdir())
