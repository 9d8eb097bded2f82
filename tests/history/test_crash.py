"""A run killed at any moment (SIGKILL: no cleanup at all) loses nothing.

Two deterministic kills, at the two places where something is written, plus kills at spread-out
moments of a real run from outside. After each one the previous report must be byte-for-byte
intact (or wholly replaced by a complete new one), the history database must pass
``PRAGMA integrity_check`` and every earlier run must still load.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from collector.history.store import HistoryStore
from tests.history.lab import PLACEMENT_ONLY, service
from tests.support.recording import GuestSpec, RecordingBuilder

# The CLI in a fresh interpreter, with an optional sabotage installed first.
RUNNER = textwrap.dedent(
    """
    import os, signal, sys
    sabotage = os.environ.get("SABOTAGE", "")
    if sabotage == "report-write":
        real_fsync = os.fsync
        def fsync(fd):
            # Half the report is on disk in the temp file when the process dies.
            if ".tmp" in os.readlink(f"/proc/self/fd/{fd}"):
                os.ftruncate(fd, os.fstat(fd).st_size // 2)
                os.kill(os.getpid(), signal.SIGKILL)
            real_fsync(fd)
        os.fsync = fsync
    elif sabotage == "history-transaction":
        from collector.history.store import HistoryStore
        insert = HistoryStore._insert_rows
        def insert_then_die(conn, run_id, snapshot):
            insert(conn, run_id, snapshot)  # every row written, COMMIT not reached
            os.kill(os.getpid(), signal.SIGKILL)
        HistoryStore._insert_rows = staticmethod(insert_then_die)
    from collector.cli import app
    sys.argv[0] = "collect"
    app()
    """
)


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """90 guests, 6 engines with 12 containers each: a run that takes a noticeable moment."""
    lab = RecordingBuilder(tmp_path_factory.mktemp("big") / "lab")
    nodes = {f"pve{i}": f"10.0.0.{10 + i}" for i in range(1, 4)}
    lab.cluster("lab", nodes)
    for n in range(90):
        node = f"pve{n % 3 + 1}"
        tags = "platform" if n % 5 else "service"
        ips = [f"10.0.1.{n}"] if n < 10 else []
        lab.guest("lab", GuestSpec(1000 + n, f"guest{n}", node, tags=tags, ips=ips))
    for e in range(6):
        containers = [service(f"svc{e}-{c}", image=f"app{c}:1") for c in range(12)]
        lab.engine(
            f"e{e}", hostname=f"guest{e}", url=f"tcp://10.0.1.{e}:2376", containers=containers
        )
    lab.extra_config = PLACEMENT_ONLY
    return lab.write()


def collect(lab: Path, report: Path, db: Path, sabotage: str = "") -> subprocess.Popen[bytes]:
    env = {**os.environ, "SABOTAGE": sabotage}
    args = ["report", "--replay", str(lab), "-f", "json", "-o", str(report)]
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, *args, "--history-db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finished(process: subprocess.Popen[bytes]) -> int:
    _, err = process.communicate(timeout=120)
    assert process.returncode in (0, -signal.SIGKILL), err.decode()
    return process.returncode


def assert_history_intact(db: Path, runs: list[int], objects_per_run: int) -> None:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with HistoryStore.open(db) as store:
        assert store.run_ids() == runs
        for run_id in runs:
            assert len(store.load(run_id).objects) == objects_per_run


def test_kill_while_writing_the_report_keeps_the_previous_one(
    big_lab: Path, tmp_path: Path
) -> None:
    report, db = tmp_path / "reports" / "weekly.json", tmp_path / "h.sqlite3"
    assert finished(collect(big_lab, report, db)) == 0
    previous = report.read_bytes()
    objects = len(json.loads(previous)["inventory"]) - 1  # the cluster is not kept

    assert finished(collect(big_lab, report, db, sabotage="report-write")) == -signal.SIGKILL
    assert report.read_bytes() == previous
    half_written = list(report.parent.glob(".weekly.json.*.tmp"))
    assert len(half_written) == 1 and 0 < half_written[0].stat().st_size < len(previous)
    assert_history_intact(db, [1], objects)

    assert finished(collect(big_lab, report, db)) == 0  # and the next run just works
    assert len(json.loads(report.read_text())["inventory"]) == objects + 1
    assert_history_intact(db, [1, 2], objects)


def test_kill_inside_the_history_transaction_stores_nothing_of_that_run(
    big_lab: Path, tmp_path: Path
) -> None:
    report, db = tmp_path / "weekly.json", tmp_path / "h.sqlite3"
    assert finished(collect(big_lab, report, db)) == 0
    objects = len(json.loads(report.read_text())["inventory"]) - 1

    assert finished(collect(big_lab, report, db, sabotage="history-transaction")) == -9
    # The report is written before the run is stored, so it is the new, complete one ...
    assert len(json.loads(report.read_text())["inventory"]) == objects + 1
    # ... and the history is exactly as before: no half run, nothing damaged.
    assert_history_intact(db, [1], objects)
    conn = sqlite3.connect(db)
    for table in ("sources", "objects", "findings"):
        assert conn.execute(f"SELECT COUNT(DISTINCT run_id) FROM {table}").fetchone()[0] <= 1
    conn.close()

    assert finished(collect(big_lab, report, db)) == 0
    assert_history_intact(db, [1, 2], objects)


def test_kills_at_spread_out_moments_never_leave_half_a_report(
    big_lab: Path, tmp_path: Path
) -> None:
    report, db = tmp_path / "weekly.json", tmp_path / "h.sqlite3"
    started = time.monotonic()
    assert finished(collect(big_lab, report, db)) == 0
    duration = time.monotonic() - started
    objects = len(json.loads(report.read_text())["inventory"]) - 1
    runs = [1]
    # The first half of a run is interpreter start-up and imports: kill during the second half,
    # where collecting, writing and storing happen.
    for step in range(6):
        previous = report.read_bytes()
        process = collect(big_lab, report, db)
        time.sleep(duration * (0.5 + step / 10))
        process.send_signal(signal.SIGKILL)
        code = finished(process)
        current = report.read_bytes()
        if current != previous:  # replaced: then wholly, by a complete report
            assert len(json.loads(current)["inventory"]) == objects + 1
        with HistoryStore.open(db) as store:
            stored = store.run_ids()
        assert stored[: len(runs)] == runs and len(stored) - len(runs) <= 1, (code, stored)
        runs = stored
        assert_history_intact(db, runs, objects)
