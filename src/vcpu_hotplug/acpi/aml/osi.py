"""The ``\\_OSI`` method the OS provides (ACPI 6.5 section 5.7.2).

Answers as Linux does (``drivers/acpi/osi.c`` over ACPICA ``utosi.c``):
true for every "Windows 20xx" string ACPICA knows (Linux claims all of
them, so firmware takes its most modern paths), for ACPICA's default feature
"Extended Address Space Descriptor", and for the optional features Linux
enables: "Module Device", "Processor Device", "3.0 _SCP Extensions",
"Processor Aggregator Device". Never for "Linux" or "Darwin".

The ``osi`` argument of the interpreter changes the answers: a mapping
``{string: bool}`` of overrides, or a callable ``(string) -> bool``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

WINDOWS_INTERFACES = (
    "Windows 2000", "Windows 2001", "Windows 2001 SP1", "Windows 2001.1", "Windows 2001 SP2",
    "Windows 2001.1 SP1", "Windows 2006", "Windows 2006.1", "Windows 2006 SP1", "Windows 2006 SP2",
    "Windows 2009", "Windows 2012", "Windows 2013", "Windows 2015", "Windows 2016", "Windows 2017",
    "Windows 2017.2", "Windows 2018", "Windows 2018.2", "Windows 2019", "Windows 2020",
    "Windows 2021", "Windows 2022",
)

FEATURE_INTERFACES = (
    "Extended Address Space Descriptor",
    "Module Device",
    "Processor Device",
    "3.0 _SCP Extensions",
    "Processor Aggregator Device",
)

DEFAULT_INTERFACES = frozenset(WINDOWS_INTERFACES + FEATURE_INTERFACES)

OsiPolicy = Mapping[str, bool] | Callable[[str], bool] | None


def osi_answer(name: str, policy: OsiPolicy = None) -> bool:
    """Whether ``_OSI(name)`` is true under ``policy``."""
    if callable(policy):
        return bool(policy(name))
    if policy is not None and name in policy:
        return bool(policy[name])
    return name in DEFAULT_INTERFACES
