"""Retention: which stored runs to delete. Pure, so the rules are easy to test and to read.

A run is deleted when it is beyond the newest ``keep_runs`` runs, or older than ``keep_days``
days (each limit applies only when set). Never deleted, whatever the limits: the newest run, the
newest complete run (the next report's comparison base) and every run in ``protect`` (the run the
current report compares to).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RunAge:
    id: int
    generated_at: datetime
    complete: bool


def runs_to_prune(
    runs: Sequence[RunAge],
    *,
    keep_runs: int | None,
    keep_days: int | None,
    protect: Collection[int] = (),
    now: datetime,
) -> list[int]:
    newest_first = sorted(runs, key=lambda r: r.id, reverse=True)
    if not newest_first:
        return []
    newest_complete = next((r.id for r in newest_first if r.complete), None)
    kept = {*protect, newest_first[0].id}
    if newest_complete is not None:
        kept.add(newest_complete)
    cutoff = now - timedelta(days=keep_days) if keep_days is not None else None
    return [
        run.id
        for index, run in enumerate(newest_first)
        if run.id not in kept
        and (
            (keep_runs is not None and index >= keep_runs)
            or (cutoff is not None and run.generated_at < cutoff)
        )
    ]
