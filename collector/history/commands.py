"""What ``collect history`` and ``collect diff`` do, apart from parsing their options."""

from __future__ import annotations

from pathlib import Path

from collector.history.diff import diff
from collector.history.store import HistoryStore
from collector.history.timeline import list_runs
from collector.render.history import ListFormat, render_diff, render_runs


def history_text(db: Path, fmt: ListFormat, limit: int) -> str:
    with HistoryStore.open(db, create=False) as store:
        return render_runs(list_runs(store, limit), fmt)


def diff_text(db: Path, older: str, newer: str, fmt: ListFormat) -> str:
    """Compare two stored runs named by id, ``latest`` or ``previous``."""
    with HistoryStore.open(db, create=False) as store:
        a, b = store.resolve(older), store.resolve(newer)
        changes = diff(store.load(a), store.load(b))
        assert changes is not None  # diff returns None only when there is no base
        return render_diff(changes, b, fmt)
