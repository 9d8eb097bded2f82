"""``collect doctor`` for a Docker source: reachable, TLS, API version, and the GETs we need.

Behind a socket proxy (see docs/reliability.md) each endpoint family is switched on separately,
so each read the collector makes is tried once: ``/version`` (VERSION), ``/info`` (INFO),
``/containers/json`` and one container inspect (CONTAINERS), one image inspect (IMAGES). Each
failure is judged by what it costs ``collect report`` (``IMPACTS`` in ``adapter.py``): FAIL for
the listing, WARN for ``/info``, an inspect or an image inspect. Whether the socket would also
accept writes cannot be tested without writing; the proxy's ``POST=0`` is what guarantees it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.common.unread import json_type
from adapters.docker.adapter import IMPACTS
from adapters.docker.client import DockerClient, DockerSettings
from adapters.docker.errors import LISTING, is_not_found
from adapters.docker.podman import engine_product
from collector.errors import SourceAuthError, SourceError
from collector.model import Check, CheckState, Diagnosis, EngineProduct, Impact, SourceKind


def _transport(cfg: DockerSettings) -> Check:
    if cfg.url.startswith("tcp://"):
        if cfg.tls_ca:
            return Check("tls", CheckState.OK, f"engine certificate verified against {cfg.tls_ca}")
        if cfg.tls_cert:
            return Check("tls", CheckState.OK, "engine certificate verified (system CA store)")
        return Check("tls", CheckState.WARN, "none: plain tcp:// (allow_plain_tcp = true)")
    if cfg.url.startswith("ssh://"):
        return Check("tls", CheckState.OK, "ssh transport (host key checked by ssh)")
    return Check("tls", CheckState.OK, "local socket")


def _try(checks: list[Check], name: str, call: Callable[[], Any], impact: Impact) -> Any:
    """Make one read; a failure is judged by ``impact``, what it costs the report."""
    try:
        answer = call()
    except SourceError as exc:
        if is_not_found(exc):  # the endpoint answered; the object is just gone
            checks.append(Check(name, CheckState.OK, "allowed"))
            return None
        denied = isinstance(exc, SourceAuthError)
        hint = " (a socket proxy refuses it: allow this endpoint)" if denied else ""
        checks.append(Check.judged(name, impact, f"{exc}{hint}"))
        return None
    checks.append(Check(name, CheckState.OK, "allowed"))
    return answer


def _context(cfg: DockerSettings) -> list[Check]:
    """What a ``context = ...`` entry resolved to (the live config already holds it)."""
    name = cfg.context
    if not name:
        return []
    tls = f", TLS files {cfg.tls_ca}, {cfg.tls_cert}, {cfg.tls_key}" if cfg.tls_cert else ""
    return [Check("context", CheckState.OK, f"docker context '{name}' -> {cfg.url}{tls}")]


def diagnose_docker(cfg: DockerSettings) -> Diagnosis:
    """Connect and try every read the collector makes; never raises."""
    checks: list[Check] = _context(cfg)

    def done() -> Diagnosis:
        return Diagnosis(cfg.name, SourceKind.DOCKER, tuple(checks))

    try:
        client = DockerClient(cfg)
        version = client.version()
    except SourceError as exc:
        checks.append(Check("reachable", CheckState.FAIL, str(exc)))
        return done()
    checks += [Check("reachable", CheckState.OK, f"{cfg.url} answered"), _transport(cfg)]
    podman = engine_product(version) is EngineProduct.PODMAN
    if isinstance(version, Mapping):
        product = "Podman" if podman else "Docker"
        text = f"{product} {version.get('Version', '?')}, API {version.get('ApiVersion', '?')}"
        checks.append(Check("version", CheckState.OK, text))
    if podman:  # pods and the real log settings come from the libpod API
        _try(checks, "GET /libpod/pods/json", client.pods, IMPACTS["pods"])
    _try(checks, "GET /info", client.info, IMPACTS["/info"])
    listing = _try(
        checks, "GET /containers/json", lambda: client.containers(all=True), IMPACTS[LISTING]
    )
    if listing is not None and not isinstance(listing, list):
        # The report keeps the engine without containers: the inventory is incomplete.
        checks[-1] = Check.judged(
            "GET /containers/json",
            Impact.INCOMPLETE,
            f"GET {LISTING} did not return a list ({json_type(listing)})",
        )
    first = listing[0] if isinstance(listing, list) and listing else None
    if isinstance(first, Mapping) and isinstance(first.get("Id"), str):
        cid, image = first["Id"], first.get("ImageID")
        inspect = client.inspect_podman_container if podman else client.inspect_container
        name = "GET /libpod/containers/{id}/json" if podman else "GET /containers/{id}/json"
        _try(checks, name, lambda: inspect(cid), IMPACTS["inspect"])
        if isinstance(image, str) and not podman:
            lookup = lambda: client.inspect_image(image)  # noqa: E731
            _try(checks, "GET /images/{id}/json", lookup, IMPACTS["image"])
    return done()
