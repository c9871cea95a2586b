"""MADT rules for arm64 vCPU hotplug: GICC flags, MPIDRs, UIDs, redistributors (ACPI 6.5 section 5.2.12).

What Linux does with the MADT:

* ``acpi_map_gic_cpu_interface`` (``arch/arm64/kernel/smp.c``): skips GICCs
  with neither Enabled nor Online Capable ("skipping disabled CPU entry"),
  with an MPIDR outside ``MPIDR_HWID_BITMASK`` ("skipping CPU entry with
  invalid MPIDR"), or an MPIDR seen before ("duplicate CPU MPIDR"); marks
  present only Enabled GICCs (``acpi_cpu_is_present``);
* ``irq-gic-v3.c``: GICR structures and GICC redistributor bases are
  mutually exclusive; through GICC bases, an Online Capable CPU that is not
  Enabled "can't be brought online" (its redistributor may be off); a CPU
  with no redistributor fails ("mpidr has no re-distributor"); Aff0 above 15
  cannot be targeted by an SGI without Range Selector support.

``Documentation/arch/arm64/cpu-hotplug.rst``: "CPUs that firmware wishes to
disable either from boot (or later) should not be enabled in the MADT GICC
structures, but should have the online capable bit set ... The boot CPU must
be marked as enabled. The 'always on' GICR structure must be used to
describe the redistributors."
"""

from __future__ import annotations

from vcpu_hotplug.acpi.madt import (GICC_LENGTH_ACPI_5_1, GICC_LENGTH_ACPI_6_0, GICC_LENGTH_ACPI_6_5, Gicc,
                                    Gicd, GiccFlags, Gicr, GicVersion, MadtLayout, RawSubtable, SubtableType)
from vcpu_hotplug.arm.gic import GICR_FRAME_SIZE, GICR_FRAME_SIZE_VLPI
from vcpu_hotplug.arm.mpidr import INVALID_HWID, MPIDR_HWID_MASK, MPIDR_RES1, affinity_levels
from vcpu_hotplug.check.context import CheckContext, Cpu
from vcpu_hotplug.check.rule import NotApplicable, Outcome, RuleFamily, Severity, bit, cpu_list, ok, outcome
from vcpu_hotplug.vmm.topology import KVM_AFF0_CPUS

RULES = RuleFamily("madt")
"""The MADT rules, in report order."""

KIB = 1024

MADT_REVISION_ACPI_5_1 = 3
"""MADT revision 3: GICC of 76 bytes (ACPI 5.1) or 80 bytes (ACPI 6.0)."""


def _arm64_cpus(ctx: CheckContext) -> list[Cpu]:
    if not ctx.giccs:
        raise NotApplicable("no GICC structures")
    return ctx.entries


def _gic_version(ctx: CheckContext) -> int:
    gicds = ctx.madt.of_type(Gicd) if ctx.madt is not None else []
    return gicds[0].gic_version if gicds else GicVersion.UNSPECIFIED


def _flags(cpu: Cpu) -> str:
    names = [f.name.replace("_", " ").title() for f in GiccFlags if f in cpu.gicc.flags]
    return f"{int(cpu.gicc.flags):#x}" + (f" ({', '.join(names)})" if names else "")


def _device_uids(ctx: CheckContext) -> dict[int, str]:
    if ctx.aml is None:
        return {}
    out: dict[int, str] = {}
    for dev in ctx.aml.processors:
        if isinstance(dev.uid, int):
            out.setdefault(dev.uid, dev.path)
    return out


@RULES.rule("madt.boot-cpu-enabled", Severity.FAIL,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('The boot CPU must be marked as enabled'); "
                   "arch/arm64/kernel/smp.c (acpi_cpu_is_present, 'missing boot CPU MPIDR')",
            text="The boot CPU's GICC (the first) is Enabled, not only Online Capable.")
def _boot_enabled(ctx: CheckContext) -> Outcome:
    _arm64_cpus(ctx)
    boot = ctx.boot
    if not boot.enabled:
        return outcome([f"GICC #0 (UID {boot.uid}, MPIDR {boot.hw_id:#x}), the boot CPU, has flags {_flags(boot)}: "
                        f"set Enabled (bit {bit(GiccFlags.ENABLED)}); Online Capable is for CPUs "
                        f"firmware enables later"], "")
    return ok(f"boot CPU (UID {boot.uid}, MPIDR {boot.hw_id:#x}) Enabled")


@RULES.rule("madt.online-capable-reserved", Severity.FAIL,
            source="ACPI 6.5 5.2.12.14 Table 5.37 (Online Capable: 'If the Enabled bit is set, this bit is reserved "
                   "and must be zero')",
            text="No GICC sets both Enabled and Online Capable.")
