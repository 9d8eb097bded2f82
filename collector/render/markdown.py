"""Markdown renderer: a page for the homelab wiki (CommonMark + GFM tables) that renders as written.

Order: front matter, title and headline, a Mermaid diagram of the layers, sources (with coverage
gaps), summary and compliance by layer, changes, the findings grouped by rule (worst first, each
hint once, then its subjects), waived findings, backups (per guest, and the backup servers'
datastores and jobs), declared vs running, and the inventory as a tree. Long parts fold in
``<details>``. Every piece of lab and rule text passes through ``collector.render.mdtext``, so a
name, label or hint can neither inject HTML or Markdown nor blow the page up.
"""

from __future__ import annotations

from collector.render import mdtext
from collector.render.actions import RuleGroup, hidden_below, needs_action
from collector.render.changes import (
    NO_BASE,
    finding_changes_table,
    object_changes_table,
    persisting_table,
    since_text,
    unknown_note,
)
from collector.render.declared import (
    declared_change_lines,
    declared_summary,
    declared_table,
    undeclared_table,
)
from collector.render.sections import (
    Table,
    backup_servers_table,
    backups_table,
    gaps_table,
    headline,
    inventory_table,
    layers_table,
    report_time,
    sources_table,
    summary_table,
)
from collector.render.view import View
from collector.render.wiki import front_matter, layers_diagram, report_title
from collector.report.build import Report

FOLD_ROWS = 12
"""A table with more rows than this folds in ``<details>`` (its summary says how many)."""
_CODE_COLUMNS = frozenset({"id", "subject", "guest", "object"})


def _cell(header: str, value: str, ready: frozenset[str]) -> str:
    if header in ready:
        return value
    return mdtext.code(value) if header in _CODE_COLUMNS else mdtext.text(value)


def _cells(table: Table, ready: frozenset[str] = frozenset()) -> str:
    """A pipe table of escaped cells; columns named in ``ready`` are Markdown already."""
    headers, rows = table
    cells = [[_cell(h, c, ready) for h, c in zip(headers, row, strict=True)] for row in rows]
    return mdtext.table([mdtext.text(h) for h in headers], cells)


def _table(table: Table, what: str = "rows") -> str:
    """The table, folded when long; ``what`` names its rows in the fold's summary."""
    rows = table[1]
    if not rows:
        return "_None._\n"
    if len(rows) > FOLD_ROWS:
        return mdtext.details(f"{len(rows)} {what}", _cells(table))
    return _cells(table)


def _changes(report: Report) -> str:
    changes = report.changes
    if changes is None:
        return f"_{mdtext.text(NO_BASE[0].upper() + NO_BASE[1:])}._\n"
    parts = [f"Changes {mdtext.text(since_text(changes))}.\n"]
    if note := unknown_note(changes):
        parts.append(f"> {mdtext.text(note[0].upper() + note[1:])}.\n")
    if changes.empty:
        parts.append("_Nothing changed._\n")
    parts += ["### Inventory changes\n", _table(object_changes_table(changes), "changes")]
    parts += ["### Finding changes\n", _table(finding_changes_table(changes), "findings")]
    parts += ["### Still open\n", _table(persisting_table(changes), "rules")]
    if lines := declared_change_lines(changes):
        parts += ["### Declared systems changed\n", "".join(f"- {mdtext.text(x)}\n" for x in lines)]
    return "\n".join(parts)


def _declared(report: Report) -> str:
    """Each declared system with its status and where it runs; then the undeclared."""
    parts = [f"{mdtext.text(declared_summary(report), 1000)}\n"]
    if report.inventory.declared is not None:
        parts.append(_table(declared_table(report), "declared systems"))
        parts += ["### Undeclared\n", "Running workloads no declared system covers.\n"]
        parts.append(_table(undeclared_table(report), "workloads"))
    return "\n".join(parts)


def _group(group: RuleGroup) -> str:
    title = f"{group.severity.value}: {group.rule} ({group.count})"
    parts = [f"### {mdtext.text(title)}\n"]
    if group.summary:
        parts.append(f"_{mdtext.text(group.summary[0].upper() + group.summary[1:])}._\n")
    for hint in group.hints:
        parts.append(f"**Fix:** {mdtext.text(hint.hint, limit=1000)}\n")
        rows = [[f.subject, f.message] for f in hint.findings]
        parts.append(_table((["subject", "message"], rows), "subjects"))
    return "\n".join(parts)


def _findings(report: Report, view: View) -> str:
    groups = needs_action(report.findings, view.min_severity)
    parts = []
    if groups:
        count = sum(g.count for g in groups)
        parts.append(
            f"{count} open findings in {len(groups)} rules, worst first; each fix once, "
            "then what it applies to.\n"
        )
    else:
        parts.append("_No open finding._\n")
    if hidden := hidden_below(report.findings, view.min_severity):
        parts.append(f"_{hidden} findings below {view.min_severity.value} are not shown._\n")
    parts += [_group(group) for group in groups]
    waived = [
        [f.subject, f.rule, f.severity.value, f.waiver_expires or "", f.waiver_reason or ""]
        for f in report.findings
        if f.waived
    ]
    if waived:
        parts.append("### Waived\n")
        parts.append(_table((["subject", "rule", "severity", "until", "reason"], waived)))
    return "\n".join(parts)


def _inventory(report: Report) -> str:
    # No-break spaces keep the tree's indentation (HTML collapses ordinary ones), written as
    # entities: renderers trim whitespace, a no-break space included, at the start of a cell.
    headers, rows = inventory_table(report, space="&nbsp;", name=mdtext.text)
    if not rows:
        return "_Nothing collected._\n"
    table = _cells((headers, rows), ready=frozenset({"name"}))
    return mdtext.details(f"{len(rows)} objects, as a tree", table)


def render_markdown(report: Report, view: View | None = None) -> str:
    view = view or View()
    generated = f"{report_time(report)} ({report.generated_at})"
    parts = [
        front_matter(report),
        f"# {mdtext.text(report_title(report))}\n",
        f"Generated {mdtext.text(generated)}. **{mdtext.text(headline(report), 1000)}**\n",
        "## Layers\n",
        layers_diagram(report),
        "## Sources\n",
        _table(sources_table(report), "sources"),
        "### Coverage gaps\n",
        _table(gaps_table(report), "gaps"),
        "## Summary\n",
        _table(summary_table(report)),
        "### Findings by layer and rule\n",
        _table(layers_table(report)),
        "## Changes\n",
        _changes(report),
        "## Findings\n",
        _findings(report, view),
        "## Backups\n",
        _table(backups_table(report), "guests"),
        *(
            ["### Backup servers\n", _table(backup_servers_table(report), "datastores and jobs")]
            if report.inventory.backup_servers
            else []
        ),
        "## Declared vs running\n",
        _declared(report),
        "## Inventory\n",
        _inventory(report),
    ]
    return "\n".join(parts)
