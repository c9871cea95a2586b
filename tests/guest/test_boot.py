"""Booting from the firmware hand-off: tables, PSCI, SMP bring-up, ACPI scan, in Linux's order.

``drivers/acpi/acpica/tbprint.c`` (one line per table), ``arch/arm64/kernel/acpi.c``
(hardware-reduced FADT or no ACPI), ``drivers/firmware/psci/psci.c``,
``arch/arm64/kernel/smp.c`` (``__cpu_up`` errors), ``drivers/acpi/acpi_processor.c``
("ACPI: CPU%d has been hot-added" for every CPU the scan registers, at boot
as later) and ``drivers/acpi/evged.c`` (the GED's driver probes at
``device_initcall``, after the scan registered the processors).
"""

from __future__ import annotations

import pytest

from tests.guest.helpers import cpu_masks, log_lines, own_tables, table_list
from vcpu_hotplug.acpi.fadt import ArmBootArch, Fadt, FadtFlags
from vcpu_hotplug.acpi.header import CHECKSUM_OFFSET
from vcpu_hotplug.arm.psci import PsciFunction
from vcpu_hotplug.guest import BootError, Errno, GuestConfig, GuestError, LogLevel
from vcpu_hotplug.guest.smp import CPU_UP_TIMEOUT_NS
from vcpu_hotplug.hw.clock import NS_PER_S
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import MachineConfig
from vcpu_hotplug.vmm.vcpu import PowerState

SMP = "cpus=2,maxcpus=6"


def index_of(lines: list[str], text: str) -> int:
    matches = [i for i, line in enumerate(lines) if text in line]
    assert matches, f"no log line contains {text!r}"
    return matches[0]


def test_every_table_is_found_from_the_rsdp_and_logged() -> None:
    system = System.build(SMP)
    image = build_firmware(system.machine)          # what System.build placed in guest memory
    assert system.rsdp_address == image.rsdp_address
    lines = log_lines(system)
    assert f"ACPI: RSDP 0x{image.rsdp_address:016X} 000024 (v02 VCPUHP)" in lines
    for sig in ("XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT"):
        head = f"ACPI: {sig} 0x{image.addresses[sig]:016X} {len(image.tables[sig]):06X} (v"
        assert any(line.startswith(head) for line in lines), head


def test_boot_follows_linuxs_order() -> None:
    """setup_arch (ACPI, PSCI, smp_init_cpus), smp_prepare_boot_cpu (CPU0's I-cache), init_IRQ (GICv3,
    the ITS our MADT describes, CPU0's LPI pending table), smp_init (each secondary: I-cache,
    redistributor, pending table, "Booted"), smp_cpus_done, then the ACPI namespace."""
    system = System.build(SMP, guest=GuestConfig(dyndbg=True))
    lines = log_lines(system)
    its = system.machine.memmap.gic_its[0]
    order = ["Booting Linux on physical CPU", "psci: probing for conduit method from ACPI.",
             "Detected PIPT I-cache on CPU0", "GICv3: 256 SPIs implemented", "GICv3: 0 Extended SPIs implemented",
             "Root IRQ handler: gic_handle_irq", "GICv3: GICv3 features: 16 PPIs",
             "GICv3: GICD_CTRL.DS=1, SCR_EL3.FIQ=0", "GICv3: CPU0: found redistributor 0 region 0:",
             f"ITS [mem 0x{its:08x}-0x{its + 0x1FFFF:08x}]",
             f"ITS@0x{its:016x}: allocated 8192 Devices @",
             f"ITS@0x{its:016x}: allocated 8192 Interrupt Collections @", "GICv3: using LPI property table @0x",
             "GICv3: CPU0: using allocated LPI pending table @0x",
             "smp: Bringing up secondary CPUs ...", "Detected PIPT I-cache on CPU1",
             "GICv3: CPU1: found redistributor 1 region 0:", "GICv3: CPU1: using allocated LPI pending table @0x",
             "CPU1: Booted secondary processor", "smp: Brought up 1 node, 2 CPUs",
             "SMP: Total of 2 processors activated.", "CPU: All CPU(s) started at EL1",
             "ACPI: Interpreter enabled", "ACPI: CPU0 has been hot-added",
             "ACPI: CPU1 has been hot-added", "acpi-ged ACPI0013:00: GED listening GSI 41"]
    positions = [index_of(lines, text) for text in order]
    assert positions == sorted(positions)
    assert sum("Detected PIPT I-cache on CPU0" in line for line in lines) == 1
    assert not any("has been hot-added" in line for line in lines if "CPU2" in line or "CPU5" in line)


