"""One GET path for the sources that answer HTTPS + JSON (PVE, PBS), and their replay.

- ``connection_pool``: one urllib3 pool for the one host, sized to the source's concurrency,
  taken from urllib3's ``PoolManager``/``ProxyManager`` through the public
  ``connection_from_url`` (which also sets up the CONNECT tunnel when ``https_proxy`` applies).
  TLS: a pinned fingerprint, a CA file/folder, or nothing (``verify_ssl = false``).
- ``JsonApi.get``: the answer's ``data`` (``{"data": ...}``), or a ``SourceError`` worded by the
  source (``Wording``: what a 403 means on PVE is not what it means on PBS).
- ``ReplayJsonApi``: the same ``get`` from a recording folder, failing with the same words.

Each source keeps only what differs: its login (headers), its wording, its settings.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    InsecureRequestWarning,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from adapters.common.recording import Malformed, read_answer, recording_file
from adapters.common.tls import client_context
from adapters.common.transport import proxy_for
from collector import __version__
from collector.errors import SourceError

# No retries inside urllib3, and a read error is raised, not retried: retrying is the adapter's
# decision (adapters/common/retry.py), made per call with the run's deadline in view.
_NO_RETRY = urllib3.Retry(0, read=False)
_SAFE_PATH = "/:@!$&'()*+,;=-._~"

HEADERS: Mapping[str, str] = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"homelab-collector/{__version__}",
}


@dataclass(frozen=True, slots=True)
class Wording:
    """How one source words its failures (``adapters/<kind>/errors.py``). ``call`` is the call's
    label, ``path?query`` (``call_label``)."""

    http_error: Callable[[str, str, int, str], SourceError]
    """(source, call, status, the source's own reason text)."""
    reason: Callable[[urllib3.BaseHTTPResponse], str]
    """Where an error answer keeps its reason: PVE's status line, PBS's body."""
    malformed: Callable[[str, str], SourceError]
    tls_failed: Callable[[str, str, BaseException], SourceError]
    timed_out: Callable[[str, str], SourceError]
    cannot_connect: Callable[[str, str, BaseException], SourceError]
    missing: tuple[int, Callable[[str], str]]
    """What the source answers for a path it does not know: status and text (for replay)."""


def call_label(path: str, params: Mapping[str, Any] | None = None) -> str:
    """The call as a reader would type it: ``cluster/resources?type=vm`` (parameters sorted)."""
    query = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()) if v is not None)
    return f"{path}?{query}" if query else path


def transport_error(wording: Wording, source: str, call: str, exc: Exception) -> SourceError:
    """A GET that got no answer: urllib3's exception, in the collector's types."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    if isinstance(reason, SSLError):
        return wording.tls_failed(source, call, reason)
    if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
        return wording.timed_out(source, call)
    if isinstance(reason, ReadTimeoutError | TimeoutError):
        return wording.timed_out(source, call)
    if isinstance(reason, HTTPError | OSError):
        return wording.cannot_connect(source, call, exc)
    return wording.http_error(source, call, 500, f"{type(exc).__name__}: {exc}")


class Credentials(Protocol):
    def headers(self) -> Mapping[str, str]:
        """The headers that authenticate a request (a ticket may be renewed between calls)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What every view of one source shares: pool, base path, credentials and wording."""

    source: str
    pool: urllib3.HTTPConnectionPool
    base: str
    """The API's path prefix, ``/api2/json/``."""
    credentials: Credentials
    wording: Wording


class JsonApi:
    """``get(path, **params)``: the answer's ``data``, or a ``SourceError``."""

    def __init__(self, endpoint: Endpoint, timeout: float) -> None:
        self._endpoint = endpoint
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.timeout = timeout

    def with_timeout(self, timeout: float) -> JsonApi:
        """The same pool and login with another per-request timeout (for guest-agent calls)."""
        return JsonApi(self._endpoint, timeout)

    def get(self, path: str, **params: Any) -> Any:
        end = self._endpoint
        path = path.strip("/")
        url = end.base + quote(path, safe=_SAFE_PATH)
        query = {k: v for k, v in params.items() if v is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        call = call_label(path, query)
        try:
            response = end.pool.urlopen(
                "GET",
                url,
                headers={**HEADERS, **end.credentials.headers()},
                retries=_NO_RETRY,
                redirect=False,
                timeout=self._timeout,
                preload_content=True,
            )
        except Exception as exc:  # noqa: BLE001 - every transport failure is translated here
            raise transport_error(end.wording, end.source, call, exc) from None
        status = response.status
        if status >= 400:
            raise end.wording.http_error(end.source, call, status, end.wording.reason(response))
        if not 200 <= status <= 299:
            return None  # neither PVE nor PBS redirects; nothing else is data
        try:
            document = json.loads(response.data)
        except ValueError:
            raise end.wording.malformed(end.source, call) from None
        if not isinstance(document, dict):
            raise end.wording.malformed(end.source, call)
        return document.get("data")


def connection_pool(
    scheme: str,
    host: str,
    port: int,
    *,
    concurrency: int,
    verify: bool | str,
    fingerprint: str | None = None,
) -> urllib3.HTTPConnectionPool:
    """The one keep-alive pool for ``scheme://host:port``; ``verify`` is False or a CA path,
    ``fingerprint`` pins the certificate instead (no CA, no host name check)."""
    options: dict[str, Any] = {"num_pools": 1, "maxsize": concurrency}
    if scheme == "https" and fingerprint is not None:
        options |= {
            "ssl_context": client_context(False),
            "cert_reqs": "CERT_NONE",
            "assert_fingerprint": fingerprint,
        }
    elif scheme == "https":
        if verify is False:
            # The report already says verification is off; one warning per request is noise.
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        options |= {
            "ssl_context": client_context(verify),
            "cert_reqs": "CERT_REQUIRED" if verify is not False else "CERT_NONE",
            "assert_hostname": None if verify is not False else False,
        }
    # A proxy is a CONNECT tunnel for https; plain http (PVE behind a reverse proxy, token
    # only) connects directly.
    proxy = proxy_for("https", host) if scheme == "https" else None
    manager = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return manager.connection_from_url(f"{scheme}://{bracketed}:{port}")


class ReplayJsonApi:
    """``get(path, **params)`` like ``JsonApi``, from the recorded answers under ``root``: a
    recorded error raises the error the live source gave, a call never recorded answers like
    the source does for a path it does not know."""

    def __init__(self, root: Path, source: str, wording: Wording) -> None:
        self.root = root
        self.source = source
        self._wording = wording

    def get(self, path: str, **params: Any) -> Any:
        path = path.strip("/")
        call = call_label(path, params)
        try:
            found, data = read_answer(recording_file(self.root, path, params))
        except Malformed:
            raise self._wording.malformed(self.source, call) from None
        if found:
            return data
        if not isinstance(data, dict):
            status, text = self._wording.missing
            raise self._wording.http_error(self.source, call, status, text(path))
        status = data.get("status", 500)
        status = status if isinstance(status, int) and not isinstance(status, bool) else 500
        raise self._wording.http_error(self.source, call, status, str(data.get("message", "")))
