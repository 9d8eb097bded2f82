"""Overlapping runs, ``--output`` templates, atomic replacement and ``--quiet``."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import ExitCode, app
from collector.cli.report import _progress
from collector.errors import ConfigError
from collector.history.errors import RunLocked
from collector.history.lock import run_lock
from collector.output import check_template, output_path, write_atomically
from collector.render import Format
from tests.history.lab import quiet_lab, write_lab

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- the lock -------------------------------------------------------------------------------------


def test_second_run_gives_up_after_the_timeout_with_exit_four(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    db = tmp_path / "h.sqlite3"
    report = tmp_path / "r.md"
    with run_lock(db.with_name(db.name + ".lock"), timeout=1):
        code, out, err = invoke(
            "report", "--replay", str(lab), "--history-db", str(db), "--lock-timeout", "0.3",
            "-o", str(report),
        )  # fmt: skip
    assert code == ExitCode.LOCKED == 4
    assert err.startswith("collect: error: another collect run (pid ")
    assert "holds the lock" in err and "0.3s" in err and "Traceback" not in err
    assert out == ""
    assert not report.exists()  # it did nothing at all
    assert not db.exists()


def test_second_run_waits_for_the_first_and_then_runs(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    db = tmp_path / "h.sqlite3"
    held, release = threading.Event(), threading.Event()

    def first_run() -> None:
        with run_lock(db.with_name(db.name + ".lock"), timeout=1):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=first_run)
    holder.start()
    held.wait(5)
    threading.Timer(0.4, release.set).start()
    code, _, err = invoke(
        "report", "--replay", str(lab), "--history-db", str(db), "--lock-timeout", "10"
    )
    holder.join()
    assert code == 0, err
    assert db.is_file()


def test_lock_is_exclusive_between_two_holders(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with run_lock(path, timeout=1), pytest.raises(RunLocked), run_lock(path, timeout=0.1):
        pass
    with run_lock(path, timeout=0.1):  # released: free again
        pass


def test_lock_timeout_comes_from_the_config(tmp_path: Path) -> None:
    lab = write_lab(
        tmp_path / "lab", this_week=False, extra_config="\n[history]\nlock_timeout = 0.2\n"
    )
    db = tmp_path / "h.sqlite3"
    with run_lock(db.with_name(db.name + ".lock"), timeout=1):
        code, _, err = invoke("report", "--replay", str(lab), "--history-db", str(db))
    assert code == 4 and "0.2s" in err


# -- output templates ----------------------------------------------------------------------------

MOMENT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("template", "fmt", "expected"),
    [
        ("reports/{date:%G-W%V}.md", Format.MARKDOWN, "reports/2026-W48.md"),
        ("reports/{date}.{ext}", Format.JSON, "reports/2026-11-26.json"),
        ("out/{format}/{date:%Y}/r.{ext}", Format.TABLE, "out/table/2026/r.txt"),
        ("plain.md", Format.MARKDOWN, "plain.md"),
        ("{{literal}}-{date:%G}.md", Format.MARKDOWN, "{literal}-2026.md"),
    ],
)
def test_output_templates(
    template: str, fmt: Format, expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    assert output_path(template, MOMENT, fmt) == tmp_path / expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("reports/{week}.md", "unknown placeholder {week}"),
        ("reports/{date!r}.md", "unknown placeholder {date}"),
        ("reports/{date.md", "literal braces"),
        ("reports/}.md", "literal braces"),
        ("  ", "must not be empty"),
    ],
)
def test_bad_templates_are_config_errors(template: str, message: str) -> None:
    with pytest.raises(ConfigError, match="--output") as info:
        check_template(template)
    assert message in str(info.value)


def test_bad_template_exits_two_before_collecting(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    db = tmp_path / "h.sqlite3"
    code, out, err = invoke(
        "report", "--replay", str(lab), "--history-db", str(db), "-o", "r/{when}.md"
    )
    assert code == 2 and out == ""
    assert (
        err == "collect: error: --output 'r/{when}.md': unknown placeholder {when} "
        "(known: {date}, {format}, {ext})\n"
    )
    assert not db.exists()


def test_rerun_in_the_same_week_replaces_that_weeks_report(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    template = str(tmp_path / "reports" / "nested" / "{date:%G-W%V}.{ext}")
    for _ in range(2):
        code, out, _ = invoke("report", "--replay", str(lab), "-f", "markdown", "-o", template)
        assert code == 0 and out.startswith(f"wrote {tmp_path / 'reports' / 'nested'}/")
    files = list((tmp_path / "reports" / "nested").iterdir())
    assert len(files) == 1 and files[0].suffix == ".md"  # no second file, no temp file left
    # Last week's lab is recorded on Thursday 2026-11-19 at noon UTC (tests/history/lab.py):
    # ISO week 47 in every time zone, whatever the real calendar says.
    assert files[0].name == "2026-W47.md"


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text("old report\n")
    target.chmod(0o640)

    class Boom(Exception):
        pass

    class Exploding(str):
        def __str__(self) -> str:
            raise Boom

    with pytest.raises(TypeError):
        write_atomically(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old report\n"
    assert list(tmp_path.iterdir()) == [target]  # the temp file is removed
    write_atomically(target, "new report\n")
    assert target.read_text() == "new report\n"
    assert target.stat().st_mode & 0o777 == 0o640  # a replaced report keeps its permissions


def test_unwritable_output_is_one_line_exit_two(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = invoke(
        "report", "--replay", str(lab), "--no-history", "-o", str(blocker / "r.md")
    )
    assert code == 2
    # The folder cannot be made: a file holds its name (mkdir says EEXIST).
    assert err == f"collect: error: cannot write the report to {blocker / 'r.md'}: File exists\n"


# -- quiet -----------------------------------------------------------------------------------------


def test_quiet_prints_nothing_when_nothing_needs_attention(tmp_path: Path) -> None:
    lab = quiet_lab(tmp_path / "lab")
    db = str(tmp_path / "h.sqlite3")
    out_file = str(tmp_path / "r.md")
    for _ in range(2):  # first run, and a second one with nothing new
        code, out, err = invoke(
            "report", "--replay", str(lab), "--history-db", db, "-q", "-o", out_file
        )
        assert (code, out, err) == (0, "", "")
    code, out, _ = invoke("report", "--replay", str(lab), "--history-db", db, "--quiet")
    assert (code, out) == (0, "")  # no --output: the report itself is not printed either
    assert Path(out_file).read_text().startswith("---\n")


def test_quiet_speaks_up_for_a_new_finding(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite3")
    clean = quiet_lab(tmp_path / "clean")
    broken = quiet_lab(tmp_path / "broken", broken=True)
    invoke("report", "--replay", str(clean), "--history-db", db, "-q", "-o", str(tmp_path / "r.md"))
    code, out, _ = invoke(
        "report", "--replay", str(broken), "--history-db", db, "-q", "-o", str(tmp_path / "r.md")
    )
    assert code == 0  # a warning is below --fail-on error, but it is new
    lines = out.splitlines()
    assert lines[0].startswith(f"wrote {tmp_path / 'r.md'}: ")
    assert lines[1].startswith("changes since run #1")
    assert lines[2].startswith("new: [warning] service-in-vm pve:lab/qemu/110: ")
    # Persisting the next week is no news.
    code, out, _ = invoke(
        "report", "--replay", str(broken), "--history-db", db, "-q", "-o", str(tmp_path / "r.md")
    )
    assert (code, out) == (0, "")


def test_quiet_speaks_up_for_a_failing_exit_code(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False, drop_docker=True)
    code, out, err = invoke("report", "--replay", str(lab), "--no-history", "-q")
    assert code == ExitCode.INCOMPLETE
    (line,) = out.splitlines()  # the headline only, not the whole report
    assert line.startswith("homelab report ") and "collection INCOMPLETE (1 of 2 sources)" in line
    assert "apps" in err


def test_progress_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    _progress(quiet=False)("collecting")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _progress(quiet=True)("collecting")
    assert capsys.readouterr().err == ""
    shown = _progress(quiet=False)
    shown("collecting")
    shown.close()
    assert "collect: collecting...\n" in capsys.readouterr().err


def test_format_follows_the_output_extension(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    invoke("report", "--replay", str(lab), "--no-history", "-o", str(tmp_path / "r.md"))
    assert (tmp_path / "r.md").read_text().startswith("---\ntitle: ")
    invoke("report", "--replay", str(lab), "--no-history", "-o", str(tmp_path / "{date}.json"))
    (written,) = tmp_path.glob("*.json")
    assert json.loads(written.read_text())["schema_version"] >= 1
    invoke(
        "report", "--replay", str(lab), "--no-history", "-f", "table", "-o", str(tmp_path / "t.md")
    )
    assert (tmp_path / "t.md").read_text().startswith("homelab report ")


def test_json_report_file_is_complete_json(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    target = tmp_path / "r.json"
    invoke("report", "--replay", str(lab), "-f", "json", "-o", str(target))
    assert json.loads(target.read_text())["changes"] is None
