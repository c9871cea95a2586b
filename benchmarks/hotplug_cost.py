#!/usr/bin/env python3
"""What one hot-plugged vCPU costs in VM exits and AML opcodes: our DSDT against QEMU's AML.

For each ``maxcpus`` (default 8, 64, 512) a machine with ``cpus=1`` is built
and a vCPU is plugged the way Linux sees it: the VMM enables it (insert
event, GED interrupt), then the OS runs the GED's ``_EVT`` (the scan that
turns register-block events into ``Notify(Cxxx, 1)``) and, for each notified
processor device, ``_STA`` and ``_OST(0x01, 0)`` (``acpi_device_hotplug`` in
Linux's ``drivers/acpi/scan.c``). Two cases: plugging one vCPU (the highest
index, the worst case for a scan that walks from 0) and plugging every
disabled vCPU at once (one interrupt).

Each AML runs in our interpreter with its regions on the machine's MMIO bus
(the VMM's register block of ``vcpu_hotplug.vmm.cpuhp`` and GED), so the
register traffic is counted as VM exits by the bus itself:

- **ours**: the VMM's DSDT (``vcpu_hotplug.vmm.dsdt``: 4 accesses per event
  and a binary-tree ``CTFY``);
- **qemu-rfc**: QEMU's arm64 CPU hotplug AML (``hw/acpi/cpu.c``
  ``build_cpus_aml`` as the arm64 RFC v5 emits it: ``CSCN`` reading one field
  per access, a ``CTFY`` If-chain with one ``If`` per possible CPU), generated
  here for each ``maxcpus`` from the ASL of the real table in
  ``reference-tables/qemu-rfc-v5/aarch64-virt-cpus2-maxcpus6/DSDT``; at
  ``maxcpus=6`` the generated processor container and register resources are
  checked byte for byte against that real table;
- the real tables themselves, at the size they were made for (6 vCPUs): the
  arm64 RFC v5 DSDT and the x86 q35 ``DSDT.cphp`` (its SystemIO block at
  0x0CD8 routed to the same register block, its scan run from ``\\_GPE._E02``).

Also, for reference, the whole path through the Linux guest model
(``vcpu_hotplug.system``) per plugged vCPU, split by device: that includes the
guest's GICv3 redistributor walk (``gic_populate_rdist`` reads GICR frames
from the first one until its own), which grows with the vCPU's index whatever
the AML does.

Targets (issue 4): exits per plugged vCPU constant in ``maxcpus`` and fewer
than QEMU's; AML opcodes per event O(log maxcpus) or better.

Usage: ``python benchmarks/hotplug_cost.py [--maxcpus 8,64,512] [--no-guest]``
(needs ``iasl`` for the QEMU-shaped tables; ``../shared`` for the real ones).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from vcpu_hotplug.acpi.aml import RegionSpace, SparseStore, load_tables
from vcpu_hotplug.acpi.aml.parser import parse_definition_block
from vcpu_hotplug.acpi.aml.tree import Device
from vcpu_hotplug.hw.trace import TraceKind
from vcpu_hotplug.vmm.firmware_tables import build_firmware
from vcpu_hotplug.vmm.machine import GED_INTID, VIRT_MEMMAP, Machine, MachineConfig

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference-tables"
RFC_DSDT = REFERENCE / "qemu-rfc-v5" / "aarch64-virt-cpus2-maxcpus6" / "DSDT"
Q35_DSDT = REFERENCE / "qemu" / "x86-q35" / "DSDT.cphp"

X86_CPUHP_IO = 0x0CD8
"""q35's I/O port for the register block (QEMU docs/specs/acpi_cpu_hotplug.rst)."""
BLOCK_LENGTH = 12
OST_SOURCE_INSERT = 0x01
"""_OST source event for a Device Check (ACPI 6.5 section 6.3.5)."""
OST_SUCCESS = 0
DEVICE_CHECK = 1
STA_ENABLED = 0x0F

