"""The history database: SQLite, embedded, one file, one transaction per run.

Schema (``PRAGMA user_version`` is its version; migrations live in ``schema.py``)::

    runs      id (never reused), generated_at, stored_at, complete, workloads, compliant,
              report_path, collector_version
    sources   run_id, kind, name, complete, error
    objects   run_id, id, form, name, parent, state, image, digest, role, owner
    findings  run_id, rule, subject, severity, message, first_seen, waived
    declared  run_id, subject, name, form, status, found   (each declared system's status)

Child rows go with their run (``ON DELETE CASCADE``). The database runs in WAL mode, so readers
(``collect history``) never block the writer, and a run killed mid-transaction leaves the
database exactly as it was before that run. A file at the path that is not a whole history
database of ours is never opened for writing (``integrity.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from collector import __version__
from collector.history.errors import HistoryError
from collector.history.integrity import check_existing
from collector.history.retention import RunAge, runs_to_prune
from collector.history.schema import DB_SCHEMA_VERSION, MIGRATIONS
from collector.report.declared_changes import DeclaredRecord
from collector.report.diff import (
    FindingRecord,
    ObjectRecord,
    Snapshot,
    SourceRecord,
)

P = ParamSpec("P")
R = TypeVar("R")
_OBJECT_COLUMNS = ("id", "form", "name", "parent", "state", "image", "digest", "role", "owner")
_DECLARED_COLUMNS = ("subject", "name", "form", "status", "found")


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _db_errors(
    method: Callable[Concatenate[HistoryStore, P], R],
) -> Callable[Concatenate[HistoryStore, P], R]:
    """A damaged database surfaces as one ``HistoryError`` line, never as a traceback."""

    def wrapper(self: HistoryStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise HistoryError(
                f"history database {self.path}: {exc}; if it is damaged, move it aside"
            ) from None

    return wrapper


class HistoryStore:
    """An open history database. Use ``HistoryStore.open(path)`` and ``close()`` (or ``with``)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> HistoryStore:
        if not create and not path.is_file():
            raise HistoryError(f"no history at {path} yet: run 'collect report' first")
        check_existing(path)  # nothing is written to a file that is not a whole history
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open the history database {path}: {exc}") from None
        store = cls(conn, path)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            store._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise HistoryError(
                f"history database {path} is unreadable ({exc}); move it aside to start a new "
                "history, or point [history] path elsewhere"
            ) from None
        except HistoryError:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > DB_SCHEMA_VERSION:
            raise HistoryError(
                f"history database {self.path} has schema version {version}, newer than this "
                f"collect understands ({DB_SCHEMA_VERSION}); upgrade homelab-collector"
            )
        for target in range(version + 1, DB_SCHEMA_VERSION + 1):
            with self._transaction() as conn:
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- writing ---------------------------------------------------------------------------

    def save(
        self,
        snapshot: Snapshot,
        *,
        report_path: Path | None = None,
        keep_runs: int | None = None,
        keep_days: int | None = None,
        protect: Collection[int] = (),
    ) -> int:
        """Store one run and apply retention, all in one transaction; return the run id."""
        stored_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        try:
            with self._transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO runs (generated_at, stored_at, complete, workloads, compliant,"
                    " report_path, collector_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        snapshot.generated_at,
                        stored_at,
                        int(snapshot.complete),
                        snapshot.workloads,
                        snapshot.compliant,
                        str(report_path) if report_path is not None else None,
                        __version__,
                    ),
                )
                run_id = int(cursor.lastrowid or 0)
                self._insert_rows(conn, run_id, snapshot)
                rows = conn.execute("SELECT id, generated_at, complete FROM runs").fetchall()
                doomed = runs_to_prune(
                    [RunAge(r[0], _parse_time(r[1]), bool(r[2])) for r in rows],
                    keep_runs=keep_runs,
                    keep_days=keep_days,
                    protect={run_id, *protect},
                    now=_parse_time(snapshot.generated_at),
                )
                conn.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in doomed])
        except sqlite3.Error as exc:
            raise HistoryError(f"could not store the run in {self.path}: {exc}") from None
        return run_id

    @staticmethod
    def _insert_rows(conn: sqlite3.Connection, run_id: int, snapshot: Snapshot) -> None:
        conn.executemany(
            "INSERT INTO sources (run_id, kind, name, complete, error) VALUES (?, ?, ?, ?, ?)",
            [(run_id, s.kind, s.name, int(s.complete), s.error) for s in snapshot.sources],
        )
        conn.executemany(
            f"INSERT INTO objects (run_id, {', '.join(_OBJECT_COLUMNS)}) "
            f"VALUES (?{', ?' * len(_OBJECT_COLUMNS)})",
            [(run_id, *(getattr(o, c) for c in _OBJECT_COLUMNS)) for o in snapshot.objects],
        )
        conn.executemany(
            "INSERT INTO findings (run_id, rule, subject, severity, message, first_seen, waived)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    f.rule,
                    f.subject,
                    f.severity,
                    f.message,
                    f.first_seen or snapshot.generated_at,
                    int(f.waived),
                )
                for f in snapshot.findings
            ],
        )
        conn.executemany(
            f"INSERT INTO declared (run_id, {', '.join(_DECLARED_COLUMNS)}) "
            f"VALUES (?{', ?' * len(_DECLARED_COLUMNS)})",
            [(run_id, *(getattr(d, c) for c in _DECLARED_COLUMNS)) for d in snapshot.declared],
        )

    # -- reading ---------------------------------------------------------------------------

    @_db_errors
    def run_ids(self) -> list[int]:
        return [row[0] for row in self._conn.execute("SELECT id FROM runs ORDER BY id")]

    @_db_errors
    def resolve(self, ref: str) -> int:
        """A run id from ``12``, ``#12``, ``latest`` or ``previous``."""
        ids = self.run_ids()
        word = ref.strip().lower().lstrip("#")
        if word in ("latest", "previous"):
            needed = 1 if word == "latest" else 2
            if len(ids) < needed:
                raise HistoryError(
                    f"'{ref}': the history at {self.path} holds {len(ids)} run(s); "
                    "run 'collect report' again"
                )
            return ids[-needed]
        if not word.isdigit() or int(word) not in ids:
            known = f"{ids[0]}..{ids[-1]}" if ids else "none"
            raise HistoryError(
                f"no run '{ref}' in {self.path} (runs: {known}); see 'collect history'"
            )
        return int(word)

    @_db_errors
    def load(self, run_id: int) -> Snapshot:
        conn = self._conn
        row = conn.execute(
            "SELECT generated_at, workloads, compliant FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise HistoryError(f"no run {run_id} in {self.path}; see 'collect history'")
        objects = conn.execute(
            f"SELECT {', '.join(_OBJECT_COLUMNS)} FROM objects WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        findings = conn.execute(
            "SELECT rule, subject, severity, message, first_seen, waived FROM findings"
            " WHERE run_id = ? ORDER BY rule, subject",
            (run_id,),
        )
        declared = conn.execute(
            f"SELECT {', '.join(_DECLARED_COLUMNS)} FROM declared WHERE run_id = ?"
            " ORDER BY subject",
            (run_id,),
        )
        return Snapshot(
            generated_at=row[0],
            sources=self.sources(run_id),
            objects=tuple(ObjectRecord(*r) for r in objects),
            findings=tuple(
                FindingRecord(rule, subject, severity, message, first_seen, bool(waived))
                for rule, subject, severity, message, first_seen, waived in findings
            ),
            workloads=row[1],
            compliant=row[2],
            run_id=run_id,
            declared=tuple(DeclaredRecord(*r) for r in declared),
        )

    @_db_errors
    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Read-only rows for the modules that read across runs (``timeline``)."""
        return self._conn.execute(sql, params).fetchall()

    @_db_errors
    def sources(self, run_id: int) -> tuple[SourceRecord, ...]:
        rows = self._conn.execute(
            "SELECT name, kind, complete, error FROM sources WHERE run_id = ? ORDER BY kind, name",
            (run_id,),
        )
        return tuple(SourceRecord(r[0], r[1], bool(r[2]), r[3]) for r in rows)

    @_db_errors
    def comparison_base(self, *, replacing: Path | None = None) -> Snapshot | None:
        """The newest complete run, skipping runs that wrote the report this run replaces.

        A rerun in the same week rewrites that week's dated file: it must compare with the week
        before, not with the run it replaces, or the report would lose the week's changes. (The
        job passes ``replacing`` only for dated ``--output`` templates: a fixed file name such as
        ``latest.md`` is rewritten by every run and compares with the run before, as usual.)
        """
        row = self._conn.execute(
            "SELECT id FROM runs WHERE complete = 1 AND (report_path IS NULL OR report_path != ?)"
            " ORDER BY id DESC LIMIT 1",
            (str(replacing) if replacing is not None else "",),
        ).fetchone()
        return self.load(row[0]) if row else None
