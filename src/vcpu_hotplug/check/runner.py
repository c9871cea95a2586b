"""Run the checker: load the tables, apply every rule, state the findings, predict what Linux does.

:func:`check_path` is what ``vcpu-hotplug check PATH`` calls; :func:`check_tables`
takes tables already in memory (tests, other tools). Rules are applied by
architecture: an arm64 rule on x86 tables, or an x86 rule on arm64 tables,
is SKIP with that reason. Unreadable input raises
:class:`~vcpu_hotplug.check.errors.CheckError`; nothing else escapes.
"""

from __future__ import annotations

import os

from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.acpi.tableio import LoadedTable
from vcpu_hotplug.check.boot import predict_boot
from vcpu_hotplug.check.catalog import all_rules
from vcpu_hotplug.check.context import CheckContext
from vcpu_hotplug.check.errors import CheckError
from vcpu_hotplug.check.findings import findings
from vcpu_hotplug.check.inputs import load_input
from vcpu_hotplug.check.report import CheckReport, RuleResult, Status, result_of
from vcpu_hotplug.check.rule import Arch, NotApplicable, Rule, cpu_list
from vcpu_hotplug.guest import PresentPolicy


def _applies(rule: Rule, arch: Arch | None) -> str | None:
    """None when the rule applies to tables of ``arch``, else why not."""
    if rule.arch is Arch.ANY:
        return None
    if rule.arch is Arch.ARM64 and arch is Arch.X86:
        return "x86 tables: an arm64 rule"
    if rule.arch is Arch.X86 and arch is not Arch.X86:
        return "not x86 tables: an x86 rule"
    return None


def apply_rule(rule: Rule, ctx: CheckContext) -> RuleResult:
    """One rule's result on the tables of ``ctx``."""
    why_not = _applies(rule, ctx.arch)
    if why_not is not None:
        return RuleResult(rule, Status.SKIP, why_not)
    try:
        found = rule.check(ctx)
    except NotApplicable as exc:
        return result_of(rule, None, str(exc))
    except AcpiError as exc:
        return result_of(rule, [f"the tables could not be evaluated for this rule: {exc}"], "")
    return result_of(rule, found.problems, found.note)


MADT_ENABLED_ASSUMPTION = "assumed: only MADT-Enabled CPUs are enabled at boot"
"""What the prediction takes as the VMM's boot policy without ``--boot-cpus`` (issue 12): wrong for a VMM that
enables more, as QEMU does for ``-smp cpus=N`` while marking only the boot CPU Enabled."""


def boot_assumptions(ctx: CheckContext, boot_cpus: int | None) -> list[str]:
    """The boot policy the prediction uses, stated: the MADT's Enabled CPUs (assumed) or ``--boot-cpus N``."""
    if boot_cpus is not None:
        return [f"boot policy: the VMM enables the first {boot_cpus} possible CPU(s) at boot (--boot-cpus "
                f"{boot_cpus})"]
    enabled = cpu_list(c.index for c in ctx.cpus if c.enabled) if ctx.madt is not None else "none (no MADT)"
    return [f"{MADT_ENABLED_ASSUMPTION} (CPUs {enabled}); a VMM that enables more at boot (QEMU -smp cpus=N) "
            f"is described by --boot-cpus N"]


def check_context(ctx: CheckContext, *, source: str, boot: bool = True,
                  present_policy: PresentPolicy = PresentPolicy.LINUX_6_11,
                  boot_cpus: int | None = None, skipped_files: list[str] | None = None) -> CheckReport:
    """Every rule, then (with ``boot``) the guest model's boot; ``boot_cpus`` as :func:`predict_boot`."""
    results = [apply_rule(rule, ctx) for rule in all_rules()]
    prediction = predict_boot(ctx, present_policy, boot_cpus) if boot else None
    arch = ctx.arch.value if ctx.arch is not None else "unknown"
    return CheckReport(source=source, arch=arch, tables=[f"{t.signature} ({os.path.basename(t.source)})"
                                                         for t in ctx.tables],
                       results=results, findings=findings(ctx), boot=prediction,
                       skipped_files=list(skipped_files or []),
                       assumptions=boot_assumptions(ctx, boot_cpus) if boot else [])


def check_tables(tables: list[LoadedTable] | list[bytes], *, source: str = "tables", boot: bool = True,
                 present_policy: PresentPolicy = PresentPolicy.LINUX_6_11,
                 boot_cpus: int | None = None) -> CheckReport:
    """Check tables given as :class:`LoadedTable` or raw bytes."""
    loaded = [t if isinstance(t, LoadedTable) else LoadedTable(f"{source}[{i}]", bytes(t))
              for i, t in enumerate(tables)]
    return check_context(CheckContext(loaded), source=source, boot=boot, present_policy=present_policy,
                         boot_cpus=boot_cpus)


def check_path(path: str | os.PathLike[str], *, variant: str | None = None, boot: bool = True,
               present_policy: PresentPolicy = PresentPolicy.LINUX_6_11,
               boot_cpus: int | None = None) -> CheckReport:
    """Check the tables at ``path``: a directory of raw tables, one raw table, or acpidump text."""
    loaded = load_input(path, variant)
    if not loaded.tables:
        raise CheckError(f"{path}: no tables to check")
    ctx = CheckContext(loaded.tables)
    return check_context(ctx, source=loaded.source, boot=boot, present_policy=present_policy,
                         boot_cpus=boot_cpus, skipped_files=loaded.skipped)
