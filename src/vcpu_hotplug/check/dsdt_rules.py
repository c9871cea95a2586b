"""DSDT/SSDT rules for arm64 vCPU hotplug: processor devices, _STA, _EJ0, _OST and the event path.

The facts come from running the AML (:mod:`vcpu_hotplug.check.aml_facts`);
where the AML's register block is QEMU's layout, or ours with the fast path
(:mod:`vcpu_hotplug.check.regmodel`), ``_STA`` and the event methods run
against our model of it.

What Linux does (6.11): ``drivers/acpi/acpi_processor.c``
(``acpi_processor_get_info``: a Device's ``_UID`` or a Processor's id is
matched to a MADT entry; duplicate ids fail "Failed to get unique processor
_UID"), ``drivers/acpi/scan.c`` (a processor is registered only when
``_STA`` says present and enabled; Device Check re-reads ``_STA``; Eject
Request runs ``_OST(0x84)``, offline, ``_EJ0``, ``_STA``; no ``_EJ0``:
``-ENODEV``), ``drivers/acpi/evged.c`` (the GED requests every ``_CRS``
interrupt and runs ``_EVT``/``_Exx``). ``Documentation/arch/arm64/
cpu-hotplug.rst``: "On virtual systems the _STA method must always report
the CPU as present. Changes to the firmware policy can be notified to the OS
via device-check or eject-request. CPUs described as enabled in the static
table, should not have their _STA modified dynamically by firmware."
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from vcpu_hotplug.acpi.device_status import DeviceStatus, ProcessorStatus
from vcpu_hotplug.acpi.notify import NotifyValue
from vcpu_hotplug.check.aml_facts import AmlFacts, EventRun, MethodRun
from vcpu_hotplug.check.context import BOOT_INDEX, CheckContext, Cpu
from vcpu_hotplug.check.rule import NotApplicable, Outcome, RuleFamily, Severity, cpu_list, fail, ok, outcome
from vcpu_hotplug.guest.acpi_utils import acpi_device_is_enabled

RULES = RuleFamily("dsdt")

ROOT_TABLES = ("XSDT", "RSDT")
"""Either one lists every table Linux loads: with it in the set, a name no given block defines is undefined."""
"""The DSDT rules, in report order."""

ON, OFF = f"{ProcessorStatus.ENABLED:#04x}", f"{ProcessorStatus.DISABLED:#04x}"
"""The _STA values to advise: present, enabled, functioning (0x0F) or the same not enabled (0x0D)."""


def facts(ctx: CheckContext) -> AmlFacts:
    if ctx.aml is None:
        raise NotApplicable("no DSDT (see tables.required)")
    return ctx.aml


def _needs_cpus(ctx: CheckContext) -> list[Cpu]:
    if not ctx.giccs:
        raise NotApplicable("no GICC structures")
    return ctx.cpus


def _hot_addable(ctx: CheckContext) -> list[Cpu]:
    _needs_cpus(ctx)
    if not ctx.hot_addable:
        raise NotApplicable("no Online Capable CPU: nothing to hot-add")
    return ctx.hot_addable


@RULES.rule("dsdt.aml-loads", Severity.FAIL,
            source="ACPI 6.5 5.2.11 (definition blocks), chapter 20 (AML); ACPICA acpi_load_tables "
                   "(a failing block is skipped: its devices do not exist)",
            text="The DSDT and every SSDT load without an AML error.")
def _loads(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    problems = [f"AML error: {e}: fix the definition block (objects after the error do not exist)"
                for e in f.load_errors]
    return outcome(problems, f"{len(ctx.aml_blocks)} definition block(s) loaded")


@RULES.rule("dsdt.processor-devices", Severity.FAIL,
            source="drivers/acpi/acpi_processor.c acpi_processor_get_info (_UID matched to the MADT UID); "
                   "ACPI 6.5 8.4 (processor devices, ACPI0007), 5.2.12.14 (ACPI Processor UID)",
            text="Every possible CPU has a processor device whose _UID is its GICC's ACPI Processor UID.")
def _processor_devices(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    cpus = _needs_cpus(ctx)
    uids = {d.uid for d in f.processors}
    missing = [c for c in cpus if c.uid not in uids]
    problems = [f"CPU {c.index} (UID {c.uid}) has no processor device: add Device (C{c.index:03X}) with _HID "
                f"\"ACPI0007\" and _UID {c.uid} (Linux never registers the CPU otherwise)" for c in missing]
    return outcome(problems, f"{len(cpus)} possible CPUs, each with a processor device")


@RULES.rule("dsdt.device-uid-known", Severity.WARN,
            source="drivers/acpi/acpi_processor.c acpi_processor_get_info (acpi_evaluate_integer(_UID), acpi_map_cpuid: "
                   "a device whose id is in no MADT entry is no CPU)",
            text="Every processor device has an Integer _UID that is some GICC's ACPI Processor UID.")
def _uid_known(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    _needs_cpus(ctx)
    uids = {c.uid for c in ctx.entries}
    problems = []
    for d in f.processors:
        if d.uid_error:
            problems.append(f"{d.path}: _UID cannot be read ({d.uid_error}): give it an Integer _UID")
        elif not isinstance(d.uid, int):
            problems.append(f"{d.path}: _UID is {d.uid!r}, not an Integer: Linux reads it with "
                            f"acpi_evaluate_integer; use the GICC's UID")
        elif d.uid not in uids:
            problems.append(f"{d.path}: _UID {d.uid} is no GICC's ACPI Processor UID: add the GICC or remove "
                            f"the device")
    return outcome(problems, f"{len(f.processors)} processor devices, each a GICC's UID")


@RULES.rule("dsdt.device-uid-unique", Severity.FAIL,
            source="drivers/acpi/acpi_processor.c acpi_processor_check_duplicates ('Failed to get unique processor _UID')",
            text="No two processor devices have the same _UID.")
def _uid_unique(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    _needs_cpus(ctx)
    seen: dict[object, str] = {}
    problems = []
    for d in f.processors:
        if d.uid is None:
            continue
        if d.uid in seen:
            problems.append(f"{d.path} and {seen[d.uid]} both have _UID {d.uid}: Linux rejects both; give each "
                            f"device its CPU's UID")
        else:
            seen[d.uid] = d.path
    return outcome(problems, f"{len(seen)} distinct _UIDs")


def _sta_values(dev, boot_cpu: bool) -> list[tuple[str, int]]:
    """The _STA values probed; for the boot CPU only the boot value (no VMM disables the boot vCPU)."""
    out = [("at boot", dev.sta_boot)]
    if boot_cpu:
        return [(when, v) for when, v in out if v is not None]
    if dev.sta_enabled is not None:
        out.append(("with the enabled bit set", dev.sta_enabled))
    if dev.sta_disabled is not None:
        out.append(("with the enabled bit clear", dev.sta_disabled))
    return [(when, v) for when, v in out if v is not None]


@RULES.rule("dsdt.sta-present", Severity.FAIL,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('the _STA method must always report the CPU as present'); "
                   "ACPI 6.5 6.3.7 (_STA bit 0 present; enabled without present is invalid); arch/arm64/kernel/smp.c "
                   "arch_unregister_cpu ('Changing CPU present bit is not supported')",
            text="Every possible CPU's _STA reports present, whether its enabled bit is set or not.")
def _sta_present(ctx: CheckContext) -> Outcome:
    facts(ctx)
    problems = []
    checked = 0
    for cpu in _needs_cpus(ctx):
        dev = ctx.device_for(cpu)
        if dev is None:
            continue
        checked += 1
        if dev.sta_error:
            problems.append(f"{dev.path}._STA fails ({dev.sta_error}): make it return an Integer")
            continue
        for when, value in _sta_values(dev, cpu.index == BOOT_INDEX):
            if not value & DeviceStatus.PRESENT:
                problems.append(f"{dev.path}._STA returns {value:#x} {when}: a virtual CPU is always present; "
                                f"return {ON} when enabled and {OFF} when not, never clear bit 0")
                break
    return outcome(problems, f"{checked} processor devices, _STA always present")


@RULES.rule("dsdt.enabled-cpu-sta", Severity.FAIL,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('CPUs described as enabled in the static table, should not "
                   "have their _STA modified'); drivers/acpi/scan.c, acpi_processor.c (a CPU is registered only when "
                   "_STA says present and enabled)",
            text="The _STA of every CPU the MADT marks Enabled reports present and enabled at boot.")
def _enabled_cpu_sta(ctx: CheckContext) -> Outcome:
    facts(ctx)
    enabled = [c for c in _needs_cpus(ctx) if c.enabled]
    if not enabled:
        raise NotApplicable("no Enabled GICC")
    problems = []
    for cpu in enabled:
        dev = ctx.device_for(cpu)
        if dev is None or dev.sta_boot is None:
            continue
        if not acpi_device_is_enabled(dev.sta_boot):
            problems.append(f"{dev.path}._STA returns {dev.sta_boot:#x} at boot but GICC #{cpu.index} is Enabled: "
                            f"Linux brings the CPU online yet never registers it (no cpu{cpu.index}/); report "
                            f"{ON}, or mark the GICC Online Capable instead of Enabled")
    return outcome(problems, f"CPUs {cpu_list(c.index for c in enabled)} Enabled, their _STA enabled at boot")


@RULES.rule("dsdt.sta-follows-policy", Severity.FAIL,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('CPUs described as online capable but not enabled can be "
                   "set to enabled by the DSDT's Processor object's _STA method'); ACPI 6.5 6.3.7; QEMU "
                   "docs/specs/acpi_cpu_hotplug.rst (flags bit 0: enabled)",
            text="The _STA of every hot-addable CPU says enabled exactly when the register block's enabled bit is set.")
def _sta_follows(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    hot = _hot_addable(ctx)
    if f.model is None or f.model.cpuhp is None:
        raise NotApplicable("the AML's register block is neither QEMU's layout nor ours with the fast path: the "
                            "checker cannot run _STA against it")
    problems = []
    for cpu in hot:
        dev = ctx.device_for(cpu)
        if dev is None or dev.sta_error or dev.follows_policy:
            continue
        problems.append(f"{dev.path}._STA returns {dev.sta_enabled:#x} with the enabled bit set and "
                        f"{dev.sta_disabled:#x} with it clear: return {ON} when the CPU is enabled and {OFF} when "
                        f"not, from the register block, or the CPU can never be used (or never refused)")
    return outcome(problems, f"_STA of CPUs {cpu_list(c.index for c in hot)} follows the enabled bit")


@RULES.rule("dsdt.ej0", Severity.FAIL,
            source="drivers/acpi/scan.c acpi_scan_hot_remove (no _EJ0: -ENODEV, the eject fails); ACPI 6.5 6.3.3 (_EJ0)",
            text="Every hot-addable CPU's processor device has _EJ0, so that firmware can take it back.")
def _ej0(ctx: CheckContext) -> Outcome:
    facts(ctx)
    hot = _hot_addable(ctx)
    problems = []
    for cpu in hot:
        dev = ctx.device_for(cpu)
        if dev is not None and not dev.has_ej0:
            problems.append(f"{dev.path} has no _EJ0: Linux cannot complete an Eject Request for CPU {cpu.index}; "
                            f"add Method (_EJ0, 1) that tells the VMM (QEMU: write the eject bit, flags bit 3)")
    return outcome(problems, f"CPUs {cpu_list(c.index for c in hot)} ejectable")


@RULES.rule("dsdt.ost", Severity.WARN,
            source="ACPI 6.5 6.3.5 (_OST); drivers/acpi/bus.c acpi_evaluate_ost (Linux reports hotplug outcomes when "
                   "_OST exists)",
            text="Every hot-addable CPU's processor device has _OST, so that the VMM learns how a hotplug ended.")
def _ost(ctx: CheckContext) -> Outcome:
    facts(ctx)
    hot = _hot_addable(ctx)
    problems = [f"{dev.path} has no _OST: the VMM cannot tell a failed eject from a slow one; add Method (_OST, 3)"
                for cpu in hot if (dev := ctx.device_for(cpu)) is not None and not dev.has_ost]
    return outcome(problems, f"CPUs {cpu_list(c.index for c in hot)} have _OST")


@RULES.rule("dsdt.event-source", Severity.FAIL,
            source="ACPI 6.5 5.6.9 (Generic Event Device, ACPI0013, on hardware-reduced platforms), 5.6.5 (GPIO-signaled "
                   "events, _AEI); drivers/acpi/evged.c ged_probe ('cannot locate _EVT method')",
            text="When CPUs can be hot-added, an event source exists: a GED with an interrupt in _CRS and _EVT.")
def _event_source(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    _hot_addable(ctx)
    working = [g for g in f.geds if g.gsis and g.event_method]
    if working:
        g = working[0]
        return ok(f"{g.path}: GSI {', '.join(map(str, g.gsis))}, {g.event_method.rsplit('.', 1)[-1]}")
    if f.aei_devices:
        return ok(f"GPIO-signaled events: {', '.join(f.aei_devices)} (_AEI)")
    problems = []
    for g in f.geds:
        if not g.gsis:
            problems.append(f"{g.path} has no interrupt ({g.crs_error or 'no Interrupt descriptor in _CRS'}): give "
                            f"its _CRS the GED's interrupt")
        if not g.event_method:
            problems.append(f"{g.path} has no _EVT: add Method (_EVT, 1) that reads the event register")
    if not f.geds:
        problems.append("no Generic Event Device (ACPI0013) and no _AEI: the VMM has no way to tell Linux that a "
                        "CPU was enabled or is to be removed; add a GED with an interrupt and _EVT")
    return fail(*problems)


def _notified(notes: list[tuple[str, int]], path: str, value: int) -> bool:
    return any(p == path and v == value for p, v in notes)


def _show(notes: list[tuple[str, int]]) -> str:
    return ", ".join(f"Notify({p}, {v})" for p, v in notes) or "no Notify"


@RULES.rule("dsdt.event-notifies", Severity.FAIL,
            source="Documentation/arch/arm64/cpu-hotplug.rst ('Changes to the firmware policy can be notified to the OS "
                   "via device-check or eject-request'); ACPI 6.5 5.6.6 (Notify 1 Device Check, 3 Eject Request); "
                   "QEMU docs/specs/acpi_cpu_hotplug.rst",
            text="The event method reaches Notify(CPU, 1 Device Check) for an insert and Notify(CPU, 3 Eject Request) for a "
                 "remove of a hot-addable CPU.")
def _event_notifies(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    hot = _hot_addable(ctx)
    if not f.event_methods:
        raise NotApplicable("no event method (see dsdt.event-source)")
    probe = f.probe
    if probe is not None:
        if probe.error:
            return fail(f"running {', '.join(probe.methods)} for an event of {probe.cpu_path} failed: {probe.error}")
        problems = []
        if not _notified(probe.insert_notifies, probe.cpu_path, NotifyValue.DEVICE_CHECK):
            problems.append(f"an insert event for {probe.cpu_path} (register block flags bit 1, GED bit 0x8) made "
                            f"{_show(probe.insert_notifies)}: the event method must Notify({probe.cpu_path}, 1)")
        if not _notified(probe.remove_notifies, probe.cpu_path, NotifyValue.EJECT_REQUEST):
            problems.append(f"a remove event for {probe.cpu_path} (flags bit 2, GED bit 0x8) made "
                            f"{_show(probe.remove_notifies)}: the event method must Notify({probe.cpu_path}, 3)")
        return outcome(problems, f"ran against the register block: {probe.cpu_path} gets Device Check on insert "
                                 f"and Eject Request on remove")
    pairs = [(cpu, d) for cpu in hot if (d := ctx.device_for(cpu)) is not None]
    missed = [cpu for cpu, d in pairs if not f.statically_notifies(d)]
    if missed:
        return fail(f"no Notify on the devices of CPUs {cpu_list(c.index for c in missed)} is reachable from "
                    f"{', '.join(f.event_methods)}: the event method must notify the CPU whose state changed")
    return ok(f"statically: {', '.join(f.event_methods)} reach Notify on the devices of CPUs "
              f"{cpu_list(c.index for c, _ in pairs)} (the register block is neither QEMU's layout nor ours with the fast path, so it "
              f"was not run)")


def _failure_problems(ctx: CheckContext, failures: Sequence[EventRun] | Sequence[MethodRun],
                      if_missing: Callable[[Any], str], if_error: Callable[[Any], str]) -> list[str]:
    """One problem per (method, missing name or error) of the AML runs that failed.

    ``if_missing(run)`` and ``if_error(run)`` say what Linux does and the fix. A name not defined
    in a set given without its XSDT (RSDT) is no verdict: an SSDT not given may define it, as
    QEMU's test data for virt memhp lacks the NVDIMM SSDT that defines ``\\_SB.NVDR``."""
    missing = sorted({r.missing for r in failures if r.missing})
    if missing and not any(sig in ctx.signatures for sig in ROOT_TABLES):
        raise NotApplicable(f"{', '.join(missing)} not defined in the tables given, and without the XSDT an SSDT "
                            f"not given may define it: check the whole set (with the XSDT) to decide")
    problems = []
    seen: set[tuple[str, str]] = set()
    for run in failures:
        key = (run.method, run.missing or run.error)
        if key in seen:
            continue
        seen.add(key)
        if run.missing is not None:
            used_in = f" (used in {run.scope})" if run.scope and run.scope != run.method else ""
            problems.append(f"{run.describe()} fails with AE_NOT_FOUND: {run.missing}{used_in} is not defined; "
                            f"{if_missing(run)}")
        else:
            problems.append(f"{run.describe()} fails: {run.error}: {if_error(run)}")
    return problems


