"""The PVE API client: the shared GET path (``adapters/common/http.py``), logged in through
proxmoxer's public API.

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
- **Proxies, pool, errors:** as every HTTPS source (``adapters/common/http.py``): ``https_proxy``
  through a CONNECT tunnel on the same pool (``scheme = "http"`` connects directly),
  ``concurrency`` keep-alive connections, failures in the collector's error types worded by
  ``errors.py``, never a urllib3, requests or proxmoxer exception.

Why urllib3 directly, not proxmoxer's ``get``: a large collection is bound by the client's CPU
per request once concurrency hides the latency, and proxmoxer + requests spend several times as
much per GET (measured in ``docs/performance.md``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from adapters.common.http import Endpoint, JsonApi, connection_pool
from adapters.common.transport import ca_path
from adapters.proxmox import errors

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


def open_client(
    settings: PveSettings, secret: str, *, clock: Callable[[], float] = time.monotonic
) -> tuple[JsonApi, JsonApi]:
    """``(api, agent_api)`` for one cluster; a password logs in now (raising ``SourceError``).

    ``agent_api`` shares the pool and login, with ``agent_timeout`` (at most ``timeout``).
    ``clock`` times the ticket's age.
    """
    verify = trusted_cas(settings)
    pool = connection_pool(
        settings.scheme,
        settings.host,
        settings.port,
        concurrency=settings.concurrency,
        verify=verify,
    )
    credentials: _Token | _Ticket
    if settings.token_name:
        credentials = _Token(settings.user, settings.token_name, secret)
    else:
        credentials = _Ticket(_ticket_login(settings, secret, verify), clock)
    endpoint = Endpoint(settings.name, pool, "/api2/json/", credentials, errors.WORDING)
    api = JsonApi(endpoint, settings.timeout)
    return api, api.with_timeout(min(settings.agent_timeout, settings.timeout))
