"""``vcpu-hotplug check PATH``: the conformance checker for other VMMs' arm64 vCPU hotplug tables.

PATH is a directory of raw tables (acpixtract's ``apic.dat``, QEMU's test
data, our ``tables emit`` output, a copy of ``/sys/firmware/acpi/tables``),
one raw table, or an ``acpidump`` text file. Output, in two sections:
*conformance*, one line per rule (PASS/WARN/FAIL/SKIP and the reason; the
source and fix in ``--json``) and the summary; then the findings; then the
*prediction*: what the Linux guest model does with the tables at each guest
kernel version it knows (boot masks, each CPU's fate on hot-add, hot-remove
and re-add, the kernel log lines), after the assumptions it makes (the VMM's
boot policy: without ``--boot-cpus`` "assumed: only MADT-Enabled CPUs are
enabled at boot"; udev onlining hot-added CPUs unless ``--no-udev``; the
kernel versions). ``--json`` prints the same as one JSON document
(``docs/check-json-schema.md``).

Exit status: 0 when no rule FAILs, 1 when one does, 2 when PATH cannot be
checked at all (no tables, unreadable, not ACPI): then one ``error:`` line
on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys

import click

from vcpu_hotplug.acpi.errors import AcpiError
from vcpu_hotplug.check.errors import CheckError

EXIT_UNUSABLE = 2
"""PATH could not be checked (distinct from 1: a rule FAILs)."""


@click.command()
@click.argument("path", metavar="PATH")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--variant", metavar="NAME",
              help="For QEMU's test data: check the SIG.NAME tables (DSDT.memhp) over the base ones.")
@click.option("--no-boot", is_flag=True, help="Only the rules: do not boot the Linux guest model on the tables.")
@click.option("--guest-kernel", "guest_kernels", multiple=True, metavar="VERSION",
              help="Predict for this guest kernel version only (repeatable; default: every version the guest "
                   "model knows, as run --guest-kernel names them).")
@click.option("--no-udev", is_flag=True,
              help="The guest has no udev rule or agent onlining hot-added CPUs: a hot-added CPU stays offline "
                   "until written online (default: udev onlines it, as distributions ship).")
@click.option("--boot-cpus", type=click.IntRange(min=1), metavar="N",
              help="The VMM enables the first N possible CPUs at boot (QEMU's -smp cpus=N), though the MADT "
                   "marks only the boot CPU Enabled; default: the CPUs the MADT marks Enabled.")
def check(path: str, as_json: bool, variant: str | None, no_boot: bool, guest_kernels: tuple[str, ...],
          no_udev: bool, boot_cpus: int | None) -> None:
    """Check the ACPI tables at PATH against the rules of arm64 vCPU hotplug (conformance), then predict what
    Linux does with them (the guest model at each kernel version)."""
    from vcpu_hotplug.check.boot import kernel_named
    from vcpu_hotplug.check.runner import check_path

    for name in guest_kernels:
        try:
            kernel_named(name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--guest-kernel") from None
    try:
        report = check_path(path, variant=variant, boot=not no_boot, kernels=list(guest_kernels) or None,
                            boot_cpus=boot_cpus, udev=not no_udev)
    except (CheckError, AcpiError) as exc:
        message = str(exc).replace("\n", " ")
        if as_json:
            click.echo(json.dumps({"error": message, "ok": False}))
        click.echo(f"error: {message}", err=True)
        sys.exit(EXIT_UNUSABLE)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    sys.exit(report.exit_code)
