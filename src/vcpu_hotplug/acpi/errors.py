"""The ACPI layer's error family.

Every error names *what* (table signature or AML path), *where* (byte offset)
and *why*, so that a CLI can print it on one line and a user can act on it.
"""

from __future__ import annotations


class AcpiError(Exception):
    """Base of every error raised by :mod:`vcpu_hotplug.acpi`."""


class TableError(AcpiError):
    """A static table is malformed: truncated, bad length, bad checksum, bad subtable.

    ``table`` is the signature (``"APIC"``) or a file name, ``offset`` the byte
    offset inside the table where the problem is, ``reason`` a short sentence.
    """

    def __init__(self, table: str, offset: int | None, reason: str) -> None:
        self.table = table
        self.offset = offset
        self.reason = reason
        where = f" at offset {offset:#x}" if offset is not None else ""
        super().__init__(f"{table}{where}: {reason}")


class AmlError(AcpiError):
    """AML could not be parsed or evaluated.

    ``path`` is the namespace path being parsed or evaluated (or None),
    ``offset`` the byte offset in the definition block (or None).
    """

    def __init__(self, reason: str, path: str | None = None, offset: int | None = None,
                 table: str | None = None) -> None:
        self.reason = reason
        self.path = path
        self.offset = offset
        self.table = table
        parts = []
        if table:
            parts.append(table)
        if path:
            parts.append(path)
        if offset is not None:
            parts.append(f"offset {offset:#x}")
        prefix = (" ".join(parts) + ": ") if parts else ""
        super().__init__(prefix + reason)