def _oc_reserved(ctx: CheckContext) -> Outcome:
    cpus = _arm64_cpus(ctx)
    both = [c for c in cpus if c.enabled and c.online_capable]
    problems = [f"GICC #{c.index} (UID {c.uid}) sets Enabled and Online Capable: clear Online Capable "
                f"(bit {bit(GiccFlags.ONLINE_CAPABLE)}), it is reserved when Enabled is set" for c in both]
    return outcome(problems, f"{len(cpus)} GICCs, none with both flags")


@RULES.rule("madt.gicc-unused", Severity.FAIL,
            source="arch/arm64/kernel/smp.c acpi_map_gic_cpu_interface ('skipping disabled CPU entry'); "
                   "ACPI 6.5 5.2.12.14 Table 5.37",
            text="No GICC that the DSDT gives a processor device has neither Enabled nor Online Capable.")
def _gicc_unused(ctx: CheckContext) -> Outcome:
    cpus = _arm64_cpus(ctx)
    unused = [c for c in cpus if not c.enabled and not c.online_capable]
    devices = _device_uids(ctx)
    meant = [c for c in unused if c.uid in devices]
    problems = [f"GICC #{c.index} (UID {c.uid}) has neither Enabled nor Online Capable, yet {devices[c.uid]} "
                f"describes that CPU: Linux never makes it a possible CPU; set Online Capable "
                f"(bit {bit(GiccFlags.ONLINE_CAPABLE)}) so firmware can enable it later" for c in meant]
    note = (f"{len(unused)} GICC(s) with neither flag and no processor device (ignored, as Linux does)"
            if unused else f"all {len(cpus)} GICCs usable")
    return outcome(problems, note)


