"""Every conformance rule, listed once: each family module's ``RULES``, in report order.

Whole-table rules first, then table by table (FADT, MADT, PPTT, DSDT), then
the x86 ones; each family as declared. The catalogue is complete when this
module is imported: nothing registers itself elsewhere.
"""

from __future__ import annotations

from types import MappingProxyType

from vcpu_hotplug.check import dsdt_rules, fadt_rules, madt_rules, pptt_rules, table_rules, x86_rules
from vcpu_hotplug.check.rule import Rule, RuleFamily

FAMILIES: tuple[RuleFamily, ...] = (table_rules.RULES, fadt_rules.RULES, madt_rules.RULES, pptt_rules.RULES,
                                    dsdt_rules.RULES, x86_rules.RULES)

RULES: tuple[Rule, ...] = tuple(r for family in FAMILIES for r in family)


def _by_id(rules: tuple[Rule, ...]) -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for r in rules:
        if r.id in found:
            raise ValueError(f"rule {r.id} is defined twice")
        found[r.id] = r
    return found


REGISTRY = MappingProxyType(_by_id(RULES))
"""Rule id -> rule."""


def all_rules() -> list[Rule]:
    """Every rule, in report order."""
    return list(RULES)


__all__ = ["FAMILIES", "REGISTRY", "RULES", "all_rules"]
