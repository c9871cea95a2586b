"""``vcpu-hotplug tables ...``: decode, dump and generate ACPI static tables.

``dump`` reads raw table files or acpidump text (:func:`read_tables`),
decodes each table (:func:`decode_table`) and prints it with the field
names of the ACPI specification, or as JSON. ``sample`` builds the tables
our VMM gives a ``cpus=N,maxcpus=M`` machine
(:func:`vcpu_hotplug.vmm.firmware_tables.build_firmware`) and dumps them;
``emit`` writes them to a directory for other VMMs to compare against.
``--profile`` picks whose tables (:mod:`vcpu_hotplug.profiles`): ours
(``reference``) or QEMU RFC V5's (``qemu-rfc-v5``, byte for byte as QEMU
generates them for the same ``-smp``; ``tests/test_profiles_tables.py``
holds them against real dumps).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from typing import Any

import click

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.fields import HEX, SPEC, flag_names
from vcpu_hotplug.acpi.generic import HeaderlessTable
from vcpu_hotplug.acpi.madt import Madt, MadtLayout
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.acpi.registry import AnyTable, decode_table
from vcpu_hotplug.acpi.rsdp import Rsdp
from vcpu_hotplug.acpi.tableio import format_acpidump, read_tables
from vcpu_hotplug.profiles import DEFAULT_PROFILE, PROFILE_NAMES, Profile, get_profile

_NAMES = {"APIC": "MADT", "FACP": "FADT", "RSDP": "RSDP"}
_PROFILE_OPTION = click.option(
    "--profile", type=click.Choice(PROFILE_NAMES), default=DEFAULT_PROFILE.value, show_default=True,
    help="whose tables: reference (this project's) or qemu-rfc-v5 (QEMU RFC V5's, byte for byte)")
_INDENT = "  "


def _value(value: Any, as_hex: bool) -> str:
    if isinstance(value, enum.IntFlag):
        names = flag_names(value)
        return f"{int(value):#x}" + (f" ({', '.join(names)})" if names else "")
    if isinstance(value, enum.Enum):
        return f"{value.value} ({value.name})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:#x}" if as_hex else str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex(" ") if len(value) <= 16 else f"({len(value)} bytes)"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, as_hex) for v in value) + "]"
    if dataclasses.is_dataclass(value):
        return "{" + "  ".join(_fields(value)) + "}"
    return str(value)


_FIRST = ("acpi_processor_uid", "flags", "mpidr")
"""Fields shown first on a structure's line: what a reader of a CPU entry looks for."""


def _fields(obj: Any, skip: tuple[str, ...] = ()) -> list[str]:
    """``Spec Name: value`` for every present field (zero Reserved fields left out)."""
    out = []
    fields = sorted(dataclasses.fields(obj),
                    key=lambda f: _FIRST.index(f.name) if f.name in _FIRST else len(_FIRST))
    for f in fields:
        if f.name in skip or SPEC not in f.metadata:
            continue
        value = getattr(obj, f.name)
        if value is None or (isinstance(value, bytes) and not value):
            continue
        if f.metadata[SPEC] == "Reserved" and not (value.strip(b"\0") if isinstance(value, bytes) else value):
            continue
        out.append(f"{f.metadata[SPEC]}: {_value(value, f.metadata.get(HEX, False))}")
    return out


def _header_line(table: AnyTable) -> str:
    sig = table.signature
    name = _NAMES.get(sig, "")
    if isinstance(table, Rsdp):
        ok = table.checksum_ok and table.extended_checksum_ok
        return (f"RSDP  Revision: {table.revision}  OEMID: {table.oem_id!r}  "
                f"Checksum: {table.checksum:#04x}  Extended Checksum: {table.extended_checksum:#04x}"
                + ("" if ok else "  (BAD CHECKSUM)"))
    if isinstance(table, HeaderlessTable):
        return f"{sig}  Length: {len(table.data)}  (no SDT header)"
    h = table.header
    return (f"{sig}{' (' + name + ')' if name else ''}  Length: {h.length}  Revision: {h.revision}  "
            f"Checksum: {h.checksum:#04x}{'' if h.checksum_ok else ' (BAD)'}  "
            f"OEM ID: {h.oem_id!r}  OEM Table ID: {h.oem_table_id!r}  OEM Revision: {h.oem_revision}  "
            f"Creator ID: {h.creator_id!r}  Creator Revision: {h.creator_revision}")


