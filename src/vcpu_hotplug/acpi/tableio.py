"""Reading and writing ACPI tables as files.

Two input formats are accepted:

* a raw binary table file (one whole table, as in
  ``/sys/firmware/acpi/tables/`` or QEMU's ``tests/data/acpi``);
* the text output of ACPICA's ``acpidump`` (the format ``acpixtract``
  reads, ACPICA ``source/tools/acpixtract/axutils.c``): for each table a
  line ``SIG @ 0xADDRESS`` followed by hex dump lines
  ``    0000: 44 53 44 54 ...  DSDT....`` of up to 16 bytes each.

:func:`format_acpidump` writes the same text format, so that ``acpixtract``
can read our tables back.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.header import LENGTH_OFFSET

BYTES_PER_LINE = 16
"""Bytes shown on one acpidump hex line."""

RSDP_SIGNATURE = b"RSD PTR "
"""The 8-byte RSDP signature (ACPI 6.5 section 5.2.5.3); acpidump labels it ``RSDP``."""

_RSDP_V1_LENGTH = 20
_RSDP_LENGTH_OFFSET = 20
_RSDP_REVISION_OFFSET = 15

_HEADER_LINE = re.compile(r"^\s*([A-Za-z0-9_!$ ]{4}) @ 0x([0-9A-Fa-f]+)\s*$")
_DATA_LINE = re.compile(r"^\s*([0-9A-Fa-f]+):((?: [0-9A-Fa-f]{2}){1,16})(?:\s{2}.*)?$")


@dataclass(frozen=True)
class LoadedTable:
    """One table read from a file.

    ``source`` is the file it came from (as given), ``data`` its bytes,
    ``address`` the physical address acpidump printed (None for binary files).
    """

    source: str
    data: bytes
    address: int | None = None

    @property
    def signature(self) -> str:
        """The table's signature (``RSDP`` for the root pointer), latin-1 decoded."""
        if self.data.startswith(RSDP_SIGNATURE):
            return "RSDP"
        return self.data[:4].decode("latin-1")


def declared_length(data: bytes) -> int | None:
    """The length a table says it has (header length field; RSDP rules for the RSDP).

    None when ``data`` is too short to say.
    """
    if data.startswith(RSDP_SIGNATURE):
        if len(data) <= _RSDP_REVISION_OFFSET:
            return None
        if data[_RSDP_REVISION_OFFSET] < 2:
            return _RSDP_V1_LENGTH
        if len(data) < _RSDP_LENGTH_OFFSET + 4:
            return None
        return struct.unpack_from("<I", data, _RSDP_LENGTH_OFFSET)[0]
    if len(data) < LENGTH_OFFSET + 4:
        return None
    return struct.unpack_from("<I", data, LENGTH_OFFSET)[0]


def _looks_like_acpidump(raw: bytes) -> bool:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False
    for line in text.splitlines():
        if line.strip():
            return bool(_HEADER_LINE.match(line))
    return False


