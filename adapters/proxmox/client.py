"""The PVE API client: one GET path on a urllib3 pool, logged in through proxmoxer's public API.

- **Login.** An API token needs no request: every GET carries the documented header
  ``Authorization: PVEAPIToken=<user>!<token name>=<secret>``. A password logs in once through
  ``proxmoxer.ProxmoxAPI`` (the ticket POST, the only non-GET this tool sends) and
  ``get_tokens()`` hands over the ticket, sent as the ``PVEAuthCookie``; a ticket older than an
  hour is renewed the same way (PVE's tickets live two hours).
- **TLS.** ``verify_ssl = false`` verifies nothing (the report says so). Otherwise the
  certificate is checked against ``ca_bundle``; without one, against the bundle named by
  ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` when set (as curl and requests do), else
  certifi's public CAs. The one resolved path is given to both the login and the GETs, so an
  environment variable can never replace a configured ``ca_bundle`` for either.
- **Proxies.** ``https_proxy`` and ``no_proxy`` from the environment: the pool then reaches PVE
  through a CONNECT tunnel (urllib3's ``ProxyManager``), on the same code path. ``scheme =
  "http"`` connects directly.
- **Pool.** ``concurrency`` keep-alive connections, so every worker thread keeps its own.
- **Errors.** Every failure leaves as one of the collector's error types
  (``adapters/proxmox/errors.py``), never as a urllib3, requests or proxmoxer exception.

Why urllib3 directly, not proxmoxer's ``get``: a large collection is bound by the client's CPU
per request once concurrency hides the latency, and proxmoxer + requests spend several times as
much per GET (measured in ``docs/performance.md``).
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import urllib3
from urllib3.exceptions import InsecureRequestWarning

from adapters.common.tls import client_context
from adapters.common.transport import ca_path, proxy_for
from adapters.proxmox import errors
from collector import __version__

# No retries inside urllib3, and a read error is raised, not retried: retrying is the adapter's
# decision (adapters/common/retry.py), made per call with the run's deadline in view.
_NO_RETRY = urllib3.Retry(0, read=False)
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_LOGIN = "access/ticket"
TICKET_RENEW_S = 3600.0
"""Renew a ticket after an hour, as proxmoxer does: PVE accepts it for two."""


class PveSettings(Protocol):
    """What the client reads from a ``[[proxmox]]`` entry."""

    @property
    def name(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def scheme(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def token_name(self) -> str | None: ...
    @property
    def verify_ssl(self) -> bool: ...
    @property
    def ca_bundle(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def agent_timeout(self) -> float: ...
    @property
    def concurrency(self) -> int: ...


def trusted_cas(settings: PveSettings) -> bool | str:
    """False, or the CA file/folder the certificate is checked against (see the module doc)."""
    return ca_path(settings.verify_ssl, settings.ca_bundle)


class _Token:
    def __init__(self, user: str, token_name: str, secret: str) -> None:
        self._header = {"Authorization": f"PVEAPIToken={user}!{token_name}={secret}"}

    def headers(self) -> Mapping[str, str]:
        return self._header


class _Ticket:
    """A login ticket from proxmoxer, renewed when it gets old; shared by every thread."""

    def __init__(self, login: Callable[[], str], clock: Callable[[], float] = time.monotonic):
        self._login = login
        self._clock = clock
        self._lock = threading.Lock()
        self._cookie = self._fetch()

    def _fetch(self) -> dict[str, str]:
        self._born = self._clock()
        return {"Cookie": f"PVEAuthCookie={self._login()}"}

    def headers(self) -> Mapping[str, str]:
        if self._clock() - self._born >= TICKET_RENEW_S:
            with self._lock:
                if self._clock() - self._born >= TICKET_RENEW_S:
                    self._cookie = self._fetch()
        return self._cookie


def _ticket_login(settings: PveSettings, secret: str, verify: bool | str) -> Callable[[], str]:
    """A function that logs in with proxmoxer and returns the ticket; errors translated."""
    from proxmoxer import AuthenticationError, ProxmoxAPI  # only a password login needs it
    from requests.exceptions import ConnectionError, SSLError, Timeout

    def login() -> str:
        try:
            api = ProxmoxAPI(
                settings.host,
                port=settings.port,
                user=settings.user,
                password=secret,
                verify_ssl=verify,
                timeout=settings.timeout,
            )
            ticket, _csrf = api.get_tokens()
        except AuthenticationError:
            raise errors.login_refused(settings.name) from None
        except SSLError as exc:
            raise errors.tls_failed(settings.name, _LOGIN, exc, verb="POST") from None
        except Timeout:
            raise errors.timed_out(settings.name, _LOGIN, verb="POST") from None
        except ConnectionError as exc:
            raise errors.cannot_connect(settings.name, _LOGIN, exc, verb="POST") from None
        except Exception as exc:  # noqa: BLE001 - a login that fails in any other way
            raise errors.http_error(settings.name, _LOGIN, 500, str(exc), verb="POST") from None
        return str(ticket)

    return login


@dataclass(frozen=True, slots=True)
class _Connection:
    """What every view of one cluster shares: the connection pool, the base path, the login."""

    source: str
    pool: urllib3.HTTPConnectionPool
    base: str
    """The API's path prefix, ``/api2/json/``."""
    auth: _Token | _Ticket
    headers: Mapping[str, str]


