"""The PBS API client: the shared GET path (``adapters/common/http.py``) with an API token.

- **Login.** None: every GET carries the token header PBS documents,
  ``Authorization: PBSAPIToken=<user@realm!name>:<secret>`` (``:`` between id and secret, where
  PVE uses ``=``). A token needs no ticket, so no POST is ever sent (``docs/pbs-api.md``).
- **TLS.** ``fingerprint`` pins the certificate by its SHA-256 (urllib3's ``assert_fingerprint``;
  no CA and no host name is then consulted, as with PVE's ``pbs`` storages); otherwise it is
  checked against ``ca_bundle`` or the bundle the environment names, as for PVE
  (``adapters/common/transport.py``); ``verify_ssl = false`` checks nothing (the report says so).
- **Answers.** ``{"data": ...}`` on success; an error's text is the *body* (plain text), which
  ``errors.http_error`` turns into a message. A 200 whose body is not a JSON object is malformed.
- **Pool, proxies, errors:** as every HTTPS source (``adapters/common/http.py``), worded by
  ``errors.py``.
"""

from __future__ import annotations

from typing import Protocol

from adapters.common.http import Endpoint, JsonApi, connection_pool
from adapters.common.transport import ca_path
from adapters.pbs import errors


class PbsSettings(Protocol):
    """What the client reads from a ``[[pbs]]`` entry."""

    @property
    def name(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def token_id(self) -> str: ...
    @property
    def verify_ssl(self) -> bool: ...
    @property
    def ca_bundle(self) -> str | None: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def concurrency(self) -> int: ...


class _Token:
    def __init__(self, token_id: str, secret: str) -> None:
        self._header = {"Authorization": f"PBSAPIToken={token_id}:{secret}"}

    def headers(self) -> dict[str, str]:
        return self._header


def open_client(settings: PbsSettings, secret: str) -> JsonApi:
    """The client for one PBS; nothing is sent until the first ``get``."""
    pool = connection_pool(
        "https",
        settings.host,
        settings.port,
        concurrency=settings.concurrency,
        verify=ca_path(settings.verify_ssl, settings.ca_bundle),
        fingerprint=settings.fingerprint,
    )
    wording = errors.wording(pinned=settings.fingerprint is not None)
    endpoint = Endpoint(
        settings.name, pool, "/api2/json/", _Token(settings.token_id, secret), wording
    )
    return JsonApi(endpoint, settings.timeout)
