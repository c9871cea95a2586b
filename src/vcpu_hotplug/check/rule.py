"""What a rule is: data (id, severity, source, text, architecture) plus one small check function.

The leaf of the checker: it imports no other checker module. Each family
module (``madt_rules.py``, ``pptt_rules.py``, ...) holds its rules in a
:class:`RuleFamily` it exports as ``RULES``, and declares each rule with::

    RULES = RuleFamily("madt")

    @RULES.rule("madt.uid-unique", Severity.FAIL,
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
probably not what the VMM meant). :mod:`.catalog` lists every family.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vcpu_hotplug.guest.cpumask import format_range_list


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


Check = Callable[[Any], Outcome]
"""A rule's check: takes the :class:`~vcpu_hotplug.check.context.CheckContext` (typed ``Any`` so that this
leaf imports no other module of the checker, not even for type hints)."""


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


class RuleFamily:
    """The rules of one family (``madt``, ``dsdt``, ...), in the order they are declared: a module's ``RULES``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._rules: list[Rule] = []

    def rule(self, rule_id: str, severity: Severity, *, source: str, text: str,
             arch: Arch = Arch.ARM64) -> Callable[[Check], Check]:
        """Declare the decorated check function as a rule of this family."""
        if rule_id.split(".", 1)[0] != self.name:
            raise ValueError(f"rule {rule_id} is not of the {self.name} family")

        def declare(check: Check) -> Check:
            if any(r.id == rule_id for r in self._rules):
                raise ValueError(f"rule {rule_id} is defined twice")
            self._rules.append(Rule(rule_id, severity, source, text, check, arch))
            return check
        return declare

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)
