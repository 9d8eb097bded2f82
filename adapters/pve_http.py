"""A lean GET-only PVE client: one urllib3 connection pool per cluster, proxmoxer's login reused.

Why not proxmoxer's own ``get`` for the hundreds of per-guest calls: with the latency hidden by
concurrency, the client's CPU per request is what bounds a large collection, and proxmoxer +
requests spend ~0.9 ms of CPU per GET on a 2-core machine (a new ``ProxmoxResource`` and dict
copies per call, an f-string of the whole answer for a debug log line, requests re-reading the
proxy and CA-bundle environment on every call, cookie-jar bookkeeping). Going straight to the
urllib3 pool requests itself uses costs ~0.25 ms (see ``docs/performance.md``).

What stays exactly as before:

- login: ``ProxmoxAPI`` still authenticates (one ticket POST, or none with a token); this client
  reads the token header or ticket cookie from proxmoxer's auth object, which also renews a
  ticket older than an hour;
- TLS: ``verify`` is resolved once the way requests resolves it per request (an explicit CA path
  or ``False`` wins; ``True`` honours ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi),
  and one ``SSLContext`` holding that CA serves every connection;
- errors: the same exception types requests/proxmoxer raise (``ResourceException`` for HTTP
  errors; requests' ``ConnectionError``/``Timeout``/``SSLError`` for transport failures, built
  from the same urllib3 errors requests wraps), so ``pve_errors`` and the retry policy apply
  unchanged. One deliberate difference: a 2xx body that is not JSON raises ``ValueError``
  (reported as "malformed JSON") where proxmoxer returns ``{"errors": <bytes>}`` as if it were data.

When the environment routes the PVE host through a proxy, ``lean_client`` returns ``None`` and
the caller keeps proxmoxer (proxies are rare for a LAN API; correctness first).

The pool holds ``concurrency`` connections, so every worker thread keeps its keep-alive
connection (requests' default pool keeps only 10 and re-handshakes the rest).
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import requests
import urllib3
from proxmoxer.core import ANYEVENT_HTTP_STATUS_CODES, ResourceException
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_environ_proxies
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util import Retry, Timeout, parse_url
from urllib3.util.ssl_ import create_urllib3_context

from collector import __version__

# requests' own default: no retries, and a read error is raised, not retried. Retrying is the
# adapter's decision (adapters/retry.py), made per call with the run's deadline in view.
_NO_RETRY = Retry(0, read=False)
_SAFE_PATH = "/:@!$&'()*+,;=-._~"


def _resolved_verify(session: requests.Session, url: str) -> bool | str:
    """``verify`` exactly as requests resolves it for proxmoxer's requests to ``url``.

    proxmoxer passes its ``verify_ssl`` with every request; requests lets the environment
    replace it only when it is ``True``.
    """
    wanted = getattr(session.auth, "verify_ssl", True)
    verify = session.merge_environment_settings(url, {}, None, wanted, None)["verify"]
    return verify if isinstance(verify, str) else bool(verify)


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
        context.check_hostname = False
        return context
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    path = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
    if Path(path).is_dir():
        context.load_verify_locations(capath=path)
    else:
        context.load_verify_locations(cafile=path)
    return context


class PveHttpApi:
    """Answers ``get(path, **params)`` like ``proxmoxer.ProxmoxAPI`` does, for GETs only."""

    def __init__(
        self,
        pool: urllib3.HTTPConnectionPool,
        base_path: str,
        auth: Any,
        timeout: float,
        *,
        headers: dict[str, str] | None = None,
        auth_lock: threading.Lock | None = None,
    ) -> None:
        self._pool = pool
        self._base = base_path.rstrip("/") + "/"
        self._auth = auth
        self._headers = dict(headers or {})
        self._timeout = Timeout(connect=timeout, read=timeout)
        self._auth_lock = auth_lock or threading.Lock()
        # A token never changes: its headers are built once. A ticket may be renewed mid-run.
        self._static = self._request_headers() if _is_token(auth) else None
        self.timeout = timeout

    def with_timeout(self, timeout: float) -> PveHttpApi:
        """The same pool and login with a shorter per-request timeout (for guest-agent calls)."""
        return PveHttpApi(
            self._pool,
            self._base,
            self._auth,
            timeout,
            headers=self._headers,
            auth_lock=self._auth_lock,
        )

    def _request_headers(self) -> dict[str, str]:
        # proxmoxer's auth objects are requests auth hooks: let them decorate a stand-in
        # request, so a token header or a (renewed) ticket comes out exactly as proxmoxer sends.
        stand_in = SimpleNamespace(method="GET", headers={}, cert=None)
        with self._auth_lock:
            self._auth(stand_in)
            ticket = getattr(self._auth, "pve_auth_ticket", None)
        headers = {**self._headers, **stand_in.headers}
        if ticket:
            service = getattr(self._auth, "service", "PVE")
            headers["Cookie"] = f"{service}AuthCookie={ticket}"
        return headers

    def get(self, path: str, **params: Any) -> Any:
        url = self._base + quote(path.strip("/"), safe=_SAFE_PATH)
        query = {k: v for k, v in params.items() if v is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        headers = self._static if self._static is not None else self._request_headers()
        try:
            response = self._pool.urlopen(
                "GET",
                url,
                headers=headers,
                retries=_NO_RETRY,
                redirect=False,
                timeout=self._timeout,
                preload_content=True,
            )
        except Exception as exc:
            raise _as_requests_error(exc, url) from exc
        return _answer(response.status, response.reason or "", response.data)


def _is_token(auth: Any) -> bool:
    return hasattr(auth, "token_value")


def _answer(status: int, reason: str, body: bytes) -> Any:
    if status >= 400:
        phrase = http.client.responses.get(status, ANYEVENT_HTTP_STATUS_CODES.get(status))
        raise ResourceException(status, phrase, reason, errors=_errors(body))
    if not 200 <= status <= 299:
        return None  # as proxmoxer: PVE does not redirect, and nothing else is data
    document = json.loads(body)  # ValueError (JSONDecodeError) on a body that is not JSON
    if not isinstance(document, dict):
        raise ValueError("PVE answer is not a JSON object")
    return document.get("data")


def _errors(body: bytes) -> Any:
    try:
        document = json.loads(body)
    except ValueError:
        return {"errors": body}
    return document.get("errors") if isinstance(document, dict) else None


def _as_requests_error(exc: Exception, url: str) -> Exception:
    """The exception requests' HTTPAdapter raises for the same urllib3 failure."""
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return requests.exceptions.ConnectTimeout(exc)
        if isinstance(reason, Urllib3SSLError):
            return requests.exceptions.SSLError(exc)
        return requests.exceptions.ConnectionError(exc)
    if isinstance(exc, ProtocolError | OSError | ClosedPoolError):
        return requests.exceptions.ConnectionError(exc)
    if isinstance(exc, Urllib3SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, ReadTimeoutError):
        return requests.exceptions.ReadTimeout(exc)
    if isinstance(exc, HTTPError):
        return requests.exceptions.ConnectionError(exc)
    return exc


