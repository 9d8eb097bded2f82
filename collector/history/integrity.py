"""Before the history database is written: is the file at the history path ours, and whole?

A file there that is not an SQLite database (random bytes, a report saved under the wrong
name), a damaged one (truncated by a full disk, half-overwritten) or another program's database
must never be written to: opening it the usual way would switch its journal mode, add our
tables to someone else's schema or write into a broken file. So an existing file is first read
through a read-only connection (``mode=ro``): its header, its tables and ``PRAGMA quick_check``.
Anything wrong is a ``HistoryError`` that says the file was left as it is; ``collect report``
then still writes its report (``collector/job.py``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from collector.history.errors import HistoryError

SQLITE_HEADER = b"SQLite format 3\x00"
OUR_TABLES = frozenset({"runs", "sources", "objects", "findings"})
ADVICE = (
    "it was left as it is: move it aside to start a new history, or point [history] path "
    "(or --history-db) elsewhere"
)


def check_existing(path: Path) -> None:
    """Raise ``HistoryError`` unless ``path`` is absent, empty, or a whole history database."""
    try:
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):
            return
        if not path.is_file():
            raise HistoryError(f"history database {path} is not a file; {ADVICE}")
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise HistoryError(f"cannot read the history database {path}: {exc.strerror}") from None
    if header != SQLITE_HEADER:
        raise HistoryError(f"history database {path} is not an SQLite database; {ADVICE}")
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot read the history database {path}: {exc}") from None
    try:
        _check(conn, path)
    except sqlite3.Error as exc:
        raise HistoryError(f"history database {path} is damaged ({exc}); {ADVICE}") from None
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, path: Path) -> None:
    tables = {
        str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    # Our migrations set user_version in the transaction that creates the tables: a version of
    # 0 with tables, or a version without our tables, is another program's database.
    if tables and (version == 0 or not OUR_TABLES.issubset(tables)):
        shown = ", ".join(sorted(tables)[:5])
        raise HistoryError(
            f"history database {path} belongs to another program (tables: {shown}); {ADVICE}"
        )
    verdict = str(conn.execute("PRAGMA quick_check").fetchone()[0])
    if verdict != "ok":
        raise HistoryError(f"history database {path} is damaged ({verdict}); {ADVICE}")
