"""The tables under check, decoded once, and the facts every rule reads.

Tables are decoded leniently (a bad checksum or an unknown revision is a
rule result, not an error); a table that cannot be framed at all (truncated,
a length field past its end, a structure running past the table) makes the
input unusable: :class:`~vcpu_hotplug.check.errors.CheckError`.

The architecture is decided by the MADT: GICC structures mean arm64, Local
APIC or x2APIC structures mean x86 (``arch/arm64/kernel/acpi.c`` and
``arch/x86/kernel/acpi/boot.c`` each parse only their own); without a MADT,
a FADT with ARM boot flags means arm64.

CPUs, as Linux counts them:

* arm64 (``acpi_map_gic_cpu_interface``, ``arch/arm64/kernel/smp.c``): a
  GICC with Enabled or Online Capable is a *possible* CPU; the others are
  skipped. The *boot CPU* is the first GICC: VMMs start vCPU 0, and list it
  first (QEMU ``build_madt``, our VMM); Linux needs the booting CPU's MPIDR
  in the MADT. A possible CPU other than the boot CPU that is Online Capable
  and not Enabled is *hot-addable*: firmware may enable it later.
* x86 (``acpi_is_processor_usable``, ``arch/x86/kernel/acpi/boot.c``): a
  Local APIC/x2APIC entry is usable when Enabled, or, on a MADT of revision
  5 or later, Online Capable; before revision 5 every entry is (the legacy
  hotplug QEMU relies on: "Enabled=0" entries are CPUs to hot-add).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fadt import Fadt
from vcpu_hotplug.acpi.gtdt import Gtdt
from vcpu_hotplug.acpi.madt import Gicc, GiccFlags, LocalApic, LocalApicFlags, LocalX2Apic, Madt
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.acpi.registry import AnyTable, decode_table
from vcpu_hotplug.acpi.tableio import LoadedTable
from vcpu_hotplug.check.aml_facts import AmlFacts, ProcessorDevice, gather
from vcpu_hotplug.check.errors import CheckError
from vcpu_hotplug.check.rule import Arch

X86_ONLINE_CAPABLE_REVISION = 5
"""MADT revision from which x86 Linux honours Online Capable (``acpi_support_online_capable``)."""

BOOT_INDEX = 0
"""The boot CPU's MADT position (VMMs start vCPU 0 and list it first)."""


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
    """A CPU entry of the MADT (GICC, or Local APIC/x2APIC on x86) and its place in the MADT."""

    index: int
    """Position among the MADT's CPU entries (QEMU's CPU index, the register block's selector)."""
    uid: int
    hw_id: int
    """MPIDR (GICC) or APIC id."""
    enabled: bool
    online_capable: bool
    entry: Gicc | LocalApic | LocalX2Apic

    @property
    def gicc(self) -> Gicc:
        assert isinstance(self.entry, Gicc)
        return self.entry

    def describe(self) -> str:
        return f"CPU {self.index} (UID {self.uid})"


def _gicc_cpu(index: int, gicc: Gicc) -> Cpu:
    return Cpu(index, gicc.acpi_processor_uid, gicc.mpidr, GiccFlags.ENABLED in gicc.flags,
               GiccFlags.ONLINE_CAPABLE in gicc.flags, gicc)


def _apic_cpu(index: int, entry: LocalApic | LocalX2Apic) -> Cpu:
    hw_id = entry.apic_id if isinstance(entry, LocalApic) else entry.x2apic_id
    return Cpu(index, entry.acpi_processor_uid, hw_id, LocalApicFlags.ENABLED in entry.flags,
               LocalApicFlags.ONLINE_CAPABLE in entry.flags, entry)


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
    """The decoded tables plus lazily computed facts (CPUs, AML facts)."""

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
    def signatures(self) -> list[str]:
        return [t.signature for t in self.tables]

    @property
    def madt(self) -> Madt | None:
        return self.first("APIC")

    @property
    def fadt(self) -> Fadt | None:
        return self.first("FACP")

    @property
    def pptt(self) -> Pptt | None:
        return self.first("PPTT")

    @property
    def gtdt(self) -> Gtdt | None:
        return self.first("GTDT")

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

    # CPUs ----------------------------------------------------------------------

    @property
    def giccs(self) -> list[Gicc]:
        return self.madt.giccs if self.madt is not None else []

    @cached_property
    def entries(self) -> list[Cpu]:
        """Every CPU entry of the MADT in order: GICCs on arm64, Local APIC/x2APIC on x86."""
        madt = self.madt
        if madt is None:
            return []
        if self.arch is Arch.X86:
            apics = [s for s in madt.subtables if isinstance(s, (LocalApic, LocalX2Apic))]
            return [_apic_cpu(i, s) for i, s in enumerate(apics)]
        return [_gicc_cpu(i, g) for i, g in enumerate(madt.giccs)]

    @cached_property
    def cpus(self) -> list[Cpu]:
        """The possible (usable) CPUs, in MADT order (see the module docstring)."""
        if self.arch is Arch.X86:
            legacy = self.madt is not None and self.madt.header.revision < X86_ONLINE_CAPABLE_REVISION
            return [c for c in self.entries if c.enabled or c.online_capable or legacy]
        return [c for c in self.entries if c.enabled or c.online_capable]

    @property
    def boot(self) -> Cpu | None:
        """The boot CPU's entry (the first; it may be unusable, which a rule reports)."""
        return self.entries[BOOT_INDEX] if self.entries else None

    @property
    def hot_addable(self) -> list[Cpu]:
        """Possible CPUs other than the boot CPU that firmware has not enabled in the MADT."""
        return [c for c in self.cpus if c.index != BOOT_INDEX and not c.enabled]

    # AML -----------------------------------------------------------------------

    @property
    def aml_blocks(self) -> list[tuple[str, bytes]]:
        """``(source, table)`` of the DSDT, then every SSDT (as Linux loads them)."""
        dsdt = [(t.source, t.data) for t in self.all("DSDT")]
        ssdts = [(t.source, t.data) for t in self.all("SSDT")]
        return dsdt[:1] + ssdts

    @cached_property
    def aml(self) -> AmlFacts | None:
        """Facts from running the AML (None when there is no DSDT)."""
        if not self.all("DSDT"):
            return None
        possible = [(c.uid, c.hw_id, c.enabled) for c in self.entries]
        probe = self.hot_addable[0].index if self.hot_addable else None
        return gather(self.aml_blocks, possible, probe_slot=probe)

    def device_for(self, cpu: Cpu) -> ProcessorDevice | None:
        """The first processor device whose _UID is this CPU's, or None (Linux binds the first)."""
        if self.aml is None:
            return None
        return next((d for d in self.aml.processors if d.uid == cpu.uid), None)
