"""The Changes section (this run against the previous complete one) for every renderer.

The tables are shared by the terminal and Markdown renderers; ``changes_line`` is the one-line
summary the CLI and notifications use. The JSON form is ``collector.report.document``'s.
"""

from __future__ import annotations

from collector.render.sections import Table
from collector.report.diff import (
    ChangeKind,
    Changes,
    FieldChange,
    FindingStatus,
    ObjectChange,
)

NO_BASE = "nothing to compare with: no earlier complete run in the history, or history is off"


def _short(value: str | None) -> str:
    if value is None:
        return "(none)"
    if value.startswith("sha256:") and len(value) > 19:
        return value[:19]  # sha256: + 12 hex digits, as `docker images` shows them
    return value


def describe_field(change: FieldChange) -> str:
    return f"{change.field}: {_short(change.before)} → {_short(change.after)}"


def describe(change: ObjectChange) -> str:
    if change.kind is ChangeKind.ADDED:
        return "new"
    if change.kind is ChangeKind.REMOVED:
        return "gone"
    return "; ".join(describe_field(f) for f in change.fields)


def _day(timestamp: str | None) -> str:
    return (timestamp or "")[:10]


def since_text(changes: Changes) -> str:
    run = f"run #{changes.base_run} of " if changes.base_run is not None else ""
    return f"since {run}{changes.base_generated_at}"


def changes_line(changes: Changes | None) -> str:
    """``changes since run #3 of …: 1 added, 1 removed, …; findings: 1 new, 1 resolved, …``."""
    if changes is None:
        return NO_BASE
    counts = changes.counts()
    objects = ", ".join(f"{counts[k.value]} {k.value}" for k in ChangeKind)
    findings = ", ".join(f"{counts[s.value]} {s.value}" for s in FindingStatus)
    return f"changes {since_text(changes)}: {objects}; findings: {findings}"


def unknown_note(changes: Changes) -> str:
    if not changes.unknown_sources:
        return ""
    return (
        "incomplete in this run, so nothing of theirs is reported as removed or resolved: "
        + ", ".join(changes.unknown_sources)
    )


def object_changes_table(changes: Changes) -> Table:
    rows = [[c.kind.value, c.form, c.name, describe(c), c.id] for c in changes.objects]
    return ["change", "form", "name", "what", "id"], rows


def finding_changes_table(changes: Changes) -> Table:
    """New, resolved, gone and newly waived findings, one per row (persisting ones are grouped)."""
    rows = [
        [f.status.value, f.severity, f.rule, f.subject, f.message]
        for f in changes.findings
        if f.status is not FindingStatus.PERSISTING
    ]
    return ["status", "severity", "rule", "subject", "message"], rows


def persisting_table(changes: Changes) -> Table:
    """Findings still open, per rule: how many, and since when the oldest has been reported."""
    groups: dict[tuple[str, str], list[str]] = {}
    for f in changes.findings_of(FindingStatus.PERSISTING):
        groups.setdefault((f.rule, f.severity), []).append(f.first_seen or "")
    rows = [
        [rule, severity, str(len(seen)), _day(min(seen))]
        for (rule, severity), seen in groups.items()
    ]
    return ["rule", "severity", "still open", "oldest since"], rows
