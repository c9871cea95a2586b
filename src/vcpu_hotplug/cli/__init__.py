"""The ``vcpu-hotplug`` command line.

Library code never prints; this package decides what to show. Every expected
error (our error families) is printed on one line and exits non-zero; no
traceback reaches the user.
"""

from __future__ import annotations

import sys

import click

from vcpu_hotplug import __version__
from vcpu_hotplug.acpi.errors import AcpiError


class _Group(click.Group):
    """A click group that turns the project's errors into one-line messages."""

    def invoke(self, ctx: click.Context):  # noqa: D401 - click API
        try:
            return super().invoke(ctx)
        except (AcpiError, OSError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="vcpu-hotplug")
def main() -> None:
    """Virtual CPU hotplug for arm64 virtual machines."""


def _register() -> None:
    from vcpu_hotplug.cli import aml, tables

    main.add_command(tables.tables)
    main.add_command(aml.aml)
    from vcpu_hotplug.cli import run
    main.add_command(run.run)
    from vcpu_hotplug.cli import demo
    main.add_command(demo.demo)
    from vcpu_hotplug.cli import check
    main.add_command(check.check)


_register()
