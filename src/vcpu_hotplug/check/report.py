"""Results of a check, in two sections: *conformance* (one result per rule, a summary) and *prediction* (what
the Linux guest model does with the tables, at each kernel version, with its assumptions); text and JSON.

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
    from vcpu_hotplug.check.boot import KernelPrediction


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


class Topic(enum.Enum):
    """What an assumption of the prediction is about."""

    BOOT_POLICY = "boot-policy"
    """Which vCPUs the VMM enables at boot (the tables cannot say: ``--boot-cpus``)."""
    UDEV = "udev"
    """Whether userspace onlines a hot-added CPU (``--no-udev``)."""
    KERNELS = "kernels"
    """Which Linux versions the prediction is made for (``--guest-kernel``)."""


@dataclass
class Assumption:
    """Something the prediction takes for granted that the tables do not say, and whether an option gave it."""

    topic: Topic
    assumed: bool
    """True: the default, not given by the user (the text starts ``assumed:``); False: given by an option."""
    value: Any
    """The boot policy's ``{"boot_cpus": N or None, "enabled_at_boot": [MADT indexes]}``, udev's bool, or the
    kernels' names."""
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic.value, "assumed": self.assumed, "value": self.value, "text": self.text}


SCHEMA_VERSION = 2
"""``check --json``'s layout (docs/check-json-schema.md); 2: conformance and prediction sections."""


@dataclass
class CheckReport:
    """Everything ``check`` found about one set of tables: conformance (rules), findings, prediction."""

    source: str
    arch: str
    tables: list[str]
    results: list[RuleResult]
    """The conformance section: one result per rule."""
    findings: list[str] = field(default_factory=list)
    """Facts worth stating that are no rule's PASS or FAIL (hotplug capability, register block)."""
    predictions: list[KernelPrediction] | None = None
    """The prediction section: what each guest kernel version of the Linux model did with the tables (None: no
    prediction, :attr:`no_prediction` says why)."""
    no_prediction: str | None = None
    skipped_files: list[str] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    """What the prediction takes for granted that the tables do not say, each with whether it was given."""

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    def by_id(self, rule_id: str) -> RuleResult:
        return next(r for r in self.results if r.rule.id == rule_id)

    def with_status(self, status: Status) -> list[str]:
        return [r.rule.id for r in self.results if r.status is status]

    def prediction(self, kernel: str | None = None) -> KernelPrediction:
        """The prediction for ``kernel`` (default: the first, the oldest version)."""
        if not self.predictions:
            raise LookupError(f"no prediction: {self.no_prediction}")
        if kernel is None:
            return self.predictions[0]
        return next(p for p in self.predictions if p.kernel == kernel)

    def assumption(self, topic: Topic) -> Assumption:
        return next(a for a in self.assumptions if a.topic is topic)

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
        """The ``check --json`` document (docs/check-json-schema.md)."""
        prediction = {"made": self.predictions is not None, "reason": self.no_prediction,
                      "kernels": [p.to_dict() for p in self.predictions or []]}
        return {"schema_version": SCHEMA_VERSION, "source": self.source, "arch": self.arch,
                "tables": list(self.tables), "skipped_files": list(self.skipped_files),
                "conformance": {"results": [r.to_dict() for r in self.results],
                                "summary": {s.value: self.count(s) for s in Status}, "ok": self.ok},
                "findings": list(self.findings),
                "assumptions": [a.to_dict() for a in self.assumptions],
                "prediction": prediction, "ok": self.ok}

    def lines(self) -> list[str]:
        """The report as text: what was read, the conformance section (a line per rule, the summary), the
        findings, the prediction section (its assumptions, then each kernel version)."""
        out = [f"checking {self.source}: {', '.join(self.tables)} ({self.arch})"]
        if self.skipped_files:
            out.append(f"not tables, skipped: {', '.join(self.skipped_files)}")
        out += ["", CONFORMANCE_HEADING]
        out += [r.line() for r in self.results]
        out.append(self.summary())
        out += ["", FINDINGS_HEADING]
        out += [f"finding: {f}" for f in self.findings]
        out += ["", PREDICTION_HEADING]
        if self.predictions is None:
            out.append(f"no prediction: {self.no_prediction}")
        else:
            out += [a.text for a in self.assumptions]
            shown: list[KernelPrediction] = []
            for p in self.predictions:
                out.append("")
                same = next((q for q in shown if q.same_as(p)), None)
                if same is None:
                    out += p.lines()
                    shown.append(p)
                else:
                    out += p.lines(same_as=same.kernel)
        out += ["", f"conformance: {self.summary()}"]
        return out


CONFORMANCE_HEADING = "== conformance: the rules of ACPI 6.5, cpu-hotplug.rst and Linux, each with its source and fix =="
FINDINGS_HEADING = "== findings: what the tables describe =="
PREDICTION_HEADING = ("== prediction: what Linux does with these tables (the guest model follows the kernel source, "
                      "not the specifications; no rule result changes it) ==")
