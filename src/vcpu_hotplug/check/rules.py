"""Rules: data (id, severity, source, text, architecture) plus one small check function each.

A rule module (``madt_rules.py``, ``pptt_rules.py``, ...) adds a rule with::

    @rule("madt.uid-unique", Severity.FAIL,
          source="ACPI 6.5 section 5.2.12.14 (ACPI Processor UID)",
          text="Every GICC has its own ACPI Processor UID.")
    def _uid_unique(ctx: CheckContext) -> Outcome:
        dups = ...
        return fail(*(f"UID {u} is used twice: give each GICC its own UID" for u in dups)) \\
            if dups else ok("6 UIDs, all different")

A check returns :func:`ok` (with what it saw), :func:`fail` (one sentence per
problem, saying what to fix) or raises :class:`NotApplicable` (the tables
have nothing the rule is about). ``Severity`` says what a violation is:
``FAIL`` (Linux will misbehave or the spec is broken) or ``WARN`` (legal but
probably not what the VMM meant).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vcpu_hotplug.guest.cpumask import format_range_list

if TYPE_CHECKING:
    from vcpu_hotplug.check.context import CheckContext


class Severity(enum.Enum):
    """What a violated rule reports."""

    FAIL = "FAIL"
    WARN = "WARN"


class Arch(enum.Enum):
    """Which machines a rule applies to (the checker decides from the MADT)."""

    ARM64 = "arm64"
    X86 = "x86"
    ANY = "any"


@dataclass
class Outcome:
    """What a check found: no problems (with a note on what was seen) or problems."""

    problems: list[str] = field(default_factory=list)
    note: str = ""


def ok(note: str = "") -> Outcome:
    return Outcome([], note)


def fail(*problems: str) -> Outcome:
    return Outcome(list(problems))


def outcome(problems: list[str], note: str) -> Outcome:
    """:func:`fail` with ``problems`` when there are any, else :func:`ok` with ``note``."""
    return Outcome(list(problems), "" if problems else note)


def bit(flag: int) -> int:
    """The bit number of a one-bit flag, for messages (``bit(GiccFlags.ONLINE_CAPABLE)`` is 3)."""
    return int(flag).bit_length() - 1


def cpu_list(values) -> str:
    """Numbers as Linux prints CPU masks: ``0-3,5`` (``bitmap_print_to_pagebuf``); ``none`` if empty."""
    return format_range_list(values) or "none"


class NotApplicable(Exception):
    """The tables have nothing this rule is about; the message says why."""


Check = Callable[["CheckContext"], Outcome]


@dataclass(frozen=True)
class Rule:
    """One conformance rule."""

    id: str
    severity: Severity
    source: str
    text: str
    check: Check
    arch: Arch = Arch.ARM64

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, *, source: str, text: str,
         arch: Arch = Arch.ARM64) -> Callable[[Check], Check]:
    """Register the decorated check function as a rule."""
    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} is defined twice")
        REGISTRY[rule_id] = Rule(rule_id, severity, source, text, check, arch)
        return check
    return register


FAMILY_ORDER = ("tables", "fadt", "madt", "pptt", "dsdt", "x86")
"""How a report lists the rules: whole-table rules first, then table by table."""


def all_rules() -> list[Rule]:
    """Every rule, in family order (tables, FADT, MADT, PPTT, DSDT, x86), each family as declared."""
    from vcpu_hotplug.check import (  # noqa: F401 - importing registers the rules
        dsdt_rules,
        fadt_rules,
        madt_rules,
        pptt_rules,
        table_rules,
        x86_rules,
    )
    rank = {family: i for i, family in enumerate(FAMILY_ORDER)}
    return sorted(REGISTRY.values(), key=lambda r: rank.get(r.family, len(rank)))
