"""The ``[history]`` table: defaults, validation, where the database goes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.config import load_config
from collector.errors import ConfigError
from collector.history.settings import (
    DEFAULT_KEEP_RUNS,
    DEFAULT_LOCK_TIMEOUT,
    HistorySettings,
    default_history_path,
)
from collector.history.store import HistoryStore
from tests.history.lab import write_lab


def settings_from(tmp_path: Path, text: str) -> HistorySettings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path).history


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    s = settings_from(tmp_path, "")
    assert s.path == tmp_path / "xdg" / "homelab-collector" / "history.sqlite3"
    assert (s.enabled, s.keep_runs, s.keep_days, s.lock_timeout) == (
        True,
        DEFAULT_KEEP_RUNS,
        None,
        DEFAULT_LOCK_TIMEOUT,
    )
    assert s.lock_path == s.path.with_name("history.sqlite3.lock")


def test_without_xdg_state_home_the_history_is_under_local_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    expected = Path("~/.local/state/homelab-collector/history.sqlite3").expanduser()
    assert default_history_path() == expected


def test_keep_days_alone_means_no_run_count_limit(tmp_path: Path) -> None:
    s = settings_from(tmp_path, "[history]\nkeep_days = 90\n")
    assert (s.keep_runs, s.keep_days) == (None, 90)
    both = settings_from(tmp_path, "[history]\nkeep_days = 90\nkeep_runs = 10\n")
    assert (both.keep_runs, both.keep_days) == (10, 90)


def test_relative_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    s = settings_from(tmp_path, '[history]\npath = "state/h.db"\n')
    assert s.path == tmp_path / "state" / "h.db"
    home = settings_from(tmp_path, '[history]\npath = "~/h.db"\n')
    assert home.path == Path("~/h.db").expanduser()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[history]\nkeep = 3\n", "unknown key [history].keep"),
        ("[history]\nkeep_runs = 0\n", "[history].keep_runs must be positive"),
        ('[history]\nkeep_runs = "3"\n', "[history].keep_runs must be an integer"),
        ("[history]\nlock_timeout = -1\n", "[history].lock_timeout must be positive"),
        ('[history]\nenabled = "yes"\n', "[history].enabled must be true or false"),
        ('[history]\npath = ""\n', "[history].path must not be empty"),
        ("history = 3\n", "[history] must be a table"),
    ],
)
def test_bad_history_table_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from(tmp_path, text)
    assert str(info.value).startswith(str(tmp_path / "config.toml")) and message in str(info.value)


def test_bad_history_table_exits_two_with_one_line(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False, extra_config="\n[history]\nkeep_runs = 0\n")
    result = CliRunner().invoke(app, ["report", "--replay", str(lab)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "keep_runs must be positive" in result.stderr


def test_history_can_be_switched_off_in_the_config(tmp_path: Path) -> None:
    lab = write_lab(
        tmp_path / "lab", this_week=False, extra_config="\n[history]\nenabled = false\n"
    )
    db = tmp_path / "h.sqlite3"
    result = CliRunner().invoke(app, ["report", "--replay", str(lab), "--history-db", str(db)])
    assert result.exit_code == 0 and not db.exists()


def test_damaged_database_is_exit_two_without_traceback(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    db = tmp_path / "h.sqlite3"
    db.write_bytes(b"\x00garbage" * 512)
    runner = CliRunner()
    for args in (["report", "--replay", str(lab)], ["history"], ["diff"]):
        result = runner.invoke(app, [*args, "--history-db", str(db)])
        assert result.exit_code == 2, args
        assert "Traceback" not in result.stderr and "move it aside" in result.stderr


def test_history_failing_after_collection_still_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(HistoryStore, "_insert_rows", staticmethod(disk_full))
    lab = write_lab(tmp_path / "lab", this_week=False)
    db, report = tmp_path / "h.sqlite3", tmp_path / "r.md"
    args = ["report", "--replay", str(lab), "--history-db", str(db), "-o", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert report.read_text().startswith("---\n")
    assert result.stdout.startswith(f"wrote {report}")
    assert "could not store the run" in result.stderr and "disk is full" in result.stderr
    assert "the report itself was written" in result.stderr and "Traceback" not in result.stderr
    with HistoryStore.open(db) as store:
        assert store.run_ids() == []
