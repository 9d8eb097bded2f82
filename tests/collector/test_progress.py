"""The progress line: shown on a terminal only, one rewritten line, erased before output."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from collector.collection.progress import LoggedProgress, NoProgress, ProgressLine, progress_for


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_shown_in_a_pipe_or_with_quiet() -> None:
    assert isinstance(progress_for(io.StringIO(), quiet=False), NoProgress)
    assert isinstance(progress_for(_Terminal(), quiet=True), NoProgress)
    assert isinstance(progress_for(_Terminal(), quiet=False), ProgressLine)


def test_line_counts_each_source_in_its_unit_and_summarises_finished_ones() -> None:
    term = _Terminal()
    line = ProgressLine(term, interval_s=0)
    guests, containers = line.source("homelab", "guests"), line.source("apps", "containers")
    guests(340, 1000)
    containers(20, 50)
    assert line.render() == "collecting: homelab 340/1000 guests, apps 20/50 containers"
    containers(50, 50)
    assert line.render() == "collecting: homelab 340/1000 guests, 1/2 sources done"
    assert "\n" not in term.getvalue()  # only carriage returns: one line, rewritten


def test_line_is_cut_to_the_terminal_width() -> None:
    line = ProgressLine(_Terminal(), interval_s=0)
    for i in range(20):
        line.source(f"engine{i:02d}", "containers")(1, 50)
    text = line.render(width=80)
    assert len(text) < 80 and text.endswith("...")


def test_redraws_are_throttled_but_the_last_count_is_always_drawn() -> None:
    term = _Terminal()
    line = ProgressLine(term, interval_s=60)
    update = line.source("homelab", "guests")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: update(n, 1000), range(1, 1000)))
    update(1000, 1000)
    draws = term.getvalue().count("\r")
    assert draws <= 3  # the first update and the finish, not a thousand writes
    assert term.getvalue().rstrip().endswith("\rcollecting: 1/1 sources done")


def test_a_late_smaller_count_does_not_move_the_line_back() -> None:
    line = ProgressLine(_Terminal(), interval_s=0)
    update = line.source("homelab", "guests")
    update(7, 10)
    update(6, 10)
    assert line.render() == "collecting: homelab 7/10 guests"


def test_messages_and_close_erase_the_line_first() -> None:
    term = _Terminal()
    line = ProgressLine(term, interval_s=0)
    line.source("homelab", "guests")(1, 10)
    line("writing report.md")
    assert term.getvalue().endswith("\rcollect: writing report.md...\n")
    line.source("homelab", "guests")(2, 10)
    line.close()
    drawn = "collecting: homelab 2/10 guests"
    assert term.getvalue().endswith(f"\r{drawn}\r{' ' * len(drawn)}\r")


def test_logged_progress_logs_phases_and_each_finished_source(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="collector")
    shown = LoggedProgress(logging.getLogger("collector"))
    guests = shown.source("homelab", "guests")
    shown("collecting")
    for done in range(1, 4):
        guests(done, 3)  # only the last call is worth a line
    assert [r.getMessage() for r in caplog.records] == ["collecting", "homelab: 3/3 guests read"]
    pipe = io.StringIO()
    assert isinstance(progress_for(pipe, quiet=False, verbose=True), LoggedProgress)
    assert isinstance(progress_for(pipe, quiet=True, verbose=True), NoProgress)
