"""Translate proxmoxer/requests exceptions into the project's error tree, with a next step.

Messages carry the source name and API path, never a header, cookie or secret.
"""

from __future__ import annotations

import re

import requests
from proxmoxer import AuthenticationError
from proxmoxer.core import ResourceException

from adapters.retry import RETRY_STATUSES
from collector.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceResponseError,
)

_SSL_REASON = re.compile(r"\[SSL: ([A-Z_]+)\][^()'\"]*?(certificate verify failed: [^()'\"]+)?")


def _first_line(text: object) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def tls_reason(exc: BaseException) -> str:
    """Pull the useful part ("certificate verify failed: self-signed ...") out of urllib3 noise."""
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^()'\"]+?)(?: \(|'|\"|\)|$)", text)
    if match:
        return f"certificate verify failed: {match.group(1).strip()}"
    match = _SSL_REASON.search(text)
    return match.group(0).strip() if match else "TLS handshake failed"


def translate(exc: BaseException, source: str, path: str) -> SourceError:
    where = f"{source}: GET {path}"
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, ResourceException):
        status = int(exc.status_code)
        reason = _first_line(exc.content) or _first_line(exc.status_message)
        if status == 401:
            return SourceAuthError(f"{where}: 401 {reason}; check user, token_name and the secret")
        if status == 403:
            return SourceAuthError(f"{where}: 403 {reason}; grant the privilege it names")
        if status == 595 and path.startswith("nodes/"):
            node = path.split("/", 2)[1]
            return SourceResponseError(
                f"{where}: 595 {reason}; node {node} is unreachable from the node we asked "
                "(offline, or the cluster network is down)",
                status=status,
            )
        return SourceResponseError(f"{where}: {status} {reason}", status=status)
    if isinstance(exc, AuthenticationError):
        return SourceAuthError(f"{source}: ticket login refused; check user and password")
    if isinstance(exc, requests.exceptions.SSLError):
        return SourceConnectionError(
            f"{source}: TLS error ({tls_reason(exc)}); set ca_bundle to the CA that signed "
            "the PVE certificate, or verify_ssl = false for a lab you trust"
        )
    if isinstance(exc, requests.exceptions.Timeout):
        if "/agent/" in path:
            return SourceConnectionError(
                f"{where}: timed out; check qemu-guest-agent in the VM or raise agent_timeout"
            )
        return SourceConnectionError(f"{where}: timed out; raise timeout or check the host")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return SourceConnectionError(
            f"{source}: cannot connect ({_connection_reason(exc)}); check host and port"
        )
    if isinstance(exc, ValueError):  # json.JSONDecodeError: a body that is not JSON
        return SourceResponseError(f"{where}: malformed JSON in the answer")
    if isinstance(exc, requests.exceptions.RequestException):
        return SourceConnectionError(f"{where}: {type(exc).__name__}")
    return SourceResponseError(f"{where}: unexpected {type(exc).__name__}: {_first_line(exc)}")


def retryable(exc: BaseException) -> bool:
    """Whether a second attempt may succeed (see ``adapters/retry.py`` for the policy)."""
    if isinstance(exc, ResourceException):
        return int(exc.status_code) in RETRY_STATUSES
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # a certificate does not change between two attempts
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def _connection_reason(exc: BaseException) -> str:
    text = str(exc)
    for needle in (
        "Connection refused",
        "Name or service not known",
        "No route to host",
        "timed out",
        "Network is unreachable",
        "Connection reset",
        "Remote end closed connection",
    ):
        if needle in text:
            return needle.lower()
    return "connection failed"
