"""Suite-wide settings: isolation from the user's state, no silent skips in CI, seeded Hypothesis.

``collect report`` stores every run in a history database under ``$XDG_STATE_HOME`` by default;
pointing that (and ``$XDG_CONFIG_HOME``) at a per-test folder keeps the developer's own history
untouched and the tests independent of each other.

Hypothesis runs derandomised (the examples follow from each test's own source, not from the
clock) and without an example database: every run, in CI or on a laptop, tries the same
examples, so a failure is reproducible and a green run stays green. That is the ``ci`` profile of
``tests.support.hypothesis_profiles``; ``HYPOTHESIS_PROFILE=explore`` asks for the longer,
random one (docs/testing.md). ``tests.support.no_skips`` turns every skip into a failure under
``COLLECT_REQUIRE_LIVE=1`` (CI); ``pytester`` is there to test that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support.hypothesis_profiles import load_profile

pytest_plugins = ("pytester", "tests.support.no_skips")
load_profile()


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("COLLECT_HISTORY_DB", raising=False)
    monkeypatch.delenv("COLLECT_CONFIG", raising=False)


@pytest.fixture
def time_zone() -> Iterator[Callable[[str], None]]:
    """Switch the process's local time zone (``TZ`` + ``tzset``) for one test; restored after.

    Not through monkeypatch: it would restore ``TZ`` after this fixture's teardown, too late
    for the ``tzset`` that makes the restored zone take effect.
    """
    before = os.environ.get("TZ")

    def switch(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield switch
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()
