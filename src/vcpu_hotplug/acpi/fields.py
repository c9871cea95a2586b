"""Field metadata shared by the table dataclasses.

Each wire field of a table dataclass carries the name the ACPI 6.5
specification gives it (``spec``) and whether it reads best in hex, so a
front end can show ``ACPI Processor UID: 1`` without a table of its own.
:func:`to_jsonable` turns any table dataclass into JSON-ready data.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

SPEC = "spec"
HEX = "hex"


def spec_field(spec: str, default: Any = 0, *, hex: bool = False, **kwargs: Any) -> Any:  # noqa: A002
    """A dataclass field with its ACPI specification name and display hint."""
    metadata = {SPEC: spec, HEX: hex}
    if "default_factory" in kwargs:
        return dataclasses.field(metadata=metadata, **kwargs)
    if isinstance(default, (list, dict, bytearray)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata,
                                 **kwargs)
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


_ACRONYMS = frozenset({
    "ACPI", "APIC", "CAP", "CPU", "DCK", "EL1", "EL2", "EXT", "GIC", "HVC", "HW", "ID", "LVL2",
    "PCAT", "PCI", "PSCI", "REG", "RTC", "S0", "S4", "SLP", "SPE", "STS", "SUP", "SW", "TMR", "UP",
    "VAL", "VGIC", "WAK", "WBINVD", "C1", "PWR",
})


def flag_label(name: str) -> str:
    """``ONLINE_CAPABLE`` -> ``Online Capable``, keeping acronyms (``PSCI Use HVC``)."""
    return " ".join(w if w in _ACRONYMS else w.capitalize() for w in name.split("_"))


def flag_names(value: enum.IntFlag) -> list[str]:
    """Names of the members set in ``value`` (``Online Capable``), then unknown bits in hex."""
    names = []
    rest = int(value)
    for member in type(value):
        if member.value and (int(value) & member.value) == member.value and member.name:
            names.append(flag_label(member.name))
            rest &= ~member.value
    if rest:
        names.append(f"{rest:#x}")
    return names


def to_jsonable(value: Any) -> Any:
    """Recursively convert dataclasses, enums and bytes into JSON-ready data.

    Flags become ``{"value": int, "names": [...]}``; bytes become hex strings.
    Fields marked ``repr=False`` are skipped.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        kind = getattr(value, "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        for f in dataclasses.fields(value):
            if f.repr:
                out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    if isinstance(value, enum.IntFlag):
        return {"value": int(value), "names": flag_names(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value
