"""Renderers for ``collect history`` (the stored runs) and ``collect diff`` (two runs compared)."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum

from tabulate import tabulate

from collector.history.timeline import RunInfo
from collector.render.changes import (
    changes_line,
    finding_changes_table,
    object_changes_table,
    persisting_table,
    unknown_note,
)
from collector.render.declared import declared_change_lines
from collector.render.sections import Table
from collector.report.diff import Changes
from collector.report.document import changes_document
from collector.text import clean


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _sources(run: RunInfo) -> str:
    return ", ".join(s.name if s.complete else f"{s.name} (FAILED)" for s in run.sources)


def _findings(run: RunInfo) -> str:
    counts = run.findings_by_severity
    return f"{counts.get('error', 0)}/{counts.get('warning', 0)}/{counts.get('info', 0)}"


def render_runs(runs: list[RunInfo], fmt: ListFormat) -> str:
    if fmt is ListFormat.JSON:
        return json.dumps({"runs": [asdict(r) for r in runs]}, indent=2, sort_keys=True) + "\n"
    if not runs:
        return "no runs stored yet\n"
    rows = [
        [
            f"#{r.id}",
            r.generated_at,
            "yes" if r.complete else "NO",
            _sources(r),
            f"{r.compliant}/{r.workloads}",
            _findings(r),
            r.report_path or "",
        ]
        for r in runs
    ]
    headers = ["run", "time", "complete", "sources", "comply", "err/warn/info", "report"]
    return tabulate(rows, headers=headers, tablefmt="simple") + "\n"


def _section(title: str, table: Table) -> str:
    headers, rows = table
    cells = [[clean(cell) for cell in row] for row in rows]  # names come from the lab
    body = tabulate(cells, headers=headers, tablefmt="simple") if rows else "(none)"
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def render_diff(changes: Changes, newer: int, fmt: ListFormat) -> str:
    """``changes`` of run ``newer`` against ``changes.base_run``."""
    if fmt is ListFormat.JSON:
        doc = {"run": newer, **(changes_document(changes) or {})}
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    lines = [f"run #{newer}: {changes_line(changes)}"]
    if note := unknown_note(changes):
        lines.append(note)
    return "\n".join(
        [
            "\n".join(lines) + "\n",
            _section("Inventory changes", object_changes_table(changes)),
            _section("Finding changes", finding_changes_table(changes)),
            _section("Still open", persisting_table(changes)),
            *(f"{line}\n" for line in declared_change_lines(changes)),
        ]
    )
