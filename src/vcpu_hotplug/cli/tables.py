"""``vcpu-hotplug tables ...``: decode and dump ACPI tables."""

import click


@click.group()
def tables() -> None:
    """Decode, dump and generate ACPI static tables."""
