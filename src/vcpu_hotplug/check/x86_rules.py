"""x86 rules: recognise CPU hotplug in x86 tables (QEMU ``pc``/``q35``), which the arm64 rules do not judge.

x86 Linux counts CPUs from Local APIC/x2APIC entries (``acpi_parse_lapic``,
``acpi_is_processor_usable`` in ``arch/x86/kernel/acpi/boot.c``: Enabled, or
Online Capable from MADT revision 5, or before revision 5 every entry under
a hypervisor: the "Enabled=0" entries QEMU hot-adds). On x86 a not-enabled
CPU is *not present* (``_STA`` 0: physical-style hotplug, ``acpi_processor_
hotadd_init``), so the arm64 rule "always present" does not apply; events
come through a GPE (``\\_GPE._E02`` on QEMU, section 5.6.4.1) running the
register block scan of QEMU's ``docs/specs/acpi_cpu_hotplug.rst``.
"""

from __future__ import annotations

from vcpu_hotplug.acpi.device_status import DeviceStatus
from vcpu_hotplug.acpi.notify import NotifyValue
from vcpu_hotplug.check.aml_facts import AmlFacts
from vcpu_hotplug.check.context import CheckContext, Cpu
from vcpu_hotplug.check.rule import Arch, NotApplicable, Outcome, RuleFamily, Severity, cpu_list, fail, ok, outcome

RULES = RuleFamily("x86")
"""The x86 rules, in report order."""


def _facts(ctx: CheckContext) -> AmlFacts:
    if ctx.aml is None:
        raise NotApplicable("no DSDT")
    return ctx.aml


def _cpus(ctx: CheckContext) -> list[Cpu]:
    if not ctx.cpus:
        raise NotApplicable("no usable Local APIC/x2APIC entries")
    return ctx.cpus


def _hot(ctx: CheckContext) -> list[Cpu]:
    hot = ctx.hot_addable
    if not hot:
        raise NotApplicable("every CPU is Enabled: no CPU hotplug")
    return hot


@RULES.rule("x86.processor-devices", Severity.FAIL,
            source="arch/x86/kernel/acpi/boot.c acpi_is_processor_usable; drivers/acpi/acpi_processor.c "
                   "acpi_processor_get_info (_UID matched to the Local APIC's ACPI Processor UID)",
            text="Every usable Local APIC/x2APIC entry has a processor device with its ACPI Processor UID.",
            arch=Arch.X86)
def _processor_devices(ctx: CheckContext) -> Outcome:
    f = _facts(ctx)
    cpus = _cpus(ctx)
    uids = {d.uid for d in f.processors}
    problems = [f"{c.describe()} (APIC id {c.hw_id}) has no processor device with _UID {c.uid}: add one"
                for c in cpus if c.uid not in uids]
    return outcome(problems, f"{len(cpus)} usable Local APIC entries, each with a processor device")


@RULES.rule("x86.hotplug-methods", Severity.FAIL,
            source="ACPI 6.5 6.3.7 (_STA), 6.3.3 (_EJ0); drivers/acpi/scan.c acpi_scan_hot_remove; QEMU "
                   "docs/specs/acpi_cpu_hotplug.rst (flags bit 0: enabled)",
            text="Every hot-addable x86 CPU's device has _EJ0 and a _STA that follows the register block's enabled bit.",
            arch=Arch.X86)
def _hotplug_methods(ctx: CheckContext) -> Outcome:
    f = _facts(ctx)
    _cpus(ctx)
    hot = _hot(ctx)
    dynamic = f.model is not None and f.model.cpuhp is not None
    problems = []
    for cpu in hot:
        dev = ctx.device_for(cpu)
        if dev is None:
            continue
        if not dev.has_ej0:
            problems.append(f"{dev.path} has no _EJ0: Linux cannot eject {cpu.describe()}; add Method (_EJ0, 1)")
        if not dev.has_sta:
            problems.append(f"{dev.path} has no _STA: it reads as always enabled, so it cannot be hot-added; "
                            f"add _STA from the register block")
        elif dynamic and not dev.sta_error and not (dev.sta_enabled & DeviceStatus.ENABLED and not
                                                    dev.sta_disabled & DeviceStatus.ENABLED):
            problems.append(f"{dev.path}._STA returns {dev.sta_enabled:#x} with the enabled bit set and "
                            f"{dev.sta_disabled:#x} with it clear: make it follow the register block")
    where = f" (register block {f.register_block})" if dynamic else ""
    return outcome(problems, f"CPUs {cpu_list(c.index for c in hot)} have _EJ0 and a dynamic _STA{where}")


@RULES.rule("x86.hotplug-event", Severity.FAIL,
            source="ACPI 6.5 5.6.4.1 (GPE _Exx methods), 5.6.6 (Notify 1 Device Check, 3 Eject Request); QEMU "
                   "docs/specs/acpi_cpu_hotplug.rst ('next CPU with event' scan)",
            text="A GPE (or GED) event method reaches Notify(CPU, 1) on insert and Notify(CPU, 3) on remove of a "
                 "hot-addable x86 CPU.",
            arch=Arch.X86)
def _hotplug_event(ctx: CheckContext) -> Outcome:
    f = _facts(ctx)
    _cpus(ctx)
    hot = _hot(ctx)
    if not f.event_methods:
        return fail("no \\_GPE._Exx/_Lxx method and no GED: nothing tells Linux that a CPU was added; add the GPE "
                    "handler that scans the register block")
    probe = f.probe
    if probe is not None:
        if probe.error:
            return fail(f"running the event methods for {probe.cpu_path} failed: {probe.error}")
        methods = ", ".join(probe.notifying or probe.methods)
        problems = []
        if (probe.cpu_path, NotifyValue.DEVICE_CHECK) not in probe.insert_notifies:
            problems.append(f"an insert event for {probe.cpu_path} ran {methods} without Notify({probe.cpu_path}, 1)")
        if (probe.cpu_path, NotifyValue.EJECT_REQUEST) not in probe.remove_notifies:
            problems.append(f"a remove event for {probe.cpu_path} ran {methods} without Notify({probe.cpu_path}, 3)")
        return outcome(problems, f"CPU hotplug AML recognised: {methods} against the register block "
                                 f"{f.register_block} notifies {probe.cpu_path} (Device Check, Eject Request)")
    devices = [d for cpu in hot if (d := ctx.device_for(cpu)) is not None]
    if devices and not any(f.statically_notifies(d) for d in devices):
        return fail(f"no Notify on the hot-addable CPUs' devices is reachable from {', '.join(f.event_methods)}")
    return ok(f"statically: {', '.join(f.event_methods)} reach Notify on the hot-addable CPUs' devices")
