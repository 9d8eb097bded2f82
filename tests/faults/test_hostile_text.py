"""Hostile sizes and characters never blow up or corrupt an output.

A lab whose guests and containers carry 1 MB names, labels and notes, control characters (NUL,
ESC sequences that recolour a terminal, newlines inside a name) and bidi overrides (U+202E makes
``exe.txt`` read as ``txt.exe``). The report runs through the real CLI with a history and a
notification; the JSON (read by ``json``), the history database (read by ``sqlite3``), the
notification body and the terminal table hold none of those characters and nothing bigger than
the lab-text limits; rendering every format stays within a small memory bound. (Markdown's own
escaping belongs to the report-surface work; the lab-text policy reaches it all the same.)
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.collection.orchestrate import run_report
from collector.collection.safe_text import NAME_LIMIT, TEXT_LIMIT
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.render import Format, render
from collector.render.sections import NAME_COLUMN
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

MB = 1024 * 1024
HOSTILE = "\x00\x1b[31m\u202e\u2066\r\n\x85\u2028"
# What no output may hold: C0/C1 controls (tab and newline allowed in multi-line outputs),
# DEL, the bidi controls and the Unicode line separators.
BAD = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def _hostile_lab(root: Path) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"pve1": "10.0.0.11"})
    notes = "line one\n" + "\u202eevil notes " * (MB // 12)
    lab.guest(
        "lab",
        GuestSpec(
            100,
            f"docker{HOSTILE}host",
            "pve1",
            tags="platform",
            ips=["10.0.0.50"],
            config={"description": notes},
        ),
    )
    lab.guest("lab", GuestSpec(101, "x" * MB, "pve1", tags="service"))
    lab.engine(
        "apps",
        hostname="docker-host",
        url="tcp://10.0.0.50:2376",
        containers=[
            ContainerSpec(
                f"web{HOSTILE}",
                image="nginx:1" + "\u202e" * 3,
                labels={"homelab.role": "service", "big": "v" * MB, f"k{HOSTILE}": HOSTILE},
            ),
            ContainerSpec("n" * MB, labels={"homelab.role": "service"}),
        ],
    )
    return lab.write()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _hostile_lab(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def hook() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_json_history_notification_and_table_hold_no_hostile_text(
    tmp_path: Path, hostile: Path, hook: tuple[str, list[bytes]]
) -> None:
    url, bodies = hook
    config = tmp_path / "config.toml"
    config.write_text(
        (hostile / "config.toml").read_text()
        + f'\n[[notify]]\nkind = "webhook"\nurl = "{url}"\nwhen = "always"\n',
        encoding="utf-8",
    )
    db, out = tmp_path / "history.sqlite3", tmp_path / "report.json"
    args = ["report", "--replay", str(hostile), "-c", str(config), "--history-db", str(db)]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 1, result.output  # complete, with the hostile lab's findings
    doc = json.loads(out.read_text(encoding="utf-8"))
    values = list(_strings(doc))
    assert not [v for v in values if BAD.search(v)]
    assert not [v for v in values if "\n" in v and v[:8] != "line one"]  # notes keep lines
    assert max(map(len, values)) <= TEXT_LIMIT
    assert out.stat().st_size < 200_000  # from more than 4 MB of lab text
    items = {i["id"]: i for i in doc["inventory"]}
    web = items["docker:apps/web[31m "]  # NUL, ESC, bidi gone, a line break is a space
    assert web["image"] == "nginx:1" and web["labels"]["big"] == "v" * (TEXT_LIMIT - 1) + "…"
    assert items["pve:lab/qemu/100"]["name"] == "docker[31m host"
    assert items["pve:lab/qemu/101"]["name"] == "x" * (NAME_LIMIT - 1) + "…"
    assert items["pve:lab/qemu/100"]["description"].startswith("line one\nevil notes")

    rows = sqlite3.connect(db).execute("SELECT id, name, parent FROM objects").fetchall()
    stored = [str(v) for row in rows for v in row if v is not None]
    assert stored
    assert not [v for v in stored if BAD.search(v)]
    assert not [v for v in stored if "\n" in v]
    assert max(map(len, stored)) <= NAME_LIMIT + len("docker:apps/")

    assert len(bodies) == 1 and len(bodies[0]) < 20_000
    note = json.loads(bodies[0])
    assert not [v for v in _strings(note) if BAD.search(v)]

    table = (
        CliRunner()
        .invoke(app, [*args, "-f", "table", "--no-notify", "--inventory"], env={"COLUMNS": "1000"})
        .stdout
    )
    assert not BAD.search(table.replace("\n", ""))
    # The 1 MB guest name: cut at NAME_COLUMN in the inventory's name column.
    inventory = table.split("Inventory\n=========\n", 1)[1]
    (row,) = [line for line in inventory.splitlines() if line.rstrip().endswith("qemu/101")]
    name = row.split("  ")[0].lstrip("├└─│ ")
    assert name == "x" * (NAME_COLUMN - 1) + "…"


def test_rendering_every_format_stays_small_in_memory(hostile: Path) -> None:
    """The 1 MB values are bounded once, as the results come in: no renderer copies them."""
    config = load_config(hostile / "config.toml")
    report = run_report(config, replay_sources(config, hostile))
    tracemalloc.start()
    try:
        for fmt in Format:
            assert render(report, fmt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB, f"{peak / MB:.1f} MB"
