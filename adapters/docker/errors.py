"""What a failed Docker call means, in the collector's error types, with a next step.

The live client (``client.py``) translates requests/paramiko/SDK exceptions here, at its
boundary; the replay client (``replay.py``) builds its errors here too, so a replayed failure
reads exactly like the live one. Every message names the exact call
(``GET /containers/json?all=1``), transport failures included.
"""

from __future__ import annotations

from adapters.common.tls import tls_reason
from collector.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceHandshakeError,
    SourceResponseError,
    SourceTimeoutError,
)

LISTING = "/containers/json?all=1"
"""The container listing, as its messages and gaps name it."""


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def http_error(source: str, what: str, status: int, reason: str) -> SourceError:
    """The engine answered ``status``; ``reason`` is its own message (``{"message": ...}``)."""
    reason = first_line(reason) or "error"
    message = f"{source}: GET {what}: {status} {reason}"
    if status in (401, 403):
        return SourceAuthError(message, status=status, reason=reason)
    return SourceResponseError(message, status=status, reason=reason)


def malformed(source: str, what: str) -> SourceError:
    return SourceResponseError(f"{source}: GET {what}: malformed JSON in the answer")


def _root_cause(exc: BaseException) -> BaseException:
    """requests and the SDK wrap transport errors (MaxRetryError in ConnectionError, ...);
    find the innermost one, where the words that explain it are."""
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nested = current.__cause__ or current.__context__
        if nested is None:
            return current
        current = nested
    return current


def _ssh_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith("paramiko") or "ssh" in type(exc).__name__.lower()


def transport_error(source: str, what: str, exc: BaseException) -> SourceError:
    """A call that got no answer: refused, timed out, TLS or ssh failure, or a broken body."""
    from requests import exceptions as rq  # imported with the docker SDK, never before it

    cause = _root_cause(exc)
    texts = " ".join(str(e) for e in (exc, cause))
    where = f"{source}: GET {what}"
    if isinstance(exc, rq.SSLError) or isinstance(cause, rq.SSLError) or "SSL" in texts:
        return SourceHandshakeError(
            f"{where}: TLS error ({tls_reason(texts)}); check tls_ca, tls_cert and tls_key"
        )
    if isinstance(exc, rq.Timeout) or isinstance(cause, TimeoutError) or "timed out" in texts:
        return SourceTimeoutError(
            f"{where} timed out; check that dockerd answers, or raise timeout"
        )
    if _ssh_error(cause) or _ssh_error(exc):
        text = str(cause) or str(exc)
        return SourceHandshakeError(
            f"{where}: ssh failed ({type(cause).__name__}: "
            f"{text.splitlines()[0] if text else ''}); check the ssh key, known_hosts and that "
            "the user may run docker"
        )
    if isinstance(exc, rq.ConnectionError | ConnectionError | OSError):
        return SourceConnectionError(
            f"{where}: cannot connect to the engine ({_short(str(cause) or str(exc))}); "
            "is dockerd running?"
        )
    if isinstance(exc, ValueError):
        return malformed(source, what)
    return SourceConnectionError(f"{where}: {_short(str(exc)) or type(exc).__name__}")


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


def is_not_found(exc: SourceError) -> bool:
    return exc.status == 404
