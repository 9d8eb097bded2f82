"""The Docker client: the SDK's transports (unix socket, ssh, tcp + TLS), GETs only, own errors.

``docker.APIClient`` sets up the transport for the engine URL (paramiko for ``ssh://``, the
``TLSConfig`` for ``tcp://``); every read is then a plain ``GET`` through that session, with the
URL built here from the negotiated API version. So:

- **No request at construction.** The API version is negotiated by the first call,
  ``version()`` (unversioned, as ``version="auto"`` would ask, but without a second request);
  until then the SDK's minimum version is used.
- **The configured TLS wins.** requests would let ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``
  replace the session's ``verify`` (the engine's ``tls_ca``): ``trust_env`` is switched off.
- **One keep-alive pool per engine.** The SDK's unix-socket and ssh adapters look their pool up
  by the request's full URL, so every container inspect would open a fresh connection (on
  ``ssh://`` a fresh channel and a remote ``docker system dial-stdio``). ``_OnePool`` is a
  requests transport adapter that sends every request through one pool of the SDK's adapter
  (``get_connection``, the hook docker-py's own adapters implement), sized to ``concurrency``.
- **Podman.** A Podman engine answers the same API; what it does not show there (pods, the real
  log driver, pod membership) is read from its own libpod API through the same session, under
  ``/v<libpod version>/libpod/`` (the version ``/version`` names in its ``Podman Engine``
  component; see ``podman.py``).
- **Errors.** Every failure leaves as one of the collector's error types (``errors.py``).
"""

from __future__ import annotations

from typing import Any, Protocol

import docker
import requests
from docker.constants import MINIMUM_DOCKER_API_VERSION
from docker.tls import TLSConfig
from requests.adapters import HTTPAdapter

from adapters.docker import errors
from adapters.docker.errors import LISTING
from adapters.docker.podman import libpod_api_version


class DockerSettings(Protocol):
    """What the client reads from a ``[[docker]]`` entry."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def tls_ca(self) -> str | None: ...
    @property
    def tls_cert(self) -> str | None: ...
    @property
    def tls_key(self) -> str | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def context(self) -> str | None:
        """The Docker CLI context the url and TLS files were resolved from, if any."""


def _tls(cfg: DockerSettings) -> TLSConfig | bool:
    if not cfg.url.startswith("tcp://") or not (cfg.tls_ca or cfg.tls_cert):
        return False
    client_cert = (cfg.tls_cert, cfg.tls_key) if cfg.tls_cert and cfg.tls_key else None
    return TLSConfig(client_cert=client_cert, ca_cert=cfg.tls_ca, verify=cfg.tls_ca or True)


class _OnePool(HTTPAdapter):
    """Every request through one connection pool of the SDK's transport adapter."""

    def __init__(self, transport: Any, key: str) -> None:
        super().__init__()
        self._transport = transport
        self._key = key

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        return self._transport.get_connection(self._key, proxies)

    def request_url(self, request: Any, proxies: Any) -> str:
        return str(self._transport.request_url(request, proxies))

    def close(self) -> None:
        self._transport.close()
        super().close()


class DockerClient:
    """The reads the Docker adapter makes; each returns the decoded JSON answer."""

    def __init__(self, settings: DockerSettings) -> None:
        """Build the client without touching the network (ssh connects, but sends nothing)."""
        self.name = settings.name
        self._timeout = settings.timeout
        try:
            api = docker.APIClient(
                base_url=settings.url,
                tls=_tls(settings),
                timeout=max(1, round(settings.timeout)),
                version=MINIMUM_DOCKER_API_VERSION,
                max_pool_size=settings.concurrency,
            )
        except Exception as exc:  # noqa: BLE001 - translated at the boundary
            raise errors.transport_error(settings.name, "/version", exc) from None
        api.trust_env = False
        transport = api.get_adapter(api.base_url)
        if api.base_url.startswith("http+docker://") and hasattr(transport, "get_connection"):
            api.mount(api.base_url, _OnePool(transport, api.base_url))
        else:  # tcp://: requests' own adapter, one pool per host, sized like the others
            pooled = HTTPAdapter(pool_connections=1, pool_maxsize=max(settings.concurrency, 10))
            api.mount("http://", pooled)
            api.mount("https://", pooled)
        self._api = api
        self._base = api.base_url
        self.api_version = MINIMUM_DOCKER_API_VERSION
        self.libpod_version = "4.0.0"
        """The libpod API level for ``/libpod`` reads; adopted from ``/version`` on Podman."""

    def _get(self, what: str, path: str, *, versioned: bool = True, **params: Any) -> Any:
        url = f"{self._base}/v{self.api_version}{path}" if versioned else f"{self._base}{path}"
        return self._read(what, url, params)

    def _read(self, what: str, url: str, params: dict[str, Any]) -> Any:
        try:
            response = self._api.get(url, params=params or None, timeout=self._timeout)
        except Exception as exc:  # noqa: BLE001 - every transport failure is translated here
            raise errors.transport_error(self.name, what, exc) from None
        if response.status_code >= 400:
            raise errors.http_error(self.name, what, response.status_code, _explanation(response))
        try:
            return response.json()
        except ValueError:
            raise errors.malformed(self.name, what) from None

    def version(self) -> Any:
        """``/version``, unversioned; adopts the engine's API version for every later call."""
        answer = self._get("/version", "/version", versioned=False)
        if isinstance(answer, dict) and isinstance(answer.get("ApiVersion"), str):
            self.api_version = answer["ApiVersion"]
        self.libpod_version = libpod_api_version(answer) or self.libpod_version
        return answer

    def info(self) -> Any:
        return self._get("/info", "/info")

    def containers(self, all: bool = False) -> Any:
        return self._get(LISTING, "/containers/json", all=1 if all else None)

    def inspect_container(self, container: str) -> Any:
        return self._get(f"/containers/{container[:12]}/json", f"/containers/{container}/json")

    def inspect_image(self, image: str) -> Any:
        return self._get(f"/images/{image[:19]}/json", f"/images/{image}/json")

    def _libpod(self, what: str, path: str) -> Any:
        return self._read(what, f"{self._base}/v{self.libpod_version}/libpod{path}", {})

    def pods(self) -> Any:
        """Podman only: ``GET /libpod/pods/json``, every pod with its members and labels."""
        return self._libpod("/libpod/pods/json", "/pods/json")

    def inspect_podman_container(self, container: str) -> Any:
        """Podman only: ``GET /libpod/containers/{id}/json``, with the pod, the infra flag,
        the real log driver and the image digest (the compat inspect lacks or misstates them)."""
        return self._libpod(
            f"/libpod/containers/{container[:12]}/json", f"/containers/{container}/json"
        )

    def close(self) -> None:
        self._api.close()


def _explanation(response: requests.Response) -> str:
    """The engine's own words: ``{"message": ...}``, else the body, else the status phrase."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text or response.reason or ""
