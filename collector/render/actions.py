"""What needs action: open findings grouped by rule, worst first, each distinct hint once.

Most rules give every subject the same hint (``owner-missing`` has one per layer; a few name the
subject, such as ``docker logs --tail 50 watchtower``), so a rule is split by hint: a reader sees
each piece of advice once, with the subjects it applies to under it. The terminal view and the
Markdown page both render these groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from collector.model import Finding, Severity
from collector.rules import RULES_BY_ID


@dataclass(frozen=True, slots=True)
class HintGroup:
    hint: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class RuleGroup:
    rule: str
    severity: Severity
    hints: tuple[HintGroup, ...]

    @property
    def count(self) -> int:
        return sum(len(h.findings) for h in self.hints)

    @property
    def summary(self) -> str:
        """What the rule checks, from the registry ("" for a rule the registry does not know)."""
        rule = RULES_BY_ID.get(self.rule)
        return rule.summary if rule else ""


def needs_action(findings: Iterable[Finding], min_severity: Severity) -> list[RuleGroup]:
    """Open findings at or above ``min_severity``, grouped; the worst severity first, then the
    rule with the most subjects, then by rule id. Findings keep their order inside a group."""
    groups: dict[tuple[str, Severity], dict[str, list[Finding]]] = {}
    for finding in findings:
        if finding.waived or finding.severity.rank < min_severity.rank:
            continue
        by_hint = groups.setdefault((finding.rule, finding.severity), {})
        by_hint.setdefault(finding.hint, []).append(finding)
    result = [
        RuleGroup(rule, severity, tuple(HintGroup(h, tuple(fs)) for h, fs in by_hint.items()))
        for (rule, severity), by_hint in groups.items()
    ]
    return sorted(result, key=lambda g: (-g.severity.rank, -g.count, g.rule))


def hidden_below(findings: Iterable[Finding], min_severity: Severity) -> int:
    """How many open findings ``min_severity`` leaves out of the view."""
    return sum(1 for f in findings if not f.waived and f.severity.rank < min_severity.rank)
