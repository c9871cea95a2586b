"""``vcpu-hotplug aml ...``: evaluate and disassemble AML."""

import click


@click.group()
def aml() -> None:
    """Evaluate and disassemble AML definition blocks."""
