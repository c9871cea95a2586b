"""Every real QEMU table decodes and re-encodes byte for byte; values that matter for hotplug are right."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REFERENCE_TABLES
from vcpu_hotplug.acpi.fadt import ArmBootArch, Fadt
from vcpu_hotplug.acpi.generic import GenericTable
from vcpu_hotplug.acpi.gtdt import Gtdt, TimerFlags
from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, Gicd, GicIts, Gicr, LocalApic, Madt, RawSubtable
from vcpu_hotplug.acpi.pptt import Pptt, ProcessorFlags, ProcessorNode
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.acpi.xsdt import Xsdt

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"
TYPED = {"APIC": Madt, "FACP": Fadt, "PPTT": Pptt, "GTDT": Gtdt, "XSDT": Xsdt}


def _reference_files() -> list[str]:
    if not REFERENCE_TABLES.is_dir():
        return ["<missing>"]
    return sorted(str(p.relative_to(REFERENCE_TABLES)) for p in REFERENCE_TABLES.glob("*/*/*"))


def _load(reference_tables: Path, name: str) -> bytes:
    return (reference_tables / name).read_bytes()


@pytest.mark.parametrize("name", _reference_files())
def test_reference_table_round_trips_byte_exact(reference_tables: Path, name: str) -> None:
    data = _load(reference_tables, name)
    table = decode_table(data)
    signature = data[:4].decode()
    assert isinstance(table, TYPED.get(signature, GenericTable))
    assert table.encode() == data
    assert table.header.checksum_ok


def test_rfc_v5_madt_describes_two_of_six_vcpus(reference_tables: Path) -> None:
    madt = decode_table(_load(reference_tables, f"{RFC}/APIC"))
    assert isinstance(madt, Madt)
    assert madt.header.revision == 4
    giccs = madt.of_type(Gicc)
    assert len(giccs) == 6
    assert [g.acpi_processor_uid for g in giccs] == list(range(6))
    assert giccs[0].flags == GiccFlags.ENABLED
    assert all(g.flags == GiccFlags.ONLINE_CAPABLE for g in giccs[1:])
    assert all(g.length == 80 for g in giccs)
    assert [g.mpidr for g in giccs] == list(range(6))
    # hotplug needs always-on GICR structures, and then GICC gicr_base_address must be 0
    gicrs = madt.of_type(Gicr)
    assert len(gicrs) == 1 and gicrs[0].discovery_range_base_address == 0x080A0000
    assert all(g.gicr_base_address == 0 for g in giccs)
    assert madt.of_type(Gicd)[0].physical_base_address == 0x08000000
    assert madt.of_type(GicIts)[0].physical_base_address == 0x08080000


def test_rfc_v5_pptt_links_every_cpu_to_one_package(reference_tables: Path) -> None:
    pptt = decode_table(_load(reference_tables, f"{RFC}/PPTT"))
    assert isinstance(pptt, Pptt)
    offsets = pptt.offsets()
    package = pptt.nodes[0]
    assert ProcessorFlags.PHYSICAL_PACKAGE in package.flags and package.parent == 0
    leaves = [n for n in pptt.processors() if ProcessorFlags.NODE_IS_A_LEAF in n.flags]
    assert sorted(n.acpi_processor_id for n in leaves) == list(range(6))
    assert all(n.parent == offsets[0] for n in leaves)
    assert pptt.node_at(leaves[0].parent) is package


def test_topology_pptt_parents_point_at_nodes(reference_tables: Path) -> None:
    pptt = decode_table(_load(reference_tables, "qemu/aarch64-virt/PPTT.topology"))
    offsets = set(pptt.offsets())
    for node in pptt.processors():
        assert node.parent == 0 or node.parent in offsets
    threads = [n for n in pptt.processors() if ProcessorFlags.PROCESSOR_IS_A_THREAD in n.flags]
    assert len(threads) == 8
    # each thread's parent is a core whose parent is a cluster whose parent is the package
    for thread in threads:
        core = pptt.node_at(thread.parent)
        cluster = pptt.node_at(core.parent)
        package = pptt.node_at(cluster.parent)
        assert isinstance(package, ProcessorNode) and ProcessorFlags.PHYSICAL_PACKAGE in package.flags


def test_qemu_fadt_is_hardware_reduced_psci_hvc(reference_tables: Path) -> None:
    fadt = decode_table(_load(reference_tables, f"{RFC}/FACP"))
    assert fadt.header.length == 276 and fadt.header.revision == 6
    assert fadt.hardware_reduced
    assert fadt.arm_boot_arch == ArmBootArch.PSCI_COMPLIANT | ArmBootArch.PSCI_USE_HVC
    assert fadt.hypervisor_vendor_identity.to_bytes(8, "little").rstrip(b"\0") == b"QEMU"


def test_qemu_gtdt_timers(reference_tables: Path) -> None:
    gtdt = decode_table(_load(reference_tables, f"{RFC}/GTDT"))
    assert (gtdt.secure_el1_timer_gsiv, gtdt.non_secure_el1_timer_gsiv,
            gtdt.virtual_el1_timer_gsiv, gtdt.el2_timer_gsiv) == (29, 30, 27, 26)
    assert TimerFlags.ALWAYS_ON_CAPABLE in gtdt.non_secure_el1_timer_flags
    assert gtdt.platform_timers == b""


def test_rfc_v5_xsdt_entries_point_at_the_other_tables(reference_tables: Path) -> None:
    xsdt = decode_table(_load(reference_tables, f"{RFC}/XSDT"))
    assert isinstance(xsdt, Xsdt)
    assert len(xsdt.entries) == 8
    assert xsdt.entries == sorted(xsdt.entries)


def test_x86_madt_local_apics_and_raw_rest(reference_tables: Path) -> None:
    madt = decode_table(_load(reference_tables, "qemu/x86-q35/APIC.cphp"))
    apics = madt.of_type(LocalApic)
    assert len(apics) == 6
    assert [int(a.flags) for a in apics] == [1, 1, 0, 0, 0, 0]  # -smp 2,maxcpus=6
    assert madt.local_interrupt_controller_address == 0xFEE00000
    assert {s.type for s in madt.of_type(RawSubtable)} == {0x01, 0x02, 0x04}


def test_gicv2_madt_keeps_msi_frame_raw(reference_tables: Path) -> None:
    madt = decode_table(_load(reference_tables, "qemu/aarch64-virt/APIC"))
    raw = madt.of_type(RawSubtable)
    assert [r.type for r in raw] == [0x0D]
    assert madt.of_type(Gicc)[0].flags == GiccFlags.ENABLED
