"""``vcpu-hotplug aml ...``: evaluate and disassemble AML."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from vcpu_hotplug.acpi.aml.interpreter import DEFAULT_MAX_OPCODES
from vcpu_hotplug.acpi.aml.semantics import AmlSemantics
from vcpu_hotplug.acpi.errors import AcpiError, AmlError

@click.group()
def aml() -> None:
    """Evaluate and disassemble AML definition blocks."""


def _parse_arg(text: str):
    """An evaluation argument: an integer (``0x..`` or decimal) or else a string."""
    try:
        return int(text, 0)
    except ValueError:
        return text


@aml.command("eval")
@click.argument("items", nargs=-1, required=True, metavar="TABLE.aml [MORE.aml ...] PATH [ARG ...]")
@click.option("--max-opcodes", type=click.IntRange(min=1), default=DEFAULT_MAX_OPCODES, show_default=True,
              help="Budget of each evaluation (the table loads, then PATH): AML that runs more "
                   "opcodes stops with an AE_AML_LOOP_TIMEOUT error.")
@click.option("--semantics", type=click.Choice([s.value for s in AmlSemantics]),
              default=AmlSemantics.ACPICA.value, show_default=True,
              help="Where ACPICA and Windows differ, answer as ACPICA 20240827 (Linux 6.12's "
                   "core) or as Windows NT's acpi.sys (uACPI's expectations): NT stores "
                   "through a reference held in a Local or Package element, increments "
                   "through one, reads ToInteger strings with octal and signs, concatenates "
                   "Integers to Strings as lower-case hex, and gives an empty object for a "
                   "method that returns nothing.")
def eval_(items: tuple[str, ...], max_opcodes: int, semantics: str) -> None:
    """Load the DSDT (then the SSDTs) of the TABLE files and evaluate PATH with ARGs.

    TABLE files are raw tables or acpidump text; every leading argument that
    names an existing file is a table, the next is the AML path. Prints one
    JSON object: type and value of the result, and "notifies", the Notify
    calls made, as [path, value] pairs. Every value at every depth is typed as
    {"type": ..., "value": ...}: Integer (a number), String (text), Buffer (a
    list of byte values), Package (a list of typed elements; an element never
    stored is Uninitialized, value null), Reference (the path it names, or the
    typed object it designates), None (no value); a failure is type Error, its
    message naming the AML path and offset, with exit status 1.
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
    interp = Interpreter(max_opcodes=max_opcodes, semantics=AmlSemantics(semantics))
    try:
        for table in dsdts[:1] + ssdts:
            interp.load(table.data)
        result = interp.evaluate_typed(path, *args)
    except AcpiError as exc:
        message = str(exc) if isinstance(exc, AmlError) else f"{exc}"
        click.echo(json.dumps({"type": "Error", "value": message,
                               "notifies": [list(n) for n in interp.notifications]}))
        sys.exit(1)
    click.echo(json.dumps({**result, "notifies": [list(n) for n in interp.notifications]}))


#: Table signatures that hold a definition block (AML), ACPI 6.5 sections 5.2.11.1-2.
_DEFINITION_BLOCKS = ("DSDT", "SSDT")


@aml.command("disasm")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="TABLE.aml...")
@click.option("--asl2", is_flag=True, help="Use ASL 2.0 operators (Local0 = Arg0, If (A == B)).")
def disasm(files: tuple[str, ...], asl2: bool) -> None:
    """Print the DSDT/SSDTs in the TABLE files as ASL source.

    TABLE files are raw tables or acpidump text. The DSDT comes first, then
    the SSDTs, each parsed knowing the methods of those before it. The output
    recompiles with iasl (ASL 1.0 by default, byte for byte where ASL can say
    it).
    """
    from vcpu_hotplug.acpi.aml.asl import to_asl
    from vcpu_hotplug.acpi.aml.parser import parse_definition_block
    from vcpu_hotplug.acpi.tableio import read_tables

    tables = read_tables(files)
    blocks = [t for t in tables if t.signature in _DEFINITION_BLOCKS]
    if not blocks:
        found = ", ".join(sorted({t.signature for t in tables})) or "nothing"
        raise AmlError(f"no DSDT or SSDT in {', '.join(files)} (found {found})")
    blocks.sort(key=lambda t: t.signature != "DSDT")  # stable: DSDT first, SSDTs in file order
    known: dict[str, int | None] = {}
    texts = []
    for table in blocks:
        name = f"{table.source} ({table.signature})" if len(blocks) > 1 else table.source
        tree = parse_definition_block(table.data, known=known, table=name)
        known = dict(tree.objects)
        texts.append(to_asl(tree, asl2=asl2, source=name))
    click.echo("\n".join(texts), nl=False)
