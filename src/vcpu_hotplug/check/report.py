"""Results of a check: one result per rule, the boot prediction, a summary, JSON.

Statuses: ``PASS`` (the rule holds), ``WARN`` (a WARN-severity rule is
violated), ``FAIL`` (a FAIL-severity rule is violated), ``SKIP`` (the
tables have nothing the rule is about, e.g. an arm64 rule on x86 tables).
The exit status of ``vcpu-hotplug check`` is 0 only when nothing FAILs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vcpu_hotplug.check.rule import Rule, Severity

if TYPE_CHECKING:
    from vcpu_hotplug.check.boot import BootPrediction


class Status(enum.Enum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass
class RuleResult:
    """One rule's result: status, a one-line reason, and every problem found."""

    rule: Rule
    status: Status
    reason: str
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.status.value:4}  {self.rule.id}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.rule.id, "status": self.status.value, "severity": self.rule.severity.value,
                "reason": self.reason, "problems": list(self.problems), "text": self.rule.text,
                "source": self.rule.source}


def result_of(rule: Rule, problems: list[str] | None, note: str) -> RuleResult:
    """The result for a rule whose check found ``problems`` (None: not applicable)."""
    if problems is None:
        return RuleResult(rule, Status.SKIP, note)
    if not problems:
        return RuleResult(rule, Status.PASS, note or rule.text)
    status = Status.FAIL if rule.severity is Severity.FAIL else Status.WARN
    reason = problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more)"
    return RuleResult(rule, status, reason, list(problems))


@dataclass
class CheckReport:
    """Everything ``check`` found about one set of tables."""

    source: str
    arch: str
    tables: list[str]
    results: list[RuleResult]
    findings: list[str] = field(default_factory=list)
    """Facts worth stating that are no rule's PASS or FAIL (hotplug capability, register block)."""
    boot: BootPrediction | None = None
    """What the Linux guest model did on the tables (None: not booted, or not arm64)."""
    skipped_files: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    """What the prediction takes for granted that the tables do not say (the VMM's boot policy), one sentence
    each, printed as is (``assumed: only MADT-Enabled CPUs are enabled at boot ...``)."""

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    def by_id(self, rule_id: str) -> RuleResult:
        return next(r for r in self.results if r.rule.id == rule_id)

    def with_status(self, status: Status) -> list[str]:
        return [r.rule.id for r in self.results if r.status is status]

    @property
    def ok(self) -> bool:
        return self.count(Status.FAIL) == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s.value}" for s in Status)
        verdict = "no rule FAILs" if self.ok else f"{self.count(Status.FAIL)} rule(s) FAIL"
        return f"{len(self.results)} rules: {counts}; {verdict}"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "arch": self.arch, "tables": list(self.tables),
                "skipped_files": list(self.skipped_files),
                "results": [r.to_dict() for r in self.results], "findings": list(self.findings),
                "assumptions": list(self.assumptions),
                "boot": self.boot.to_dict() if self.boot is not None else None,
                "summary": {s.value: self.count(s) for s in Status}, "ok": self.ok}

    def lines(self) -> list[str]:
        """The report as text: what was read, one line per rule, findings, the boot, the summary."""
        out = [f"checking {self.source}: {', '.join(self.tables)} ({self.arch})"]
        if self.skipped_files:
            out.append(f"not tables, skipped: {', '.join(self.skipped_files)}")
        out.append("")
        out += [r.line() for r in self.results]
        out.append("")
        out += [f"finding: {f}" for f in self.findings]
        out += list(self.assumptions)
        if self.boot is not None:
            out.append("")
            out += self.boot.lines()
        out.append("")
        out.append(self.summary())
        return out
