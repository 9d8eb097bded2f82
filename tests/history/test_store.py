"""The SQLite store: schema and migrations, round trips, first-seen streaks, retention, damage."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.history.errors import HistoryError
from collector.history.retention import RunAge, runs_to_prune
from collector.history.schema import DB_SCHEMA_VERSION, MIGRATIONS
from collector.history.store import HistoryStore
from collector.history.timeline import list_runs, with_first_seen
from collector.report.diff import FindingRecord, ObjectRecord, Snapshot, SourceRecord

LAB = SourceRecord("lab", "proxmox", True)
APPS = SourceRecord("apps", "docker", True)


def snapshot(
    at: str,
    findings: tuple[str, ...] = (),
    *,
    apps_ok: bool = True,
) -> Snapshot:
    return Snapshot(
        generated_at=at,
        sources=(LAB, APPS if apps_ok else SourceRecord("apps", "docker", False, "refused")),
        objects=(
            ObjectRecord("pve:lab/node/pve1", "node", "pve1", "pve:lab", "online"),
            ObjectRecord(
                "docker:apps/web",
                "docker-container",
                "web",
                "docker:apps",
                "running",
                "nginx:1",
                "sha256:1",
                "service",
                "alice",
            ),
        ),
        findings=tuple(FindingRecord("r", subject, "warning", "m") for subject in findings),
        workloads=1,
        compliant=1,
    )


def save(
    store: HistoryStore,
    snap: Snapshot,
    report_path: Path | None = None,
    keep_runs: int | None = None,
) -> int:
    return store.save(with_first_seen(store, snap), report_path=report_path, keep_runs=keep_runs)


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore.open(tmp_path / "state" / "history.sqlite3")


def test_new_database_is_created_with_the_latest_schema(store: HistoryStore) -> None:
    assert store.path.is_file()
    assert store.schema_version == DB_SCHEMA_VERSION == len(MIGRATIONS)
    assert store.run_ids() == []


def test_an_existing_database_is_migrated_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 4096")  # a version-0 file with no table yet (an aborted
    conn.execute("VACUUM")  # start); one with tables is another program's: test_corrupt_history
    conn.close()
    assert path.stat().st_size > 0
    with HistoryStore.open(path) as store:
        assert store.schema_version == DB_SCHEMA_VERSION
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "sources", "objects", "findings"} <= tables


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {DB_SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer than this collect understands"):
        HistoryStore.open(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite" * 200)
    with pytest.raises(HistoryError, match="move it aside"):
        HistoryStore.open(path)


def test_reading_a_missing_database_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history at"):
        HistoryStore.open(tmp_path / "nope.sqlite3", create=False)
    assert not (tmp_path / "nope.sqlite3").exists()


def test_round_trip_keeps_every_field(store: HistoryStore) -> None:
    snap = snapshot("2026-11-23T06:00:00Z", ("pve:lab/qemu/100",), apps_ok=False)
    run_id = save(store, snap, report_path=Path("/srv/r.md"))
    loaded = store.load(run_id)
    assert loaded.run_id == run_id
    assert loaded.objects == tuple(sorted(snap.objects, key=lambda o: o.id))
    assert loaded.sources == (SourceRecord("apps", "docker", False, "refused"), LAB)
    assert loaded.findings[0].first_seen == "2026-11-23T06:00:00Z"
    assert not loaded.complete
    (info,) = list_runs(store)
    assert (info.report_path, info.complete, info.findings_by_severity["warning"]) == (
        "/srv/r.md",
        False,
        1,
    )


def test_run_ids_are_never_reused_after_pruning(store: HistoryStore) -> None:
    for day in range(1, 4):
        save(store, snapshot(f"2026-11-0{day}T06:00:00Z"), keep_runs=1)
    assert store.run_ids() == [3]
    assert save(store, snapshot("2026-11-05T06:00:00Z"), keep_runs=1) == 4


def test_first_seen_survives_a_run_where_the_source_was_unreachable(store: HistoryStore) -> None:
    subject = "docker:apps/web"
    save(store, snapshot("2026-11-02T06:00:00Z", (subject,)))
    save(store, snapshot("2026-11-09T06:00:00Z", (), apps_ok=False))  # apps did not answer
    later = with_first_seen(store, snapshot("2026-11-16T06:00:00Z", (subject,)))
    assert later.findings[0].first_seen == "2026-11-02T06:00:00Z"


def test_first_seen_restarts_after_the_finding_was_really_gone(store: HistoryStore) -> None:
    subject = "docker:apps/web"
    save(store, snapshot("2026-11-02T06:00:00Z", (subject,)))
    save(store, snapshot("2026-11-09T06:00:00Z", ()))  # apps answered: the finding was fixed
    back = with_first_seen(store, snapshot("2026-11-16T06:00:00Z", (subject,)))
    assert back.findings[0].first_seen == "2026-11-16T06:00:00Z"


def test_comparison_base_is_the_newest_complete_run(store: HistoryStore) -> None:
    save(store, snapshot("2026-11-02T06:00:00Z"), report_path=Path("/r/w45.md"))
    save(store, snapshot("2026-11-09T06:00:00Z"), report_path=Path("/r/w46.md"))
    save(store, snapshot("2026-11-16T06:00:00Z", apps_ok=False), report_path=Path("/r/w47.md"))
    base = store.comparison_base()
    assert base is not None and base.run_id == 2
    replacing = store.comparison_base(replacing=Path("/r/w46.md"))
    assert replacing is not None and replacing.run_id == 1


def test_resolve_run_references(store: HistoryStore) -> None:
    for day in (2, 9, 16):
        save(store, snapshot(f"2026-11-{day:02d}T06:00:00Z"))
    assert store.resolve("latest") == 3
    assert store.resolve("previous") == 2
    assert store.resolve("#1") == 1
    with pytest.raises(HistoryError, match="no run '9'"):
        store.resolve("9")


NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)


def ages(*spec: tuple[int, int, bool]) -> list[RunAge]:
    """(id, days ago, complete)."""
    return [RunAge(i, NOW - timedelta(days=d), c) for i, d, c in spec]


def test_retention_by_count_and_by_age() -> None:
    runs = ages((1, 28, True), (2, 21, True), (3, 14, True), (4, 7, True), (5, 0, True))
    assert runs_to_prune(runs, keep_runs=3, keep_days=None, now=NOW) == [2, 1]
    assert runs_to_prune(runs, keep_runs=None, keep_days=10, now=NOW) == [3, 2, 1]
    assert runs_to_prune(runs, keep_runs=4, keep_days=20, now=NOW) == [2, 1]
    assert runs_to_prune(runs, keep_runs=None, keep_days=None, now=NOW) == []


def test_retention_keeps_newest_newest_complete_and_protected_runs() -> None:
    runs = ages((1, 28, True), (2, 21, True), (3, 14, False), (4, 7, False), (5, 0, False))
    # keep_runs=1 would keep only run 5; run 2 is the newest complete (the next base) and
    # run 1 is what this report compared with.
    assert runs_to_prune(runs, keep_runs=1, keep_days=1, protect={1}, now=NOW) == [4, 3]


def test_save_is_one_transaction(store: HistoryStore) -> None:
    bad = snapshot("2026-11-02T06:00:00Z")
    duplicated = Snapshot(
        bad.generated_at, bad.sources, bad.objects + bad.objects[:1], bad.findings
    )  # the duplicate primary key fails the third insert statement
    with pytest.raises(HistoryError, match="could not store the run"):
        store.save(duplicated)
    assert store.run_ids() == []
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 0
