"""The adapter contract: what a source adapter is, what it returns, how it fails.

An **adapter** reads one source (a PVE cluster, a Docker engine) through a client it is given,
and turns the answers into model values. It lives in ``adapters/<kind>/`` and imports only the
core's model (``collector.model``), errors (``collector.errors``) and this contract; only
``collector.collection.wiring`` imports adapters, builds their clients and hands them to the
orchestrator (``collector.collection.orchestrate``).

**What it returns.** ``collect()`` returns a ``SourceResult``: a ``SourceStatus`` (name, kind,
complete, error, gaps, requests made) and the ``Cluster`` or ``Engine`` it read. It returns
even when the source fails; it never raises for a source that misbehaves:

- the source cannot be read at all (refused, wrong credentials, the listing call failed):
  ``SourceStatus.failed(name, kind, str(error), requests)``, no model value;
- a part could not be read (one guest's config, a node offline, an agent that is silent):
  the rest is returned, and a ``Gap(subject, what, reason, incomplete)`` names the object and
  the exact call (``lab: GET cluster/resources?type=storage: ...``). ``incomplete=True`` when
  what is missing is part of the inventory (the run then exits 3); ``False`` when only a check
  loses its input (a guest agent is silent). ``Impact`` (``collector.model``) is that
  classification, shared with ``collect doctor``: each adapter says per call what its failure
  costs (``adapters/proxmox/calls.py``, ``IMPACTS`` in ``adapters/docker/adapter.py``);
- a value that was not read is ``None`` in the model, never ``False``, ``""`` or ``0``; an
  answer of the wrong shape, an item dropped from a listing and a value of the wrong type each
  end in a gap (``adapters/common/unread.py``): nothing is dropped silently.

**Which errors a client may raise.** Clients translate every library exception at their
boundary into ``collector.errors.SourceError`` subclasses: ``SourceConnectionError`` (and its
``SourceTimeoutError``, ``SourceHandshakeError``), ``SourceAuthError``,
``SourceResponseError`` (with the source's own ``status`` and ``reason``), and
``SourceDeadlineError`` when the run's deadline passed before a request could start. Retries
(``adapters/common/retry.py``), gaps and messages key on those types. A replay client raises
the very same errors from recorded answers, so an adapter cannot tell a replay from the lab.

**Bounds.** Every request checks the run's ``Deadline`` before it starts, and is retried at most
``RunLimits.retries`` times (``adapters/common/retry.py``); an adapter's own concurrency is
bounded by its ``concurrency`` setting. A collector that runs unattended must end: per-request
timeouts bound one request, the deadline bounds the run. Threads cannot be killed, so the
deadline is cooperative: a request refuses to start once it has passed
(``SourceDeadlineError``, recorded as a gap that makes the run incomplete); a request already in
flight is bounded by its own timeout, so a run overshoots the deadline by at most one request
timeout. Both come from the config::

    [collect]
    deadline_seconds = 300   # whole run, all sources together
    retries = 1              # extra attempts for an idempotent GET that failed transiently

A minimal adapter::

    class Adapter:
        kind = SourceKind.DOCKER

        def __init__(self, name: str, client: Client, deadline: Deadline | None = None):
            self.name, self._client, self._deadline = name, client, deadline

        def collect(self) -> SourceResult:
            try:
                listing = self._client.containers(all=True)
            except SourceError as exc:
                return SourceResult(SourceStatus.failed(self.name, self.kind, str(exc), 1))
            gaps = [] if isinstance(listing, list) else [
                Gap(f"docker:{self.name}", "containers", "GET /containers/json: not a list",
                    incomplete=True)
            ]
            engine = Engine(id=f"docker:{self.name}", name=self.name, ...)
            return SourceResult(SourceStatus.finished(self.name, self.kind, gaps, 1), engine=engine)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from collector.errors import SourceDeadlineError
from collector.model import SourceKind, SourceResult


class Source(Protocol):
    """What the orchestrator runs: a named source that returns its result (see above)."""

    name: str
    kind: SourceKind

    def collect(self) -> SourceResult: ...


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
