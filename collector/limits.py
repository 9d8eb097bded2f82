"""Run limits: the ``[collect]`` table (total deadline, retries) and the ``Deadline`` clock.

A collector that runs unattended must end. Per-request timeouts (``timeout``/``agent_timeout``
of each source) bound one request; the deadline bounds the run. Threads cannot be killed, so the
deadline is cooperative: every request checks it *before it starts* and refuses to start once it
has passed (``SourceDeadlineError``, recorded as a gap that makes the run incomplete). A request
already in flight is bounded by its own timeout, so a run overshoots the deadline by at most one
request timeout.

::

    [collect]
    deadline_seconds = 300   # whole run, all sources together
    retries = 1              # extra attempts for an idempotent GET that failed transiently
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collector.errors import ConfigError, SourceDeadlineError

DEFAULT_DEADLINE_S = 300.0
DEFAULT_RETRIES = 1
MAX_RETRIES = 3
MAX_DEADLINE_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class RunLimits:
    deadline_seconds: float = DEFAULT_DEADLINE_S
    retries: int = DEFAULT_RETRIES


def run_limits(config: Any) -> RunLimits:
    """Validate ``config.extra["collect"]``; every problem is a one-line ``ConfigError``."""
    file = str(config.path) if getattr(config, "path", None) else "config"
    table = config.extra.get("collect", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{file}: 'collect' must be a table: write [collect]")
    known = ("deadline_seconds", "retries")
    for key in table:
        if key not in known:
            raise ConfigError(
                f"{file}: unknown key [collect].{key} (known: {', '.join(known)}); "
                "fix the spelling or remove it"
            )
    deadline = table.get("deadline_seconds", DEFAULT_DEADLINE_S)
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, int | float)
        or not math.isfinite(deadline)
        or not 0 < deadline <= MAX_DEADLINE_S
    ):
        raise ConfigError(
            f"{file}: [collect].deadline_seconds must be a number of seconds between 0 and "
            f"{MAX_DEADLINE_S:g}, got {_describe(deadline)}"
        )
    retries = table.get("retries", DEFAULT_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise ConfigError(
            f"{file}: [collect].retries must be an integer from 0 to {MAX_RETRIES}, "
            f"got {_describe(retries)}"
        )
    return RunLimits(deadline_seconds=float(deadline), retries=retries)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


class Deadline:
    """A point in (monotonic) time after which no new request may start."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        return self._clock() >= self._end

    def check(self, what: str) -> None:
        """Raise ``SourceDeadlineError`` naming ``what`` if the deadline has passed."""
        if self.expired():
            raise SourceDeadlineError(
                f"{what}: not started, the run deadline of {self.seconds:g} s had passed; "
                "raise [collect] deadline_seconds or lower the sources' timeouts"
            )
