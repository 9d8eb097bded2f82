"""Open a live connection to a PVE cluster with proxmoxer: the one place that connects.

TLS: a configured ``ca_bundle`` is passed to requests as ``verify=<path>``. requests lets
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace ``verify`` only when it is ``True``/``None``,
so an explicit path or ``False`` is honoured whatever the environment says.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from proxmoxer import ProxmoxAPI
from proxmoxer.core import ProxmoxResource

from adapters.pve_errors import translate
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
        api = ProxmoxAPI(**kwargs)
    except Exception as exc:  # noqa: BLE001 - translated at the boundary
        raise translate(exc, cfg.name, "access/ticket") from None
    return api, _with_timeout(api, min(cfg.agent_timeout, cfg.timeout))
