"""The PBS API client: one GET path on a urllib3 pool, authenticated with an API token.

- **Login.** None: every GET carries the token header PBS documents,
  ``Authorization: PBSAPIToken=<user@realm!name>:<secret>`` (``:`` between id and secret, where
  PVE uses ``=``). A token needs no ticket, so no POST is ever sent (``docs/pbs-api.md``).
- **TLS.** ``fingerprint`` pins the certificate by its SHA-256 (urllib3's ``assert_fingerprint``;
  no CA and no host name is then consulted, as with PVE's ``pbs`` storages); otherwise it is
  checked against ``ca_bundle`` or the bundle the environment names, as for PVE
  (``adapters/common/transport.py``); ``verify_ssl = false`` checks nothing (the report says so).
- **Answers.** ``{"data": ...}`` on success; an error's text is the *body* (plain text), which
  ``errors.http_error`` turns into a message. A 200 whose body is not a JSON object is malformed.
- **Pool.** ``concurrency`` keep-alive connections; proxies from the environment as for PVE.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import urllib3
from urllib3.exceptions import InsecureRequestWarning

from adapters.common.tls import client_context
from adapters.common.transport import ca_path, proxy_for
from adapters.pbs import errors
from collector import __version__

_NO_RETRY = urllib3.Retry(0, read=False)  # retrying is the adapter's decision (common/retry.py)
_SAFE_PATH = "/:@!$&'()*+,;=-._~"


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


class PbsClient:
    """``get(path, **params)`` for the PBS API: the answer's ``data``, or a ``SourceError``."""

    def __init__(self, settings: PbsSettings, secret: str) -> None:
        self._source = settings.name
        self._pinned = settings.fingerprint is not None
        self._http = _pool_manager(settings)
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        self._base = f"https://{host}:{settings.port}/api2/json/"
        self._headers: Mapping[str, str] = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "keep-alive",
            "User-Agent": f"homelab-collector/{__version__}",
            "Authorization": f"PBSAPIToken={settings.token_id}:{secret}",
        }
        self._timeout = urllib3.Timeout(connect=settings.timeout, read=settings.timeout)

    def get(self, path: str, **params: Any) -> Any:
        path = path.strip("/")
        url = self._base + quote(path, safe=_SAFE_PATH)
        query = {k: v for k, v in params.items() if v is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        try:
            response = self._http.urlopen(
                "GET",
                url,
                headers=self._headers,
                retries=_NO_RETRY,
                redirect=False,
                timeout=self._timeout,
                preload_content=True,
            )
        except Exception as exc:  # noqa: BLE001 - every transport failure is translated here
            raise errors.transport_error(self._source, path, exc, self._pinned) from None
        status = response.status
        if status >= 400:
            reason = errors.reason_of(response.data, status)
            raise errors.http_error(self._source, path, status, reason)
        if not 200 <= status <= 299:
            return None  # PBS does not redirect; nothing else is data
        try:
            document = json.loads(response.data)
        except ValueError:
            raise errors.malformed(self._source, path) from None
        if not isinstance(document, dict):
            raise errors.malformed(self._source, path)
        return document.get("data")


def _pool_manager(settings: PbsSettings) -> urllib3.PoolManager:
    options: dict[str, Any] = {"num_pools": 1, "maxsize": settings.concurrency}
    if settings.fingerprint is not None:
        # The pin replaces CA and host name checks: PVE's pbs storages trust PBS the same way.
        options |= {
            "ssl_context": client_context(False),
            "cert_reqs": "CERT_NONE",
            "assert_fingerprint": settings.fingerprint,
        }
    else:
        verify = ca_path(settings.verify_ssl, settings.ca_bundle)
        if verify is False:
            # The report already says verification is off; one warning per request is noise.
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        options |= {
            "ssl_context": client_context(verify),
            "cert_reqs": "CERT_REQUIRED" if verify is not False else "CERT_NONE",
            "assert_hostname": None if verify is not False else False,
        }
    proxy = proxy_for("https", settings.host)
    if proxy is not None:
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)
