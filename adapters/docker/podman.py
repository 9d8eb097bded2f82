"""Podman behind the Docker-compatible API: recognising it, and reading what only libpod says.

Measured differences (docs/podman-notes.md, recorded in ``fixtures/podman-samples/``):

- ``/version`` names a ``Podman Engine`` component; its ``Version`` is Podman's (``4.3.1``) and
  its ``Details.APIVersion`` the libpod API level used for ``/libpod`` reads;
- the compat container inspect misstates the log configuration (``k8s-file`` appears as
  ``json-file`` without its options) and has no pod: the libpod inspect
  (``/libpod/containers/{id}/json``) has the real driver, the size limit (``Size``: ``10MB``,
  ``0B`` = unlimited), ``Pod``, ``IsInfra`` and ``ImageDigest``, so Podman containers are read
  there (one request each, as on Docker; no image inspect is needed for the digest);
- ``State.Health`` is always present (``Status: ""`` without a healthcheck): only
  ``Config.Healthcheck`` says whether one is configured;
- ``RestartPolicy.Name`` is ``""`` for none (read as ``no``);
- a pod's infra container is listed like any container: it is the pod's plumbing, not a workload,
  and is left out (``/libpod/pods/json`` names it, so it is not even inspected);
- ``Config.CreateCommand`` holds the whole podman command line (``-e PASSWORD=...``): never read,
  and dropped from recordings (``collector.recording.redact``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from adapters.docker.parse import container_from_inspect
from collector.model import Container, EngineProduct, Pod

PODMAN_COMPONENT = "Podman Engine"
_HEX_ID = re.compile(r"[0-9a-f]{64}")
UNLIMITED_SIZES = frozenset({"", "0", "0B", "-1"})


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _podman_component(version: Any) -> Mapping[str, Any] | None:
    components = _map(version).get("Components")
    for component in components if isinstance(components, list) else ():
        if _map(component).get("Name") == PODMAN_COMPONENT:
            return _map(component)
    return None


def engine_product(version: Any) -> EngineProduct:
    """Podman when ``/version`` lists the ``Podman Engine`` component, else Docker."""
    return EngineProduct.PODMAN if _podman_component(version) else EngineProduct.DOCKER


def libpod_api_version(version: Any) -> str | None:
    """The libpod API level (``Components[Podman Engine].Details.APIVersion``); None on Docker."""
    component = _podman_component(version)
    if component is None:
        return None
    return _str(_map(component.get("Details")).get("APIVersion")) or _str(component.get("Version"))


def pods_from_listing(listing: Any) -> tuple[Pod, ...]:
    """``/libpod/pods/json`` → pods (members without the infra container), sorted by name."""
    pods = []
    for item in listing if isinstance(listing, list) else ():
        item = _map(item)
        name, pod_id = _str(item.get("Name")), _str(item.get("Id"))
        if name is None or pod_id is None:
            continue
        infra = _str(item.get("InfraId"))
        members = item.get("Containers")
        names = sorted(
            str(m["Names"])
            for m in (members if isinstance(members, list) else ())
            if isinstance(m, Mapping) and _str(m.get("Names")) and m.get("Id") != infra
        )
        labels = {str(k): str(v) for k, v in _map(item.get("Labels")).items() if v is not None}
        status = (_str(item.get("Status")) or "unknown").lower()
        pods.append(Pod(name, pod_id, status, labels, tuple(names)))
    return tuple(sorted(pods, key=lambda p: p.name))


def infra_ids(listing: Any) -> frozenset[str]:
    """Ids of the pods' infra containers (``InfraId``; ``""`` for a pod without one)."""
    return frozenset(
        infra
        for item in (listing if isinstance(listing, list) else ())
        if (infra := _str(_map(item).get("InfraId")))
    )


def is_infra(data: Mapping[str, Any]) -> bool:
    return data.get("IsInfra") is True


def container_from_libpod(
    engine: str, data: Mapping[str, Any], pods: Mapping[str, Pod]
) -> Container:
    """A container from the libpod inspect; ``pods`` maps pod id → pod (for name and labels)."""
    host = _map(data.get("HostConfig"))
    log = _map(host.get("LogConfig"))
    size = _str(log.get("Size")) or ""
    options = {str(k): str(v) for k, v in _map(log.get("Config")).items()}
    if size not in UNLIMITED_SIZES:
        options.setdefault("max-size", size)  # libpod reports --log-opt max-size as Size
    image_id = _str(data.get("Image"))
    if image_id and _HEX_ID.fullmatch(image_id):
        image_id = f"sha256:{image_id}"  # as the compat API and Docker write it
    compat = {**data, "Image": image_id, "HostConfig": {**host, "LogConfig": {}}}
    container = container_from_inspect(engine, compat, digest=_str(data.get("ImageDigest")))
    test = _map(_map(data.get("Config")).get("Healthcheck")).get("Test")
    configured = isinstance(test, list) and bool(test) and str(test[0]).upper() != "NONE"
    pod = pods.get(_str(data.get("Pod")) or "")
    return replace(
        container,
        log_driver=_str(log.get("Type")) or "unknown",
        log_options=options,
        healthcheck=configured,
        health=container.health if configured else None,
        pod=pod.name if pod else None,
        pod_labels=dict(pod.labels) if pod else {},
    )
