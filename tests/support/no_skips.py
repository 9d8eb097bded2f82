"""pytest plugin: under ``COLLECT_REQUIRE_LIVE=1`` (set by ``.ci/run``) a skipped test FAILS.

A skip is how a test says "this machine lacks what I need" (no dockerd, no systemd-analyze). On a
developer's machine that is fine and visible in the summary; in CI it would turn a missing
install step into a green run that never tested the thing. So in CI every skip, whatever raised
it (``skipif``, ``pytest.skip()`` in a fixture, a skipped module), is reported as a failure that
keeps the skip's reason. An expected failure (``xfail``) is not a skip and is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

REQUIRE = "COLLECT_REQUIRE_LIVE"


def _required() -> bool:
    return os.environ.get(REQUIRE) == "1"


def _reason(longrepr: object) -> str:
    # A skip's longrepr is (file, line, "Skipped: <reason>").
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _as_failure(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.outcome = "failed"
    report.longrepr = (
        f"{_reason(report.longrepr)}\n{REQUIRE}=1: no test may skip here; make .ci/run install "
        "what it needs"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if _required() and report.skipped and not hasattr(report, "wasxfail"):
        _as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if _required() and report.skipped:
        _as_failure(report)
    return report