def test_a_stock_kernel_keeps_no_debug_records() -> None:
    """pr_debug/dev_dbg print nothing without dyndbg=: not in dmesg, not in the trace."""
    system = System.build(SMP)
    system.enable(4)
    system.disable(4)
    assert not any(r.level is LogLevel.DEBUG for r in system.kernel.klog.records)
    traced = [e.message or "" for e in system.trace.filter(TraceKind.GUEST_LOG)]
    for text in ("GED listening GSI", "ACPI_NOTIFY_DEVICE_CHECK event", "CPU4: shutdown", "Ejecting",
                 "Processor [4:4]"):
        assert not any(text in line for line in traced), text
    assert "ACPI: CPU4 has been hot-added" in log_lines(system)


def test_lpi_pending_tables_exist_for_every_possible_cpu_and_print_once_per_cpu() -> None:
    """allocate_lpi_tables gives every possible CPU a pending table at boot; its_cpu_init_lpis prints it
    the first time the CPU starts only (RD_LOCAL_LPI_ENABLED), not again after an offline/online or a
    re-plug."""
    system = System.build(SMP)
    gic = system.kernel.gic
    assert sorted(gic.pending_tables) == list(range(6))
    addresses = [gic.pending_tables[cpu] for cpu in range(6)]
    assert len(set(addresses)) == 6 and all(a % 0x10000 == 0 for a in addresses)
    system.enable(4)
    line = f"GICv3: CPU4: using allocated LPI pending table @0x{gic.pending_tables[4]:016x}"
    assert log_lines(system).count(line) == 1
    system.disable(4)
    system.enable(4)
    assert system.guest_view().online == frozenset({0, 1, 4})
    assert log_lines(system).count(line) == 1


def test_no_its_in_the_madt_no_lpi_lines() -> None:
    from vcpu_hotplug.acpi.madt import GicIts
    from tests.guest.helpers import edit_madt

    def drop_its(madt) -> None:
        madt.subtables[:] = [t for t in madt.subtables if not isinstance(t, GicIts)]
    tables = own_tables(SMP)
    tables["APIC"] = edit_madt(tables["APIC"], drop_its)
    system = System.build(SMP, tables=table_list(tables))
    lines = log_lines(system)
    assert not any("ITS" in line or "LPI" in line for line in lines)
    assert "GICv3: GICD_CTRL.DS=1, SCR_EL3.FIQ=0" in lines
    assert "CPU1: Booted secondary processor 0x0000000001 [0x413fd0c1]" in lines


def test_a_table_with_a_bad_checksum_is_used_with_acpicas_warning() -> None:
    """ACPICA (``AcpiUtVerifyChecksum``) warns with the byte found and the byte that would be right,
    and installs the table anyway."""
    tables = own_tables(SMP)
    good = tables["APIC"]
    bad = bytearray(good)
    bad[CHECKSUM_OFFSET] ^= 0x5A
    tables["APIC"] = bytes(bad)
    system = System.build(SMP, tables=table_list(tables))
    assert sum(good) % 256 == 0
    assert (f"ACPI BIOS Warning (bug): Incorrect checksum in table [APIC] - 0x{bad[CHECKSUM_OFFSET]:02X}, "
            f"should be 0x{good[CHECKSUM_OFFSET]:02X} (20240322/utcksum-58)") in log_lines(system)
    assert cpu_masks(system)["possible"] == "0-5"


