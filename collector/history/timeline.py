"""Reading across stored runs: the list for ``collect history``, findings' first-seen dates."""

from __future__ import annotations

from dataclasses import dataclass, replace

from collector.history.store import HistoryStore
from collector.report.declared_changes import UNKNOWN_STATUS
from collector.report.diff import Snapshot, SourceRecord, unseen


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One line of ``collect history``."""

    id: int
    generated_at: str
    complete: bool
    sources: tuple[SourceRecord, ...]
    workloads: int
    compliant: int
    findings_by_severity: dict[str, int]
    report_path: str | None


def list_runs(store: HistoryStore, limit: int | None = None) -> list[RunInfo]:
    """Stored runs, newest first."""
    rows = store.query(
        "SELECT id, generated_at, complete, workloads, compliant, report_path FROM runs"
        " ORDER BY id DESC LIMIT ?",
        (limit if limit is not None else -1,),
    )
    result = []
    for run_id, generated_at, complete, workloads, compliant, report_path in rows:
        counts = dict.fromkeys(("error", "warning", "info"), 0)
        for severity, count in store.query(
            "SELECT severity, COUNT(*) FROM findings WHERE run_id = ? AND waived = 0"
            " GROUP BY severity",
            (run_id,),
        ):
            counts[severity] = count
        result.append(
            RunInfo(
                id=run_id,
                generated_at=generated_at,
                complete=bool(complete),
                sources=store.sources(run_id),
                workloads=workloads,
                compliant=compliant,
                findings_by_severity=counts,
                report_path=report_path,
            )
        )
    return result


def with_first_seen(store: HistoryStore, snapshot: Snapshot) -> Snapshot:
    """Fill each finding's ``first_seen`` from the stored runs, newest first.

    A finding keeps the date of the earliest run of its unbroken streak. A run that lacks it
    breaks the streak only when the finding's source was complete in that run: an unreachable
    source says nothing about whether the finding went away (nor does a run in which a declared
    system was unknown about the declaration findings).
    """
    pending = {f.key for f in snapshot.findings}
    found: dict[tuple[str, str], str] = {}
    for run_id in reversed(store.run_ids()):
        if not pending:
            break
        present = {
            (rule, subject): first_seen
            for rule, subject, first_seen in store.query(
                "SELECT rule, subject, first_seen FROM findings WHERE run_id = ?", (run_id,)
            )
        }
        hidden = {s.key for s in store.sources(run_id) if not s.complete}
        blind = store.query(
            "SELECT 1 FROM declared WHERE run_id = ? AND status = ? LIMIT 1",
            (run_id, UNKNOWN_STATUS),
        )
        for key in list(pending):
            if key in present:
                found[key] = present[key]
                pending.discard(key)
            elif not unseen(key, hidden, bool(blind)):
                pending.discard(key)
    findings = tuple(
        replace(f, first_seen=found.get(f.key, snapshot.generated_at)) for f in snapshot.findings
    )
    return replace(snapshot, findings=findings)