def parse_acpidump(text: str, source: str) -> list[LoadedTable]:
    """Parse acpidump text output into tables.

    Lines that are neither a table header nor a hex line (blank lines,
    acpidump's banners) are skipped between tables. A hex line whose offset
    does not follow the previous one, a table with no data, or a table with
    fewer bytes than its length field are :class:`TableError` naming
    ``source`` and the line.
    """
    tables: list[LoadedTable] = []
    current: tuple[str, int, int, bytearray] | None = None  # signature, address, header line, data

    def finish() -> None:
        if current is None:
            return
        sig, address, line_no, data = current
        where = f"{source} line {line_no} ({sig})"
        if not data:
            raise TableError(where, None, "no hex dump lines follow the table header")
        length = declared_length(bytes(data))
        if length is None or length > len(data):
            raise TableError(where, len(data),
                             f"truncated: the dump has {len(data)} bytes, "
                             f"the table's length field says {length if length is not None else '?'}")
        tables.append(LoadedTable(source=source, data=bytes(data[:length]), address=address))

    for line_no, line in enumerate(text.splitlines(), start=1):
        header = _HEADER_LINE.match(line)
        if header:
            finish()
            current = (header.group(1), int(header.group(2), 16), line_no, bytearray())
            continue
        if not line.strip():
            continue
        data_line = _DATA_LINE.match(line)
        if current is None:
            if data_line:
                raise TableError(f"{source} line {line_no}", None,
                                 "hex dump line before any 'SIG @ 0xADDRESS' table header")
            continue
        if data_line is None:
            if current[3] and re.match(r"^\s*[0-9A-Fa-f]+:", line):
                raise TableError(f"{source} line {line_no} ({current[0]})", len(current[3]),
                                 f"unreadable hex dump line: {line.strip()[:60]!r}")
            continue
        offset = int(data_line.group(1), 16)
        data = current[3]
        if offset != len(data):
            raise TableError(f"{source} line {line_no} ({current[0]})", len(data),
                             f"hex line offset {offset:#x} does not follow the previous line "
                             f"(expected {len(data):#x})")
        data.extend(bytes.fromhex(data_line.group(2)))
    finish()
    if not tables:
        raise TableError(source, None, "no 'SIG @ 0xADDRESS' table header found in acpidump text")
    return tables


def read_tables(paths: Iterable[str | os.PathLike[str]]) -> list[LoadedTable]:
    """Read every table in ``paths``, in order.

    A file is acpidump text if its first non-blank line is a table header
    (``DSDT @ 0x...``); otherwise it is one raw binary table. Empty files
    and directories are :class:`TableError`; other I/O failures are OSError.
    """
    loaded: list[LoadedTable] = []
    for path in paths:
        name = os.fspath(path)
        if Path(name).is_dir():
            raise TableError(name, None, "is a directory, not a table file")
        raw = Path(name).read_bytes()
        if not raw:
            raise TableError(name, None, "empty file")
        if _looks_like_acpidump(raw):
            loaded.extend(parse_acpidump(raw.decode("ascii"), name))
        else:
            loaded.append(LoadedTable(source=name, data=raw))
    return loaded


def _table_bytes(table: object) -> bytes:
    if isinstance(table, (bytes, bytearray, memoryview)):
        return bytes(table)
    if isinstance(table, LoadedTable):
        return table.data
    encode = getattr(table, "encode", None)
    if callable(encode):
        return bytes(encode())
    raise TypeError(f"cannot dump {type(table).__name__}: not bytes, LoadedTable or a table")


def _dump_signature(data: bytes) -> str:
    if data.startswith(RSDP_SIGNATURE):
        return "RSDP"
    if len(data) < 4:
        raise ValueError("a table needs at least a 4-byte signature")
    return data[:4].decode("latin-1")


def format_acpidump(tables: Iterable[object], *, addresses: Iterable[int] | None = None) -> str:
    """Format tables (bytes, :class:`LoadedTable` or table objects) as acpidump text.

    Each table is printed as ``SIG @ 0xADDRESS`` (address from ``addresses``,
    else the LoadedTable's, else 0), its hex lines and a blank line, exactly
    as ACPICA's acpidump does, so ``acpixtract`` reads it back.
    """
    addr_iter = iter(addresses) if addresses is not None else None
    out: list[str] = []
    for table in tables:
        data = _table_bytes(table)
        address = next(addr_iter) if addr_iter is not None else None
        if address is None:
            address = table.address if isinstance(table, LoadedTable) and table.address else 0
        out.append(f"{_dump_signature(data)} @ 0x{address:016X}\n")
        for offset in range(0, len(data), BYTES_PER_LINE):
            chunk = data[offset:offset + BYTES_PER_LINE]
            hex_part = "".join(f"{b:02X} " for b in chunk).ljust(3 * BYTES_PER_LINE)
            text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
            out.append(f"{offset:04X}".rjust(8) + f": {hex_part} {text}\n")
        out.append("\n")
    return "".join(out)


__all__ = ["LoadedTable", "declared_length", "format_acpidump", "parse_acpidump", "read_tables"]