def render(table: AnyTable) -> list[str]:
    """Readable lines for one decoded table."""
    lines = [_header_line(table)]
    if isinstance(table, HeaderlessTable):
        return lines
    if isinstance(table, Rsdp):
        lines += [_INDENT + f for f in _fields(table, ("checksum", "extended_checksum", "revision",
                                                       "oem_id"))]
        return lines
    if isinstance(table, Madt):
        lines += [_INDENT + f for f in _fields(table)]
        counts: dict[str, int] = {}
        for sub in table.subtables:
            kind = sub.kind
            index = counts.get(kind, 0)
            counts[kind] = index + 1
            label = f"{kind}[{index}]" if kind != "Raw" else f"Type {sub.type:#04x}[{index}]"
            parts = _fields(sub, ("type",))
            lines.append(_INDENT + label + "  " + "  ".join(parts))
        return lines
    if isinstance(table, Pptt):
        for offset, node in zip(table.offsets(), table.nodes):
            lines.append(f"{_INDENT}[{offset:#06x}] {node.kind}  " + "  ".join(_fields(node, ("type",))))
        return lines
    if hasattr(table, "body"):
        lines.append(f"{_INDENT}Body: {len(table.body)} bytes"
                     + (" of AML" if table.signature in ("DSDT", "SSDT") else ""))
        return lines
    lines += [_INDENT + f for f in _fields(table)]
    return lines


@click.group()
def tables() -> None:
    """Decode, dump and generate ACPI static tables."""


@tables.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--lenient", is_flag=True, help="Report bad checksums and unknown revisions, and go on.")
def dump(files: tuple[str, ...], as_json: bool, lenient: bool) -> None:
    """Decode raw ACPI table files or acpidump text output."""
    loaded = read_tables(files)
    failures = 0
    decoded = []
    for item in loaded:
        try:
            table = decode_table(item.data, lenient=lenient)
        except TableError as exc:
            failures += 1
            click.echo(f"error: {item.source}: {exc}", err=True)
            continue
        decoded.append((item, table))
    _show([(item.source, item.address, table) for item, table in decoded], as_json)
    if failures:
        sys.exit(1)


