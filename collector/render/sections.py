"""The report's sections as rows of cells, shared by the table and Markdown renderers."""

from __future__ import annotations

from collector.correlation.inventory import Inventory
from collector.model import Engine, Layer
from collector.report.build import Report
from collector.report.tree import walk
from collector.rules import RULES_BY_ID

Table = tuple[list[str], list[list[str]]]


def headline(report: Report) -> str:
    s = report.summary
    state = "complete" if s.complete else "INCOMPLETE"
    worst = report.worst_severity()
    return (
        f"{s.compliant}/{s.workloads} workloads comply ({s.compliance:.0%}); "
        f"{len(report.findings) - s.waived} findings"
        + (f" (worst: {worst.value})" if worst else "")
        + (f", {s.waived} waived" if s.waived else "")
        + f"; collection {state}"
    )


_LAYER_FORMS = {
    "guest": ("vm", "vm template", "lxc", "lxc template"),
    "engine": ("docker-engine",),
    "container": ("docker-container",),
}


def summary_table(report: Report) -> Table:
    s = report.summary
    rows = []
    for layer, count in s.counts_by_layer.items():
        forms = [
            f"{form} {s.counts_by_form[form]}"
            for form in _LAYER_FORMS.get(layer, ())
            if s.counts_by_form.get(form) and len(_LAYER_FORMS[layer]) > 1
        ]
        rows.append([layer, str(count), ", ".join(forms)])
    rows.append(["workloads complying", f"{s.compliant}/{s.workloads}", f"{s.compliance:.0%}"])
    findings = ", ".join(f"{sev} {n}" for sev, n in s.findings_by_severity.items())
    rows.append(["findings", str(sum(s.findings_by_severity.values())), findings])
    return ["what", "count", "detail"], rows


def gaps_table(report: Report) -> Table:
    """Everything a source could not read, so a reader knows what the checks could not see."""
    rows = [
        [g.subject, g.what, "yes" if g.incomplete else "no", g.reason]
        for source in report.inventory.sources
        for g in source.gaps
    ]
    return ["subject", "what", "makes run incomplete", "reason"], rows


def sources_table(report: Report) -> Table:
    rows = []
    for source in report.inventory.sources:
        problems = [source.error] if source.error else []
        problems += [f"{g.subject}: {g.what}: {g.reason}" for g in source.gaps if g.incomplete]
        coverage = sum(1 for g in source.gaps if not g.incomplete)
        note = "; ".join(problems) or "ok"
        if coverage:
            note += f" ({coverage} coverage gaps)"
        rows.append([source.name, source.kind.value, "yes" if source.complete else "NO", note])
    return ["source", "kind", "complete", "notes"], rows


def findings_table(report: Report) -> Table:
    """Open findings, then waived ones: marked, with the waiver's reason instead of the hint."""
    rows = [
        [
            f"waived ({f.severity.value})" if f.waived else f.severity.value,
            f.rule,
            f.subject,
            f.message,
            f"waived until {f.waiver_expires}: {f.waiver_reason}" if f.waived else f.hint,
        ]
        for f in report.findings
    ]
    return ["severity", "rule", "subject", "message", "hint"], rows


def layers_table(report: Report) -> Table:
    """Findings grouped by layer and rule, with each layer's compliance (objects without an
    open finding)."""
    severities = {f.rule: f.severity.value for f in report.findings}
    rows = []
    for layer in Layer:
        summary = report.summary.layers.get(layer.value)
        if summary is None or not (summary.objects or summary.rules):
            continue
        complying = f"{summary.compliant}/{summary.objects} ({summary.compliance:.0%})"
        rows.append(
            [layer.value, complying, "(all)", "", str(summary.findings), str(summary.waived), ""]
        )
        for rule_id, count in summary.rules.items():
            rule = RULES_BY_ID.get(rule_id)
            rows.append(
                [
                    "",
                    "",
                    rule_id,
                    severities.get(rule_id, ""),
                    str(count.findings),
                    str(count.waived),
                    rule.summary if rule else "",
                ]
            )
    return ["layer", "complying", "rule", "severity", "open", "waived", "what it checks"], rows


def _placement_note(inventory: Inventory, engine: Engine) -> str:
    placement = inventory.placements.get(engine.id)
    if placement is None:
        return ""
    if placement.target:
        return f"on {placement.target} (by {placement.method.value})"
    return "ambiguous" if placement.ambiguous else "unplaced"


def inventory_table(report: Report, indent: str = "  ") -> Table:
    inv = report.inventory
    rows = []
    for row in walk(inv):
        role = inv.roles.get(row.id)
        role_text = f"{role.role.value}: {role.reason}" if role else ""
        if isinstance(row.item, Engine):
            role_text = _placement_note(inv, row.item)
        owner = inv.owners.get(row.id)
        rows.append(
            [
                indent * row.depth + row.name,
                row.form,
                row.state,
                role_text,
                owner.describe() if owner else "-",
                row.id,
            ]
        )
    return ["name", "form", "state", "role (why) / placement", "owner (from)", "id"], rows
