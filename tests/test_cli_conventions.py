"""CLI conventions: '-o -' is stdout, -v anywhere, help right at 80 columns, shell completion."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app

ROOT = Path(__file__).resolve().parents[1]
LAB = str(ROOT / "fixtures" / "scenarios" / "compliant-lab")
COMMANDS = [[], ["report"], ["record"], ["history"], ["diff"], ["doctor"], ["init"]]
runner = CliRunner()


def test_dash_output_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["report", "--replay", LAB, "--no-history", "-f", "json", "-o", "-"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert result.stdout.startswith("{\n") and '"schema_version": 1' in result.stdout
    assert list(tmp_path.iterdir()) == []  # no file named '-'


@pytest.mark.parametrize(
    "args",
    [["-v", "report", "--replay", LAB], ["report", "--replay", LAB, "-v"]],
    ids=["before", "after"],
)
def test_verbose_before_or_after_the_command(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("collector.cli.report.run_job", broken)
    result = runner.invoke(app, args)
    assert result.exit_code == 70
    assert "Traceback" in result.stderr and "RuntimeError: simulated bug" in result.stderr
    quiet = runner.invoke(app, ["report", "--replay", LAB])  # no leftover from the last run
    assert quiet.exit_code == 70 and "Traceback" not in quiet.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c else "collect")
def test_help_reads_right_at_80_columns(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = result.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "<bool>" not in text and "<path>" not in text
    lines = text.splitlines()
    example = lines.index("  Example:")
    assert lines[example + 1].startswith("    collect ")  # one example, written as is


def test_brackets_in_help_are_kept() -> None:
    text = runner.invoke(app, ["record", "--help"], env={"COLUMNS": "80"}).stdout
    assert "any key listed in [record] redact_keys" in " ".join(text.split())


@pytest.mark.parametrize("command", COMMANDS[1:], ids=lambda c: c[0])
def test_help_paragraphs_flow_instead_of_keeping_the_source_line_breaks(
    command: list[str],
) -> None:
    """Each description line is filled: the next line's first word would not have fit on it
    (a docstring's own line breaks would leave short lines in the middle of a paragraph)."""
    text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"}).stdout
    end = min(text.index(f"\n{name}:") for name in ("Arguments", "Options") if f"\n{name}:" in text)
    description = text[text.index("\n\n") + 2 : end]
    for paragraph in description.split("\n\n"):
        lines = paragraph.splitlines()
        for line, following in itertools.pairwise(lines):
            assert len(line) + 1 + len(following.split()[0]) > 78, (line, following)


def test_shell_completion_is_available() -> None:
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0
    assert "complete -o default -F _collect_completion collect" in result.stdout


def test_verbose_logs_the_collectors_progress_not_every_librarys(tmp_path: Path) -> None:
    """Without a terminal, -v logs the phases; the libraries' DEBUG chatter (markdown-it walks
    every block of the wiki page at DEBUG) stays out."""
    import subprocess
    import sys

    out = tmp_path / "report.md"
    done = subprocess.run(
        [sys.executable, "-c", "from collector.cli import app; app(prog_name='collect')",
         "report", "--demo", "--no-history", "-o", str(out), "-v"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the demo lab has errors
    lines = done.stderr.splitlines()
    assert lines == ["collect: INFO: collecting", f"collect: INFO: writing {out}"]
