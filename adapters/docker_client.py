"""Open a live connection to a Docker engine with the docker SDK: the one place that connects.

``trust_env`` is switched off on the client before its first request: it is a requests Session,
and requests would let ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` silently replace the configured
``tls_ca``. That is also why the SDK's own version negotiation (a request made inside
``APIClient.__init__``) is not used: ``NegotiatingClient`` negotiates on its first ``version()``.
"""

from __future__ import annotations

from typing import Any

import docker
from docker.constants import MINIMUM_DOCKER_API_VERSION
from docker.tls import TLSConfig
from requests.adapters import HTTPAdapter

from adapters.docker_errors import translate
from collector.config import DockerConfig


def _tls(cfg: DockerConfig) -> TLSConfig | bool:
    if not cfg.url.startswith("tcp://") or not (cfg.tls_ca or cfg.tls_cert):
        return False
    client_cert = (cfg.tls_cert, cfg.tls_key) if cfg.tls_cert and cfg.tls_key else None
    return TLSConfig(client_cert=client_cert, ca_cert=cfg.tls_ca, verify=cfg.tls_ca or True)


class NegotiatingClient:
    """The five read calls the Docker adapter makes, on an ``APIClient``.

    ``version()`` is unversioned and adopts the engine's API version for every later call, as
    ``docker.APIClient(version="auto")`` would, without an extra request.
    """

    def __init__(self, api: Any) -> None:
        self.api = api

    def version(self) -> Any:
        answer = self.api.version(api_version=False)
        if isinstance(answer, dict) and isinstance(answer.get("ApiVersion"), str):
            self.api._version = answer["ApiVersion"]
        return answer

    def info(self) -> Any:
        return self.api.info()

    def containers(self, all: bool = False) -> Any:
        return self.api.containers(all=all)

    def inspect_container(self, container: str) -> Any:
        return self.api.inspect_container(container)

    def inspect_image(self, image: str) -> Any:
        return self.api.inspect_image(image)

    def close(self) -> None:
        self.api.close()


def open_docker_client(cfg: DockerConfig) -> NegotiatingClient:
    """Build the client without touching the network; raises ``SourceError`` on bad settings."""
    try:
        api = docker.APIClient(
            base_url=cfg.url,
            tls=_tls(cfg),
            timeout=max(1, round(cfg.timeout)),
            version=MINIMUM_DOCKER_API_VERSION,
            max_pool_size=cfg.concurrency,
        )
    except Exception as exc:  # noqa: BLE001 - translated at the boundary
        raise translate(exc, cfg.name, "/version") from None
    api.trust_env = False
    _one_pool(api, cfg.concurrency)
    return NegotiatingClient(api)


def _one_pool(api: Any, concurrency: int) -> None:
    """Make every request to the engine share one keep-alive pool of ``concurrency`` connections.

    docker-py's unix-socket and ssh adapters look their pool up by the request's *full URL*
    (``BaseHTTPAdapter.get_connection_with_tls_context`` passes ``request.url``), so each
    container inspect gets a fresh pool and a fresh connection: a new ssh channel per request
    on ``ssh://``. Their pools never depend on the URL (one socket, one ssh transport), so one
    fixed key is exact. ``tcp://`` goes through requests' own adapter, whose pool is per host
    but holds only 10 connections by default.
    """
    adapter = getattr(api, "_custom_adapter", None)
    if adapter is not None and hasattr(adapter, "pools") and hasattr(adapter, "get_connection"):
        key = api.base_url

        def connection(request: Any, verify: Any, proxies: Any = None, cert: Any = None) -> Any:
            return adapter.get_connection(key, proxies)

        adapter.get_connection_with_tls_context = connection
    elif api.base_url.startswith(("http://", "https://")):
        pooled = HTTPAdapter(pool_connections=1, pool_maxsize=max(concurrency, 10))
        api.mount("http://", pooled)
        api.mount("https://", pooled)
