"""Declared systems across runs: stored, compared, and never "resolved" by a source that failed.

The pure comparison (``declared_changes``, ``diff``), the store (schema 2 and the migration of a
version-1 database), the first-seen streaks, and the whole weekly job: a declared compose project
that runs one week and is gone the next is reported as "went missing" in every format, in
``collect diff`` and in the notification.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from collector.cli import app
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.history.schema import MIGRATIONS
from collector.history.store import HistoryStore
from collector.history.timeline import with_first_seen
from collector.job import JobOptions, run_job
from collector.notify.message import build_notification
from collector.render import mdtext
from collector.report.declared_changes import DeclaredRecord, declared_changes
from collector.report.diff import FindingRecord, FindingStatus, Snapshot, SourceRecord, diff
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

LAB = SourceRecord("lab", "proxmox", True)
APPS = SourceRecord("apps", "docker", True)
GITEA = "declared:compose/gitea@apps"


def record(status: str, found: str | None = None, subject: str = GITEA) -> DeclaredRecord:
    return DeclaredRecord(subject, subject.split("/")[-1].split("@")[0], "compose", status, found)


def snap(
    at: str,
    *declared: DeclaredRecord,
    findings: tuple[FindingRecord, ...] = (),
    apps_ok: bool = True,
) -> Snapshot:
    apps = APPS if apps_ok else SourceRecord("apps", "docker", False, "refused")
    return Snapshot(at, (LAB, apps), (), findings, declared=declared)


def test_status_changes_say_what_happened_and_unknown_is_never_a_change() -> None:
    was = [record("ok", "docker:apps/compose/gitea"), record("missing", subject="declared:vm/a"),
           record("ok", subject="declared:vm/b"), record("ok", subject="declared:vm/c"),
           record("missing", subject="declared:vm/d")]  # fmt: skip
    now = [record("missing"), record("ok", "pve:lab/qemu/1", "declared:vm/a"),
           record("mismatch", subject="declared:vm/b"), record("unknown", subject="declared:vm/c"),
           record("missing", subject="declared:vm/new")]  # fmt: skip
    changes = declared_changes(was, now)
    assert [(c.subject, c.what, c.found_before, c.found_after) for c in changes] == [
        (GITEA, "went missing", "docker:apps/compose/gitea", None),
        ("declared:vm/a", "is back", None, "pve:lab/qemu/1"),
        ("declared:vm/b", "now mismatch (was ok)", None, None),
    ]
    assert declared_changes([record("unknown")], [record("missing")]) == ()


def test_a_declaration_finding_is_not_resolved_by_a_run_that_could_not_see_it() -> None:
    missing = FindingRecord("declared-missing", GITEA, "error", "runs nowhere")
    form = FindingRecord("form-mismatch", "pve:lab/lxc/210", "warning", "runs as an LXC")
    other = FindingRecord("service-in-vm", "pve:lab/qemu/110", "warning", "a service")
    base = snap("2026-11-19T06:00:00Z", record("missing"), findings=(missing, form, other))
    blind = snap("2026-11-26T06:00:00Z", record("unknown"), apps_ok=False)
    changes = diff(base, blind)
    assert changes is not None
    # form-mismatch's subject is in the complete PVE source, but a declared system was unknown:
    # declaration findings prove nothing; the placement finding is resolved as usual.
    assert [(f.status, f.rule) for f in changes.findings] == [
        (FindingStatus.RESOLVED, "service-in-vm")
    ]
    assert changes.declared == ()
    seen = snap("2026-11-26T06:00:00Z", record("ok", "docker:apps/compose/gitea"))
    resolved = diff(base, seen)
    assert resolved is not None
    assert {f.rule for f in resolved.findings} == {
        "declared-missing",
        "form-mismatch",
        "service-in-vm",
    }
    assert [c.what for c in resolved.declared] == ["is back"]


def test_the_store_keeps_each_declared_status(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        kept = snap("2026-11-19T06:00:00Z", record("ok", "docker:apps/compose/gitea"),
                    record("missing", subject="declared:vm/x"))  # fmt: skip
        run_id = store.save(kept)
        assert store.load(run_id).declared == (
            record("ok", "docker:apps/compose/gitea"),
            record("missing", subject="declared:vm/x"),
        )


def test_a_version_1_history_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(
        "INSERT INTO runs (generated_at, stored_at, complete, workloads, compliant,"
        " collector_version) VALUES ('2026-11-19T06:00:00Z', 'x', 1, 3, 2, '0.1.0')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with HistoryStore.open(path) as store:
        assert store.schema_version == 2
        old = store.load(1)
        assert (old.workloads, old.declared) == (3, ())
        newer = store.save(snap("2026-11-26T06:00:00Z", record("missing")))
        changes = diff(old, store.load(newer))
        assert changes is not None and changes.declared == ()  # nothing declared before


def test_a_run_with_an_unknown_declared_system_does_not_break_a_streak(tmp_path: Path) -> None:
    missing = FindingRecord("declared-missing", GITEA, "error", "runs nowhere")
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        store.save(with_first_seen(store, snap("2026-11-12T06:00:00Z", record("missing"),
                                               findings=(missing,))))  # fmt: skip
        store.save(with_first_seen(store, snap("2026-11-19T06:00:00Z", record("unknown"),
                                               apps_ok=False)))  # fmt: skip
        now = with_first_seen(
            store, snap("2026-11-26T06:00:00Z", record("missing"), findings=(missing,))
        )
    assert now.findings[0].first_seen == "2026-11-12T06:00:00Z"


# --- the weekly job ---------------------------------------------------------------------------

PAGE = "| System | Typ | Wirt |\n|---|---|---|\n| gitea | compose | apps |\n"


def _lab(root: Path, with_gitea: bool) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"pve1": "10.0.0.11"})
    lab.guest("lab", GuestSpec(100, "docker-host", "pve1", ips=["10.0.0.50"]))
    compose = {"com.docker.compose.project": "gitea", "com.docker.compose.service": "web"}
    containers = [ContainerSpec("gitea-web", labels=compose)] if with_gitea else []
    lab.engine("apps", hostname="docker-host", url="tcp://10.0.0.50:2376", containers=containers)
    lab.extra_config = '\n[architecture]\npage = "Architektur.md"\n'
    lab.write()
    (root / "Architektur.md").write_text(PAGE, encoding="utf-8")
    return root


def test_a_declared_system_that_went_missing_is_news_in_every_format(tmp_path: Path) -> None:
    runner = CliRunner()
    week1 = tmp_path / "week1.sqlite3"

    def report(lab: Path, db: Path, *args: str) -> str:
        result = runner.invoke(app, ["report", "--replay", str(lab), "--history-db", str(db),
                                     "--no-notify", *args])  # fmt: skip
        assert result.exit_code == 1, result.stderr  # declared-missing is an error
        return result.stdout

    runner.invoke(app, ["report", "--replay", str(_lab(tmp_path / "w1", with_gitea=True)),
                        "--history-db", str(week1), "--no-notify"])  # fmt: skip
    gone = _lab(tmp_path / "w2", with_gitea=False)
    dbs = {fmt: tmp_path / f"{fmt}.sqlite3" for fmt in ("json", "table", "default", "markdown")}
    for db in dbs.values():
        shutil.copy(week1, db)
    doc = json.loads(report(gone, dbs["json"], "-f", "json"))
    assert doc["changes"]["declared"] == [
        {
            "subject": GITEA,
            "name": "gitea",
            "form": "compose",
            "before": "ok",
            "after": "missing",
            "found_before": "docker:apps/compose/gitea",
            "found_after": None,
        }
    ]
    since = f"since run #1 of {doc['changes']['base_generated_at']}"
    line = f"declared system gitea (compose) went missing {since}: it was docker:apps/compose/gitea"
    table = report(gone, dbs["table"], "--details")
    assert f"Declared systems changed\n========================\n{line}\n" in table
    assert f"\n  {line}\n" in report(gone, dbs["default"])  # the view's changes, indented
    markdown = report(gone, dbs["markdown"], "-f", "markdown")
    assert f"### Declared systems changed\n\n- {mdtext.text(line)}\n" in markdown  # escaped
    diffed = runner.invoke(app, ["diff", "1", "2", "--history-db", str(dbs["table"])])
    assert diffed.exit_code == 0 and f"\n{line}\n" in diffed.stdout
    assert {f["rule"] for f in doc["changes"]["findings"] if f["status"] == "new"} == {
        "declared-missing"
    }


def test_the_notification_says_which_declared_system_went_missing(tmp_path: Path) -> None:
    week1 = _lab(tmp_path / "w1", with_gitea=True)
    options = JobOptions(history_db=tmp_path / "h.sqlite3", notify=False)
    run_job(load_config(week1 / "config.toml"), replay_sources(load_config(week1 / "config.toml"),
            week1), options)  # fmt: skip
    week2 = _lab(tmp_path / "w2", with_gitea=False)
    config = load_config(week2 / "config.toml")
    outcome = run_job(config, replay_sources(config, week2), options)
    text = build_notification(outcome.report, "homelab", None).text
    assert "\ndeclared system gitea (compose) went missing since run #1 of " in text
