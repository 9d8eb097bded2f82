"""Hypothesis profiles: ``ci`` (seeded, the default) and ``explore`` (random, ten times longer).

Loaded by ``tests/conftest.py`` from ``$HYPOTHESIS_PROFILE`` (``--hypothesis-profile`` still wins):

- ``ci``: derandomised (the seed comes from each test's own code, so a test tries the same
  examples every run) and no example database. CI and every plain ``pytest`` run use it: a red
  run is a bug, not a lucky draw, and it fails again on the developer's machine.
- ``explore``: random seeds, the example database on (a failure is replayed first next time),
  ten times the examples. For hunting locally, see docs/testing.md; whatever it finds becomes an
  ``@example`` so the ``ci`` profile keeps trying it.

A test that wants more or fewer examples than the default asks for ``examples(n)``: ``n`` under
``ci``, ten times ``n`` under ``explore``.
"""

from __future__ import annotations

import os

from hypothesis import settings

CI_EXAMPLES = 100
EXPLORE_FACTOR = 10
PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, derandomize=True, database=None, print_blob=True
)
settings.register_profile(
    "explore", max_examples=CI_EXAMPLES * EXPLORE_FACTOR, derandomize=False, print_blob=True
)


def load_profile() -> str:
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    settings.load_profile(name)
    return name


def examples(n: int) -> int:
    """``n`` examples under the ``ci`` profile, scaled with the profile in force."""
    return max(1, n * settings().max_examples // CI_EXAMPLES)
