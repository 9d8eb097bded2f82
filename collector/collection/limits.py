"""Run limits: the ``[collect]`` table (total deadline, retries); the clock is
``collector.contract.Deadline``.

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

from dataclasses import dataclass

DEFAULT_DEADLINE_S = 300.0
DEFAULT_RETRIES = 1
MAX_RETRIES = 3
MAX_DEADLINE_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class RunLimits:
    """The ``[collect]`` table (checked by ``collector.config``)."""

    deadline_seconds: float = DEFAULT_DEADLINE_S
    retries: int = DEFAULT_RETRIES