class PveClient:
    """``get(path, **params)`` for the PVE API: the answer's ``data``, or a ``SourceError``."""

    def __init__(self, connection: _Connection, timeout: float) -> None:
        self._connection = connection
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.timeout = timeout

    def with_timeout(self, timeout: float) -> PveClient:
        """The same pool and login with another per-request timeout (for guest-agent calls)."""
        return PveClient(self._connection, timeout)

    def get(self, path: str, **params: Any) -> Any:
        conn = self._connection
        path = path.strip("/")
        url = conn.base + quote(path, safe=_SAFE_PATH)
        query = {k: v for k, v in params.items() if v is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        call = errors.call_label(path, query)
        headers = {**conn.headers, **conn.auth.headers()}
        try:
            response = conn.pool.urlopen(
                "GET",
                url,
                headers=headers,
                retries=_NO_RETRY,
                redirect=False,
                timeout=self._timeout,
                preload_content=True,
            )
        except Exception as exc:  # noqa: BLE001 - every transport failure is translated here
            raise errors.transport_error(conn.source, call, exc) from None
        status = response.status
        if status >= 400:
            raise errors.http_error(conn.source, call, status, response.reason or "")
        if not 200 <= status <= 299:
            return None  # PVE does not redirect; nothing else is data
        try:
            document = json.loads(response.data)
        except ValueError:
            raise errors.malformed(conn.source, call) from None
        if not isinstance(document, dict):
            raise errors.malformed(conn.source, call)
        return document.get("data")


def open_client(
    settings: PveSettings, secret: str, *, clock: Callable[[], float] = time.monotonic
) -> tuple[PveClient, PveClient]:
    """``(api, agent_api)`` for one cluster; a password logs in now (raising ``SourceError``).

    ``agent_api`` shares the pool and login, with ``agent_timeout`` (at most ``timeout``).
    ``clock`` times the ticket's age.
    """
    verify = trusted_cas(settings)
    origin = f"{settings.scheme}://{_host(settings.host)}:{settings.port}"
    # One pool for the one host: through the manager's public connection_from_url, which also
    # sets up the CONNECT tunnel when a proxy applies.
    pool = _pool_manager(settings, verify).connection_from_url(origin)
    auth: _Token | _Ticket
    if settings.token_name:
        auth = _Token(settings.user, settings.token_name, secret)
    else:
        auth = _Ticket(_ticket_login(settings, secret, verify), clock)
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "Connection": "keep-alive",
        "User-Agent": f"homelab-collector/{__version__}",
    }
    connection = _Connection(settings.name, pool, "/api2/json/", auth, headers)
    api = PveClient(connection, settings.timeout)
    return api, api.with_timeout(min(settings.agent_timeout, settings.timeout))


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _pool_manager(settings: PveSettings, verify: bool | str) -> urllib3.PoolManager:
    options: dict[str, Any] = {"num_pools": 1, "maxsize": settings.concurrency}
    if settings.scheme == "https":
        if verify is False:
            # The report already says verification is off; one warning per request is noise.
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        options |= {
            "ssl_context": client_context(verify),
            "cert_reqs": "CERT_REQUIRED" if verify is not False else "CERT_NONE",
            "assert_hostname": None if verify is not False else False,
        }
    # A proxy is used as a CONNECT tunnel for https; plain http (a reverse proxy in front of PVE,
    # token only) connects directly.
    proxy = proxy_for("https", settings.host) if settings.scheme == "https" else None
    if proxy is not None:
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)
