"""A history database that is damaged or not ours never costs the report, and is never touched.

Random bytes, a truncated history and another program's SQLite database at the history path:
``collect report -o FILE`` writes the whole report, reports the history problem in one line on
stderr with exit code 2 (documented: "the report itself was written"), and leaves the file
byte for byte as it was. ``collect history`` and ``collect diff`` refuse it the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab"


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _truncated_history(path: Path) -> None:
    code = _run("report", "--replay", str(DEMO), "--history-db", str(path), "-f", "json")[0]
    assert code == 1 and path.stat().st_size > 8192
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _other_programs_database(path: Path) -> None:
    conn = sqlite3.connect(path)  # a rollback-journal database, as most programs keep them
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('keep me')")
    conn.commit()
    conn.close()


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert not isinstance(result.exception, Exception), result.output
    return result.exit_code, result.stdout, result.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_random_bytes, "is not an SQLite database"),
        (_truncated_history, "is damaged"),
        (_other_programs_database, "belongs to another program (tables: notes)"),
    ],
    ids=["random bytes", "truncated", "another program's schema"],
)
def test_the_report_is_written_and_the_file_left_untouched(
    tmp_path: Path, make: Callable[[Path], None], says: str
) -> None:
    db = tmp_path / "history.sqlite3"
    make(db)
    for stray in (".wal", "-wal", "-shm", "-journal"):
        db.with_name(db.name + stray).unlink(missing_ok=True)
    before = _digest(db)
    out = tmp_path / "report.json"
    code, stdout, stderr = _run(
        "report", "--replay", str(DEMO), "--history-db", str(db), "-o", str(out)
    )
    assert code == 2
    doc = json.loads(out.read_text(encoding="utf-8"))  # the whole report, as JSON's parser sees it
    assert doc["summary"]["counts_by_layer"]["guest"] == 30 and doc["changes"] is None
    assert f"wrote {out}" in stdout
    (line,) = stderr.splitlines()
    assert line.startswith(f"collect: error: history database {db} {says}")
    assert "it was left as it is" in line and "(the report itself was written)" in line
    assert _digest(db) == before
    for command in (["history"], ["diff"]):
        code, _, stderr = _run(*command, "--history-db", str(db))
        assert code == 2 and says in stderr and "Traceback" not in stderr
    assert _digest(db) == before
    if make is _other_programs_database:
        rows = sqlite3.connect(db).execute("SELECT text FROM notes").fetchall()
        assert rows == [("keep me",)]


def test_the_report_on_stdout_is_printed_too(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    _random_bytes(db)
    code, stdout, stderr = _run(
        "report", "--replay", str(DEMO), "--history-db", str(db), "-f", "json"
    )
    assert code == 2 and json.loads(stdout)["summary"]["workloads"] == 69
    assert "is not an SQLite database" in stderr


def test_an_empty_file_or_our_own_history_is_used(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.touch()  # e.g. created by `install -m 0600 /dev/null`
    for _ in range(2):
        code, _, stderr = _run("report", "--replay", str(DEMO), "--history-db", str(db), "-q")
        assert code == 1, stderr
    code, stdout, _ = _run("history", "--history-db", str(db), "-f", "json")
    assert code == 0 and len(json.loads(stdout)["runs"]) == 2
