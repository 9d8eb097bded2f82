"""One bounded retry for idempotent GETs, under the run's deadline.

Only failures that a second attempt can plausibly fix are retried: a dropped or refused
connection, a timeout, and the gateway answers 502/503/504 that a proxy (or a restarting
pveproxy/dockerd behind one) gives. Deterministic answers are never retried: 4xx, PVE's 500
(agent not running, VM locked: asking again gives the same answer), 501 (endpoint unknown to this
version) and 595 (node offline), TLS and ssh handshake failures and malformed bodies. Clients
raise the collector's own error types (``collector.errors``), so one policy serves every source.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from collector.contract import Deadline
from collector.errors import (
    SourceConnectionError,
    SourceDeadlineError,
    SourceHandshakeError,
    SourceResponseError,
)

T = TypeVar("T")

RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_PAUSE_S = 0.2
"""A short pause before the retry: enough for a restarting proxy, short against any timeout."""


def retryable(exc: BaseException) -> bool:
    """Whether a second attempt may succeed."""
    if isinstance(exc, SourceHandshakeError | SourceDeadlineError):
        return False
    if isinstance(exc, SourceConnectionError):
        return True
    return isinstance(exc, SourceResponseError) and exc.status in RETRY_STATUSES


def with_retry(
    call: Callable[[], T],
    *,
    retries: int,
    deadline: Deadline | None,
    what: str,
) -> T:
    """Run ``call``; on a retryable failure run it again, up to ``retries`` more times.

    The deadline is checked before every attempt (raising ``SourceDeadlineError``); the last
    failure is re-raised unchanged.
    """
    attempt = 0
    while True:
        if deadline is not None:
            deadline.check(what)
        try:
            return call()
        except Exception as exc:
            if attempt >= retries or not retryable(exc):
                raise
            if deadline is not None and deadline.remaining() <= RETRY_PAUSE_S:
                raise
        attempt += 1
        time.sleep(RETRY_PAUSE_S)
