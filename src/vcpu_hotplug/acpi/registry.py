"""Decode any static table by its signature.

``APIC`` -> :class:`~vcpu_hotplug.acpi.madt.Madt`, ``FACP`` -> Fadt,
``PPTT`` -> Pptt, ``GTDT`` -> Gtdt, ``XSDT``/``RSDT`` -> Xsdt/Rsdt, the
RSDP (``RSD PTR ``) -> Rsdp; every other signature (DSDT, SSDT, SRAT, ...)
-> :class:`~vcpu_hotplug.acpi.generic.GenericTable`; the FACS, which has no
SDT header, -> :class:`~vcpu_hotplug.acpi.generic.HeaderlessTable`.
"""

from __future__ import annotations

from typing import Union

from vcpu_hotplug.acpi.fadt import Fadt
from vcpu_hotplug.acpi.generic import HEADERLESS_SIGNATURES, GenericTable, HeaderlessTable
from vcpu_hotplug.acpi.gtdt import Gtdt
from vcpu_hotplug.acpi.madt import Madt
from vcpu_hotplug.acpi.pptt import Pptt
from vcpu_hotplug.acpi.rsdp import RSDP_SIGNATURE, Rsdp
from vcpu_hotplug.acpi.xsdt import Rsdt, Xsdt

AnyTable = Union[Rsdp, Xsdt, Rsdt, Fadt, Madt, Pptt, Gtdt, GenericTable, HeaderlessTable]

DECODERS = {cls.SIGNATURE: cls for cls in (Xsdt, Rsdt, Fadt, Madt, Pptt, Gtdt)}


def decode_table(data: bytes, *, lenient: bool = False) -> AnyTable:
    """Decode one table, choosing the layout by its signature.

    Raises :class:`~vcpu_hotplug.acpi.errors.TableError` on malformed input
    (bad checksum only when not ``lenient``).
    """
    if bytes(data[:len(RSDP_SIGNATURE)]) == RSDP_SIGNATURE:
        return Rsdp.decode(data, lenient=lenient)
    signature = bytes(data[:4]).decode("latin-1")
    if signature in HEADERLESS_SIGNATURES:
        return HeaderlessTable.decode(data, lenient=lenient)
    decoder = DECODERS.get(signature, GenericTable)
    return decoder.decode(data, lenient=lenient)