@RULES.rule("madt.hotpluggable-online-capable", Severity.WARN,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('CPUs that firmware wishes to disable either from boot "
                   "(or later) should not be enabled in the MADT GICC structures, but should have the online capable "
                   "bit set'; kexec re-reads the static tables)",
            text="Every CPU firmware can eject (its processor device has _EJ0) is Online Capable and not Enabled.")
def _hotpluggable_oc(ctx: CheckContext) -> Outcome:
    cpus = _arm64_cpus(ctx)
    if ctx.aml is None:
        raise NotApplicable("no DSDT: which CPUs firmware can eject is unknown")
    problems = []
    ejectable = 0
    for cpu in cpus:
        dev = ctx.device_for(cpu)
        if dev is None or not dev.has_ej0:
            continue
        ejectable += 1
        if cpu.enabled:
            problems.append(f"GICC #{cpu.index} (UID {cpu.uid}) is Enabled in the MADT but {dev.path} has _EJ0 "
                            f"(firmware can remove it): mark it Online Capable and not Enabled, and report it "
                            f"enabled through _STA while it is")
    return outcome(problems, f"{ejectable} ejectable CPU(s), all Online Capable and not Enabled")


def _hot_addable_or_skip(ctx: CheckContext) -> list[Cpu]:
    _arm64_cpus(ctx)
    if not ctx.hot_addable:
        raise NotApplicable("no Online Capable CPU: nothing to hot-add")
    return ctx.hot_addable


@RULES.rule("madt.gicr-always-on", Severity.FAIL,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('The always on GICR structure must be used to describe "
                   "the redistributors'); drivers/irqchip/irq-gic-v3.c gic_acpi_parse_madt_gicc ('CPU %u's "
                   "redistributor is inaccessible: this CPU can't be brought online')",
            text="When a CPU is Online Capable, the redistributors are described by GICR structures (always on).")
def _gicr_always_on(ctx: CheckContext) -> Outcome:
    hot = _hot_addable_or_skip(ctx)
    if _gic_version(ctx) == GicVersion.GICV2:
        raise NotApplicable("GICv2 (GICD version 2): there are no redistributors")
    gicrs = ctx.madt.of_type(Gicr)
    if not gicrs:
        return outcome([f"CPUs {cpu_list(c.index for c in hot)} are Online Capable but the MADT has no GICR "
                        f"structure: Linux trusts a GICC's redistributor base only for an Enabled CPU and "
                        f"marks the others' redistributors broken, so they can never come online; describe "
                        f"the redistributors with always-on GICR structures"], "")
    return ok(f"{len(gicrs)} GICR structure(s) for {len(ctx.cpus)} possible CPUs")


@RULES.rule("madt.gicr-exclusive", Severity.FAIL,
            source="ACPI 6.5 5.2.12.14 Table 5.37 (GICR Base Address: 'must be set to 0' when GICR structures describe "
                   "the redistributors); drivers/irqchip/irq-gic-v3.c gic_acpi_count_gicr_regions ('GICR and GICC "
                   "subtables have to be mutually exclusive')",
            text="GICR structures and non-zero GICC GICR Base Addresses are not mixed.")
def _gicr_exclusive(ctx: CheckContext) -> Outcome:
    cpus = _arm64_cpus(ctx)
    gicrs = ctx.madt.of_type(Gicr)
    with_base = [c for c in cpus if c.gicc.gicr_base_address]
    if gicrs and with_base:
        return outcome([f"GICC #{c.index} (UID {c.uid}) has GICR Base Address {c.gicc.gicr_base_address:#x} "
                        f"although GICR structures describe the redistributors: set it to 0 (Linux ignores it)"
                        for c in with_base], "")
    how = "GICR structures" if gicrs else "GICC bases" if with_base else "neither"
    return ok(f"redistributors described by {how}")


def _frame_size(version: int) -> int:
    return GICR_FRAME_SIZE_VLPI if version == GicVersion.GICV4 else GICR_FRAME_SIZE


@RULES.rule("madt.gicr-covers", Severity.FAIL,
            source="drivers/irqchip/irq-gic-v3.c gic_populate_rdist ('CPU%d: mpidr %lx has no re-distributor!'); "
                   "ACPI 6.5 5.2.12.17 (GICR structure: Discovery Range Length)",
            text="The redistributor description holds one redistributor per possible CPU.")
def _gicr_covers(ctx: CheckContext) -> Outcome:
    _arm64_cpus(ctx)
    version = _gic_version(ctx)
    if version == GicVersion.GICV2:
        raise NotApplicable("GICv2 (GICD version 2): there are no redistributors")
    gicrs = ctx.madt.of_type(Gicr)
    if not gicrs:
        missing = [c for c in ctx.cpus if c.enabled and not c.gicc.gicr_base_address]
        return outcome([f"GICC #{c.index} (UID {c.uid}) is Enabled but neither a GICR structure nor its GICR "
                        f"Base Address locates its redistributor: describe it" for c in missing],
                       "every Enabled GICC has a GICR Base Address")
    frame = _frame_size(version)
    frames = sum(g.discovery_range_length // frame for g in gicrs)
    problems = [f"GICR range at {g.discovery_range_base_address:#x} is {g.discovery_range_length:#x} bytes, not a "
                f"whole number of {frame // KIB} KiB redistributors" for g in gicrs if g.discovery_range_length % frame]
    if frames < len(ctx.cpus):
        problems.append(f"the GICR ranges hold {frames} redistributor(s) of {frame // KIB} KiB but the MADT has "
                        f"{len(ctx.cpus)} possible CPUs: extend the ranges to cover every CPU's redistributor")
    return outcome(problems, f"{frames} redistributor frames for {len(ctx.cpus)} possible CPUs")


@RULES.rule("madt.mpidr-valid", Severity.FAIL,
            source="ACPI 6.5 5.2.12.14 Table 5.37 (MPIDR: bits 63:40 and 31:24 must be zero); arch/arm64/kernel/smp.c "
                   "('skipping CPU entry with invalid MPIDR', MPIDR_HWID_BITMASK 0xff00ffffff)",
            text="Every usable GICC's MPIDR holds only affinity bits (Aff3, Aff2, Aff1, Aff0): no RES1 bit 31.")
def _mpidr_valid(ctx: CheckContext) -> Outcome:
    _arm64_cpus(ctx)
    problems = []
    for c in ctx.cpus:
        mpidr = c.hw_id
        if mpidr == INVALID_HWID:
            problems.append(f"GICC #{c.index} (UID {c.uid}) has MPIDR {mpidr:#x} (INVALID_HWID): give its affinity")
        elif mpidr & ~MPIDR_HWID_MASK:
            why = (f" (bit {bit(MPIDR_RES1)} is RES1 in MPIDR_EL1 but not part of the hardware id)"
                   if mpidr & MPIDR_RES1 else "")
            problems.append(f"GICC #{c.index} (UID {c.uid}) has MPIDR {mpidr:#x} with bits outside "
                            f"{MPIDR_HWID_MASK:#x}{why}: Linux skips this CPU; write the affinity only, "
                            f"{mpidr & MPIDR_HWID_MASK:#x}")
    return outcome(problems, f"{len(ctx.cpus)} MPIDRs, affinity bits only")


@RULES.rule("madt.mpidr-unique", Severity.FAIL,
            source="arch/arm64/kernel/smp.c is_mpidr_duplicate ('duplicate CPU MPIDR 0x%llx in MADT')",
            text="No two usable GICCs have the same MPIDR.")
def _mpidr_unique(ctx: CheckContext) -> Outcome:
    _arm64_cpus(ctx)
    seen: dict[int, Cpu] = {}
    problems = []
    for c in ctx.cpus:
        hwid = c.hw_id & MPIDR_HWID_MASK
        if hwid in seen:
            first = seen[hwid]
            problems.append(f"GICC #{c.index} (UID {c.uid}) repeats MPIDR {hwid:#x} of GICC #{first.index}: Linux "
                            f"ignores it; give every CPU its own affinity")
        else:
            seen[hwid] = c
    return outcome(problems, f"{len(seen)} distinct MPIDRs")


@RULES.rule("madt.uid-unique", Severity.FAIL,
            source="ACPI 6.5 5.2.12.14 (ACPI Processor UID matches a processor device's _UID); "
                   "arch/arm64/include/asm/acpi.h get_cpu_for_acpi_id (the first CPU with the UID wins)",
            text="No two GICCs have the same ACPI Processor UID.")
def _uid_unique(ctx: CheckContext) -> Outcome:
    cpus = _arm64_cpus(ctx)
    seen: dict[int, Cpu] = {}
    problems = []
    for c in cpus:
        if c.uid in seen:
            problems.append(f"GICC #{c.index} repeats ACPI Processor UID {c.uid} of GICC #{seen[c.uid].index}: "
                            f"give each GICC its own UID (the one its processor device's _UID returns)")
        else:
            seen[c.uid] = c
    return outcome(problems, f"{len(seen)} UIDs, all different")


@RULES.rule("madt.aff0-range", Severity.WARN,
            source="drivers/irqchip/irq-gic-v3.c gic_cpu_sys_reg_init ('CPU%d (%lx) can't SGI CPU%d (%lx), no RSS'); "
                   "KVM's default MPIDR puts 16 vCPUs per Aff0 level",
            text="With GICv3, every usable GICC's Aff0 is 0-15 (an SGI's target list is 16 bits).")
def _aff0(ctx: CheckContext) -> Outcome:
    _arm64_cpus(ctx)
    if _gic_version(ctx) == GicVersion.GICV2:
        raise NotApplicable("GICv2 (GICD version 2): SGIs target CPU interfaces, not affinities")
    problems = []
    for c in ctx.cpus:
        aff0 = affinity_levels(c.hw_id)[0]
        if aff0 >= KVM_AFF0_CPUS:
            problems.append(f"GICC #{c.index} (UID {c.uid}) MPIDR {c.hw_id:#x} has Aff0 {aff0}: without Range "
                            f"Selector support no SGI (IPI) reaches it; number CPUs {KVM_AFF0_CPUS} per Aff1 "
                            f"value, as KVM does")
    return outcome(problems, f"every Aff0 below {KVM_AFF0_CPUS}")


def _expected_gicc_lengths(revision: int) -> tuple[int, ...]:
    if revision >= MadtLayout.ACPI_6_5.revision:
        return (GICC_LENGTH_ACPI_6_5,)
    if revision > MADT_REVISION_ACPI_5_1:
        return (GICC_LENGTH_ACPI_6_0,)
    return (GICC_LENGTH_ACPI_5_1, GICC_LENGTH_ACPI_6_0)


@RULES.rule("madt.gicc-length", Severity.FAIL,
            source="ACPI 6.5 5.2.12.14 Table 5.37 (GICC Length: 82 from MADT revision 6, 80 in revisions 4-5, 76 or 80 "
                   "in revision 3); arch/arm64/include/asm/acpi.h BAD_MADT_GICC_ENTRY (at least 76 bytes)",
            text="Every GICC has the length of its MADT's revision.")
def _gicc_length(ctx: CheckContext) -> Outcome:
    madt = ctx.madt
    if madt is None:
        raise NotApplicable("no MADT")
    revision = madt.header.revision
    lengths = []
    for sub in madt.subtables:
        if isinstance(sub, RawSubtable) and sub.type == SubtableType.GICC:
            lengths.append(len(sub.raw))
        elif isinstance(sub, Gicc):
            lengths.append(sub.length)
    if not lengths:
        raise NotApplicable("no GICC structures")
    if revision < MADT_REVISION_ACPI_5_1:
        raise NotApplicable(f"MADT revision {revision} defines no GICC layout (see tables.revision)")
    expected = _expected_gicc_lengths(revision)
    problems = []
    for i, length in enumerate(lengths):
        if length not in expected:
            short = f"; Linux rejects GICCs under {GICC_LENGTH_ACPI_5_1} bytes" if length < GICC_LENGTH_ACPI_5_1 else ""
            problems.append(f"GICC #{i} is {length} bytes but MADT revision {revision} has "
                            f"{' or '.join(map(str, expected))}-byte GICCs{short}: make the GICC length and the "
                            f"MADT revision agree")
    sizes = sorted(set(lengths))
    return outcome(problems, f"{len(lengths)} GICCs of {'/'.join(map(str, sizes))} bytes, right for MADT "
                             f"revision {revision}")
