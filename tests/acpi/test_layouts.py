"""Layout choices: MADT 6.4/6.5 GICC, old GICC lengths, short FADTs, PPTT offsets, property round trips."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vcpu_hotplug.acpi.fadt import FADT_LENGTH, FIELD_OFFSETS, ArmBootArch, Fadt, FadtFlags
from vcpu_hotplug.acpi.header import HEADER_LENGTH, build_table, split_table
from vcpu_hotplug.acpi.madt import (GICC_LENGTH_ACPI_5_1, Gicc, GiccFlags, Gicd, GicIts, Gicr, LocalX2Apic,
                                    Madt, MadtLayout, RawSubtable)
from vcpu_hotplug.acpi.pptt import CacheFlags, CacheNode, Pptt, ProcessorFlags, ProcessorNode
from vcpu_hotplug.acpi.registry import decode_table

RFC = "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6"
GICC_FLAGS_OFFSET = 12
GICC_MPIDR_OFFSET = 68
GICC_TRBE_OFFSET = 80


def _madt_with(gicc: Gicc, layout: MadtLayout | None = None) -> Madt:
    madt = Madt.new(layout or MadtLayout.ACPI_6_5)
    madt.subtables.append(gicc)
    return madt


def test_gicc_fields_sit_at_acpi_6_5_offsets() -> None:
    gicc = Gicc(acpi_processor_uid=7, flags=GiccFlags.ONLINE_CAPABLE, mpidr=0x10203,
                trbe_interrupt=0x1234)
    data = _madt_with(gicc).encode()
    sub = data[44:]
    assert data[8] == 6 and sub[1] == 82
    assert int.from_bytes(sub[8:12], "little") == 7
    assert int.from_bytes(sub[GICC_FLAGS_OFFSET:GICC_FLAGS_OFFSET + 4], "little") == 0x8
    assert int.from_bytes(sub[GICC_MPIDR_OFFSET:GICC_MPIDR_OFFSET + 8], "little") == 0x10203
    assert int.from_bytes(sub[GICC_TRBE_OFFSET:GICC_TRBE_OFFSET + 2], "little") == 0x1234


def test_acpi_6_4_layout_emits_revision_5_and_80_byte_gicc() -> None:
    madt = _madt_with(Gicc(acpi_processor_uid=1, flags=GiccFlags.ENABLED))
    data = madt.encode(layout=MadtLayout.ACPI_6_4)
    assert data[8] == 5 and data[45] == 80 and len(data) == 44 + 80
    back = decode_table(data)
    assert back.header.revision == 5 and back.giccs[0].length == 80
    assert back.giccs[0].acpi_processor_uid == 1
    # the default stays 6.5
    assert madt.encode()[8] == 6


def test_forcing_6_5_on_an_old_madt_widens_its_gicc(reference_tables: Path) -> None:
    madt = decode_table((reference_tables / RFC / "APIC").read_bytes())
    data = madt.encode(layout=MadtLayout.ACPI_6_5)
    again = decode_table(data)
    assert again.header.revision == 6
    assert all(g.length == 82 for g in again.giccs)
    assert [(g.acpi_processor_uid, g.flags, g.mpidr) for g in again.giccs] == \
        [(g.acpi_processor_uid, g.flags, g.mpidr) for g in madt.giccs]


def test_acpi_5_1_gicc_of_76_bytes_round_trips() -> None:
    raw = Gicc(acpi_processor_uid=3, flags=GiccFlags.ENABLED, mpidr=0x103).encode(GICC_LENGTH_ACPI_5_1)
    madt = Madt.new()
    madt.header.revision = 3
    madt.subtables.append(RawSubtable(0x0B, raw))
    data = madt.encode()
    back = decode_table(data)
    assert back.giccs[0].length == 76 and back.giccs[0].mpidr == 0x103
    assert back.encode() == data


def test_x2apic_round_trips() -> None:
    madt = Madt.new()
    madt.subtables.append(LocalX2Apic(x2apic_id=300, flags=1, acpi_processor_uid=300))
    data = madt.encode()
    back = decode_table(data)
    assert back.of_type(LocalX2Apic)[0].x2apic_id == 300 and back.encode() == data


def test_short_fadts_decode_and_keep_their_bytes(reference_tables: Path) -> None:
    header, body = split_table((reference_tables / RFC / "FACP").read_bytes())
    for length in (116, 129, 132, 244, 268, FADT_LENGTH, FADT_LENGTH + 8):
        data = build_table(header, (body + bytes(range(8)))[:length - HEADER_LENGTH])
        fadt = decode_table(data)
        assert fadt.encode() == data, length
        assert (fadt.flags is not None) == (length >= FIELD_OFFSETS["flags"] + 4)
        assert (fadt.arm_boot_arch is not None) == (length >= FIELD_OFFSETS["arm_boot_arch"] + 2)
        assert (fadt.hypervisor_vendor_identity is not None) == (length >= FADT_LENGTH)


def test_new_fadt_is_full_length_hw_reduced() -> None:
    fadt = Fadt.new(flags=FadtFlags.HW_REDUCED_ACPI, arm_boot_arch=ArmBootArch.PSCI_COMPLIANT, x_dsdt=0x1000)
    data = fadt.encode()
    assert len(data) == FADT_LENGTH
    assert int.from_bytes(data[112:116], "little") == 1 << 20
    assert int.from_bytes(data[129:131], "little") == 1
    assert int.from_bytes(data[140:148], "little") == 0x1000


def test_pptt_add_returns_the_offset_parents_use() -> None:
    pptt = Pptt.new()
    l2 = pptt.add(CacheNode(flags=CacheFlags.SIZE_VALID, size=0x100000, cache_id=2))
    package = pptt.add(ProcessorNode(flags=ProcessorFlags.PHYSICAL_PACKAGE, private_resources=[l2]))
    cpu = pptt.add(ProcessorNode(flags=ProcessorFlags.NODE_IS_A_LEAF, parent=package))
    assert pptt.offsets() == [l2, package, cpu]
    data = pptt.encode()
    back = decode_table(data)
    assert back.node_at(package).private_resources == [l2]
    assert back.node_at(back.node_at(cpu).parent) == back.node_at(package)
    assert back.node_at(l2).size == 0x100000
    # the offsets really are byte offsets into the encoded table
    assert data[package] == 0 and data[l2] == 1 and data[package + 1] == 24


_u32 = st.integers(0, 2**32 - 1)
_u64 = st.integers(0, 2**64 - 1)
_gicc = st.builds(Gicc, cpu_interface_number=_u32, acpi_processor_uid=_u32,
                  flags=st.integers(0, 15).map(GiccFlags), mpidr=_u64, gicr_base_address=_u64,
                  physical_base_address=_u64, trbe_interrupt=st.integers(0, 0xFFFF),
                  spe_overflow_interrupt=st.integers(0, 0xFFFF))
_subtable = st.one_of(
    _gicc,
    st.builds(Gicd, gic_id=_u32, physical_base_address=_u64, gic_version=st.integers(0, 4)),
    st.builds(Gicr, discovery_range_base_address=_u64, discovery_range_length=_u32),
    st.builds(GicIts, gic_its_id=_u32, physical_base_address=_u64),
    st.binary(min_size=0, max_size=20).map(lambda b: RawSubtable(0x7F, bytes([0x7F, len(b) + 2]) + b)),
)


@settings(max_examples=60, deadline=None)
@given(subtables=st.lists(_subtable, max_size=8), layout=st.sampled_from(list(MadtLayout)))
def test_any_madt_round_trips(subtables: list, layout: MadtLayout) -> None:
    madt = Madt.new(layout)
    madt.subtables = subtables
    data = madt.encode()
    back = decode_table(data)
    assert back.encode() == data
    assert [type(s) for s in back.subtables] == [type(s) for s in subtables]
    assert all(g.length == layout.gicc_length for g in back.giccs)
    assert [(g.acpi_processor_uid, g.flags, g.mpidr) for g in back.giccs] == \
        [(g.acpi_processor_uid, g.flags, g.mpidr) for g in madt.giccs]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 31), st.lists(_u32, max_size=4), _u32), min_size=1, max_size=10))
def test_any_pptt_round_trips(specs: list) -> None:
    pptt = Pptt.new()
    parent = 0
    for flags, resources, uid in specs:
        parent = pptt.add(ProcessorNode(ProcessorFlags(flags), parent, uid, resources))
    data = pptt.encode()
    back = decode_table(data)
    assert back.encode() == data and back.offsets() == pptt.offsets()
