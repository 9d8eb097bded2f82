"""The "Declared vs running" section, and its part of the Changes section, for every renderer.

Rows of cells shared by the terminal and Markdown renderers; the JSON form is
``collector.report.document``'s ``declared`` key. Declared systems are listed in the order
they are written (so the section reads alongside the page), each with its status and where it
was found; the running workloads no declaration covers follow in their own table.
"""

from __future__ import annotations

from collections import Counter

from collector.correlation.declared import Status, SystemMatch
from collector.render.changes import since_text
from collector.render.sections import Table
from collector.report.build import Report
from collector.report.diff import Changes

NOT_DECLARED = (
    "nothing declared: name the architecture page ([architecture] page = ...) or add "
    "[[systems]] entries to compare the lab with what should run (docs/rules.md)"
)


def declared_summary(report: Report) -> str:
    """``30 declared: 25 ok, 1 missing, 3 mismatch, 1 ambiguous; 5 running workload(s)
    undeclared``."""
    declared = report.inventory.declared
    if declared is None:
        return NOT_DECLARED
    counts = Counter(match.status for match in declared.matches)
    parts = ", ".join(f"{counts[status]} {status.value}" for status in Status if counts[status])
    listed = f"{len(declared.matches)} declared" + (f": {parts}" if parts else "")
    return f"{listed}; {len(declared.undeclared)} running workload(s) undeclared"


def declared_differs(match: SystemMatch) -> str:
    """What differs between the declaration and what runs (or why nothing was found)."""
    if not match.mismatches:
        return match.detail
    return "; ".join(f"{m.kind.value}: {m.declared} → {m.found}" for m in match.mismatches)


def _backup(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def declared_table(report: Report) -> Table:
    declared = report.inventory.declared
    rows = []
    for match in declared.matches if declared is not None else ():
        system = match.system
        rows.append(
            [
                system.name,
                system.form.value,
                system.host or "-",
                match.status.value,
                ", ".join(r.id for r in match.found) or "-",
                ", ".join(dict.fromkeys(r.where for r in match.found)) or "-",
                declared_differs(match),
                _backup(system.backup),
                system.origin,
            ]
        )
    headers = ["system", "form", "host", "status", "found", "runs on", "what differs"]
    return [*headers, "backup", "declared in"], rows


def undeclared_table(report: Report) -> Table:
    declared = report.inventory.declared
    rows = [
        [r.name, r.form.value, r.where, r.id]
        for r in (declared.undeclared if declared is not None else ())
    ]
    return ["name", "form", "runs on", "id"], rows


def declared_change_lines(changes: Changes | None) -> list[str]:
    """``declared system gitea (compose) went missing since run #3 of …: was …``, one line per
    declared system whose status changed (the Changes section, ``collect diff``, notifications).
    """
    if changes is None:
        return []
    lines = []
    for d in changes.declared:
        where = ""
        if d.what == "went missing" and d.found_before:
            where = f": it was {d.found_before}"
        elif d.found_after:
            where = f": found as {d.found_after}"
        lines.append(f"declared system {d.name} ({d.form}) {d.what} {since_text(changes)}{where}")
    return lines
