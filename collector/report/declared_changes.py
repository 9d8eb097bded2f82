"""Declared systems across runs: what the history keeps of each, and which status changes count.

Part of the comparison in ``collector.report.diff``: a declared system that was found (ok or
mismatch) and is missing now *went missing*; one that was missing and is found again *is back*;
any other change of status is reported as it is. A status of ``unknown`` (a source that could
hold the system was not read completely) is never a change, in either run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

UNKNOWN_STATUS = "unknown"
FOUND_STATUSES = ("ok", "mismatch")


@dataclass(frozen=True, slots=True)
class DeclaredRecord:
    """One declared system's status in a run: ok, missing, mismatch, ambiguous or unknown."""

    subject: str
    name: str
    form: str
    status: str
    found: str | None = None
    """Ids of the running systems it matched, comma-separated."""


@dataclass(frozen=True, slots=True)
class DeclaredChange:
    """A declared system whose status changed: ``went missing``, ``is back``, ``now mismatch``."""

    subject: str
    name: str
    form: str
    before: str
    after: str
    found_before: str | None = None
    found_after: str | None = None

    @property
    def what(self) -> str:
        if self.after == "missing" and self.before in FOUND_STATUSES:
            return "went missing"
        if self.before == "missing" and self.after in FOUND_STATUSES:
            return "is back"
        return f"now {self.after} (was {self.before})"


def declared_changes(
    base: Iterable[DeclaredRecord], current: Iterable[DeclaredRecord]
) -> tuple[DeclaredChange, ...]:
    """Status changes of systems declared in both runs; an unknown status is no change."""
    old = {d.subject: d for d in base}
    changes = []
    for now in current:
        then = old.get(now.subject)
        if then is None or then.status == now.status:
            continue
        if UNKNOWN_STATUS in (then.status, now.status):
            continue
        changes.append(
            DeclaredChange(
                now.subject, now.name, now.form, then.status, now.status, then.found, now.found
            )
        )
    return tuple(changes)