def _show(items: list[tuple[str, int | None, AnyTable]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([{"source": source, "address": address, "table": table.to_dict()}
                               for source, address, table in items], indent=2))
        return
    for n, (source, address, table) in enumerate(items):
        if n:
            click.echo("")
        where = f"{source}" + (f" @ {address:#x}" if address is not None else "")
        click.echo(f"# {where}")
        for line in render(table):
            click.echo(line)


@tables.command()
@click.option("--cpus", type=click.IntRange(min=1), required=True, help="vCPUs enabled at boot.")
@click.option("--maxcpus", type=click.IntRange(min=1), required=True, help="Possible vCPUs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--acpi-6.4", "acpi_6_4", is_flag=True,
              help="MADT revision 5 with 80-byte GICC, for tools that predate ACPI 6.5.")
@click.option("--acpidump", "as_acpidump", is_flag=True,
              help="Print acpidump text (for acpixtract/iasl) instead of the decoded view.")
@_PROFILE_OPTION
def sample(cpus: int, maxcpus: int, as_json: bool, acpi_6_4: bool, as_acpidump: bool, profile: str) -> None:
    """Build and dump the tables our VMM gives an arm64 machine of cpus enabled of maxcpus vCPUs."""
    from vcpu_hotplug.vmm.errors import ConfigError

    try:
        _machine, image = build_profile_image(f"cpus={cpus},maxcpus={maxcpus}", get_profile(profile), acpi_6_4)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    placed = image.in_memory_order()
    if as_acpidump:
        click.echo(format_acpidump([data for _, _, data in placed],
                                   addresses=[address for _, address, _ in placed]), nl=False)
        return
    # show what a guest would read: the encoded bytes, decoded again
    _show([(f"sample cpus={cpus} maxcpus={maxcpus}", address, decode_table(data))
           for _, address, data in placed], as_json)


@tables.command()
@click.option("--smp", required=True, metavar="SMP",
              help="QEMU -smp text: cpus=N,maxcpus=M[,sockets=S,clusters=C,cores=K,threads=T].")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Directory to write (created if missing; existing files of the same names are replaced).")
@click.option("--acpi-6.4", "acpi_6_4", is_flag=True,
              help="MADT revision 5 with 80-byte GICC (ACPI 6.4), for tools that predate ACPI 6.5.")
@click.option("--qemu-block", "qemu_block", is_flag=True,
              help="Our AML on QEMU's 12-byte CPU hotplug registers only, without the fast path: for a VMM "
                   "whose block is QEMU's (real QEMU RFC V5, as the real-Linux rig runs it). Reference profile only.")
@_PROFILE_OPTION
def emit(smp: str, output: str, acpi_6_4: bool, profile: str, qemu_block: bool = False) -> None:
    """Write every table of the configured machine: raw, acpidump text, ASL, decoded text and a README.

    The tables are those our VMM gives its guest for --smp (--profile
    qemu-rfc-v5: those QEMU RFC V5 gives). The README states the CPU hotplug
    register block (base, length, offsets, bits) and the GED (event bit, GSI)
    the AML expects.
    """
    from pathlib import Path

    from vcpu_hotplug.acpi.aml.asl import disassemble
    from vcpu_hotplug.check import reference
    from vcpu_hotplug.check.runner import check_tables
    from vcpu_hotplug.vmm.errors import VmmError

    chosen = get_profile(profile)
    if qemu_block and chosen.name is not DEFAULT_PROFILE:
        raise click.UsageError(f"--qemu-block chooses the reference profile's AML variant; "
                               f"{chosen.name.value} has QEMU's own AML")
    try:
        machine, image = build_profile_image(smp, chosen, acpi_6_4, qemu_block)
    except VmmError as exc:
        raise click.BadParameter(str(exc), param_hint="--smp") from None
    layout = MadtLayout.ACPI_6_4 if acpi_6_4 else chosen.firmware.madt_layout
    files = reference.raw_files(image)
    files.append(reference.acpidump_file(image))
    for signature, _, data in image.in_memory_order():
        if signature in reference.AML_TABLES:
            text = disassemble(data, source=reference.file_name(signature))
            files.append(reference.EmittedFile(signature + reference.ASL_SUFFIX, text.encode()))
        else:
            text = "\n".join(render(decode_table(data))) + "\n"
            files.append(reference.EmittedFile(signature + reference.TEXT_SUFFIX, text.encode()))
    verdict = check_tables(list(image.tables.values()), source=f"--smp {smp}",
                           boot_cpus=machine.smp.cpus).summary()
    if chosen.name is DEFAULT_PROFILE:
        text = reference.readme(machine, image, layout, smp, verdict, fast=not qemu_block)
    else:
        text = _profile_readme(chosen, image, smp, verdict)
    files.append(reference.EmittedFile(reference.README_FILE, text.encode()))
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        (out / f.name).write_bytes(f.data)
    click.echo(f"wrote {len(files)} files to {out}: {', '.join(f.name for f in files)}")


def build_profile_image(smp: str, profile: Profile, acpi_6_4: bool = False, qemu_block: bool = False):
    """The machine for ``smp`` and the firmware image ``profile`` gives it (``--acpi-6.4``, ``--qemu-block``:
    reference only)."""
    import dataclasses

    from vcpu_hotplug.vmm.firmware_tables import DsdtStyle, build_firmware
    from vcpu_hotplug.vmm.machine import Machine

    options = profile.firmware
    if acpi_6_4:
        if profile.name is not DEFAULT_PROFILE:
            raise click.UsageError(f"--acpi-6.4 chooses the reference profile's MADT layout; "
                                   f"{profile.name.value} has its own (revision {options.madt_layout.revision})")
        options = dataclasses.replace(options, madt_layout=MadtLayout.ACPI_6_4)
    if qemu_block:
        options = dataclasses.replace(options, dsdt=DsdtStyle.REFERENCE_QEMU_BLOCK)
    machine = Machine(profile.machine_config(smp=smp))
    return machine, build_firmware(machine, options)


def _profile_readme(profile: Profile, image, smp: str, verdict: str) -> str:
    """README of a directory emitted for a profile other than ours."""
    from vcpu_hotplug.check.reference import ACPIDUMP_FILE, ASL_SUFFIX, TEXT_SUFFIX, file_name
    from vcpu_hotplug.check.register_doc import register_block_doc
    from vcpu_hotplug.vmm.machine import VIRT_MEMMAP
    from vcpu_hotplug.vmm.dsdt_qemu import CPUS_PATH, HOTPLUG_TERMS
    from vcpu_hotplug.vmm.firmware_tables import SIGNATURE_ORDER

    terms = ", ".join(f"`{kind} ({name})`" for kind, name in HOTPLUG_TERMS)
    lines = [
        f"# ACPI tables of the `{profile.name.value}` profile, `-smp {smp}`",
        "",
        f"Written by `vcpu-hotplug tables emit --profile {profile.name.value} --smp {smp}`: {profile.summary}.",
        "",
        "What is QEMU's to the byte (held against real dumps in `tests/test_profiles_tables.py`): the MADT, "
        "PPTT and GTDT; the FADT except `X_DSDT` (QEMU's loader patches the DSDT's address in at boot); in the "
        f"DSDT, the CPU hotplug terms of `Scope (\\_SB)`: {terms}, plus `COM0` and `PWRB`. QEMU's DSDT also "
        "has fw_cfg (`FWCF`), virtio-mmio (`VRnn`) and PCI (`Lnnn`, `PCI0`) devices, which this machine does "
        "not have. Processor devices are "
        f"`{CPUS_PATH}.C000`.. with the register block device `\\_SB.PRES`.",
        "",
        f"`vcpu-hotplug check` on these tables: {verdict}.",
        "",
        "## Files",
        "",
        *(f"- `{file_name(s)}`: {s} at guest physical address {image.addresses[s]:#x}, raw" for s in SIGNATURE_ORDER),
        f"- `{ACPIDUMP_FILE}`: every table as `acpidump` text",
        f"- `DSDT{ASL_SUFFIX}`: the DSDT as ASL; `SIG{TEXT_SUFFIX}`: each static table decoded",
        "",
        *register_block_doc(VIRT_MEMMAP.cpuhp[0], fast=False, level=2),
    ]
    return "\n".join(lines)