# QEMU's build_cpus_aml() output as the arm64 RFC v5 emits it (the real table, disassembled by
# iasl -d), with the number of CPUs as a parameter. Only the CPU hotplug part: the GED, the
# register-block resources (PRES) and the processor container (CPUS).
QEMU_RFC_ASL = """DefinitionBlock ("", "DSDT", 2, "BOCHS ", "BXPC    ", 0x00000001)
{{
    Scope (\\_SB)
    {{
        Device (\\_SB.GED)
        {{
            Name (_HID, "ACPI0013")
            Name (_UID, "GED")
            Name (_CRS, ResourceTemplate ()
            {{
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) {{ {ged_gsi:#x} }}
            }})
            OperationRegion (EREG, SystemMemory, {ged_base:#x}, 0x04)
            Field (EREG, DWordAcc, NoLock, WriteAsZeros) {{ ESEL, 32 }}
            Method (_EVT, 1, Serialized)
            {{
                Local0 = ESEL
                If (((Local0 & 0x08) == 0x08)) {{ \\_SB.GED.CSCN () }}
            }}
        }}
        Scope (_SB)
        {{
            Device (\\_SB.PRES)
            {{
                Name (_HID, EisaId ("PNP0A06"))
                Name (_UID, "CPU Hotplug resources")
                Mutex (CPLK, 0x00)
                Name (_CRS, ResourceTemplate ()
                {{
                    Memory32Fixed (ReadWrite, {block_base:#x}, 0x0000000C, )
                }})
                OperationRegion (PRST, SystemMemory, {block_base:#x}, 0x0C)
                Field (PRST, ByteAcc, NoLock, WriteAsZeros)
                {{
                    Offset (0x04),
                    CPEN, 1, CINS, 1, CRMV, 1, CEJ0, 1, CEJF, 1, CPRS, 1,
                    Offset (0x05),
                    CCMD, 8
                }}
                Field (PRST, DWordAcc, NoLock, Preserve)
                {{
                    CSEL, 32,
                    Offset (0x08),
                    CDAT, 32
                }}
            }}
            Device (\\_SB.CPUS)
            {{
                Name (_HID, "ACPI0010")
                Name (_CID, EisaId ("PNP0A05"))
                Method (CTFY, 2, NotSerialized)
                {{
{ctfy}
                }}
                Method (CSTA, 1, Serialized)
                {{
                    Acquire (\\_SB.PRES.CPLK, 0xFFFF)
                    \\_SB.PRES.CSEL = Arg0
                    Local0 = Zero
                    If ((\\_SB.PRES.CPRS == One))
                    {{
                        If ((\\_SB.PRES.CPEN == One)) {{ Local0 = 0x0F }}
                        Else {{ Local0 = 0x0D }}
                    }}
                    Release (\\_SB.PRES.CPLK)
                    Return (Local0)
                }}
                Method (CEJ0, 1, Serialized)
                {{
                    Acquire (\\_SB.PRES.CPLK, 0xFFFF)
                    \\_SB.PRES.CSEL = Arg0
                    \\_SB.PRES.CEJ0 = One
                    Release (\\_SB.PRES.CPLK)
                }}
                Method (CSCN, 0, Serialized)
                {{
                    Acquire (\\_SB.PRES.CPLK, 0xFFFF)
                    Name (CNEW, Package (0xFF) {{}})
                    Local3 = Zero
                    Local4 = One
                    While ((Local4 == One))
                    {{
                        Local4 = Zero
                        Local0 = One
                        Local1 = Zero
                        While (((Local0 == One) && (Local3 < {count:#x})))
                        {{
                            Local0 = Zero
                            \\_SB.PRES.CSEL = Local3
                            \\_SB.PRES.CCMD = Zero
                            If ((\\_SB.PRES.CDAT < Local3)) {{ Break }}
                            If ((Local1 == 0xFF))
                            {{
                                Local4 = One
                                Break
                            }}
                            Local3 = \\_SB.PRES.CDAT
                            If ((\\_SB.PRES.CINS == One))
                            {{
                                CNEW [Local1] = Local3
                                Local1++
                                Local0 = One
                            }}
                            ElseIf ((\\_SB.PRES.CRMV == One))
                            {{
                                CTFY (Local3, 0x03)
                                \\_SB.PRES.CRMV = One
                                Local0 = One
                            }}
                            Local3++
                        }}
                        Local2 = Zero
                        While ((Local2 < Local1))
                        {{
                            Local3 = DerefOf (CNEW [Local2])
                            CTFY (Local3, One)
                            Debug = Local3
                            \\_SB.PRES.CSEL = Local3
                            \\_SB.PRES.CINS = One
                            Local2++
                        }}
                    }}
                    Release (\\_SB.PRES.CPLK)
                }}
                Method (COST, 4, Serialized)
                {{
                    Acquire (\\_SB.PRES.CPLK, 0xFFFF)
                    \\_SB.PRES.CSEL = Arg0
                    \\_SB.PRES.CCMD = One
                    \\_SB.PRES.CDAT = Arg1
                    \\_SB.PRES.CCMD = 0x02
                    \\_SB.PRES.CDAT = Arg2
                    Release (\\_SB.PRES.CPLK)
                }}
{devices}
            }}
        }}
        Method (\\_SB.GED.CSCN, 0, NotSerialized)
        {{
            \\_SB.CPUS.CSCN ()
        }}
    }}
}}
"""

