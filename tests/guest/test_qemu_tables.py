"""The guest boots on tables QEMU made (``../shared/reference-tables``), placed behind an RSDP as UEFI
would, on our machine (whose devices sit at QEMU ``virt``'s addresses).

- ``qemu/aarch64-virt``: QEMU's own arm64 tables (no CPU hotplug; a GICv2
  MADT, so ``irq-gic.c``): every CPU is Enabled in the MADT and must end up
  possible, present, enabled (registered) and online.
- ``qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6``: the arm64 vCPU hotplug RFC,
  ``cpus=2,maxcpus=6``. Its DSDT drives QEMU's CPU hotplug register block
  at 0x090C0000; ours follows the same layout, so QEMU's own AML runs
  against our VMM, both at boot (``_STA``) and for a hot-add and an eject.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.guest.helpers import assert_path, cpu_masks, evaluated, guest_line, hvc, log_lines, notify, ost
from vcpu_hotplug.acpi.madt import GiccFlags, Gicd, GicVersion, Madt
from vcpu_hotplug.acpi.notify import NotifyValue, OstStatus
from vcpu_hotplug.arm.psci import PsciFunction, PsciReturn
from vcpu_hotplug.guest import GuestConfig, LogLevel, PresentPolicy
from vcpu_hotplug.guest.cpumask import format_range_list
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.system import System
from vcpu_hotplug.vmm.vcpu import AdminState

VIRT = Path("qemu") / "aarch64-virt"
RFC = Path("qemu-rfc-v5") / "aarch64-virt-cpus2-maxcpus6"
VARIANTS = {
    "default": ("APIC", "PPTT", "DSDT", "FACP", "GTDT"),
    "topology": ("APIC.topology", "PPTT.topology", "DSDT.topology", "FACP", "GTDT"),
    "memhp": ("APIC", "PPTT", "DSDT.memhp", "FACP", "GTDT"),
}
RFC_FILES = ("APIC", "PPTT", "DSDT", "FACP", "GTDT")


def read(folder: Path, names: tuple[str, ...]) -> list[bytes]:
    return [(folder / name).read_bytes() for name in names]


def build_on(tables: list[bytes], madt: Madt, smp: str | None = None, **kw) -> System:
    """A machine whose vCPUs have exactly the MADT's MPIDRs, booted on ``tables``."""
    system = System.build(smp or str(len(madt.giccs)), tables=tables, **kw)
    assert [v.mpidr for v in system.machine.vcpus] == [g.mpidr for g in madt.giccs]
    return system


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_qemu_virt_tables_boot_with_every_cpu_enabled_and_online(reference_tables: Path, variant: str) -> None:
    tables = read(reference_tables / VIRT, VARIANTS[variant])
    madt = Madt.decode(tables[0])
    assert all(g.flags & GiccFlags.ENABLED for g in madt.giccs)
    system = build_on(tables, madt)
    every = format_range_list(range(len(madt.giccs)))
    assert cpu_masks(system) == {"possible": every, "present": every, "enabled": every, "online": every,
                                 "offline": ""}
    lines = log_lines(system)
    for cpu in range(len(madt.giccs)):
        assert f"ACPI: CPU{cpu} has been hot-added" in lines
    for cpu in range(1, len(madt.giccs)):
        assert f"CPU{cpu}: Booted secondary processor 0x{madt.giccs[cpu].mpidr:010x} [0x413fd0c1]" in lines
    assert system.kernel.klog.lines(LogLevel.ERR) == []
    found = system.kernel.tables.by_signature
    assert {"FACP", "APIC", "PPTT", "GTDT", "DSDT"} <= set(found)
    assert system.kernel.tables.pptt is not None


def test_qemu_virt_gicv2_madt_takes_the_gicv2_driver(reference_tables: Path) -> None:
    """QEMU virt's default GIC is v2: Linux's ``irq-gic.c`` probes it (``IRQCHIP_ACPI_DECLARE`` matches
    the GICD version), so there is no GICv3 distributor probe and no redistributor walk."""
    tables = read(reference_tables / VIRT, VARIANTS["topology"])
    madt = Madt.decode(tables[0])
    assert [d.gic_version for d in madt.of_type(Gicd)] == [GicVersion.GICV2]
    system = build_on(tables, madt)
    assert not any(line.startswith("GICv3:") for line in log_lines(system))
    assert not any(e.device and e.device.startswith("gicr")
                   for e in system.trace.filter(TraceKind.MMIO_READ))


