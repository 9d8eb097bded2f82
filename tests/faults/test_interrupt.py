"""Ctrl-C while a server does not answer: "interrupted", exit 130 within a second, nothing
half-written.

A real ``collect`` process (``python -c 'from collector.cli import app; app()'``) against a PVE
that hangs on ``cluster/status`` and a Docker socket that accepts and never answers, both with a
30 s timeout; SIGINT once both reads are under way. Before the fix the process waited for the
hung reads' timeouts (and their retry) before it could exit.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.faults.lab import SECRET_ENV, docker_toml, pve_toml
from tests.support.pve_server import DEFAULT_TOKEN_SECRET, PveServer


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("the run never reached the hanging read")


def test_sigint_while_servers_hang_exits_130_at_once_and_writes_nothing(
    tmp_path: Path, pve: PveServer, hung_socket: str
) -> None:
    fault = pve.add_fault("cluster/status", "hang", seconds=60)
    config = tmp_path / "config.toml"
    config.write_text(
        pve_toml(pve.port, pve.ca_path, timeout=30) + docker_toml(hung_socket, timeout=30),
        encoding="utf-8",
    )
    out, db = tmp_path / "reports", tmp_path / "history.sqlite3"
    command = [
        sys.executable,
        "-c",
        "from collector.cli import app; app(prog_name='collect')",
        "report",
        "-c",
        str(config),
        "-o",
        str(out / "report.json"),
        "--history-db",
        str(db),
    ]
    env = {**os.environ, SECRET_ENV: DEFAULT_TOKEN_SECRET}
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        _wait_for(lambda: fault.fired >= 1, 20)
        time.sleep(0.3)  # the Docker read is under way too (its socket never answers)
        assert run.poll() is None, run.communicate()
        started = time.monotonic()
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=10)
        elapsed = time.monotonic() - started
    assert run.returncode == 130, stderr
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert stderr.strip().splitlines()[-1] == "collect: interrupted"
    assert "Traceback" not in stderr and "Aborted" not in stderr and stdout == ""
    left = list(out.iterdir()) if out.exists() else []  # the folder may have been made
    assert left == []  # no report, no temp file
    if db.exists():  # opened before collecting: it may exist, but holds no run
        assert sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone() == (0,)
