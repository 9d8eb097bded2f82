"""Numbers that never flatter: nothing judged is "n/a", a partial lab says so, gone is not fixed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.recording.meta import recorded_at
from collector.render import Format, render
from collector.render.sections import headline
from collector.render.wiki import front_matter
from collector.report.build import Report
from collector.report.diff import (
    FindingRecord,
    FindingStatus,
    ObjectRecord,
    Snapshot,
    SourceRecord,
    diff,
)
from tests.history.lab import write_lab
from tests.support.recording import RecordingBuilder

runner = CliRunner()


def report_of(lab: Path) -> Report:
    config = load_config(lab / "config.toml")
    return run_report(config, replay_sources(config, lab), now=recorded_at(lab))


def front(report: Report) -> dict[str, str]:
    lines = front_matter(report).splitlines()[1:-1]
    return dict(line.split(": ", 1) for line in lines)


@pytest.fixture(autouse=True)
def _utc(time_zone: Callable[[str], None]) -> None:
    time_zone("UTC")


def empty_lab(root: Path) -> Path:
    """One Docker engine that runs nothing: complete, and no workload at all."""
    lab = RecordingBuilder(root)
    lab.engine("apps", hostname="docker-host", url="tcp://10.0.0.50:2376", containers=[])
    return lab.write()


def test_no_workloads_is_not_a_perfect_score(tmp_path: Path) -> None:
    report = report_of(empty_lab(tmp_path / "lab"))
    assert report.complete and report.summary.workloads == 0
    assert report.summary.compliance is None
    assert headline(report).startswith("no workloads collected (compliance n/a); ")
    assert front(report)["compliance"] == "null"
    doc = json.loads(render(report, Format.JSON))
    assert doc["summary"]["compliance"] is None
    assert doc["summary"]["layers"]["container"]["compliance"] is None  # no container judged
    assert "| workloads complying | 0/0 | n/a |" in render(report, Format.MARKDOWN)


def test_every_source_refused_is_incomplete_and_not_a_score(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    shutil.rmtree(lab / "pve")
    shutil.rmtree(lab / "docker")  # an empty recording: every source is "not in recording"
    report = report_of(lab)
    assert headline(report) == (
        "no workloads collected (compliance n/a); 0 open findings; "
        "collection INCOMPLETE (2 of 2 sources)"
    )
    keys = front(report)
    assert keys["title"].endswith(', incomplete"')
    assert (keys["status"], keys["complete"], keys["compliance"]) == ("incomplete", "false", "null")
    result = runner.invoke(app, ["report", "--replay", str(lab), "--no-history"])
    assert result.exit_code == 3
    assert "100%" not in result.stdout and "compliance n/a" in result.stdout


def test_a_partial_lab_is_marked_incomplete_everywhere(tmp_path: Path) -> None:
    report = report_of(write_lab(tmp_path / "lab", this_week=False, drop_docker=True))
    assert "3/5 workloads comply (60%, incomplete)" in headline(report)
    keys = front(report)
    assert keys["status"] == "incomplete"
    assert keys["compliance"] == "null"  # a graph gets a gap, not a figure over part of the lab
    assert keys["compliance_of_collected"] == "0.6"
    # Last week's lab is recorded on 2026-11-19 (tests/history/lab.py): the title is that day's.
    assert keys["title"] == '"Homelab report 2026-11-19 (2026-W47), incomplete"'
    doc = json.loads(render(report, Format.JSON))
    assert doc["summary"]["complete"] is False and doc["summary"]["compliance"] == 0.6


def _snapshot(objects: list[str], findings: list[str], complete: bool = True) -> Snapshot:
    return Snapshot(
        generated_at="2026-11-26T09:30:00Z",
        sources=(SourceRecord("lab", "proxmox", complete),),
        objects=tuple(ObjectRecord(i, "vm", i.rsplit("/", 1)[1]) for i in objects),
        findings=tuple(FindingRecord("onboot-off", s, "warning", "m") for s in findings),
    )


def test_a_finding_whose_object_disappeared_is_gone_not_resolved() -> None:
    base = _snapshot(
        ["pve:lab/qemu/100", "pve:lab/qemu/101"], ["pve:lab/qemu/100", "pve:lab/qemu/101"]
    )
    current = _snapshot(["pve:lab/qemu/100"], [])  # 100 was fixed, 101 was deleted
    changes = diff(base, current)
    assert changes is not None
    statuses = {f.subject: f.status for f in changes.findings}
    assert statuses == {
        "pve:lab/qemu/100": FindingStatus.RESOLVED,
        "pve:lab/qemu/101": FindingStatus.GONE,
    }
    assert changes.counts()["resolved"] == 1 and changes.counts()["gone"] == 1
    # A source that could not be read hides its objects: neither resolved nor gone.
    hidden = diff(base, _snapshot([], [], complete=False))
    assert hidden is not None and hidden.findings == ()


def test_the_sample_reports_the_removed_guests_findings_as_gone() -> None:
    sample = (Path(__file__).resolve().parents[2] / "docs" / "sample-report.md").read_text()
    assert "| gone | warning | service-in-vm | `pve:homelab/qemu/122` |" in sample
    assert "resolved | warning | service-in-vm | `pve:homelab/qemu/122`" not in sample