@RULES.rule("dsdt.event-names-resolve", Severity.FAIL,
            source="drivers/acpi/evged.c acpi_ged_irq_handler (runs the event method with the GSI; 'IRQ method "
                   "execution failed'); ACPICA utxferr.c acpi_ut_prefixed_namespace_error ('ACPI BIOS Error (bug): "
                   "Could not resolve symbol [...], AE_NOT_FOUND'), psparse.c ('Aborting method ... due to previous "
                   "error'); ACPI 6.5 5.6.9 (GED _EVT)",
            text="Every GED event method runs without an AML error for each GSI of its _CRS and each event bit it tests: "
                 "every name it uses exists.")
def _event_names_resolve(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    methods = [g.event_method for g in f.geds if g.event_method]
    if not methods:
        raise NotApplicable("no GED event method")
    problems = _failure_problems(
        ctx, f.event_failures,
        lambda run: (f"Linux logs 'ACPI BIOS Error (bug): Could not resolve symbol [{run.missing}], AE_NOT_FOUND', "
                     f"aborts {run.method} there, so the events it had not handled yet are lost: define "
                     f"{run.missing}, or do not use it where the feature it serves is off"),
        lambda run: f"fix the AML on that path (Linux aborts {run.method}: 'IRQ method execution failed')")
    return outcome(problems, f"{', '.join(methods)}: {f.event_runs} run(s) (each GSI, each event bit tested), "
                             f"every name resolved")


@RULES.rule("dsdt.methods-resolve", Severity.FAIL,
            source="ACPICA nsinit.c acpi_ns_initialize_devices (_STA, then _INI of each present device); "
                   "drivers/acpi/scan.c acpi_bus_get_status (_STA), acpi_scan_hot_remove (_EJ0(1), then _STA), "
                   "drivers/acpi/bus.c acpi_evaluate_ost (_OST(source, status, NULL)), processor_core.c map_mat_entry "
                   "(_MAT), numa/srat.c acpi_get_node (_PXM); ACPICA utxferr.c "
                   "('Could not resolve symbol [...], AE_NOT_FOUND'); ACPI 6.5 6.3.3 (_EJ0), 6.3.5 (_OST), "
                   "6.3.7 (_STA), 6.5.1 (_INI)",
            text="Every _INI, and the _STA, _MAT, _PXM, _EJ0 and _OST of every processor device, run with Linux's "
                 "arguments without an AML error: every name they use exists.")
def _methods_resolve(ctx: CheckContext) -> Outcome:
    f = facts(ctx)
    if not f.method_runs:
        raise NotApplicable("no _INI and no processor device with _STA, _EJ0 or _OST")
    problems = _failure_problems(
        ctx, f.method_failures,
        lambda run: (f"Linux logs 'ACPI BIOS Error (bug): Could not resolve symbol [{run.missing}], AE_NOT_FOUND' "
                     f"and {run.method} returns nothing: define {run.missing}"),
        lambda run: "fix the AML on that path")
    return outcome(problems, f"{f.method_runs} run(s) of _INI and of processor _STA/_MAT/_PXM/_EJ0/_OST, every "
                             f"name resolved")
