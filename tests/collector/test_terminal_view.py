"""The terminal view: fits the width, leads with what to do, colours only for a person."""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.cli.terminal import view_for
from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.model import Severity
from collector.recording.meta import recorded_at
from collector.render.markdown import render_markdown
from collector.render.table import SUBJECTS_SHOWN, render_table
from collector.render.view import View
from collector.report.build import Report
from tests.history.lab import write_lab

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo-lab"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
runner = CliRunner()


def report_of(lab: Path) -> Report:
    config = load_config(lab / "config.toml")
    return run_report(config, replay_sources(config, lab), now=recorded_at(lab))


@pytest.fixture(scope="module")
def demo() -> Report:
    return report_of(DEMO)


def widest(text: str) -> int:
    return max(len(ANSI.sub("", line)) for line in text.splitlines())


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize(
    "view", [View(), View(details=True), View(inventory=True)], ids=["default", "details", "tree"]
)
def test_never_wider_than_the_terminal(demo: Report, width: int, view: View) -> None:
    text = render_table(demo, replace(view, width=width, color=True))
    assert widest(text) <= width
    assert widest(render_table(demo, replace(view, width=width + 40))) > width  # room is used


@pytest.mark.parametrize("columns", ["80", "100", "120"])
def test_the_cli_takes_the_width_from_columns(columns: str) -> None:
    result = runner.invoke(app, ["report", "--replay", str(DEMO)], env={"COLUMNS": columns})
    assert result.exit_code == 1
    assert widest(result.stdout) == int(columns)  # at the width, not beyond


def test_without_a_terminal_or_columns_the_width_is_120(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("os.get_terminal_size", lambda *_: (_ for _ in ()).throw(OSError()))
    assert view_for(to_stdout=True).width == 120


def test_every_error_is_within_the_first_40_lines_at_100_columns(demo: Report) -> None:
    lines = render_table(demo, View(width=100)).splitlines()
    errors = [f for f in demo.findings if f.severity is Severity.ERROR and not f.waived]
    assert len(errors) == 12
    first_warning = next(i for i, line in enumerate(lines) if line.startswith("WARNING "))
    assert first_warning <= 40
    top = "\n".join(lines[:40])
    per_rule = Counter(f.rule for f in errors)
    for finding in errors:
        # Listed under its rule; a rule's only finding on the rule's own line.
        if per_rule[finding.rule] == 1:
            assert f"{finding.rule}: {finding.subject}  " in top
        else:
            assert f"  - {finding.subject} " in top


def test_order_headline_sources_actions_layers(demo: Report) -> None:
    text = render_table(demo, View(width=100))
    assert text.startswith("homelab report 2026-11-26 09:30 UTC: 33/69 workloads comply (48%)")
    marks = ["Sources: 9 of 9 complete", "Needs action: 173", "ERROR backup-missing (3)"]
    marks += ["WARNING owner-missing (", "INFO healthcheck-missing", "Compliance by layer"]
    marks += ["Declared vs running: 33 declared"]
    positions = [text.index(mark) for mark in marks]
    assert positions == sorted(positions)
    assert "Inventory" not in text and "Findings\n========" not in text  # only on request


def test_each_hint_once_with_its_subjects_under_it(demo: Report) -> None:
    text = render_table(demo, View(width=200))
    hint = "tag it owner-<name>, put it in a pool listed in pool_owners, or give its node an owner"
    assert sum(1 for f in demo.findings if f.hint == hint) == 13
    assert text.count(hint) == 1
    after = text[text.index(hint) :].splitlines()[1 : SUBJECTS_SHOWN + 2]
    assert all(line.startswith("  - pve:homelab/") for line in after[:SUBJECTS_SHOWN])
    assert after[SUBJECTS_SHOWN] == "    … and 8 more (--details lists them all)"


def test_details_lists_every_finding_and_inventory_the_tree(demo: Report) -> None:
    text = render_table(demo, View(width=160, details=True, inventory=True))
    findings = text[text.index("Findings\n========") : text.index("Coverage gaps\n")]
    for finding in demo.findings:
        assert finding.subject in findings
    tree = text[text.index("Inventory\n=========") :]
    assert "├─ pve1 " in tree and "│  │     ├─ hello " in tree


def test_min_severity_filters_what_is_shown_not_what_is_counted(demo: Report) -> None:
    text = render_table(demo, View(min_severity=Severity.ERROR))
    assert "WARNING" not in text and "INFO" not in text
    assert "Needs action: 12 open findings in 8 rules" in text
    assert "161 below error not shown (--min-severity)" in text
    assert "173 open findings (12 error, 89 warning, 72 info)" in text  # the headline counts all
    result = runner.invoke(
        app, ["report", "--replay", str(DEMO), "--min-severity", "error", "-f", "json"]
    )
    assert result.stdout.count('"rule": ') == len(demo.findings)  # JSON keeps every finding
    page = render_markdown(demo, View(min_severity=Severity.ERROR))
    assert "### error: backup-missing (3)" in page and "### warning:" not in page
    assert "_161 findings below error are not shown._" in page


def test_a_failed_source_comes_right_after_the_headline(tmp_path: Path) -> None:
    report = report_of(write_lab(tmp_path / "lab", this_week=False, drop_docker=True))
    headline, sources, *_ = render_table(report, View(width=100)).split("\n\n")
    assert "collection INCOMPLETE (1 of 2 sources)" in " ".join(headline.split())
    assert "3/5 workloads comply (60%, incomplete)" in headline
    lines = sources.splitlines()
    assert lines[0] == "Sources: 1 of 2 complete"
    assert lines[1].startswith("  FAILED apps (docker): ")


def test_colours_only_when_asked(demo: Report) -> None:
    plain = render_table(demo, View(width=100))
    coloured = render_table(demo, View(width=100, color=True))
    assert not ANSI.search(plain)
    assert "\x1b[1;31mERROR\x1b[0m backup-missing (3)" in coloured
    assert "\x1b[33mWARNING\x1b[0m owner-missing (26)" in coloured
    assert ANSI.sub("", coloured) == plain


def test_the_cli_colours_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert view_for(to_stdout=True).color is True
    assert view_for(to_stdout=False).color is False  # a file
    assert view_for(to_stdout=True, no_color=True).color is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert view_for(to_stdout=True).color is False
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: set *and* not empty
    assert view_for(to_stdout=True).color is True
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)  # a pipe
    assert view_for(to_stdout=True).color is False


