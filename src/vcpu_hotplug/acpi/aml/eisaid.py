"""Device identification helpers: EISA ids and ``_HID``/``_CID`` values (ACPI 6.5 section 6.1.5).

A ``_HID`` is either a string (an ACPI id ``"ACPI0007"``: four upper-case
letters or digits and four hex digits, or a PNP id ``"PNP0A06"`` as a string)
or an integer, the compressed EISA id that ASL's ``EisaId("PNP0A06")`` makes
(section 19.6.35): the three letters, 5 bits each (``'A'`` is 1), then the
four hex digits, stored big-endian in a 32-bit integer.
"""

from __future__ import annotations

import re

from vcpu_hotplug.acpi.aml.tree import Integer, Node, String
from vcpu_hotplug.acpi.errors import AmlError

_EISA_ID = re.compile(r"^[A-Z]{3}[0-9A-F]{4}$")
_ACPI_ID = re.compile(r"^[A-Z0-9]{4}[0-9A-F]{4}$")
_LETTER_BITS = 5
_LETTER_BASE = ord("A") - 1
_LETTER_MASK = (1 << _LETTER_BITS) - 1
_PRODUCT_BITS = 16
_PRODUCT_MASK = (1 << _PRODUCT_BITS) - 1
_EISA_ID_SIZE = 4
_EISA_ID_MASK = (1 << (8 * _EISA_ID_SIZE)) - 1


def eisa_id(text: str) -> int:
    """The integer value of ASL ``EisaId(text)`` (``"PNP0A06"`` -> ``0x060AD041``)."""
    if not isinstance(text, str) or not _EISA_ID.match(text):
        raise AmlError(f"EisaId {text!r} must be 3 upper-case letters and 4 upper-case hex digits")
    compressed = 0
    for letter in text[:3]:
        compressed = (compressed << _LETTER_BITS) | (ord(letter) - _LETTER_BASE)
    compressed = (compressed << _PRODUCT_BITS) | int(text[3:], 16)
    return int.from_bytes(compressed.to_bytes(_EISA_ID_SIZE, "big"), "little")


def eisa_id_text(value: int) -> str:
    """The inverse of :func:`eisa_id` (``0x060AD041`` -> ``"PNP0A06"``)."""
    compressed = int.from_bytes((value & _EISA_ID_MASK).to_bytes(_EISA_ID_SIZE, "little"), "big")
    letters = "".join(chr(((compressed >> shift) & _LETTER_MASK) + _LETTER_BASE)
                      for shift in (_PRODUCT_BITS + 2 * _LETTER_BITS, _PRODUCT_BITS + _LETTER_BITS,
                                    _PRODUCT_BITS))
    return f"{letters}{compressed & _PRODUCT_MASK:04X}"


def EisaId(text: str) -> Node:  # noqa: N802 - ASL name
    """ASL ``EisaId("PNP0A06")`` as a term: an integer, encoded like any other (as iasl does)."""
    return Integer(0, 0, eisa_id(text), None)


def hardware_id(text: str) -> Node:
    """A ``_HID``/``_CID`` value: ``"ACPI0007"`` stays a string, a 7-character PNP id becomes an EisaId."""
    if isinstance(text, str) and _EISA_ID.match(text):
        return EisaId(text)
    if isinstance(text, str) and _ACPI_ID.match(text):
        return String(0, 0, text)
    raise AmlError(f"hardware id {text!r} is neither an ACPI id (like 'ACPI0007') "
                   "nor an EISA id (like 'PNP0A06')")
