"""The suite's own rules: in CI no test may skip; Hypothesis tries the same examples every run."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.hypothesis_profiles import CI_EXAMPLES, EXPLORE_FACTOR, examples

SKIPPING = """
import pytest

@pytest.fixture
def needs_a_daemon():
    pytest.skip("dockerd is not installed")

@pytest.mark.skipif(True, reason="systemd-analyze is not installed")
def test_marked():
    pass

def test_fixture(needs_a_daemon):
    pass

def test_runs():
    pass

@pytest.mark.xfail(strict=True, reason="known bug")
def test_expected_failure():
    assert False
"""


def test_a_skip_fails_the_run_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_skipping=SKIPPING)
    monkeypatch.setenv("COLLECT_REQUIRE_LIVE", "1")
    result = pytester.runpytest("-p", "tests.support.no_skips", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=2, xfailed=1)  # skips happen in setup
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*Skipped: systemd-analyze is not installed",
            "COLLECT_REQUIRE_LIVE=1: no test may skip here; make .ci/run install what it needs",
        ]
    )
    result.stdout.fnmatch_lines(["*Skipped: dockerd is not installed"])


def test_a_skipped_module_fails_the_run_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_module="import pytest\npytest.skip('no podman', allow_module_level=True)\n"
    )
    monkeypatch.setenv("COLLECT_REQUIRE_LIVE", "1")
    result = pytester.runpytest("-p", "tests.support.no_skips", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the run
    result.stdout.fnmatch_lines(["*no podman*"])


def test_outside_ci_a_skip_stays_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_skipping=SKIPPING)
    monkeypatch.delenv("COLLECT_REQUIRE_LIVE", raising=False)
    result = pytester.runpytest("-p", "tests.support.no_skips", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == pytest.ExitCode.OK


def test_the_default_profile_is_derandomised() -> None:
    """No HYPOTHESIS_PROFILE in CI: the ``ci`` profile is in force (conftest loads it)."""
    current = settings()
    assert current.derandomize is True
    assert current.database is None
    assert current.max_examples == CI_EXAMPLES
    assert examples(200) == 200
    explore = settings.get_profile("explore")
    assert explore.derandomize is False
    assert explore.max_examples == CI_EXAMPLES * EXPLORE_FACTOR


_drawn: list[list[int]] = []


@settings(max_examples=20)
@given(st.lists(st.integers()))
def _draw(values: list[int]) -> None:
    _drawn[-1].append(len(values) * 1000 + sum(values) % 1000)


def test_a_property_tries_the_same_examples_every_run() -> None:
    for _ in range(2):
        _drawn.append([])
        _draw()
    assert _drawn[0] == _drawn[1]
    assert len(_drawn[0]) == 20
