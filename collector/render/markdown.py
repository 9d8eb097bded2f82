"""Markdown renderer: a page for the homelab wiki (GitHub-flavoured tables)."""

from __future__ import annotations

from tabulate import tabulate

from collector.render.changes import (
    NO_BASE,
    finding_changes_table,
    object_changes_table,
    persisting_table,
    since_text,
    unknown_note,
)
from collector.render.sections import (
    findings_table,
    gaps_table,
    headline,
    inventory_table,
    layers_table,
    sources_table,
    summary_table,
)
from collector.render.wiki import front_matter, layers_diagram, report_title
from collector.report.build import Report


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _table(table: tuple[list[str], list[list[str]]]) -> str:
    headers, rows = table
    if not rows:
        return "_none_\n"
    escaped = [[_escape(c) for c in row] for row in rows]
    return tabulate(escaped, headers=headers, tablefmt="github") + "\n"


def _changes(report: Report) -> str:
    changes = report.changes
    if changes is None:
        return f"_{NO_BASE[0].upper()}{NO_BASE[1:]}._\n"
    parts = [f"Changes {since_text(changes)}.\n"]
    if note := unknown_note(changes):
        parts.append(f"> {note[0].upper()}{note[1:]}.\n")
    if changes.empty:
        parts.append("_Nothing changed._\n")
    parts += ["### Inventory changes\n", _table(object_changes_table(changes))]
    parts += ["### Finding changes\n", _table(finding_changes_table(changes))]
    parts += ["### Still open\n", _table(persisting_table(changes))]
    return "\n".join(parts)


def render_markdown(report: Report) -> str:
    headers, rows = inventory_table(report, indent="\u00a0\u00a0")
    rows = [[*r[:-1], f"`{r[-1]}`"] for r in rows]  # the id column, last, as code
    parts = [
        front_matter(report),
        f"# {report_title(report)}\n",
        f"Generated {report.generated_at}. **{headline(report)}**\n",
        "## Layers\n",
        layers_diagram(report),
        "## Sources\n",
        _table(sources_table(report)),
        "## Summary\n",
        _table(summary_table(report)),
        "## Findings by layer and rule\n",
        _table(layers_table(report)),
        "## Changes\n",
        _changes(report),
        "## Findings\n",
        _table(findings_table(report)),
        "## Coverage gaps\n",
        _table(gaps_table(report)),
        "## Inventory\n",
        _table((headers, rows)),
    ]
    return "\n".join(parts)
