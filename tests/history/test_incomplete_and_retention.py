"""Incomplete runs are stored and marked, never reported as removals; retention keeps the base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from collector.cli import app
from tests.history.lab import write_lab

runner = CliRunner()


def report(recording: Path, db: Path) -> tuple[int, dict[str, Any], str]:
    result = runner.invoke(
        app, ["report", "--replay", str(recording), "--history-db", str(db), "-f", "json"]
    )
    return result.exit_code, json.loads(result.stdout), result.stderr


def history(db: Path) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["history", "--history-db", str(db), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["runs"]


def test_unreachable_engine_is_not_reported_as_removed(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    complete = write_lab(tmp_path / "complete", this_week=False)
    # Same lab, but the Docker engine does not answer this time.
    failing = write_lab(tmp_path / "failing", this_week=False, drop_docker=True)
    assert report(complete, db)[0] == 0

    code, doc, err = report(failing, db)
    assert code == 3 and "apps" in err
    changes = doc["changes"]
    assert changes["base_run"] == 1
    assert changes["unknown_sources"] == ["docker:apps"]
    removed = [c["id"] for c in changes["objects"] if c["change"] == "removed"]
    assert removed == []  # docker:apps, web and db are unknown, not gone
    assert changes["counts"]["resolved"] == 0

    runs = history(db)
    assert [(r["id"], r["complete"]) for r in runs] == [(2, False), (1, True)]
    apps = {s["name"]: s for s in runs[0]["sources"]}["apps"]
    assert apps["complete"] is False and "not in recording" in apps["error"]
    table = runner.invoke(app, ["history", "--history-db", str(db)]).stdout
    assert "apps (FAILED)" in table.splitlines()[2] and " NO " in table.splitlines()[2]


def test_next_complete_run_compares_with_the_last_complete_one(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    complete = write_lab(tmp_path / "complete", this_week=False)
    failing = write_lab(tmp_path / "failing", this_week=False, drop_docker=True)
    report(complete, db)
    report(failing, db)
    code, doc, _ = report(complete, db)
    assert code == 0
    assert doc["changes"]["base_run"] == 1  # not the incomplete run 2
    assert doc["changes"]["objects"] == []  # so the containers do not come back as "added"


def test_engine_findings_of_an_unreachable_source_are_not_resolved(tmp_path: Path) -> None:
    """A finding about a container cannot be called fixed when its engine did not answer."""
    db = tmp_path / "h.sqlite3"
    extra = '\n[[rules.classify]]\nname = "web"\nrole = "platform"\n'
    complete = write_lab(tmp_path / "complete", this_week=False, extra_config=extra)
    failing = write_lab(tmp_path / "failing", this_week=False, drop_docker=True, extra_config=extra)
    _, first, _ = report(complete, db)
    assert any(f["subject"] == "docker:apps/web" for f in first["findings"])
    _, doc, _ = report(failing, db)
    resolved = [f["subject"] for f in doc["changes"]["findings"] if f["status"] == "resolved"]
    assert "docker:apps/web" not in resolved
    # And its first-seen date survives the gap.
    _, again, _ = report(complete, db)
    (web,) = [f for f in again["changes"]["findings"] if f["subject"] == "docker:apps/web"]
    assert web["status"] == "persisting" and web["first_seen"] == first["generated_at"]


def test_retention_never_prunes_the_comparison_base(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    keep_one = "\n[history]\nkeep_runs = 1\n"
    complete = write_lab(tmp_path / "complete", this_week=False, extra_config=keep_one)
    failing = write_lab(
        tmp_path / "failing", this_week=False, drop_docker=True, extra_config=keep_one
    )
    report(complete, db)  # run 1: the last complete run from now on
    report(failing, db)  # run 2
    code, doc, _ = report(failing, db)  # run 3: compares with run 1, so run 1 must stay
    assert code == 3 and doc["changes"]["base_run"] == 1
    assert [r["id"] for r in history(db)] == [3, 1]  # run 2 went, run 1 stayed
    code, doc, _ = report(complete, db)  # run 4 compares with run 1 too
    assert doc["changes"]["base_run"] == 1
    assert [r["id"] for r in history(db)] == [4, 1]
    report(complete, db)  # run 5 compares with run 4: now run 1 goes, run 4 (its base) stays
    assert [r["id"] for r in history(db)] == [5, 4]


def test_rerun_writing_the_same_file_compares_with_the_run_before(tmp_path: Path) -> None:
    """A rerun in the same week replaces that week's report; it must not compare with it."""
    db = tmp_path / "h.sqlite3"
    last = write_lab(tmp_path / "last", this_week=False)
    this = write_lab(tmp_path / "this", this_week=True)
    out = tmp_path / "reports" / "{date:%G-W%V}.json"

    def weekly(recording: Path, template: str) -> dict[str, Any]:
        args = ["report", "--replay", str(recording), "--history-db", str(db), "-f", "json"]
        result = runner.invoke(app, [*args, "-o", template])
        assert result.exit_code == 0, result.stderr
        (written,) = (tmp_path / "reports").glob("*.json")
        return json.loads(written.read_text())

    runner.invoke(
        app, ["report", "--replay", str(last), "--history-db", str(db), "-o", str(tmp_path / "w1")]
    )
    first = weekly(this, str(out))
    rerun = weekly(this, str(out))
    assert first["changes"]["base_run"] == 1
    assert rerun["changes"]["base_run"] == 1  # not run 2, whose file it replaces
    assert rerun["changes"]["counts"] == first["changes"]["counts"]
