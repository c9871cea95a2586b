"""``vcpu-hotplug aml ...``: evaluate and disassemble AML."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from vcpu_hotplug.acpi.errors import AcpiError, AmlError

#: JSON ``type`` of each Python value the interpreter returns.
_JSON_TYPES = {int: "Integer", str: "String", bytes: "Buffer", list: "Package", type(None): "None"}


@click.group()
def aml() -> None:
    """Evaluate and disassemble AML definition blocks."""


def _parse_arg(text: str):
    """An evaluation argument: an integer (``0x..`` or decimal) or else a string."""
    try:
        return int(text, 0)
    except ValueError:
        return text


def _jsonable(value):
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@aml.command("eval")
@click.argument("items", nargs=-1, required=True, metavar="TABLE.aml [MORE.aml ...] PATH [ARG ...]")
def eval_(items: tuple[str, ...]) -> None:
    """Load the DSDT (then the SSDTs) of the TABLE files and evaluate PATH with ARGs.

    TABLE files are raw tables or acpidump text; every leading argument that
    names an existing file is a table, the next is the AML path. Prints one
    JSON object: type (Integer, String, Buffer, Package, None or Error),
    value, and the Notify calls made, as [path, value] pairs.
    """
    from vcpu_hotplug.acpi.aml import Interpreter
    from vcpu_hotplug.acpi.tableio import read_tables

    files = []
    rest = list(items)
    while rest and Path(rest[0]).is_file():
        files.append(rest.pop(0))
    if not files:
        raise click.UsageError("give at least one table file before the AML path")
    if not rest:
        raise click.UsageError("give the AML path to evaluate after the table files")
    path, args = rest[0], [_parse_arg(a) for a in rest[1:]]

    tables = read_tables(files)
    dsdts = [t for t in tables if t.signature == "DSDT"]
    ssdts = [t for t in tables if t.signature == "SSDT"]
    if not dsdts and not ssdts:
        raise click.UsageError("no DSDT or SSDT among the table files")
    interp = Interpreter()
    try:
        for table in dsdts[:1] + ssdts:
            interp.load(table.data)
        value = interp.evaluate(path, *args)
    except AcpiError as exc:
        message = str(exc) if isinstance(exc, AmlError) else f"{exc}"
        click.echo(json.dumps({"type": "Error", "value": message,
                               "notifies": [list(n) for n in interp.notifications]}))
        sys.exit(1)
    click.echo(json.dumps({"type": _JSON_TYPES.get(type(value), "String"), "value": _jsonable(value),
                           "notifies": [list(n) for n in interp.notifications]}))
