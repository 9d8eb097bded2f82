"""The history database schema: ``MIGRATIONS[n]`` moves a database from version n to n + 1.

``PRAGMA user_version`` holds the version. A release that changes the schema appends a migration
here and never edits an earlier one, so every database ever written can be brought up to date.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 0 → 1: the first release.
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        generated_at TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        complete INTEGER NOT NULL,
        workloads INTEGER NOT NULL,
        compliant INTEGER NOT NULL,
        report_path TEXT,
        collector_version TEXT NOT NULL
    );
    CREATE INDEX runs_by_completeness ON runs (complete, id);
    CREATE TABLE sources (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        complete INTEGER NOT NULL,
        error TEXT,
        PRIMARY KEY (run_id, kind, name)
    ) WITHOUT ROWID;
    CREATE TABLE objects (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        form TEXT NOT NULL,
        name TEXT NOT NULL,
        parent TEXT, state TEXT, image TEXT, digest TEXT, role TEXT, owner TEXT,
        PRIMARY KEY (run_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE findings (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        subject TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        waived INTEGER NOT NULL,
        PRIMARY KEY (run_id, rule, subject)
    ) WITHOUT ROWID;
    """,
    # 1 → 2: the status of each declared system (declared vs running).
    """
    CREATE TABLE declared (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        subject TEXT NOT NULL,
        name TEXT NOT NULL,
        form TEXT NOT NULL,
        status TEXT NOT NULL,
        found TEXT,
        PRIMARY KEY (run_id, subject)
    ) WITHOUT ROWID;
    """,
)
DB_SCHEMA_VERSION = len(MIGRATIONS)
