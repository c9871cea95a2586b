"""The VMM's firmware tables: found from the RSDP in guest memory alone, decoded by us and by ACPICA.

Sizes 1, 8, 64 and 512 possible vCPUs. ACPICA 20200925 predates ACPI 6.5, so
the iasl/acpiexec runs use the ACPI 6.4 MADT layout; the 6.5 layout is
checked with our decoder.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from vcpu_hotplug.acpi.aml import Interpreter
from vcpu_hotplug.acpi.fadt import ArmBootArch, Fadt
from vcpu_hotplug.acpi.generic import GenericTable
from vcpu_hotplug.acpi.madt import (GICC_LENGTH_ACPI_6_0, GICC_LENGTH_ACPI_6_5, Gicc, GiccFlags, Gicd, GicIts,
                                    Gicr, Madt, MadtLayout)
from vcpu_hotplug.acpi.pptt import Pptt, ProcessorFlags
from vcpu_hotplug.acpi.registry import decode_table
from vcpu_hotplug.acpi.rsdp import RSDP_V2_LENGTH, Rsdp
from vcpu_hotplug.acpi.xsdt import Xsdt
from vcpu_hotplug.arm.gic import GICR_FRAME_SIZE
from vcpu_hotplug.hw.memory import GuestMemory
from vcpu_hotplug.vmm.dsdt import cpu_device_path
from vcpu_hotplug.vmm.errors import ConfigError
from vcpu_hotplug.vmm.firmware_tables import FirmwareOptions, build_firmware, install_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, Machine, MachineConfig
from vcpu_hotplug.vmm.vcpu import BOOT_VCPU

from tests.conftest import require

SIZES = (1, 8, 64, 512)
HEADER = 36


def machine(maxcpus: int, cpus: int | None = None, smp: str | None = None) -> Machine:
    cpus = cpus if cpus is not None else max(1, maxcpus // 4)
    return Machine(MachineConfig(smp=smp or f"cpus={cpus},maxcpus={maxcpus}"))


def read_table(memory: GuestMemory, address: int) -> bytes:
    length = memory.read_u32(address + 4)
    return memory.read(address, length)


def tables_from_memory(memory: GuestMemory, rsdp_address: int) -> dict[str, object]:
    """What a guest does with the hand-off: RSDP -> XSDT -> tables, FADT -> DSDT."""
    rsdp = Rsdp.decode(memory.read(rsdp_address, RSDP_V2_LENGTH))
    xsdt = Xsdt.decode(read_table(memory, rsdp.xsdt_address))
    found: dict[str, object] = {"RSDP": rsdp, "XSDT": xsdt}
    for address in xsdt.entries:
        table = decode_table(read_table(memory, address))
        found[table.signature] = table
    fadt = found["FACP"]
    found["DSDT"] = decode_table(read_table(memory, fadt.x_dsdt))
    return found


@pytest.mark.parametrize("layout", list(MadtLayout))
@pytest.mark.parametrize("maxcpus", SIZES)
def test_a_guest_finds_every_table_from_the_rsdp_alone(maxcpus, layout):
    m = machine(maxcpus)
    image = install_firmware(m, FirmwareOptions(madt_layout=layout))
    found = tables_from_memory(m.memory, image.rsdp_address)
    assert set(found) == {"RSDP", "XSDT", "FACP", "APIC", "GTDT", "PPTT", "DSDT"}
    assert found["RSDP"].revision == 2
    ram = (m.memmap.ram_base, m.memmap.ram_base + m.config.ram_size)
    assert all(ram[0] <= a and a + len(image.tables[s]) <= ram[1] for s, a, _ in image.in_memory_order())

    fadt: Fadt = found["FACP"]
    assert fadt.hardware_reduced
    assert fadt.arm_boot_arch == ArmBootArch.PSCI_COMPLIANT | ArmBootArch.PSCI_USE_HVC
    assert isinstance(found["DSDT"], GenericTable) and found["DSDT"].body == image.tables["DSDT"][HEADER:]

    madt: Madt = found["APIC"]
    assert madt.header.revision == layout.revision
    giccs = madt.giccs
    assert [g.acpi_processor_uid for g in giccs] == list(range(maxcpus))
    assert [g.mpidr for g in giccs] == [v.mpidr for v in m.vcpus]
    assert {g.length for g in giccs} == {layout.gicc_length}
    assert m.smp.cpus > 1 or maxcpus == 1    # vCPUs other than the boot one are enabled at boot
    for g in giccs:
        # DESIGN.md section 1, cpu-hotplug.rst: only the boot CPU is Enabled; every other vCPU is
        # Online Capable, including those policy enables at boot (firmware may disable them later).
        want = GiccFlags.ENABLED if g.acpi_processor_uid == BOOT_VCPU else GiccFlags.ONLINE_CAPABLE
        assert g.flags == want
        assert g.gicr_base_address == 0       # exclusive with GICR structures (hotplug needs those)
    (gicd,) = madt.of_type(Gicd)
    assert gicd.physical_base_address == m.memmap.gic_dist[0]
    assert len(madt.of_type(GicIts)) == 1


@pytest.mark.parametrize("maxcpus", SIZES)
def test_gicr_structures_cover_every_redistributor(maxcpus):
    m = machine(maxcpus)
    madt = Madt.decode(build_firmware(m).tables["APIC"])
    ranges = [(r.discovery_range_base_address, r.discovery_range_length) for r in madt.of_type(Gicr)]
    for vcpu in range(maxcpus):
        base = m.gic.redistributor_base(vcpu)
        assert any(lo <= base and base + GICR_FRAME_SIZE <= lo + n for lo, n in ranges), vcpu
    # the last frame of each range says Last, so a walker stops exactly at the range's end
    for lo, n in ranges:
        last = m.bus.read(lo + n - GICR_FRAME_SIZE + 8, 4)
        assert last & 0x10


def test_the_acpi_6_5_layout_has_82_byte_giccs_and_6_4_has_80():
    m = machine(8)
    assert {g.length for g in Madt.decode(build_firmware(m).tables["APIC"]).giccs} == {GICC_LENGTH_ACPI_6_5}
    six_four = build_firmware(m, FirmwareOptions(madt_layout=MadtLayout.ACPI_6_4)).tables["APIC"]
    assert {g.length for g in Madt.decode(six_four).giccs} == {GICC_LENGTH_ACPI_6_0}


@pytest.mark.parametrize("smp", ["cpus=2,maxcpus=6", "8,sockets=2,cores=4", "cpus=4,maxcpus=16,sockets=2,"
                                 "clusters=2,cores=2,threads=2", "cpus=1,maxcpus=512,sockets=4,cores=64,threads=2"])
def test_pptt_describes_every_vcpu_where_the_topology_puts_it(smp):
    m = Machine(MachineConfig(smp=smp))
    pptt = Pptt.decode(build_firmware(m).tables["PPTT"])
    by_offset = dict(zip(pptt.offsets(), pptt.nodes))
    leaves = [n for n in pptt.processors() if n.flags & ProcessorFlags.NODE_IS_A_LEAF]
    assert [n.acpi_processor_id for n in leaves] == list(range(m.smp.maxcpus))
    for leaf in leaves:
        t = m.topology[leaf.acpi_processor_id]
        chain = []
        node = leaf
        while node.parent:
            node = by_offset[node.parent]
            chain.append(node)
        assert chain[-1].flags & ProcessorFlags.PHYSICAL_PACKAGE
        assert chain[-1].acpi_processor_id == t.socket_id
        assert len(chain) == 1 + (m.smp.clusters > 1) + (m.smp.threads > 1)
        assert bool(leaf.flags & ProcessorFlags.PROCESSOR_IS_A_THREAD) == (m.smp.threads > 1)
        if m.smp.threads > 1:
            assert chain[0].acpi_processor_id == t.core_id


@pytest.mark.parametrize(("smp", "reference"), [
    ("8,sockets=1,clusters=2,cores=2,threads=2", "qemu/aarch64-virt/PPTT.topology"),
    ("cpus=2,maxcpus=6", "qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/PPTT"),
])
def test_pptt_is_byte_for_byte_qemus_build_pptt(reference_tables, smp, reference):
    path = reference_tables / reference
    require(path.is_file(), str(path))
    ours = build_firmware(Machine(MachineConfig(smp=smp))).tables["PPTT"]
    assert ours[HEADER:] == path.read_bytes()[HEADER:]


def test_gicc_uid_is_the_processor_device_uid_and_the_pptt_id():
    m = machine(8, cpus=2)
    image = build_firmware(m)
    interp = Interpreter()
    interp.load(image.tables["DSDT"])
    uids = [interp.evaluate(f"{cpu_device_path(i)}._UID") for i in range(8)]
    assert uids == [g.acpi_processor_uid for g in Madt.decode(image.tables["APIC"]).giccs]


def test_a_table_area_outside_ram_is_refused():
    with pytest.raises(ConfigError, match="area_base"):
        build_firmware(machine(8), FirmwareOptions(area_base=0x1000))


# ---------------------------------------------------------------- ACPICA --

_PROBLEM = re.compile(r"error|warning|invalid|unknown|\*\*\*\*", re.IGNORECASE)


@pytest.mark.parametrize("maxcpus", SIZES)
def test_iasl_disassembles_every_table_without_a_complaint(iasl, tmp_path: Path, maxcpus):
    image = build_firmware(machine(maxcpus), FirmwareOptions(madt_layout=MadtLayout.ACPI_6_4))
    names = []
    for signature in ("XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT"):
        (tmp_path / f"{signature}.dat").write_bytes(image.tables[signature])
        names.append(f"{signature}.dat")
    run = subprocess.run([iasl, "-d", *names], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not _PROBLEM.search(run.stdout + run.stderr), run.stdout + run.stderr
    for signature in ("XSDT", "FACP", "DSDT", "APIC", "GTDT", "PPTT"):
        dsl = (tmp_path / f"{signature}.dsl").read_text()
        body = dsl.split("Raw Table Data")[0]
        problems = [line for line in body.splitlines() if _PROBLEM.search(line)]
        assert not problems, (signature, problems[:5])
    dsdt = (tmp_path / "DSDT.dsl").read_text()
    assert dsdt.count('"ACPI0007"') == maxcpus
    assert dsdt.count("Method (_EJ0") == maxcpus - 1


@pytest.mark.parametrize("maxcpus", SIZES)
def test_acpiexec_loads_the_dsdt_and_ctfy_notifies_the_right_processor(acpiexec, tmp_path: Path, maxcpus):
    dsdt = build_firmware(machine(maxcpus)).tables["DSDT"]
    (tmp_path / "dsdt.aml").write_bytes(dsdt)
    last = maxcpus - 1
    picks = sorted({0, last, maxcpus // 2, maxcpus // 3})
    commands = [f"evaluate {cpu_device_path(last)}._STA", f"evaluate {cpu_device_path(0)}._UID"]
    commands += [f"evaluate \\_SB.PRES.CTFY {i} 1" for i in picks]
    commands += [f"evaluate \\_SB.GED._EVT {GED_INTID}", "evaluate \\_SB.PRES.CSCN"]
    run = subprocess.run([acpiexec, "-b", "; ".join(commands), "dsdt.aml"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "successfully acquired and loaded" in out
    assert not re.search(r"\bAE_[A-Z_]+\b", out.replace("AE_OK", "")), out[-2000:]
    # the processors, the GED, the register block's container, the UART and the power button
    assert f"{maxcpus + 4} Devices" in out or f"{maxcpus + 4} Devices".lower() in out.lower()
    # acpiexec's regions read 0: the status byte is 0, and _STA still says 0x0D (present, not enabled), never 0
    assert re.search(r"\[Integer\] = 0+D\b", out), out[-2000:]
    notified = re.findall(r"System Notify on \[(C[0-9A-F]{3})\].*Value 0x01", out)
    assert notified == [f"C{i:03X}" for i in picks]


@pytest.mark.parametrize("maxcpus", SIZES)
def test_our_interpreter_loads_the_dsdt_and_ctfy_reaches_every_processor(maxcpus):
    interp = Interpreter()
    interp.load(build_firmware(machine(maxcpus)).tables["DSDT"])
    assert interp.load_errors == []
    for i in range(maxcpus):
        interp.evaluate("\\_SB.PRES.CTFY", i, 3)
    interp.evaluate("\\_SB.PRES.CTFY", maxcpus, 1)       # out of range: ignored
    assert interp.notifications == [(cpu_device_path(i), 3) for i in range(maxcpus)]
