"""The terminal view's full sections, shown on request: ``--details`` and ``--inventory``.

Each is a titled tabulate table fitted to the view's width (``collector.render.fit``): sources,
summary, findings by layer and rule, the changes in full, every finding (waived ones with their
reason), the coverage gaps, the backups per guest and the backup servers, declared vs running;
and the inventory as a tree.
"""

from __future__ import annotations

from collector.render.changes import (
    NO_BASE,
    changes_line,
    finding_changes_table,
    object_changes_table,
    persisting_table,
    unknown_note,
)
from collector.render.declared import (
    declared_change_lines,
    declared_summary,
    declared_table,
    undeclared_table,
)
from collector.render.fit import fit_table, wrap
from collector.render.sections import (
    Table,
    backup_servers_table,
    backups_table,
    findings_table,
    gaps_table,
    inventory_table,
    layers_table,
    sources_table,
    summary_table,
)
from collector.render.view import View
from collector.report.build import Report
from collector.report.diff import Changes

_COUNTS = frozenset({"count", "open", "waived", "still open"})
_SEVERITY_COLUMNS = ("severity",)


def fitted(
    table: Table,
    view: View,
    *,
    right: frozenset[str] = _COUNTS,
    one_line: frozenset[str] = frozenset(),
    floors: dict[str, int] | None = None,
) -> str:
    headers, rows = table
    styles = {h: view.severity_style for h in _SEVERITY_COLUMNS if h in headers}
    return fit_table(
        headers, rows, view.columns, right=right, one_line=one_line, floors=floors, styles=styles
    )


def _section(title: str, table: Table, view: View) -> str:
    body = fitted(table, view) if table[1] else "(none)"
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def _changes(report: Report, view: View) -> str:
    changes = report.changes
    head = "Changes\n=======\n"
    if changes is None:
        return head + "\n".join(wrap(f"({NO_BASE})", view.columns)) + "\n"
    lines = wrap(changes_line(changes), view.columns, hang="  ")
    if note := unknown_note(changes):
        lines += wrap(note, view.columns, hang="  ")
    return "\n".join(
        [
            head + "\n".join(lines) + "\n",
            _section("Inventory changes", object_changes_table(changes), view),
            _section("Finding changes", finding_changes_table(changes), view),
            _section("Still open", persisting_table(changes), view),
            *_declared_changes(changes, view),
        ]
    )


def _declared_changes(changes: Changes, view: View) -> list[str]:
    """Only when a declared system changed status: most labs declare nothing."""
    lines = [
        x for line in declared_change_lines(changes) for x in wrap(line, view.columns, hang="  ")
    ]
    if not lines:
        return []
    title = "Declared systems changed"
    return [f"{title}\n{'=' * len(title)}\n" + "\n".join(lines) + "\n"]


def declared_section(report: Report, view: View) -> str:
    """Declared vs running in full: every declared system, then the undeclared workloads."""
    title = "Declared vs running"
    head = (
        f"{title}\n{'=' * len(title)}\n"
        + "\n".join(wrap(declared_summary(report), view.columns, hang="  "))
        + "\n"
    )
    if report.inventory.declared is None:
        return head
    table = declared_table(report)
    # An id is what a waiver names: keep the longest whole when there is room for it.
    ids = [i for row in table[1] for i in row[4].split(", ")]
    origins = [row[-1] for row in table[1]]
    floors = {
        "found": min(max(map(len, ids), default=0), view.columns // 4),
        "declared in": min(max(map(len, origins), default=0), view.columns // 6),
    }
    body = fitted(table, view, floors=floors) if table[1] else "(none)"
    systems = f"Declared systems\n================\n{body}\n"
    undeclared = _section(
        "Undeclared (running, no declared system covers it)", undeclared_table(report), view
    )
    return "\n".join([head, systems, undeclared])


def details_sections(report: Report, view: View) -> str:
    headers, rows = findings_table(report)
    shown = [row for row, f in zip(rows, report.findings, strict=True) if view.shows(f)]
    return "\n".join(
        [
            _section("Sources", sources_table(report), view),
            _section("Summary", summary_table(report), view),
            _section("Findings by layer and rule", layers_table(report), view),
            _changes(report, view),
            _section("Findings", (headers, shown), view),
            _section("Coverage gaps", gaps_table(report), view),
            _section("Backups", backups_table(report), view),
            *(
                [_section("Backup servers", backup_servers_table(report), view)]
                if report.inventory.backup_servers
                else []
            ),
            declared_section(report, view),
        ]
    )


def inventory_section(report: Report, view: View) -> str:
    headers, rows = inventory_table(report)
    # The tree column keeps its shape; the free-text columns wrap to make room for it.
    widest = max((len(row[0]) for row in rows), default=0)
    floors = {"name": min(widest, view.columns // 3)}
    title = "Inventory"
    body = fitted((headers, rows), view, one_line=frozenset({"name"}), floors=floors)
    return f"{title}\n{'=' * len(title)}\n{body if rows else '(none)'}\n"
