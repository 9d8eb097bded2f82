"""What a failed PVE call means, in the collector's error types, with a next step.

The live client (``client.py``) and the replay client (``replay.py``) both build their errors
here, so a replayed failure reads exactly like the live one. Messages carry the source name and
the exact call (``GET cluster/resources?type=storage``: the query tells the storage listing from
the guest listing), transport failures included; never a header, cookie or secret.
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

# The status codes pveproxy uses beyond the IANA list (AnyEvent::HTTP's own).
_PVE_PHRASES = {595: "Connection Timed Out", 596: "Connection Reset By Peer"}


def phrase(status: int) -> str:
    return http.client.responses.get(status) or _PVE_PHRASES.get(status, "Unknown")


def http_error(
    source: str, path: str, status: int, reason: str, *, verb: str = "GET"
) -> SourceError:
    """PVE answered ``status``; ``reason`` is its own text (pveproxy puts it in the status line).

    ``path`` is the call's label (``call_label``), query included."""
    where = f"{source}: {verb} {path}"
    reason = first_line(reason) or phrase(status)
    if status in (401, 403):
        advice = (
            "check user, token_name and the secret"
            if status == 401
            else ("grant the privilege it names")
        )
        return SourceAuthError(
            f"{where}: {status} {reason}; {advice}", status=status, reason=reason
        )
    message = f"{where}: {status} {reason}"
    if status == 595 and path.startswith("nodes/"):
        node = path.split("/", 2)[1]
        message += (
            f"; node {node} is unreachable from the node we asked "
            "(offline, or the cluster network is down)"
        )
    return SourceResponseError(message, status=status, reason=reason)


def malformed(source: str, path: str) -> SourceError:
    return SourceResponseError(f"{source}: GET {path}: malformed JSON in the answer")


def login_refused(source: str) -> SourceError:
    return SourceAuthError(f"{source}: ticket login refused; check user and password")


def tls_failed(source: str, path: str, exc: BaseException, *, verb: str = "GET") -> SourceError:
    return SourceHandshakeError(
        f"{source}: {verb} {path}: TLS error ({tls_reason(str(exc))}); set ca_bundle to the CA "
        "that signed the PVE certificate, or verify_ssl = false for a lab you trust"
    )


def timed_out(source: str, path: str, *, verb: str = "GET") -> SourceError:
    where = f"{source}: {verb} {path}"
    if "/agent/" in path:
        return SourceTimeoutError(
            f"{where}: timed out; check qemu-guest-agent in the VM or raise agent_timeout"
        )
    return SourceTimeoutError(f"{where}: timed out; raise timeout or check the host")


def cannot_connect(source: str, path: str, exc: BaseException, *, verb: str = "GET") -> SourceError:
    return SourceConnectionError(
        f"{source}: {verb} {path}: cannot connect ({connection_reason(exc)}); check host and port"
    )


WORDING = Wording(
    http_error=http_error,
    reason=lambda response: response.reason or "",
    malformed=malformed,
    tls_failed=tls_failed,
    timed_out=timed_out,
    cannot_connect=cannot_connect,
    missing=(501, lambda path: f"Method 'GET /{path}' not implemented"),
)
"""How PVE failures read, for ``adapters/common/http.py``."""