CTFY_CASE = """                    If ((Arg0 == {v})) {{ Notify (C{i:03X}, Arg1) }}"""
CPU_DEVICE = """                Device (C{i:03X})
                {{
                    Name (_HID, "ACPI0007")
                    Name (_UID, {v})
                    Method (_STA, 0, Serialized) {{ Return (CSTA ({v})) }}
{ej0}                    Method (_OST, 3, Serialized) {{ COST ({v}, Arg0, Arg1, Arg2) }}
                }}"""
EJ0 = """                    Method (_EJ0, 1, NotSerialized) {{ CEJ0 ({v}) }}
"""


def asl_integer(value: int) -> str:
    """How QEMU's AML builder encodes a small constant: ZeroOp, OneOp, else the shortest prefix."""
    return {0: "Zero", 1: "One"}.get(value, f"{value:#x}")


def qemu_rfc_asl(count: int) -> str:
    """QEMU's arm64 RFC CPU hotplug AML for ``count`` possible CPUs (every one but C000 has _EJ0)."""
    mm = VIRT_MEMMAP
    ctfy = "\n".join(CTFY_CASE.format(i=i, v=asl_integer(i)) for i in range(count))
    devices = "\n".join(CPU_DEVICE.format(i=i, v=asl_integer(i), ej0=EJ0.format(v=asl_integer(i)) if i else "")
                        for i in range(count))
    return QEMU_RFC_ASL.format(ged_gsi=GED_INTID, ged_base=mm.ged[0], block_base=mm.cpuhp[0], count=count,
                               ctfy=ctfy, devices=devices)


