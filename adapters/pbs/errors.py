"""What a failed PBS call means, in the collector's error types, with a next step.

PBS answers errors as *plain text* (``403 permission check failed - missing Datastore.Audit on
/datastore/backup``): the status line carries only the canonical phrase, so the message is the
body's first line (``docs/pbs-api.md``, "Envelope and errors"). The live client (``client.py``)
and the replay client (``replay.py``) both build their errors here, so a replayed failure reads
exactly like the live one. Messages carry the source name and API path, never the token.
"""

from __future__ import annotations

import http.client

from adapters.common.http import Wording
from adapters.common.tls import tls_reason
from adapters.common.transport import connection_reason, first_line
from collector.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceHandshakeError,
    SourceResponseError,
    SourceTimeoutError,
)

MAX_REASON = 300
"""PBS puts whole error texts in the body; a message line stays readable."""


def reason_of(body: bytes | str, status: int) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    reason = first_line(text)[:MAX_REASON]
    return reason or http.client.responses.get(status, "Unknown")


def http_error(source: str, path: str, status: int, reason: str) -> SourceError:
    """PBS answered ``status`` with the text ``reason`` (its body's first line)."""
    where = f"{source}: GET {path}"
    reason = first_line(reason) or http.client.responses.get(status, "Unknown")
    if status == 401:
        return SourceAuthError(
            f"{where}: 401 {reason}; check token_id and the secret, and that the token is "
            "enabled and not expired",
            status=status,
            reason=reason,
        )
    if status == 403:
        return SourceAuthError(
            f"{where}: 403 {reason}; grant the token (and its user) DatastoreAudit on "
            "/datastore (see docs/reliability.md)",
            status=status,
            reason=reason,
        )
    return SourceResponseError(f"{where}: {status} {reason}", status=status, reason=reason)


def malformed(source: str, path: str) -> SourceError:
    return SourceResponseError(f"{source}: GET {path}: malformed JSON in the answer")


def tls_failed(source: str, path: str, exc: BaseException, pinned: bool) -> SourceError:
    text = str(exc)
    if "Fingerprints did not match" in text:
        return SourceHandshakeError(
            f"{source}: GET {path}: TLS error (the certificate's fingerprint is not the "
            "configured one); "
            "check fingerprint against proxmox-backup-manager cert info on the PBS host"
        )
    advice = (
        "check fingerprint (proxmox-backup-manager cert info)"
        if pinned
        else "set ca_bundle to the CA that signed the PBS certificate, or pin it with "
        "fingerprint (PBS's certificate is self-signed by default)"
    )
    return SourceHandshakeError(f"{source}: GET {path}: TLS error ({tls_reason(text)}); {advice}")


def timed_out(source: str, path: str) -> SourceError:
    return SourceTimeoutError(
        f"{source}: GET {path}: timed out; raise timeout or check the host (PBS answers a bad "
        "token only after 3 s)"
    )


def cannot_connect(source: str, path: str, exc: BaseException) -> SourceError:
    return SourceConnectionError(
        f"{source}: GET {path}: cannot connect ({connection_reason(exc)}); check host and port "
        "(PBS: 8007)"
    )


def wording(pinned: bool) -> Wording:
    """How PBS failures read, for ``adapters/common/http.py``; ``pinned``: the certificate is
    pinned by fingerprint (the TLS advice differs)."""
    return Wording(
        http_error=http_error,
        reason=lambda response: reason_of(response.data, response.status),
        malformed=malformed,
        tls_failed=lambda source, call, exc: tls_failed(source, call, exc, pinned),
        timed_out=timed_out,
        cannot_connect=cannot_connect,
        missing=(404, lambda path: f"Path '/api2/json/{path}' not found."),
    )
