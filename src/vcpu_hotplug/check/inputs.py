"""Loading the tables to check: a directory of raw tables or an ``acpidump`` text file.

A directory is read the way people keep tables:

* ``acpixtract`` output (``apic.dat``, ``dsdt.dat``, ``ssdt1.dat``), our own
  ``tables emit`` output (``APIC.dat``, ``DSDT.aml``), ``/sys/firmware/acpi/
  tables`` copies (``APIC``, ``DSDT``, ``SSDT1``) and QEMU's test data
  (``tests/data/acpi``: ``APIC``, ``DSDT``) are *base* tables;
* QEMU's test data names variants ``SIG.variant`` (``DSDT.memhp``,
  ``APIC.cphp``): a variant replaces the base table of that signature, as
  QEMU's ``bios-tables-test`` does. Without ``variant`` the base tables are
  checked; a directory holding only one variant (``qemu/x86-q35``: ``*.cphp``)
  is checked as that variant;
* text, ASL and other non-table files (``.dsl``, ``.txt``, ``.md``, ``.json``)
  are skipped. Every file taken is a whole raw table (the signature must look
  like one); an ``acpidump`` text file is given as PATH itself.

Every problem that leaves nothing to check is a :class:`CheckError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.tableio import LoadedTable, RSDP_SIGNATURE, read_tables
from vcpu_hotplug.check.errors import CheckError

RAW_SUFFIXES = frozenset({"", ".dat", ".aml", ".bin"})
"""File suffixes of raw base tables (acpixtract ``.dat``, iasl ``.aml``)."""

SKIPPED_SUFFIXES = frozenset({".dsl", ".asl", ".txt", ".md", ".json", ".hex", ".c", ".h", ".log"})
"""Suffixes of files a table directory may hold that are not tables."""

_SIGNATURE = re.compile(rb"^[A-Z0-9_]{4}$")
_NAME = re.compile(r"^([A-Za-z0-9_]{4})(\d*)$")


@dataclass
class TableInput:
    """What was loaded: the tables, where from, and the files passed over."""

    source: str
    tables: list[LoadedTable]
    variant: str | None = None
    skipped: list[str] = field(default_factory=list)


def _looks_like_table(data: bytes) -> bool:
    return data.startswith(RSDP_SIGNATURE) or bool(_SIGNATURE.match(data[:4]))


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c.isspace() for c in text)


def _check_table_bytes(item: LoadedTable) -> None:
    if not _looks_like_table(item.data):
        if _is_text(item.data):
            raise CheckError(f"{item.source}: text, but not acpidump output (its first line must be a table "
                             f"header such as 'DSDT @ 0x0000000040000000') nor a raw table")
        shown = item.data[:4].hex(" ")
        raise CheckError(f"{item.source}: not an ACPI table (first bytes {shown} are no table signature)")


def _split_name(name: str) -> tuple[str, str | None] | None:
    """``(base name, variant)`` of a table file name, None for a file that is not a table."""
    stem, dot, suffix = name.partition(".")
    if not _NAME.match(stem):
        return None
    if not dot:
        return stem, None
    if "." + suffix.lower() in RAW_SUFFIXES:
        return stem, None
    if "." + suffix.lower() in SKIPPED_SUFFIXES or "." in suffix:
        return None
    return stem, suffix


def load_directory(path: Path, variant: str | None = None) -> TableInput:
    files = sorted(p for p in path.iterdir() if p.is_file())
    if not files:
        raise CheckError(f"{path}: empty directory, no tables to check")
    base: dict[str, Path] = {}
    variants: dict[str, dict[str, Path]] = {}
    skipped = []
    for file in files:
        split = _split_name(file.name)
        if split is None:
            skipped.append(file.name)
            continue
        stem, var = split
        if var is None:
            base[stem.upper()] = file
        else:
            variants.setdefault(var, {})[stem.upper()] = file
    if variant is not None and variant not in variants:
        known = ", ".join(sorted(variants)) or "none"
        raise CheckError(f"{path}: no tables of variant {variant!r} (variants here: {known})")
    if variant is None and not base and len(variants) == 1:
        variant = next(iter(variants))
    chosen = dict(base)
    if variant is not None:
        chosen.update(variants[variant])
    skipped += [p.name for var, group in variants.items() if var != variant for p in group.values()]
    skipped += [p.name for stem, p in base.items() if variant is not None and stem in variants[variant]]
    if not chosen:
        raise CheckError(f"{path}: no table files (expected raw tables such as APIC, DSDT, "
                         f"apic.dat, DSDT.aml; variants here: {', '.join(sorted(variants)) or 'none'})")
    tables = read_files([chosen[k] for k in sorted(chosen)])
    return TableInput(os.fspath(path), tables, variant, sorted(skipped))


def read_files(paths: list[Path]) -> list[LoadedTable]:
    """Read raw table or acpidump files; unreadable input is a :class:`CheckError`."""
    try:
        tables = read_tables(paths)
    except TableError as exc:
        raise CheckError(str(exc)) from None
    except OSError as exc:
        raise CheckError(f"{exc.filename or paths}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CheckError(f"{paths[0]}: unreadable acpidump text ({exc.reason})") from None
    except ValueError as exc:
        raise CheckError(f"{paths[0]}: unreadable acpidump text ({exc})") from None
    for item in tables:
        _check_table_bytes(item)
    return tables


def load_input(path: str | os.PathLike[str], variant: str | None = None) -> TableInput:
    """The tables at ``path``: a directory of raw tables, one raw table, or acpidump text."""
    p = Path(path)
    if not p.exists():
        raise CheckError(f"{p}: no such file or directory")
    if p.is_dir():
        return load_directory(p, variant)
    if variant is not None:
        raise CheckError(f"{p}: --variant applies to a directory of tables, not a file")
    return TableInput(os.fspath(p), read_files([p]))