def _fadt(edit) -> list[bytes]:
    tables = own_tables(SMP)
    fadt = Fadt.decode(tables["FACP"])
    edit(fadt)
    tables["FACP"] = fadt.encode()
    return table_list(tables)


def test_a_fadt_that_is_not_hardware_reduced_stops_the_boot() -> None:
    def full_acpi(fadt: Fadt) -> None:
        fadt.flags = FadtFlags(0)
    system = System.build(SMP, tables=_fadt(full_acpi), boot=False)
    with pytest.raises(BootError):
        system.boot()
    assert "ACPI: FADT not ACPI hardware reduced compliant" in log_lines(system)


def test_no_madt_stops_the_boot() -> None:
    tables = own_tables(SMP)
    del tables["APIC"]
    system = System.build(SMP, tables=table_list(tables), boot=False)
    with pytest.raises(BootError):
        system.boot()


def test_no_rsdp_at_the_hand_off_address_stops_the_boot() -> None:
    system = System.build(SMP, boot=False)
    system.rsdp_address += 0x1000
    with pytest.raises(BootError) as e:
        system.boot()
    assert isinstance(e.value, GuestError)


def test_without_psci_no_secondary_has_an_enable_method() -> None:
    def no_psci(fadt: Fadt) -> None:
        fadt.arm_boot_arch = ArmBootArch(0)
    system = System.build(SMP, tables=_fadt(no_psci))
    lines = log_lines(system)
    assert "psci: is not implemented in ACPI." in lines
    assert lines.count("Unsupported ACPI enable-method") == 5
    assert cpu_masks(system)["possible"] == "0"
    assert system.trace.filter(TraceKind.HVC) == []


def test_a_psci_error_other_than_denied_is_logged_as_linux_logs_it() -> None:
    """``cpu_psci_cpu_boot`` and ``__cpu_up`` both report an error that is not ``-EPERM``: a secondary
    entry point outside RAM is INVALID_ADDRESS, ``-EINVAL`` for Linux."""
    system = System.build(SMP, guest=GuestConfig(secondary_entry=0x1000))
    lines = system.kernel.klog.lines(LogLevel.ERR)
    assert f"psci: failed to boot CPU1 ({-Errno.EINVAL})" in lines
    assert f"CPU1: failed to boot: {-Errno.EINVAL}" in lines
    assert not any("CPU2" in line for line in lines)          # DENIED stays silent
    assert cpu_masks(system)["online"] == "0"


def test_a_secondary_that_never_arrives_fails_to_come_online_after_five_seconds() -> None:
    late = CPU_UP_TIMEOUT_NS + NS_PER_S
    system = System.build(machine_config=MachineConfig(smp=SMP, cpu_on_delay_ns=late))
    crit = [r for r in system.kernel.klog.records if r.text == "CPU1: failed to come online"]
    assert len(crit) == 1 and crit[0].level is LogLevel.CRIT
    cpu_on = system.trace.filter(TraceKind.HVC, function=PsciFunction.CPU_ON)[0]
    assert crit[0].time_ns - cpu_on.time_ns == CPU_UP_TIMEOUT_NS
    assert "CPU1: failed in unknown state : 0x0" in log_lines(system)
    assert cpu_masks(system)["online"] == "0"
    # The firmware did start the vCPU, too late: nothing in the kernel waits for it any more.
    assert system.machine.vcpus[1].power is PowerState.ON


def test_the_same_tables_placed_by_place_tables_boot_the_same() -> None:
    """``System.build(tables=...)`` (UEFI-style placement) and the VMM's own image are equivalent."""
    own = System.build(SMP)
    placed = System.build(SMP, tables=table_list(own_tables(SMP)))
    assert cpu_masks(own) == cpu_masks(placed)
    assert own.guest_view() == placed.guest_view()
