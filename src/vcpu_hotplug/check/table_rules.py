"""Rules about every table: the set present, checksums, lengths, revisions (ACPI 6.5 section 5.2).

Linux reads tables through ACPICA (``drivers/acpi/acpica/tbutils.c``,
``tbprint.c``): a bad checksum is only a warning there ("Incorrect checksum
in table"), but the specification makes it an error, and firmware that gets
it wrong usually gets more wrong.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.fadt import FADT_LENGTH, FADT_REVISION, FIELD_OFFSETS, Fadt
from vcpu_hotplug.acpi.generic import HeaderlessTable
from vcpu_hotplug.acpi.gtdt import GTDT_MIN_REVISION, GTDT_REVISION
from vcpu_hotplug.acpi.header import CHECKSUM_OFFSET, checksum
from vcpu_hotplug.acpi.madt import MAX_KNOWN_REVISION as MADT_MAX_REVISION
from vcpu_hotplug.acpi.pptt import PPTT_REVISION
from vcpu_hotplug.acpi.rsdp import RSDP_REVISION_2, RSDP_V1_LENGTH, Rsdp
from vcpu_hotplug.acpi.xsdt import XSDT_REVISION
from vcpu_hotplug.check.context import CheckContext
from vcpu_hotplug.check.rule import Arch, NotApplicable, Outcome, RuleFamily, Severity, outcome

RULES = RuleFamily("tables")
"""The whole-table rules, in report order."""

REQUIRED = {
    Arch.ARM64: ("FACP", "APIC", "DSDT", "GTDT"),
    Arch.X86: ("APIC", "DSDT"),
}
"""Tables a check needs: arm64 Linux needs the FADT (``acpi_fadt_sanity_check``), the MADT
(``smp_init_cpus``, GIC probe), the DSDT (processor devices) and the GTDT (the architected timer,
``TIMER_ACPI_DECLARE(arch_timer, ACPI_SIG_GTDT, ...)`` in drivers/clocksource/arm_arch_timer.c);
on x86 the checker looks only at the CPU hotplug side: MADT and DSDT."""

AML_MAX_REVISION = 2
"""DSDT/SSDT: revision 2 selects 64-bit AML integers (section 5.2.11.1); higher ones are not defined."""
ARM64_MIN_MADT_REVISION = 3
"""GICC structures with MPIDR arrived in ACPI 5.1, MADT revision 3."""
FADT_5_LENGTH = FIELD_OFFSETS["hypervisor_vendor_identity"]
"""An ACPI 5.x FADT ends where ACPI 6.0 added the Hypervisor Vendor Identity."""
FADT_REVISION_5 = 5

KNOWN_REVISIONS: dict[str, range] = {
    "APIC": range(1, MADT_MAX_REVISION + 1),
    "FACP": range(1, FADT_REVISION + 1),
    "PPTT": range(1, PPTT_REVISION + 1),
    "GTDT": range(GTDT_MIN_REVISION, GTDT_REVISION + 1),
    "XSDT": range(XSDT_REVISION, XSDT_REVISION + 1),
    "RSDT": range(1, 2),
    "DSDT": range(1, AML_MAX_REVISION + 1),
    "SSDT": range(1, AML_MAX_REVISION + 1),
}
"""Revisions ACPI 6.5 defines for the tables checked here (sections 5.2.7 to 5.2.30)."""


def _arch(ctx: CheckContext) -> Arch:
    return ctx.arch or Arch.ARM64


@RULES.rule("tables.required", Severity.FAIL,
            source="arch/arm64/kernel/acpi.c (acpi_fadt_sanity_check: 'FADT is required on arm64'), "
                   "arch/arm64/kernel/smp.c (MADT), drivers/clocksource/arm_arch_timer.c (GTDT); ACPI 6.5 5.2.7",
            text="The tables Linux needs are there: FADT, MADT, DSDT and GTDT on arm64 (MADT and DSDT on x86).",
            arch=Arch.ANY)
def _required(ctx: CheckContext) -> Outcome:
    arch = _arch(ctx)
    have = set(ctx.signatures)
    missing = [s for s in REQUIRED[arch] if s not in have]
    problems = [f"no {sig} table: add it ({arch.value} Linux cannot boot or find CPUs without it)"
                for sig in missing]
    if ctx.arch is None and "APIC" in have:
        problems.append("the MADT has neither GICC nor Local APIC structures: describe the CPUs")
    return outcome(problems, f"{', '.join(REQUIRED[arch])} present ({arch.value})")


def _rsdp_checksums(t: Rsdp) -> list[str]:
    out = []
    if not t.checksum_ok:
        out.append("RSDP checksum (first 20 bytes) does not sum to zero: recompute byte 8")
    if t.revision >= RSDP_REVISION_2 and not t.extended_checksum_ok:
        out.append("RSDP extended checksum does not sum to zero: recompute byte 32")
    return out


@RULES.rule("tables.checksum", Severity.FAIL,
            source="ACPI 6.5 5.2.6 (the entire table, header included, sums to zero), 5.2.5.3 (RSDP checksums); "
                   "ACPICA acpi_tb_verify_checksum ('Incorrect checksum in table')",
            text="Every table's bytes sum to zero (modulo 256).", arch=Arch.ANY)
def _checksum(ctx: CheckContext) -> Outcome:
    problems = []
    for t in ctx.tables:
        if isinstance(t.table, Rsdp):
            problems += [f"{t.source}: {p}" for p in _rsdp_checksums(t.table)]
        elif isinstance(t.table, HeaderlessTable):
            continue
        elif not t.table.header.checksum_ok:
            framed = bytearray(t.data[:t.table.header.length])
            framed[CHECKSUM_OFFSET] = 0
            want = checksum(framed)
            problems.append(f"{t.source} ({t.signature}): checksum byte is {t.table.header.checksum:#04x}, "
                            f"the table needs {want:#04x}")
    checked = sum(1 for t in ctx.tables if not isinstance(t.table, HeaderlessTable))
    return outcome(problems, f"{checked} tables, every checksum valid")


def _declared_length(t) -> int | None:
    if isinstance(t.table, Rsdp):
        return t.table.length
    if isinstance(t.table, HeaderlessTable):
        return None
    return t.table.header.length


def _fadt_length(fadt: Fadt, source: str) -> list[str]:
    revision, length = fadt.header.revision, fadt.header.length
    need = FADT_LENGTH if revision >= FADT_REVISION else FADT_5_LENGTH if revision == FADT_REVISION_5 else None
    if need is not None and length < need:
        return [f"{source} (FACP): revision {revision} FADT is {need} bytes, this one has {length}: "
                f"give it every field of its revision (section 5.2.9, Table 5.9)"]
    return []


@RULES.rule("tables.length", Severity.FAIL,
            source="ACPI 6.5 5.2.6 (Length: the whole table, header included), 5.2.9 Table 5.9 (FADT layout)",
            text="Each table's Length field is the size of the table as given, and the FADT has its revision's length.",
            arch=Arch.ANY)
def _length(ctx: CheckContext) -> Outcome:
    problems = []
    for t in ctx.tables:
        declared = _declared_length(t)
        if declared is None:
            continue
        if isinstance(t.table, Rsdp) and t.table.revision < RSDP_REVISION_2:
            declared = RSDP_V1_LENGTH
        if declared != len(t.data):
            problems.append(f"{t.source} ({t.signature}): Length says {declared} bytes but there are "
                            f"{len(t.data)} ({len(t.data) - declared} bytes after the table): set Length "
                            f"to the table's size or drop the extra bytes")
        if isinstance(t.table, Fadt):
            problems += _fadt_length(t.table, t.source)
    return outcome(problems, f"{len(ctx.tables)} tables, every Length matches")


@RULES.rule("tables.revision", Severity.FAIL,
            source="ACPI 6.5 5.2.9 (FADT 6), 5.2.12 (MADT 6), 5.2.25 (GTDT 3), 5.2.30 (PPTT 3), 5.2.8 (XSDT 1), "
                   "5.2.11.1 (DSDT 2); MADT revision 3 or later on arm64 (GICC with MPIDR, ACPI 5.1)",
            text="Every table has a revision the specification defines (and, on arm64, a MADT of revision 3+).",
            arch=Arch.ANY)
def _revision(ctx: CheckContext) -> Outcome:
    problems = []
    checked = 0
    for t in ctx.tables:
        if isinstance(t.table, Rsdp):
            checked += 1
            if t.table.revision not in (0, RSDP_REVISION_2):
                problems.append(f"{t.source}: RSDP revision {t.table.revision} is neither 0 nor 2")
            continue
        known = KNOWN_REVISIONS.get(t.signature)
        if known is None:
            continue
        checked += 1
        rev = t.table.header.revision
        if rev not in known:
            problems.append(f"{t.source} ({t.signature}): revision {rev} is not one ACPI 6.5 defines "
                            f"({known.start} to {known.stop - 1})")
        elif t.signature == "APIC" and ctx.arch is Arch.ARM64 and rev < ARM64_MIN_MADT_REVISION:
            problems.append(f"{t.source} (APIC): revision {rev} predates arm64 GICC structures: "
                            f"use revision {ARM64_MIN_MADT_REVISION} or later")
    if not checked:
        raise NotApplicable("no table whose revisions this checker knows")
    return outcome(problems, f"{checked} tables of known revisions")
