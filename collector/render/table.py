"""Terminal renderer: plain tables (tabulate) that read well in a terminal and in cron mail."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from collector.render.changes import (
    NO_BASE,
    changes_line,
    finding_changes_table,
    object_changes_table,
    persisting_table,
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
from collector.report.build import Report

_COUNTS = frozenset({"count", "open", "waived"})
_WRAP = {
    "message": 60,
    "hint": 45,
    "reason": 70,
    "notes": 70,
    "owner (from)": 40,
    "what it checks": 45,
}


def _wrap(cell: str, width: int | None) -> str:
    if width is None or len(cell) <= width:
        return cell
    return "\n".join(textwrap.wrap(cell, width, break_on_hyphens=False)) or cell


def _section(title: str, table: tuple[list[str], list[list[str]]]) -> str:
    headers, rows = table
    if not rows:
        return f"{title}\n{'=' * len(title)}\n(none)\n"
    # Wide free-text columns wrap so the table stays readable in a terminal or cron mail. Cells
    # are wrapped here, only when too long, because tabulate's own maxcolwidths re-wraps every
    # cell (see docs/performance.md); numbers are never parsed (ids look like numbers).
    widths = [_WRAP.get(h) for h in headers]
    wrapped = [
        [_wrap(str(cell), width) for cell, width in zip(row, widths, strict=False)] for row in rows
    ]
    align = ["right" if h in _COUNTS else "left" for h in headers]
    body = tabulate(
        wrapped, headers=headers, tablefmt="simple", disable_numparse=True, colalign=align
    )
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def _changes(report: Report) -> str:
    changes = report.changes
    head = f"Changes\n{'=' * len('Changes')}\n"
    if changes is None:
        return f"{head}({NO_BASE})\n"
    lines = [changes_line(changes)] + ([note] if (note := unknown_note(changes)) else [])
    return "\n".join(
        [
            head + "\n".join(lines) + "\n",
            _section("Inventory changes", object_changes_table(changes)),
            _section("Finding changes", finding_changes_table(changes)),
            _section("Still open", persisting_table(changes)),
        ]
    )


def render_table(report: Report) -> str:
    parts = [
        f"homelab report {report.generated_at}: {headline(report)}\n",
        _section("Sources", sources_table(report)),
        _section("Summary", summary_table(report)),
        _section("Findings by layer and rule", layers_table(report)),
        _changes(report),
        _section("Findings", findings_table(report)),
        _section("Coverage gaps", gaps_table(report)),
        _section("Inventory", inventory_table(report, indent=". ")),
    ]
    return "\n".join(parts)