def test_a_piped_report_has_no_colour() -> None:
    result = runner.invoke(app, ["report", "--replay", str(DEMO)], env={"COLUMNS": "100"})
    assert "ERROR backup-missing" in result.stdout and not ANSI.search(result.stdout)


def test_lab_text_cannot_recolour_the_terminal(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    for answer in (lab / "pve").rglob("*.json"):
        answer.write_text(answer.read_text().replace('"legacy"', '"leg\\u001b[31macy\\u202e"'))
    text = render_table(report_of(lab), View(width=100, details=True, inventory=True))
    assert "\x1b" not in text and "\u202e" not in text
    assert "leg[31macy" in text


def test_the_readme_shows_the_default_view() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## What the report looks like") :]
    start = section.index("```\n") + 4
    sample = section[start : section.index("\n```\n", start)]
    head, tail = sample.split("\n...\n\n")
    assert "`collect report --demo` in a 100-column terminal" in section
    result = runner.invoke(app, ["report", "--demo"], env={"COLUMNS": "100"})
    lines = result.stdout.splitlines()
    assert head.splitlines() == lines[: len(head.splitlines())]
    assert tail.splitlines() == lines[-len(tail.splitlines()) :]
    assert f"abridged: {len(lines)} lines in all" in section


def test_every_format_has_exactly_one_renderer() -> None:
    from collector.render import FOR_PEOPLE, FOR_PROGRAMS, Format

    assert set(FOR_PEOPLE) | set(FOR_PROGRAMS) == set(Format)
    assert not set(FOR_PEOPLE) & set(FOR_PROGRAMS)
