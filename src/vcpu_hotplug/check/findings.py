"""Facts worth stating that are no rule's PASS or FAIL: architecture, CPUs, hotplug capability, AML plumbing.

"QEMU's virt machine has no CPU hotplug" is not a defect of its tables; it
is the first thing someone bringing hotplug to a VMM wants to read, so it is
a finding. Each finding is one sentence.
"""

from __future__ import annotations

from vcpu_hotplug.check.context import CheckContext
from vcpu_hotplug.check.rule import Arch, cpu_list


def _cpus_line(ctx: CheckContext) -> str:
    kind = "GICC" if ctx.arch is Arch.ARM64 else "Local APIC/x2APIC"
    possible = ctx.cpus
    enabled = [c.index for c in possible if c.enabled]
    later = [c.index for c in ctx.hot_addable]
    return (f"MADT: {len(ctx.entries)} {kind} entries, possible CPUs {cpu_list(c.index for c in possible)}: "
            f"Enabled {cpu_list(enabled)}, to be enabled later {cpu_list(later)}")


def _hotplug_line(ctx: CheckContext) -> str:
    facts = ctx.aml
    if not ctx.hot_addable:
        with_sta = [d for d in facts.processors if d.has_sta] if facts is not None else []
        sta = ("no processor device has _STA" if not with_sta
               else f"{len(with_sta)} processor device(s) have _STA")
        return f"no CPU hotplug capability: every possible CPU is Enabled in the MADT, {sta}"
    if facts is None:
        return f"CPUs {cpu_list(c.index for c in ctx.hot_addable)} are to be enabled later, but there is no DSDT"
    dynamic = [c for c in ctx.hot_addable if (d := ctx.device_for(c)) is not None and d.follows_policy]
    ej0 = [c for c in ctx.hot_addable if (d := ctx.device_for(c)) is not None and d.has_ej0]
    return (f"CPU hotplug: the MADT marks CPUs {cpu_list(c.index for c in ctx.hot_addable)} Online Capable and not "
            f"Enabled (to be enabled later); _STA follows the register block for {cpu_list(c.index for c in dynamic)}, "
            f"_EJ0 on {cpu_list(c.index for c in ej0)} (what Linux makes of it: the prediction)")


def _aml_lines(ctx: CheckContext) -> list[str]:
    facts = ctx.aml
    if facts is None:
        return []
    out = []
    block = facts.register_block
    fast = facts.model is not None and facts.model.cpuhp is not None and facts.model.cpuhp.fast
    layout = "the CPU hotplug block with the fast path" if fast else "QEMU's CPU hotplug layout"
    out.append(f"register block: {layout} at {block}" if block
               else "register block: none in QEMU's CPU hotplug layout (docs/specs/acpi_cpu_hotplug.rst) "
                    "or with the fast path (docs/cpu-hotplug-registers.md)")
    for ged in facts.geds:
        method = ged.event_method.rsplit(".", 1)[-1] if ged.event_method else "no event method"
        gsis = ", ".join(map(str, ged.gsis)) or "none"
        reg = facts.model.ged_region.describe() if facts.model and facts.model.ged_region else "not recognised"
        out.append(f"event source: {ged.path} (GSI {gsis}, {method}, event register {reg})")
    if facts.gpe_methods:
        out.append(f"event source: GPE methods {', '.join(facts.gpe_methods)}")
    if not facts.geds and not facts.gpe_methods:
        out.append("event source: none (no GED, no GPE method)")
    return out


def findings(ctx: CheckContext) -> list[str]:
    """The findings, in reading order."""
    out = []
    if ctx.arch is Arch.ARM64:
        out.append("architecture: arm64 (the MADT has GICC structures)")
    elif ctx.arch is Arch.X86:
        out.append("architecture: x86 (the MADT has Local APIC structures): the arm64 rules do not apply; the x86 "
                   "rules recognise its CPU hotplug")
    else:
        out.append("architecture: unknown (no MADT CPU structures, no ARM boot flags); arm64 rules applied")
    if ctx.entries:
        out.append(_cpus_line(ctx))
        out.append(_hotplug_line(ctx))
    out += _aml_lines(ctx)
    return out
