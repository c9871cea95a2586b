"""``vcpu-hotplug check PATH``: the conformance checker for other VMMs' arm64 vCPU hotplug tables.

PATH is a directory of raw tables (acpixtract's ``apic.dat``, QEMU's test
data, our ``tables emit`` output, a copy of ``/sys/firmware/acpi/tables``),
one raw table, or an ``acpidump`` text file. Output: one line per rule
(PASS/WARN/FAIL/SKIP and the reason), the findings, the boot policy the
prediction uses (without ``--boot-cpus``: "assumed: only MADT-Enabled CPUs
are enabled at boot"; ``assumptions`` in JSON), what the Linux guest model
did on the tables, and a summary; ``--json`` prints the same as JSON.

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
from vcpu_hotplug.guest import PresentPolicy

EXIT_UNUSABLE = 2
"""PATH could not be checked (distinct from 1: a rule FAILs)."""


@click.command()
@click.argument("path", metavar="PATH")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--variant", metavar="NAME",
              help="For QEMU's test data: check the SIG.NAME tables (DSDT.memhp) over the base ones.")
@click.option("--no-boot", is_flag=True, help="Only the rules: do not boot the Linux guest model on the tables.")
@click.option("--present-policy", type=click.Choice([p.value for p in PresentPolicy]),
              default=PresentPolicy.LINUX_6_11.value, show_default=True,
              help="How the guest model fills cpu_present_mask (Linux 6.11, or the 2026 fix).")
@click.option("--boot-cpus", type=click.IntRange(min=1), metavar="N",
              help="The VMM enables the first N possible CPUs at boot (QEMU's -smp cpus=N), though the MADT "
                   "marks only the boot CPU Enabled; default: the CPUs the MADT marks Enabled.")
def check(path: str, as_json: bool, variant: str | None, no_boot: bool, present_policy: str,
          boot_cpus: int | None) -> None:
    """Check the ACPI tables at PATH against the rules of arm64 vCPU hotplug, then boot Linux's model on them."""
    from vcpu_hotplug.check.runner import check_path

    try:
        report = check_path(path, variant=variant, boot=not no_boot,
                            present_policy=PresentPolicy(present_policy), boot_cpus=boot_cpus)
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
