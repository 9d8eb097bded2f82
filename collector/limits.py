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

import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.errors import SourceDeadlineError

DEFAULT_DEADLINE_S = 300.0
DEFAULT_RETRIES = 1
MAX_RETRIES = 3
MAX_DEADLINE_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class RunLimits:
    """The ``[collect]`` table (checked by ``collector.config``)."""

    deadline_seconds: float = DEFAULT_DEADLINE_S
    retries: int = DEFAULT_RETRIES


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
