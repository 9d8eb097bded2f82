"""The report: inventory + findings + summary figures, ready for any renderer.

The summary counts objects per layer and form and gives the share of workloads that comply with
the placement rule. A workload complies when it has a decided role and no open placement finding
is about it or about the engine it runs on. ``layers`` gives every layer's compliance with all
rules (``collector.report.compliance``). Waived findings are counted apart and never make a
run fail. A share of nothing is None ("n/a"), never 100%: an empty or refused lab is not a
compliant one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from collector.correlation.inventory import Inventory, form_of
from collector.model import Container, Finding, Severity
from collector.report.compliance import LayerSummary, layer_summaries
from collector.report.diff import Changes
from collector.rules.architecture import RULES as PLACEMENT_RULES

PLACEMENT_RULE_IDS = frozenset(rule.id for rule in PLACEMENT_RULES)


@dataclass(frozen=True, slots=True)
class Summary:
    counts_by_layer: Mapping[str, int]
    counts_by_form: Mapping[str, int]
    workloads: int
    compliant: int
    findings_by_severity: Mapping[str, int]
    """Open findings only: waived ones are counted in ``waived``."""
    complete: bool
    waived: int = 0
    layers: Mapping[str, LayerSummary] = field(default_factory=dict)
    """Per layer: objects judged, how many have no open finding, findings per rule."""

    @property
    def compliance(self) -> float | None:
        """The share of workloads that comply; None when there are none (nothing was judged,
        which is not "all comply")."""
        return self.compliant / self.workloads if self.workloads else None


@dataclass(frozen=True)
class Report:
    generated_at: str
    inventory: Inventory
    findings: tuple[Finding, ...]
    summary: Summary
    changes: Changes | None = None
    """What changed since the previous complete run; set by the CLI from the history (or None)."""

    @property
    def complete(self) -> bool:
        return self.summary.complete

    @property
    def moment(self) -> datetime:
        """When the run happened, in the local time zone (``TZ``). The one clock and zone for
        what a person reads: the report file's name, the page title and its front matter.
        ``generated_at`` (the JSON, the history) stays in UTC."""
        return datetime.fromisoformat(self.generated_at).astimezone()

    def worst_severity(self) -> Severity | None:
        """The worst open finding's severity: a waived finding no longer counts."""
        return max(
            (f.severity for f in self.findings if not f.waived),
            key=lambda s: s.rank,
            default=None,
        )


def _summarise(inventory: Inventory, findings: tuple[Finding, ...]) -> Summary:
    layers: Counter[str] = Counter()
    forms: Counter[str] = Counter()
    layers["cluster"] = len(inventory.clusters)
    for node in inventory.nodes():
        layers["node"] += 1
        forms[form_of(node).value] += 1
    for guest in inventory.guests():
        layers["guest"] += 1
        forms[guest.form.value + (" template" if guest.template else "")] += 1
    for engine in inventory.engines:
        layers["engine"] += 1
        forms[form_of(engine).value] += 1
    for container in inventory.containers():
        layers["container"] += 1
        forms[form_of(container).value] += 1
    for server in inventory.backup_servers:  # counted only when a [[pbs]] source exists
        for item in (server, *server.datastores):
            layers["backup"] += 1
            forms[form_of(item).value] += 1
    flagged = {f.subject for f in findings if f.rule in PLACEMENT_RULE_IDS and not f.waived}
    workloads = list(inventory.workloads())
    compliant = sum(
        1
        for w in workloads
        if w.id not in flagged
        and not (isinstance(w, Container) and f"docker:{w.engine}" in flagged)
    )
    severities = Counter(f.severity.value for f in findings if not f.waived)
    return Summary(
        counts_by_layer=dict(layers),
        counts_by_form=dict(sorted(forms.items())),
        workloads=len(workloads),
        compliant=compliant,
        findings_by_severity={s.value: severities.get(s.value, 0) for s in Severity},
        complete=all(s.complete for s in inventory.sources),
        waived=sum(1 for f in findings if f.waived),
        layers=layer_summaries(inventory, findings),
    )


def build_report(
    inventory: Inventory, findings: list[Finding], *, generated_at: datetime | None = None
) -> Report:
    moment = (generated_at or datetime.now(UTC)).astimezone(UTC)
    frozen = tuple(findings)
    return Report(
        generated_at=moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        inventory=inventory,
        findings=frozen,
        summary=_summarise(inventory, frozen),
    )