def rfc(reference_tables: Path) -> tuple[list[bytes], Madt]:
    tables = read(reference_tables / RFC, RFC_FILES)
    return tables, Madt.decode(tables[0])


@pytest.mark.parametrize("policy", list(PresentPolicy))
def test_rfc_v5_tables_boot_two_of_six(reference_tables: Path, policy: PresentPolicy) -> None:
    tables, madt = rfc(reference_tables)
    system = build_on(tables, madt, "cpus=2,maxcpus=6", guest=GuestConfig(present_policy=policy))
    present = "0-5" if policy is PresentPolicy.LINUX_6_11 else "0-1"
    assert cpu_masks(system) == {"possible": "0-5", "present": present, "enabled": "0-1", "online": "0-1",
                                 "offline": "2-5"}
    # QEMU's _STA: present ? (enabled ? 0x0F : 0x0D) : 0, read through our register block.
    status = {adev.path: adev.status for adev in system.kernel.scan.devices.values() if adev.is_processor}
    assert status == {f"\\_SB.CPUS.C00{i}": 0x0F if i < 2 else 0x0D for i in range(6)}


def test_rfc_v5_aml_hot_adds_and_ejects_through_our_register_block(reference_tables: Path) -> None:
    tables, madt = rfc(reference_tables)
    system = build_on(tables, madt, "cpus=2,maxcpus=6")
    mpidr = system.machine.vcpus[4].mpidr
    t0 = system.clock.now_ns()
    system.enable(4)
    assert_path(system.trace.filter(since_ns=t0), [
        evaluated("\\_SB.GED._EVT"),
        notify("\\_SB.CPUS.C004", NotifyValue.DEVICE_CHECK),
        evaluated("\\_SB.CPUS.C004._STA"),
        guest_line("ACPI: CPU4 has been hot-added"),
        ost(NotifyValue.DEVICE_CHECK, OstStatus.SUCCESS),
        hvc(PsciFunction.CPU_ON, target=mpidr, ret=PsciReturn.SUCCESS),
    ])
    assert cpu_masks(system)["online"] == "0-1,4"

    t0 = system.clock.now_ns()
    system.disable(4)
    assert_path(system.trace.filter(since_ns=t0), [
        notify("\\_SB.CPUS.C004", NotifyValue.EJECT_REQUEST),
        ost(NotifyValue.EJECT_REQUEST, OstStatus.EJECT_IN_PROGRESS),
        hvc(PsciFunction.CPU_OFF, ret=PsciReturn.SUCCESS),
        evaluated("\\_SB.CPUS.C004._EJ0"),
        ost(NotifyValue.EJECT_REQUEST, OstStatus.SUCCESS),
    ])
    assert system.machine.vcpus[4].admin is AdminState.DISABLED
    assert cpu_masks(system)["enabled"] == "0-1" and system.machine.pending_unplugs() == []


def test_rfc_v5_without_a_register_block_no_processor_is_registered(reference_tables: Path) -> None:
    """With nothing behind 0x090C0000 every ``_STA`` reads the flags byte as 0, so QEMU's AML
    returns 0 (not present): ``acpi_bus_attach`` skips every processor device. The MADT still makes
    CPUs 0-1 online (SMP bring-up does not ask ACPI), but no CPU is registered: ``enabled`` is
    empty and there is no ``cpuN/``."""
    tables, madt = rfc(reference_tables)
    system = System.build("cpus=2,maxcpus=6", tables=tables, boot=False)
    system.machine.bus.unmap(system.machine.memmap.cpuhp[0])
    system.boot()
    assert cpu_masks(system) == {"possible": "0-5", "present": "0-5", "enabled": "", "online": "0-1",
                                 "offline": "2-5"}
    assert not any("has been hot-added" in line for line in log_lines(system))
    assert not any(name.startswith("cpu") and name[3:].isdigit() for name in system.sysfs.listdir())
    status = {adev.path: adev.status for adev in system.kernel.scan.devices.values() if adev.is_processor}
    assert set(status.values()) == {0}
