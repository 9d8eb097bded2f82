"""Translate docker SDK / requests / paramiko exceptions into the project's error tree."""

from __future__ import annotations

import requests
from docker import errors as docker_errors

from adapters.pve_errors import tls_reason
from adapters.retry import RETRY_STATUSES
from collector.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceResponseError,
)


def _root_cause(exc: BaseException) -> BaseException:
    """The docker SDK wraps transport errors in DockerException; find the real one."""
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nested = current.__cause__ or current.__context__
        if isinstance(current, requests.exceptions.RequestException) or nested is None:
            return current
        current = nested
    return current


def _ssh_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith("paramiko") or "ssh" in type(exc).__name__.lower()


def translate(exc: BaseException, source: str, what: str) -> SourceError:
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, docker_errors.APIError) and exc.status_code is not None:
        status = int(exc.status_code)
        response = exc.response
        reason = str(exc.explanation or (response.reason if response is not None else "") or "")
        reason = reason.strip().splitlines()[0] if reason.strip() else "error"
        if status in (401, 403):
            return SourceAuthError(f"{source}: GET {what}: {status} {reason}")
        return SourceResponseError(f"{source}: GET {what}: {status} {reason}", status=status)
    cause = _root_cause(exc)
    text = str(cause) or str(exc)
    if isinstance(cause, requests.exceptions.SSLError) or "SSL" in text:
        return SourceConnectionError(
            f"{source}: TLS error ({tls_reason(cause)}); check tls_ca, tls_cert and tls_key"
        )
    if isinstance(cause, requests.exceptions.Timeout | TimeoutError) or "timed out" in text:
        return SourceConnectionError(
            f"{source}: GET {what} timed out; check that dockerd answers, or raise timeout"
        )
    if _ssh_error(cause) or _ssh_error(exc):
        return SourceConnectionError(
            f"{source}: ssh failed ({type(cause).__name__}: {text.splitlines()[0] if text else ''}"
            "); check the ssh key, known_hosts and that the user may run docker"
        )
    if isinstance(cause, requests.exceptions.ConnectionError | ConnectionError | OSError):
        return SourceConnectionError(
            f"{source}: cannot connect to the engine ({_short(text)}); is dockerd running?"
        )
    if isinstance(exc, docker_errors.DockerException):
        return SourceConnectionError(f"{source}: {_short(str(exc))}")
    if isinstance(exc, ValueError):
        return SourceResponseError(f"{source}: GET {what}: malformed JSON in the answer")
    return SourceResponseError(f"{source}: GET {what}: unexpected {type(exc).__name__}")


def _short(text: str) -> str:
    for needle in (
        "Connection refused",
        "No such file or directory",
        "Connection reset",
        "Name or service not known",
        "Permission denied",
        "Remote end closed",
    ):
        if needle in text:
            return needle.lower()
    line = text.strip().splitlines()[0] if text.strip() else "connection failed"
    return line[:160]


def retryable(exc: BaseException) -> bool:
    """Whether a second attempt may succeed (see ``adapters/retry.py`` for the policy)."""
    if isinstance(exc, docker_errors.APIError) and exc.status_code is not None:
        return int(exc.status_code) in RETRY_STATUSES
    cause = _root_cause(exc)
    if isinstance(cause, requests.exceptions.SSLError) or _ssh_error(cause):
        return False  # certificates and ssh keys do not change between two attempts
    return isinstance(cause, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def is_not_found(exc: SourceError) -> bool:
    return isinstance(exc, SourceResponseError) and exc.status == 404
