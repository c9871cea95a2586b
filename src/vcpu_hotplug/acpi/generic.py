"""Any table this package has no layout for: the SDT header plus raw body.

Used for DSDT and SSDT (body = AML definition block, ACPI 6.5 section
5.2.11) and every signature without its own module, so that every table
can at least be checked (length, checksum) and re-encoded byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vcpu_hotplug.acpi.header import SdtHeader, SystemTable, split_table


@dataclass
class GenericTable(SystemTable):
    """Header plus raw body bytes (for DSDT/SSDT the body is AML)."""

    header: SdtHeader
    body: bytes = field(default=b"", repr=False)

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "GenericTable":
        """Decode any table, validating only its header framing and checksum."""
        header, body = split_table(data, lenient=lenient)
        return cls(header=header, body=body)

    def encode_body(self) -> bytes:
        return self.body

    def to_dict(self) -> dict:
        return {"header": self.header.to_dict(), "body_length": len(self.body)}
