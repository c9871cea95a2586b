"""Any table this package has no layout for: the SDT header plus raw body.

Used for DSDT and SSDT (body = AML definition block, ACPI 6.5 section
5.2.11) and every signature without its own module, so that every table
can at least be checked (length, checksum) and re-encoded byte for byte.

The FACS (section 5.2.10) is the one table with a signature and length but
no SDT header (no revision, no checksum): :class:`HeaderlessTable` keeps it
whole so that an acpidump of an x86 machine can be read without a false
"bad checksum".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from vcpu_hotplug.acpi.errors import TableError
from vcpu_hotplug.acpi.header import LENGTH_OFFSET, SdtHeader, SystemTable, signature_of, split_table


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


HEADERLESS_SIGNATURES = frozenset({"FACS"})
"""Tables with Signature and Length but no SDT header."""
_MIN_HEADERLESS = LENGTH_OFFSET + 4


@dataclass
class HeaderlessTable:
    """A table without an SDT header (the FACS): signature, length, raw bytes."""

    signature: str
    data: bytes = field(default=b"", repr=False)

    @classmethod
    def decode(cls, data: bytes, *, lenient: bool = False) -> "HeaderlessTable":
        sig = signature_of(data)
        if len(data) < _MIN_HEADERLESS:
            raise TableError(sig, len(data), f"truncated: {len(data)} bytes, Signature and Length need "
                             f"{_MIN_HEADERLESS}")
        (length,) = struct.unpack_from("<I", data, LENGTH_OFFSET)
        if length < _MIN_HEADERLESS or length > len(data):
            raise TableError(sig, LENGTH_OFFSET,
                             f"length field {length} is not between {_MIN_HEADERLESS} and the "
                             f"{len(data)} bytes given")
        return cls(signature=bytes(data[:4]).decode("latin-1"), data=bytes(data[:length]))

    def encode(self) -> bytes:
        return self.data

    def to_dict(self) -> dict:
        return {"signature": self.signature, "length": len(self.data)}
