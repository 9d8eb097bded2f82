"""The weekly job end to end through the CLI: two runs with known changes in between.

This is the issue's first "done when": run the job, change the lab (a guest removed, an image
changed, a finding fixed, a new finding), run it again, and read the Changes section in every
format, ``collect history`` and ``collect diff``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collector.cli import app
from tests.history.lab import write_lab

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def weeks(tmp_path: Path) -> tuple[Path, Path, Path]:
    last = write_lab(tmp_path / "last-week", this_week=False)
    this = write_lab(tmp_path / "this-week", this_week=True)
    return last, this, tmp_path / "history.sqlite3"


def run(recording: Path, db: Path, *extra: str) -> tuple[int, str, str]:
    return invoke("report", "--replay", str(recording), "--history-db", str(db), *extra)


def _object_changes(doc: dict[str, Any]) -> dict[str, tuple[str, list[tuple[str, Any, Any]]]]:
    return {
        c["id"]: (c["change"], [(f["field"], f["before"], f["after"]) for f in c["fields"]])
        for c in doc["changes"]["objects"]
    }


def test_second_run_reports_what_changed_in_json(weeks: tuple[Path, Path, Path]) -> None:
    last, this, db = weeks
    code, out, err = run(last, db, "-f", "json")
    assert code == 0, err
    first = json.loads(out)
    assert first["changes"] is None  # nothing to compare with yet

    code, out, err = run(this, db, "-f", "json")
    assert code == 0, err
    changes = json.loads(out)["changes"]
    assert changes["base_run"] == 1
    assert changes["base_generated_at"] == first["generated_at"]
    objects = _object_changes(json.loads(out))
    assert objects["pve:lab/qemu/120"] == ("removed", [])
    assert objects["pve:lab/qemu/130"] == ("added", [])
    kind, fields = objects["docker:apps/web"]
    assert kind == "changed"
    assert ("image", "nginx:1.25", "nginx:1.27") in fields
    assert any(f[0] == "digest" and f[1] != f[2] for f in fields)
    assert objects["pve:lab/qemu/110"] == ("changed", [("role", "service", "platform")])
    assert len(objects) == 4, objects  # nothing else: db and the other guests did not change

    findings = {(f["status"], f["rule"], f["subject"]): f for f in changes["findings"]}
    assert set(findings) == {
        ("new", "service-in-vm", "pve:lab/qemu/130"),
        ("resolved", "service-in-vm", "pve:lab/qemu/110"),
        ("persisting", "service-in-vm", "pve:lab/qemu/140"),
    }
    persisting = findings[("persisting", "service-in-vm", "pve:lab/qemu/140")]
    assert persisting["first_seen"] == first["generated_at"]
    assert changes["counts"] == {
        "added": 1,
        "removed": 1,
        "moved": 0,
        "changed": 2,
        "new": 1,
        "resolved": 1,
        "gone": 0,
        "waived": 0,
        "persisting": 1,
    }


def test_second_run_markdown_has_a_changes_section(
    weeks: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    last, this, db = weeks
    code, first, _ = run(last, db, "-f", "json")
    assert code == 0
    day = json.loads(first)["generated_at"][:10]
    page = tmp_path / "wiki" / "report.md"
    code, out, _ = run(this, db, "-f", "markdown", "-o", str(page))
    assert code == 0
    assert "changes since run #1" in out  # the CLI's one-line summary
    text = page.read_text()
    changes = text[text.index("\n## Changes\n") : text.index("\n## Findings\n")]
    assert "Changes since run \\#1 of " in changes  # '#' escaped: no Obsidian tag
    assert "| added | vm | gitea |" in changes
    assert "| removed | vm | old-wiki |" in changes
    assert "image: nginx:1.25 → nginx:1.27" in changes
    assert "role: service → platform" in changes
    lines = {
        line.split("|")[1].strip(): line for line in changes.splitlines() if "service-in-vm" in line
    }
    assert "pve:lab/qemu/130" in lines["new"]
    assert "pve:lab/qemu/110" in lines["resolved"]
    assert "persisting" not in lines  # still-open findings are grouped per rule, with a date
    still_open = changes[changes.index("### Still open") :]
    assert f"| service-in-vm | warning | 1 | {day} |" in still_open


def test_wiki_page_order_front_matter_diagram_summary_changes_findings_inventory(
    weeks: tuple[Path, Path, Path],
) -> None:
    last, this, db = weeks
    run(last, db)
    _, page, _ = run(this, db, "-f", "markdown")
    assert page.startswith('---\ntitle: "Homelab report ')
    order = [
        "```mermaid",
        "\n## Summary\n",
        "\n## Changes\n",
        "\n## Findings\n",
        "\n## Inventory\n",
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    front = page[: page.index("\n---\n", 4)]
    assert "changes: {added: 1, removed: 1" in front


def test_table_format_has_a_changes_line_and_the_section_on_request(
    weeks: tuple[Path, Path, Path],
) -> None:
    last, this, db = weeks
    run(last, db)
    _, out, _ = run(this, db, "--details")
    view = out[: out.index("Sources\n=======")]  # the default view, before the full sections
    flowing = " ".join(view.split())  # the line wraps at the terminal's width
    assert "1 added, 1 removed, 0 moved, 2 changed; findings: 1 new, 1 resolved, 0 gone" in flowing
    new = next(line for line in view.splitlines() if "pve:lab/qemu/130" in line)
    assert "NEW VM 'gitea'" in new  # marked new in the list of what needs action
    section = out[out.index("Changes\n=======") : out.index("Findings\n========")]
    assert "old-wiki" in section and "gitea" in section


def test_history_lists_both_runs_and_diff_defaults_to_the_last_two(
    weeks: tuple[Path, Path, Path],
) -> None:
    last, this, db = weeks
    run(last, db)
    run(this, db)
    code, out, _ = invoke("history", "--history-db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["run", "time", "complete", "sources"]
    assert lines[2].startswith("#2") and lines[3].startswith("#1")
    assert "apps, lab" in lines[2] and "yes" in lines[2]

    code, out, _ = invoke("history", "--history-db", str(db), "-f", "json")
    runs = json.loads(out)["runs"]
    assert [r["id"] for r in runs] == [2, 1]
    assert runs[0]["complete"] is True and runs[0]["workloads"] == 7
    assert runs[0]["findings_by_severity"]["warning"] == 2

    code, out, _ = invoke("diff", "--history-db", str(db), "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["run"] == 2 and doc["base_run"] == 1
    assert doc["counts"]["removed"] == 1 and doc["counts"]["new"] == 1

    code, same, _ = invoke("diff", "1", "latest", "--history-db", str(db), "-f", "json")
    assert json.loads(same)["counts"] == doc["counts"]
    code, backwards, _ = invoke("diff", "latest", "previous", "--history-db", str(db), "-f", "json")
    counts = json.loads(backwards)["counts"]
    assert (counts["added"], counts["removed"], counts["new"], counts["resolved"]) == (1, 1, 1, 0)
    assert counts["gone"] == 1  # gitea's finding: gitea is not in the older run, nothing was fixed

    code, out, _ = invoke("diff", "--history-db", str(db))
    assert code == 0 and out.startswith("run #2: changes since run #1 of ")
    assert "old-wiki" in out


def test_history_database_holds_runs_in_the_documented_schema(
    weeks: tuple[Path, Path, Path],
) -> None:
    last, this, db = weeks
    run(last, db)
    run(this, db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    row = conn.execute(
        "SELECT form, parent, image, role FROM objects WHERE run_id = 2 AND id = 'docker:apps/web'"
    ).fetchone()
    assert row == ("docker-container", "docker:apps", "nginx:1.27", "service")
    assert conn.execute("SELECT COUNT(*) FROM objects WHERE form = 'cluster'").fetchone()[0] == 0
    conn.close()


def test_history_and_diff_without_a_database_are_one_line_exit_two(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    for command in (["history"], ["diff"]):
        code, _, err = invoke(*command, "--history-db", str(db))
        assert code == 2
        assert err.startswith("collect: error: no history at ") and "Traceback" not in err
    assert not db.exists()  # reading never creates the database


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["7", "latest"], "no run '7'"),
        (["nonsense", "latest"], "no run 'nonsense'"),
        ([], "holds 1 run(s)"),  # previous vs latest needs two runs
    ],
)
def test_diff_with_unknown_runs_is_one_line_exit_two(
    tmp_path: Path, args: list[str], message: str
) -> None:
    db = tmp_path / "h.sqlite3"
    write_lab(tmp_path / "lab", this_week=False)
    run(tmp_path / "lab", db)
    code, _, err = invoke("diff", *args, "--history-db", str(db))
    assert code == 2 and "Traceback" not in err
    assert err.startswith("collect: error: ") and len(err.strip().splitlines()) == 1
    assert message in err


def test_no_history_neither_reads_nor_writes(weeks: tuple[Path, Path, Path]) -> None:
    last, _, db = weeks
    code, out, _ = run(last, db, "--no-history", "-f", "json")
    assert code == 0
    assert json.loads(out)["changes"] is None
    assert not db.exists()
    assert not db.with_name(db.name + ".lock").exists()


def test_a_replay_never_touches_the_default_history(
    weeks: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trying the demo lab must not become the base of the real weekly report."""
    last, _, _ = weeks
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code, out, _ = invoke("report", "--replay", str(last), "-f", "json")
    assert code == 0 and json.loads(out)["changes"] is None
    assert not (tmp_path / "state").exists()


def test_history_commands_read_xdg_state_home_by_default(
    weeks: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last, this, _ = weeks
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    default = tmp_path / "state" / "homelab-collector" / "history.sqlite3"
    run(last, default)
    run(this, default)
    code, out, _ = invoke("history")
    assert code == 0 and out.splitlines()[2].startswith("#2")
    code, out, _ = invoke("diff")
    assert code == 0 and out.startswith("run #2: changes since run #1")


def test_history_path_from_config_is_relative_to_the_config_file(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False, extra_config='\n[history]\npath = "h.db"\n')
    assert invoke("report", "--replay", str(lab))[0] == 0
    assert (lab / "h.db").is_file()
    code, out, _ = invoke("history", "--config", str(lab / "config.toml"))
    assert code == 0 and "#1" in out
