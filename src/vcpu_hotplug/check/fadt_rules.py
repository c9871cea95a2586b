"""FADT rules for arm64: revision, hardware-reduced ACPI, PSCI and its conduit (ACPI 6.5 section 5.2.9).

arm64 Linux checks the FADT before anything else (``acpi_fadt_sanity_check``
in ``arch/arm64/kernel/acpi.c``) and finds its CPU enable method in it
(``acpi_get_enable_method`` in ``arch/arm64/kernel/cpu_ops.c``; PSCI's
conduit in ``psci_acpi_init``, ``drivers/firmware/psci/psci.c``).
"""

from __future__ import annotations

from vcpu_hotplug.acpi.fadt import ArmBootArch, Fadt, FadtFlags
from vcpu_hotplug.check.context import CheckContext
from vcpu_hotplug.check.rule import NotApplicable, Outcome, RuleFamily, Severity, bit, fail, ok

RULES = RuleFamily("fadt")
"""The FADT rules, in report order."""

ARM64_MIN_FADT = (5, 1)
"""ACPI 5.1 introduced ARM_BOOT_ARCH; arm64 Linux wants FADT 5.1 or later."""


def _fadt(ctx: CheckContext) -> Fadt:
    fadt = ctx.fadt
    if fadt is None:
        raise NotApplicable("no FADT (see tables.required)")
    return fadt


def _version(fadt: Fadt) -> tuple[int, int]:
    return fadt.header.revision, fadt.minor_version or 0


@RULES.rule("fadt.revision", Severity.FAIL,
            source="arch/arm64/kernel/acpi.c acpi_fadt_sanity_check ('Unsupported FADT revision %d.%d, should be 5.1+'); "
                   "ACPI 6.5 5.2.9 (FADT Major Version, Minor Version)",
            text="The FADT is revision 5.1 or later (the first with ARM boot flags).")
def _revision(ctx: CheckContext) -> Outcome:
    fadt = _fadt(ctx)
    version = _version(fadt)
    shown = f"{version[0]}.{version[1]}"
    if version < ARM64_MIN_FADT:
        extra = (" (Linux logs FW_BUG and carries on only because ARM_BOOT_ARCH is set)" if fadt.arm_boot_arch
                 else " (Linux disables ACPI)")
        return fail(f"FADT revision {shown} is older than 5.1{extra}: set revision 6 and minor version 5")
    return ok(f"FADT revision {shown}")


@RULES.rule("fadt.hw-reduced", Severity.FAIL,
            source="arch/arm64/kernel/acpi.c acpi_fadt_sanity_check ('FADT not ACPI hardware reduced compliant'); "
                   "ACPI 6.5 5.2.9 Table 5.10 (HW_REDUCED_ACPI)",
            text="The FADT sets HW_REDUCED_ACPI (arm64 has no fixed ACPI hardware).")
def _hw_reduced(ctx: CheckContext) -> Outcome:
    fadt = _fadt(ctx)
    if not fadt.hardware_reduced:
        return fail(f"FADT Flags lack HW_REDUCED_ACPI (bit {bit(FadtFlags.HW_REDUCED_ACPI)}): "
                    "arm64 Linux disables ACPI; set it")
    return ok("HW_REDUCED_ACPI set")


@RULES.rule("fadt.psci", Severity.FAIL,
            source="ACPI 6.5 5.2.9.4 Table 5.12 (ARM_BOOT_ARCH PSCI_COMPLIANT); drivers/firmware/psci/psci.c "
                   "psci_acpi_init ('is not implemented in ACPI'); arch/arm64/kernel/cpu_ops.c "
                   "('Unsupported ACPI enable-method')",
            text="ARM_BOOT_ARCH says PSCI compliant: PSCI CPU_ON is how Linux starts (and a VMM refuses) CPUs.")
def _psci(ctx: CheckContext) -> Outcome:
    fadt = _fadt(ctx)
    flags = fadt.arm_boot_arch or ArmBootArch(0)
    if ArmBootArch.PSCI_COMPLIANT not in flags:
        return fail(f"ARM_BOOT_ARCH lacks PSCI_COMPLIANT (bit {bit(ArmBootArch.PSCI_COMPLIANT)}): Linux has "
                    "no enable method for secondary CPUs and none can be brought online; set it")
    return ok("PSCI compliant")


@RULES.rule("fadt.psci-conduit", Severity.WARN,
            source="ACPI 6.5 5.2.9.4 Table 5.12 (PSCI_USE_HVC); drivers/firmware/psci/psci.c psci_acpi_init "
                   "(HVC when the bit is set, else SMC)",
            text="ARM_BOOT_ARCH sets PSCI_USE_HVC: in a VM the hypervisor plays PSCI firmware at EL2, reached by HVC.")
def _conduit(ctx: CheckContext) -> Outcome:
    fadt = _fadt(ctx)
    flags = fadt.arm_boot_arch or ArmBootArch(0)
    if ArmBootArch.PSCI_COMPLIANT not in flags:
        raise NotApplicable("no PSCI (see fadt.psci)")
    if ArmBootArch.PSCI_USE_HVC not in flags:
        return fail(f"ARM_BOOT_ARCH lacks PSCI_USE_HVC (bit {bit(ArmBootArch.PSCI_USE_HVC)}): Linux calls PSCI "
                    "with SMC, which reaches the VMM only if it traps SMC (EL3 firmware would answer instead); "
                    "set it unless the VM has EL3")
    return ok("PSCI over HVC")
