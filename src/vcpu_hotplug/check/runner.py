"""Run the checker: load the tables, apply every rule (conformance), state the findings, predict what Linux
does (the guest model at each kernel version, with the assumptions stated).

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
from vcpu_hotplug.check.boot import BootPolicy, kernel_named, known_kernels, predict
from vcpu_hotplug.check.catalog import all_rules
from vcpu_hotplug.check.context import CheckContext
from vcpu_hotplug.check.errors import CheckError
from vcpu_hotplug.check.findings import findings
from vcpu_hotplug.check.inputs import load_input
from vcpu_hotplug.check.report import Assumption, CheckReport, RuleResult, Status, Topic, result_of
from vcpu_hotplug.check.rule import Arch, NotApplicable, Rule, cpu_list
from vcpu_hotplug.guest import GuestKernel


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

UDEV_ASSUMPTION = "assumed: udev (or a guest agent) onlines each hot-added CPU"
NO_UDEV = "given: no udev (--no-udev)"


def boot_assumption(ctx: CheckContext, boot_cpus: int | None) -> Assumption:
    """The boot policy the prediction uses, stated: the MADT's Enabled CPUs (assumed) or ``--boot-cpus N``."""
    enabled = [c.index for c in BootPolicy(boot_cpus).enabled(ctx)]
    value = {"boot_cpus": boot_cpus, "enabled_at_boot": enabled}
    if boot_cpus is not None:
        return Assumption(Topic.BOOT_POLICY, False, value,
                          f"given: the VMM enables the first {boot_cpus} possible CPU(s) at boot, CPUs "
                          f"{cpu_list(enabled)} (--boot-cpus {boot_cpus})")
    shown = cpu_list(enabled) if ctx.madt is not None else "none (no MADT)"
    return Assumption(Topic.BOOT_POLICY, True, value,
                      f"{MADT_ENABLED_ASSUMPTION} (CPUs {shown}); a VMM that enables more at boot (QEMU -smp "
                      f"cpus=N) is described by --boot-cpus N")


def udev_assumption(udev: bool) -> Assumption:
    if udev:
        return Assumption(Topic.UDEV, True, True,
                          f"{UDEV_ASSUMPTION}, as distributions ship it; --no-udev predicts a guest without one "
                          f"(a kernel alone leaves a hot-added CPU offline)")
    return Assumption(Topic.UDEV, False, False,
                      f"{NO_UDEV}: a hot-added CPU stays offline until something writes 1 to cpuN/online; the "
                      f"prediction then writes it, as a user would")


def kernels_assumption(kernels: list[tuple[str, GuestKernel]], given: bool) -> Assumption:
    names = [n for n, _ in kernels]
    shown = ", ".join(f"Linux {n}" for n in names)
    if given:
        return Assumption(Topic.KERNELS, False, names, f"given: guest kernel {shown} (--guest-kernel)")
    return Assumption(Topic.KERNELS, True, names,
                      f"assumed: the guest kernel is one of {shown}, every version the guest model knows, each "
                      f"predicted (--guest-kernel picks some)")


def check_context(ctx: CheckContext, *, source: str, boot: bool = True, kernels: list[str] | None = None,
                  boot_cpus: int | None = None, udev: bool = True,
                  skipped_files: list[str] | None = None) -> CheckReport:
    """Every rule (conformance), then (with ``boot``) the guest model's prediction at each kernel version.

    ``kernels``: ``--guest-kernel`` names (default: every version the model knows); ``boot_cpus`` as
    :class:`~vcpu_hotplug.check.boot.BootPolicy`; ``udev``: userspace onlines hot-added CPUs.
    """
    results = [apply_rule(rule, ctx) for rule in all_rules()]
    arch = ctx.arch.value if ctx.arch is not None else "unknown"
    report = CheckReport(source=source, arch=arch, tables=[f"{t.signature} ({os.path.basename(t.source)})"
                                                           for t in ctx.tables],
                         results=results, findings=findings(ctx), skipped_files=list(skipped_files or []))
    if not boot:
        report.no_prediction = "not asked for (--no-boot)"
        return report
    chosen = known_kernels()
    if kernels:
        picked = {kernel_named(n)[1] for n in kernels}
        chosen = [(n, k) for n, k in chosen if k in picked]       # oldest first, each once (aliases too)
    report.assumptions = [boot_assumption(ctx, boot_cpus), udev_assumption(udev),
                          kernels_assumption(chosen, bool(kernels))]
    report.predictions = predict(ctx, chosen, BootPolicy(boot_cpus), udev)
    if report.predictions is None:
        report.no_prediction = f"{arch} tables: the guest model is arm64 Linux"
        report.assumptions = []
    return report


def check_tables(tables: list[LoadedTable] | list[bytes], *, source: str = "tables", boot: bool = True,
                 kernels: list[str] | None = None, boot_cpus: int | None = None, udev: bool = True) -> CheckReport:
    """Check tables given as :class:`LoadedTable` or raw bytes."""
    loaded = [t if isinstance(t, LoadedTable) else LoadedTable(f"{source}[{i}]", bytes(t))
              for i, t in enumerate(tables)]
    return check_context(CheckContext(loaded), source=source, boot=boot, kernels=kernels, boot_cpus=boot_cpus,
                         udev=udev)


def check_path(path: str | os.PathLike[str], *, variant: str | None = None, boot: bool = True,
               kernels: list[str] | None = None, boot_cpus: int | None = None, udev: bool = True) -> CheckReport:
    """Check the tables at ``path``: a directory of raw tables, one raw table, or acpidump text."""
    loaded = load_input(path, variant)
    if not loaded.tables:
        raise CheckError(f"{path}: no tables to check")
    ctx = CheckContext(loaded.tables)
    return check_context(ctx, source=loaded.source, boot=boot, kernels=kernels, boot_cpus=boot_cpus, udev=udev,
                         skipped_files=loaded.skipped)