def compile_asl(iasl: str, asl: str, directory: Path, stem: str) -> bytes:
    """iasl with every optimisation off (-oa): names stay absolute and constants as written, like QEMU's."""
    source = directory / f"{stem}.asl"
    source.write_text(asl)
    proc = subprocess.run([iasl, "-oa", "-p", str(directory / stem), str(source)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"iasl failed on the QEMU-shaped ASL ({stem}):\n{proc.stdout}{proc.stderr}")
    return (directory / f"{stem}.aml").read_bytes()


def device_bytes(aml: bytes, path: str) -> bytes:
    """The encoded ``Device`` whose absolute path is ``path`` in a DSDT (offsets are table offsets)."""
    block = parse_definition_block(aml)
    pending = list(block.body)
    while pending:
        node = pending.pop()
        if isinstance(node, Device) and node.path == path:
            return aml[node.offset:node.offset + node.length]
        pending.extend(node.children())
    raise SystemExit(f"no Device {path} in the table")


class BusHandler:
    """AML regions onto the machine's MMIO bus; the x86 I/O block onto the same register block."""

    def __init__(self, machine: Machine) -> None:
        self.bus = machine.bus
        self.other = SparseStore()

    def _route(self, space: int, address: int) -> int | None:
        if space == RegionSpace.SYSTEM_MEMORY and self.bus.find(address) is not None:
            return address
        if space == RegionSpace.SYSTEM_IO and X86_CPUHP_IO <= address < X86_CPUHP_IO + BLOCK_LENGTH:
            return VIRT_MEMMAP.cpuhp[0] + address - X86_CPUHP_IO
        return None

    def read(self, space, address, size):
        routed = self._route(space, address)
        if routed is None:
            return self.other.read(space, address, size)
        return self.bus.read(routed, size)

    def write(self, space, address, size, value):
        routed = self._route(space, address)
        if routed is None:
            self.other.write(space, address, size, value)
        else:
            self.bus.write(routed, size, value)


@dataclass
class Cost:
    plugged: int
    exits: int
    opcodes: int
    scan_opcodes: int

    def per_vcpu(self) -> tuple[float, float]:
        return self.exits / self.plugged, self.opcodes / self.plugged


def measure(aml: bytes, maxcpus: int, plug: list[int], event_method: str) -> Cost:
    """Plug ``plug`` on a fresh cpus=1 machine and run the OS side of the hot-add on ``aml``."""
    machine = Machine(MachineConfig(smp=f"cpus=1,maxcpus={maxcpus}"))
    machine.trace.enabled = False
    notes: list[tuple[str, int]] = []
    interp = load_tables([aml], handler=BusHandler(machine), notify=lambda p, v: notes.append((p, v)))
    if interp.load_errors:
        raise SystemExit(f"table did not load: {interp.load_errors[0]}")
    for index in plug:
        machine.enable(index)
    exits0, ops0 = machine.bus.exits, interp.opcodes_executed
    if event_method.endswith("_EVT"):
        interp.evaluate(event_method, GED_INTID)
    else:
        interp.evaluate(event_method)
    scan_ops = interp.opcodes_executed - ops0
    checked = []
    for path, value in notes:
        if value != DEVICE_CHECK:
            continue
        if interp.evaluate(f"{path}._STA") != STA_ENABLED:
            raise SystemExit(f"{path}._STA is not 0x0F after its hot-add")
        interp.evaluate(f"{path}._OST", OST_SOURCE_INSERT, OST_SUCCESS, b"")
        checked.append(int(path[-3:], 16))   # every table here names vCPU n's device C%03X
    if sorted(checked) != sorted(plug):
        raise SystemExit(f"{event_method} notified {sorted(checked)}, expected {sorted(plug)}")
    return Cost(len(plug), machine.bus.exits - exits0, interp.opcodes_executed - ops0, scan_ops)


def guest_path(maxcpus: int, plug: list[int]) -> tuple[float, dict[str, float], float]:
    """Exits per plugged vCPU through the Linux guest model, by device class, and wall seconds."""
    from vcpu_hotplug.system import System

    system = System.build(f"cpus=1,maxcpus={maxcpus}")
    system.trace.enabled = False
    bus = system.machine.bus
    bus.reset_counters()
    hvc0 = system.trace.counts[TraceKind.HVC]
    start = time.perf_counter()
    for index in plug:
        system.enable(index, settle=False)
    system.run_until_idle()
    wall = time.perf_counter() - start
    if system.guest_view().online != frozenset(range(maxcpus)) & (frozenset(plug) | {0}):
        raise SystemExit("the guest did not online every plugged vCPU")
    classes: dict[str, int] = {}
    for device, n in bus.exits_by_device.items():
        key = "gicr" if device.startswith("gicr") else device
        classes[key] = classes.get(key, 0) + n
    classes["hvc"] = system.trace.counts[TraceKind.HVC] - hvc0
    n = len(plug)
    return sum(classes.values()) / n, {k: v / n for k, v in sorted(classes.items())}, wall


def row(label: str, maxcpus: int, case: str, cost: Cost) -> str:
    exits, opcodes = cost.per_vcpu()
    return (f"{label:<10} {maxcpus:>7} {case:<9} {cost.plugged:>7} {exits:>12.1f} {opcodes:>14.1f} "
            f"{cost.scan_opcodes / cost.plugged:>16.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="VM exits and AML opcodes per hot-plugged vCPU")
    parser.add_argument("--maxcpus", default="8,64,512", help="comma-separated machine sizes")
    parser.add_argument("--no-guest", action="store_true", help="skip the end-to-end guest figures")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.maxcpus.split(",")]
    iasl = shutil.which("iasl")
    if iasl is None:
        print("iasl not found (apt-get install acpica-tools): needed for QEMU's AML at each size")
        return 2
    header = (f"{'AML':<10} {'maxcpus':>7} {'case':<9} {'plugged':>7} {'exits/vCPU':>12} "
              f"{'opcodes/vCPU':>14} {'scan ops/vCPU':>16}")
    print("OS side of a hot-add (GED _EVT scan + _STA + _OST per notified device), cpus=1")
    print(header)
    results: dict[tuple[str, int, str], Cost] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if RFC_DSDT.is_file():
            shaped = compile_asl(iasl, qemu_rfc_asl(6), directory, "qemu6")
            real = RFC_DSDT.read_bytes()
            same = all(device_bytes(shaped, p) == device_bytes(real, p) for p in ("\\_SB_.CPUS", "\\_SB_.PRES"))
            print(f"(QEMU-shaped AML at maxcpus=6 equals the real RFC v5 table's CPUS and PRES devices "
                  f"byte for byte: {'yes' if same else 'NO'})")
            if not same:
                return 1
        for maxcpus in sizes:
            ours = build_firmware(Machine(MachineConfig(smp=f"cpus=1,maxcpus={maxcpus}"))).tables["DSDT"]
            qemu = compile_asl(iasl, qemu_rfc_asl(maxcpus), directory, f"qemu{maxcpus}")
            for case, plug in (("plug 1", [maxcpus - 1]), ("plug all", list(range(1, maxcpus)))):
                if maxcpus == 1:
                    continue
                for label, aml in (("ours", ours), ("qemu-rfc", qemu)):
                    cost = measure(aml, maxcpus, plug, "\\_SB.GED._EVT")
                    results[(label, maxcpus, case)] = cost
                    print(row(label, maxcpus, case, cost))
        if RFC_DSDT.is_file() and Q35_DSDT.is_file():
            print("\nThe real QEMU tables (6 possible vCPUs), same register block, plug vCPU 5 / plug 1-5:")
            print(header)
            ours6 = build_firmware(Machine(MachineConfig(smp="cpus=1,maxcpus=6"))).tables["DSDT"]
            for label, aml, method in (("ours", ours6, "\\_SB.GED._EVT"),
                                       ("rfc-real", RFC_DSDT.read_bytes(), "\\_SB.GED._EVT"),
                                       ("q35-real", Q35_DSDT.read_bytes(), "\\_GPE._E02")):
                for case, plug in (("plug 1", [5]), ("plug all", [1, 2, 3, 4, 5])):
                    print(row(label, 6, case, measure(aml, 6, plug, method)))
        else:
            print(f"\n({REFERENCE} not found: the real QEMU tables were not measured)")

    print("\nVerdict (marginal = exits of each vCPU beyond the first in one scan)")
    for label in ("ours", "qemu-rfc"):
        single, marginal, ops = [], [], []
        for m in sizes:
            one, every = results.get((label, m, "plug 1")), results.get((label, m, "plug all"))
            if one is None or every is None:
                continue
            single.append(one.exits)
            if every.plugged > 1:
                marginal.append((every.exits - one.exits) / (every.plugged - 1))
            ops.append(one.opcodes)
        if not single:
            continue
        constant = len(set(single)) == 1 and max(marginal, default=0) - min(marginal, default=0) < 1e-9
        print(f"  {label:<9} exits for one vCPU {', '.join(map(str, single))}; marginal "
              f"{', '.join(f'{x:g}' for x in marginal)} ({'constant' if constant else 'NOT constant'} in "
              f"maxcpus {', '.join(map(str, sizes))}); opcodes for one vCPU {', '.join(map(str, ops))}")

    if not args.no_guest:
        print("\nWhole path through the Linux guest model, exits per plugged vCPU by device "
              "(gicr = the guest's redistributor walk, hvc = PSCI)")
        for maxcpus in sizes:
            if maxcpus == 1:
                continue
            for case, plug in (("plug 1", [maxcpus - 1]), ("plug all", list(range(1, maxcpus)))):
                total, classes, wall = guest_path(maxcpus, plug)
                parts = ", ".join(f"{k} {v:.1f}" for k, v in classes.items())
                print(f"  maxcpus {maxcpus:>4} {case:<9} {total:>8.1f} exits/vCPU ({parts}); "
                      f"{wall * 1000:.0f} ms wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
