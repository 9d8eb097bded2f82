"""Open a live connection to a PVE cluster with proxmoxer: the one place that connects.

TLS: a configured ``ca_bundle`` is passed to requests as ``verify=<path>``. requests lets
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace ``verify`` only when it is ``True``/``None``,
so an explicit path or ``False`` is honoured whatever the environment says.

Plain HTTP (``scheme = "http"``, only with ``allow_insecure_http``; see ``collector/security.py``)
is built from proxmoxer's own auth and session classes, because its https backend hard-codes the
scheme in the URL it logs in to.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from proxmoxer import ProxmoxAPI
from proxmoxer.backends.https import (
    JsonSerializer,
    ProxmoxHTTPApiTokenAuth,
    ProxmoxHTTPAuth,
    ProxmoxHttpSession,
)
from proxmoxer.core import ProxmoxResource
from requests.adapters import HTTPAdapter

from adapters.pve_errors import translate
from adapters.pve_http import lean_client
from collector.config import ProxmoxConfig


def _verify(cfg: ProxmoxConfig) -> bool | str:
    if not cfg.verify_ssl:
        return False
    return cfg.ca_bundle or True


def _with_timeout(api: Any, timeout: float) -> Any:
    """A view of ``api`` whose requests time out sooner, sharing its connection pool and login.

    proxmoxer reads the timeout from the session's auth object, so the view gets a shallow copy
    of the session (same adapters, hence the same keep-alive pool) with its own auth copy.
    """
    store = dict(api._store)
    session = copy.copy(store["session"])
    session.auth = copy.copy(session.auth)
    session.auth.timeout = timeout
    session.adapters = store["session"].adapters
    store["session"] = session
    return ProxmoxResource(**store)


def _plain_http_api(cfg: ProxmoxConfig, secret: str) -> Any:
    """The same resource tree as ``ProxmoxAPI`` gives, on ``http://`` (logs in when needed)."""
    base_url = f"http://{cfg.host}:{cfg.port}/api2/json"
    common: dict[str, Any] = {"verify_ssl": False, "timeout": cfg.timeout, "service": "PVE"}
    auth: Any
    if cfg.token_name:
        auth = ProxmoxHTTPApiTokenAuth(cfg.user, cfg.token_name, secret, **common)
    else:
        auth = ProxmoxHTTPAuth(cfg.user, secret, base_url=base_url, **common)
    session = ProxmoxHttpSession()
    session.auth = auth
    session.headers["Connection"] = "keep-alive"
    serializer = JsonSerializer()
    session.headers["accept"] = serializer.get_accept_types()
    return ProxmoxResource(base_url=base_url, session=session, serializer=serializer)


def open_proxmox_api(cfg: ProxmoxConfig, secret: str) -> tuple[Any, Any]:
    """Return ``(api, agent_api)``; raises ``SourceError`` subclasses, never SDK exceptions."""
    kwargs: dict[str, Any] = {
        "host": cfg.host,
        "port": cfg.port,
        "user": cfg.user,
        "verify_ssl": _verify(cfg),
        "timeout": cfg.timeout,
    }
    if cfg.token_name:
        kwargs |= {"token_name": cfg.token_name, "token_value": secret}
    else:
        kwargs["password"] = secret  # ticket login: the only POST this tool ever sends
    if not cfg.verify_ssl:
        # The report already says verification is off; one warning per request is noise.
        warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    try:
        api = _plain_http_api(cfg, secret) if cfg.scheme == "http" else ProxmoxAPI(**kwargs)
    except Exception as exc:  # noqa: BLE001 - translated at the boundary
        raise translate(exc, cfg.name, "access/ticket") from None
    agent_timeout = min(cfg.agent_timeout, cfg.timeout)
    # GETs go through the lean client (adapters/pve_http.py): same login, same TLS, a third of
    # the CPU per request. proxmoxer stays in charge only when a proxy applies to the host.
    lean = lean_client(api, concurrency=cfg.concurrency, timeout=cfg.timeout)
    if lean is not None:
        return lean, lean.with_timeout(agent_timeout)
    _size_pool(api, cfg.concurrency)
    return api, _with_timeout(api, agent_timeout)


def _size_pool(api: Any, concurrency: int) -> None:
    """Keep one pooled connection per worker: requests' default pool keeps 10 and re-handshakes."""
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency)
    session = api._store["session"]
    session.mount("https://", adapter)
    session.mount("http://", adapter)
