"""One clock and one time zone for the file name, title and front matter; a short ``--quiet``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.job import JobOptions, run_job
from collector.output import OutputFile
from collector.render import Format
from tests.history.lab import PLACEMENT_ONLY, service
from tests.support.recording import GuestSpec, RecordingBuilder

runner = CliRunner()
# Sunday evening in UTC is already Monday morning in Auckland: another day and another ISO week.
SUNDAY_UTC = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)


def lab_with_service_vms(root: Path, count: int) -> Path:
    """A quiet lab plus ``count`` service VMs: one ``service-in-vm`` warning each."""
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"pve1": "10.0.0.11"})
    lab.guest("lab", GuestSpec(100, "docker-host", "pve1", tags="platform", ips=["10.0.0.50"]))
    for i in range(count):
        lab.guest("lab", GuestSpec(200 + i, f"svc-{i:02d}", "pve1", tags="service"))
    lab.engine(
        "apps", hostname="docker-host", url="tcp://10.0.0.50:2376", containers=[service("web")]
    )
    lab.extra_config = PLACEMENT_ONLY
    return lab.write()


def test_file_name_title_and_front_matter_share_the_local_zone(
    tmp_path: Path, time_zone: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    time_zone("Pacific/Auckland")
    monkeypatch.chdir(tmp_path)
    lab = lab_with_service_vms(tmp_path / "lab", 1)
    config = load_config(lab / "config.toml")
    options = JobOptions(
        outputs=(OutputFile("reports/{date:%G-W%V}.md", Format.MARKDOWN),),
        history=False,
        notify=False,
        now=SUNDAY_UTC,
    )
    outcome = run_job(config, replay_sources(config, lab), options)
    assert outcome.output == tmp_path / "reports" / "2026-W49.md"
    page = outcome.output.read_text()
    assert page.startswith('---\ntitle: "Homelab report 2026-11-30 (2026-W49)"\n')
    assert "\ndate: 2026-11-30T06:30:00+13:00\n" in page
    assert "\n# Homelab report 2026-11-30 (2026-W49)\n" in page
    assert "Generated 2026-11-30 06:30 NZDT (2026-11-29T17:30:00Z)." in page
    assert outcome.report.generated_at == "2026-11-29T17:30:00Z"  # JSON and history: UTC


def test_quiet_prints_at_most_five_lines(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    before = lab_with_service_vms(tmp_path / "before", 0)
    after = lab_with_service_vms(tmp_path / "after", 12)
    first = runner.invoke(app, ["report", "--replay", str(before), "--history-db", str(db), "-q"])
    assert first.exit_code == 0 and first.stdout == ""  # nothing needs attention
    report = tmp_path / "r.md"
    args = ["report", "--replay", str(after), "--history-db", str(db), "-q", "-o", str(report)]
    second = runner.invoke(app, args)
    assert second.exit_code == 0  # warnings only, but 12 new ones: worth a word
    lines = second.stdout.splitlines()
    assert len(lines) == 5
    assert lines[0].startswith(f"wrote {report}: 2/14 workloads comply")
    assert lines[1].startswith("changes since run #1 of ")
    assert lines[2].startswith("new: [warning] service-in-vm pve:lab/qemu/200: ")
    assert lines[3].startswith("new: [warning] service-in-vm pve:lab/qemu/201: ")
    assert lines[4] == "… and 10 more new findings (see the report)"