def lean_client(api: Any, *, concurrency: int, timeout: float) -> PveHttpApi | None:
    """A ``PveHttpApi`` sharing ``api``'s login, or None when a proxy applies to the host."""
    store = getattr(api, "_store", None)
    if not isinstance(store, dict) or "session" not in store or "base_url" not in store:
        return None
    session: requests.Session = store["session"]
    base_url = str(store["base_url"])
    if session.trust_env and get_environ_proxies(base_url):
        return None
    url = parse_url(base_url)
    if not url.host:
        return None
    headers = {
        "Accept": str(session.headers.get("accept", "application/json")),
        "Accept-Encoding": "gzip, deflate",
        "Connection": "keep-alive",
        "User-Agent": f"homelab-collector/{__version__}",
    }
    pool: urllib3.HTTPConnectionPool
    if url.scheme == "http":
        pool = urllib3.HTTPConnectionPool(url.host, url.port or 80, maxsize=concurrency)
    else:
        verify = _resolved_verify(session, base_url)
        pool = urllib3.HTTPSConnectionPool(
            url.host,
            url.port or 443,
            maxsize=concurrency,
            ssl_context=_ssl_context(verify),
            cert_reqs="CERT_REQUIRED" if verify is not False else "CERT_NONE",
            assert_hostname=None if verify is not False else False,
        )
    return PveHttpApi(pool, url.path or "/api2/json", session.auth, timeout, headers=headers)
