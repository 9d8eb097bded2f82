"""Terminal renderer: plain tables (tabulate) that read well in a terminal and in cron mail."""

from __future__ import annotations

from tabulate import tabulate

from collector.render.sections import (
    findings_table,
    headline,
    inventory_table,
    sources_table,
    summary_table,
)
from collector.report import Report


def _section(title: str, table: tuple[list[str], list[list[str]]]) -> str:
    headers, rows = table
    body = tabulate(rows, headers=headers, tablefmt="simple") if rows else "(none)"
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def render_table(report: Report) -> str:
    parts = [
        f"homelab report {report.generated_at}: {headline(report)}\n",
        _section("Sources", sources_table(report)),
        _section("Summary", summary_table(report)),
        _section("Findings", findings_table(report)),
        _section("Inventory", inventory_table(report, indent=". ")),
    ]
    return "\n".join(parts)
