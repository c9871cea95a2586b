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
    system = System.build(SMP)
    lines = log_lines(system)
    order = ["Booting Linux on physical CPU", "psci: probing for conduit method from ACPI.",
             "smp: Bringing up secondary CPUs ...", "CPU1: Booted secondary processor",
             "smp: Brought up 1 node, 2 CPUs", "ACPI: Interpreter enabled", "ACPI: CPU0 has been hot-added",
             "ACPI: CPU1 has been hot-added", "acpi-ged ACPI0013:00: GED listening GSI 41"]
    positions = [index_of(lines, text) for text in order]
    assert positions == sorted(positions)
    assert not any("has been hot-added" in line for line in lines if "CPU2" in line or "CPU5" in line)


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
