"""The tables under check, decoded once, and the facts every rule reads.

Tables are decoded leniently (a bad checksum or an unknown revision is a
rule result, not an error); a table that cannot be framed at all (truncated,
a length field past its end, a structure running past the table) makes the
input unusable: :class:`~vcpu_hotplug.check.errors.CheckError`.

The architecture is decided by the MADT: GICC structures mean arm64, Local
APIC or x2APIC structures mean x86 (``arch/arm64/kernel/acpi.c`` and
``arch/x86/kernel/acpi/boot.c`` each parse only their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fadt import Fadt
from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, LocalApic, LocalApicFlags, LocalX2Apic, Madt
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.acpi.registry import AnyTable, decode_table
from vcpu_hotplug.acpi.tableio import LoadedTable
from vcpu_hotplug.check.aml_facts import AmlFacts, gather
from vcpu_hotplug.check.errors import CheckError
from vcpu_hotplug.check.rules import Arch

USABLE = GiccFlags.ENABLED | GiccFlags.ONLINE_CAPABLE
"""A GICC with either flag is a possible CPU (``acpi_map_gic_cpu_interface``, arch/arm64/kernel/smp.c)."""

AML_SIGNATURES = ("DSDT", "SSDT")


@dataclass
class CheckedTable:
    """One input table: where it came from, its bytes, and its decoded form."""

    source: str
    data: bytes
    table: AnyTable

    @property
    def signature(self) -> str:
        return self.table.signature


@dataclass(frozen=True)
class Cpu:
    """A possible CPU: a GICC with Enabled or Online Capable, and its place in the MADT."""

    index: int
    """Position of its GICC in the MADT (QEMU's CPU index, the register block's selector)."""
    gicc: Gicc

    @property
    def uid(self) -> int:
        return self.gicc.acpi_processor_uid

    @property
    def enabled(self) -> bool:
        return GiccFlags.ENABLED in self.gicc.flags

    @property
    def online_capable(self) -> bool:
        return GiccFlags.ONLINE_CAPABLE in self.gicc.flags


def decode_all(loaded: list[LoadedTable]) -> list[CheckedTable]:
    out = []
    for item in loaded:
        try:
            table = decode_table(item.data, lenient=True)
        except TableError as exc:
            raise CheckError(f"{item.source}: {exc}") from None
        out.append(CheckedTable(item.source, item.data, table))
    return out


class CheckContext:
    """The decoded tables plus lazily computed facts (possible CPUs, AML facts)."""

    def __init__(self, loaded: list[LoadedTable]) -> None:
        if not loaded:
            raise CheckError("no tables to check")
        self.tables = decode_all(loaded)

    def all(self, signature: str) -> list[CheckedTable]:
        return [t for t in self.tables if t.signature == signature]

    def first(self, signature: str) -> AnyTable | None:
        found = self.all(signature)
        return found[0].table if found else None

    @property
    def madt(self) -> Madt | None:
        return self.first("APIC")

    @property
    def fadt(self) -> Fadt | None:
        return self.first("FACP")

    @property
    def pptt(self) -> Pptt | None:
        return self.first("PPTT")

    @cached_property
    def arch(self) -> Arch | None:
        madt = self.madt
        if madt is not None and madt.giccs:
            return Arch.ARM64
        if madt is not None and (madt.of_type(LocalApic) or madt.of_type(LocalX2Apic)):
            return Arch.X86
        fadt = self.fadt
        if fadt is not None and fadt.arm_boot_arch:
            return Arch.ARM64
        return None

    @property
    def giccs(self) -> list[Gicc]:
        return self.madt.giccs if self.madt is not None else []

    @cached_property
    def cpus(self) -> list[Cpu]:
        """The possible CPUs, in MADT order."""
        return [Cpu(i, g) for i, g in enumerate(self.giccs) if g.flags & USABLE]

    @property
    def aml_blocks(self) -> list[bytes]:
        dsdt = [t.data for t in self.all("DSDT")]
        ssdts = [t.data for t in self.all("SSDT")]
        return dsdt[:1] + ssdts

    @cached_property
    def aml(self) -> AmlFacts | None:
        """Facts from running the AML (None when there is no DSDT)."""
        if not self.all("DSDT"):
            return None
        possible = [(g.acpi_processor_uid, g.mpidr, GiccFlags.ENABLED in g.flags) for g in self.giccs]
        if self.arch is Arch.X86:
            possible = [(uid, 0, enabled) for uid, enabled in self.x86_cpus]
        return gather(self.aml_blocks, possible)

    @cached_property
    def x86_cpus(self) -> list[tuple[int, bool]]:
        """(ACPI processor UID, Enabled) of every Local APIC / x2APIC entry (x86)."""
        madt = self.madt
        if madt is None:
            return []
        return [(s.acpi_processor_uid, LocalApicFlags.ENABLED in s.flags)
                for s in madt.subtables if isinstance(s, (LocalApic, LocalX2Apic))]

    def device_for(self, cpu: Cpu):
        """The processor device whose _UID is this CPU's, or None."""
        if self.aml is None:
            return None
        return next((d for d in self.aml.processors if d.slot == cpu.index), None)
