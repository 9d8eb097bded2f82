"""Compliance per layer: how many objects of each layer have no open finding, and which rules fired.

An object complies when no unwaived finding names it. Templates are not judged by any rule, so
they are not counted. Findings whose subject is no object (an expired waiver's glob) are counted
under their layer and rule but change no object's compliance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from collector.correlation.inventory import Inventory, layer_of
from collector.model import Finding, Layer


@dataclass(frozen=True, slots=True)
class RuleCount:
    findings: int = 0
    """Open (unwaived) findings."""
    waived: int = 0


@dataclass(frozen=True, slots=True)
class LayerSummary:
    objects: int
    compliant: int
    findings: int
    waived: int
    rules: Mapping[str, RuleCount] = field(default_factory=dict)

    @property
    def compliance(self) -> float | None:
        """None for a layer with no objects: nothing was judged."""
        return self.compliant / self.objects if self.objects else None


def judged_ids(inventory: Inventory) -> dict[Layer, list[str]]:
    """Ids of the objects rules judge, per layer (every layer present, possibly empty)."""
    ids: dict[Layer, list[str]] = {layer: [] for layer in Layer}
    for item in inventory.by_id.values():
        if getattr(item, "template", False):
            continue
        ids[layer_of(item)].append(item.id)
    return ids


def layer_summaries(inventory: Inventory, findings: Iterable[Finding]) -> dict[str, LayerSummary]:
    findings = list(findings)
    flagged = {f.subject for f in findings if not f.waived}
    counts: dict[Layer, Counter[tuple[str, bool]]] = {layer: Counter() for layer in Layer}
    for finding in findings:
        counts[finding.layer][(finding.rule, finding.waived)] += 1
    out: dict[str, LayerSummary] = {}
    for layer, ids in judged_ids(inventory).items():
        tally = counts[layer]
        if layer is Layer.BACKUP and not ids and not tally:
            continue  # no backup server is read: the report stays as it was without one
        rules = sorted({rule for rule, _ in tally})
        out[layer.value] = LayerSummary(
            objects=len(ids),
            compliant=sum(1 for i in ids if i not in flagged),
            findings=sum(n for (_, waived), n in tally.items() if not waived),
            waived=sum(n for (_, waived), n in tally.items() if waived),
            rules={r: RuleCount(tally[(r, False)], tally[(r, True)]) for r in rules},
        )
    return out
