"""Markdown renderer: a page for the homelab wiki (GitHub-flavoured tables)."""

from __future__ import annotations

from tabulate import tabulate

from collector.render.sections import (
    findings_table,
    gaps_table,
    headline,
    inventory_table,
    sources_table,
    summary_table,
)
from collector.report import Report


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _table(table: tuple[list[str], list[list[str]]]) -> str:
    headers, rows = table
    if not rows:
        return "_none_\n"
    escaped = [[_escape(c) for c in row] for row in rows]
    return tabulate(escaped, headers=headers, tablefmt="github") + "\n"


def render_markdown(report: Report) -> str:
    headers, rows = inventory_table(report, indent="\u00a0\u00a0")
    rows = [[r[0], r[1], r[2], r[3], f"`{r[4]}`"] for r in rows]
    parts = [
        "# Homelab report\n",
        f"Generated {report.generated_at}. **{headline(report)}**\n",
        "## Sources\n",
        _table(sources_table(report)),
        "## Summary\n",
        _table(summary_table(report)),
        "## Findings\n",
        _table(findings_table(report)),
        "## Coverage gaps\n",
        _table(gaps_table(report)),
        "## Inventory\n",
        _table((headers, rows)),
    ]
    return "\n".join(parts)
