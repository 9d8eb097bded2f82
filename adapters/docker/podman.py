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

from adapters.common.unread import Unread, json_type
from adapters.docker.parse import Reader, container_from_inspect
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


def unreadable_components(version: Any) -> str | None:
    """Why ``/version``'s ``Components`` cannot tell Podman from Docker, if it cannot."""
    components = _map(version).get("Components")
    if components is None:
        return None
    if not isinstance(components, list):
        return f"Components is {json_type(components)}"
    for index, component in enumerate(components):
        if not isinstance(component, Mapping):
            return f"Components[{index}] is {json_type(component)}"
        if not isinstance(component.get("Name"), str):
            return f"Components[{index}].Name is {json_type(component.get('Name'))}"
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


def pods_from_listing(listing: Any, unread: Unread | None = None) -> tuple[Pod, ...]:
    """``/libpod/pods/json`` → pods (members without the infra container), sorted by name; what
    cannot be read is noted in ``unread``."""
    unread = unread if unread is not None else Unread()
    if listing is not None and not isinstance(listing, list):
        unread.drop(f"the listing ({json_type(listing)})")
    r = Reader(unread)
    pods = []
    for index, item in enumerate(listing if isinstance(listing, list) else ()):
        if not isinstance(item, Mapping):
            unread.drop(f"item {index} ({json_type(item)})")
            continue
        name, pod_id = r.text(item, "Name"), r.text(item, "Id")
        if name is None or pod_id is None:
            unread.drop(f"item {index} (no Name or Id)")
            continue
        infra = r.text(item, "InfraId", f"{name}.")
        names = []
        for m in r.seq(item, "Containers", f"{name}.") or ():
            member = r.text(m, "Names", f"{name}.Containers.") if isinstance(m, Mapping) else None
            if not isinstance(m, Mapping):
                unread(f"{name}.Containers[]", m, None)
            elif member and m.get("Id") != infra:
                names.append(member)
        labels = r.texts(item, "Labels", f"{name}.") or {}
        status = (r.text(item, "Status", f"{name}.") or "unknown").lower()
        pods.append(Pod(name, pod_id, status, labels, tuple(sorted(names))))
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
    engine: str, data: Mapping[str, Any], pods: Mapping[str, Pod], unread: Unread | None = None
) -> Container:
    """A container from the libpod inspect; ``pods`` maps pod id → pod (for name and labels).
    Values of the wrong kind are None (unknown) and noted in ``unread``."""
    unread = unread if unread is not None else Unread()
    r = Reader(unread)
    host = r.obj(data, "HostConfig")
    log = r.obj(host, "LogConfig", "HostConfig.")
    where = "HostConfig.LogConfig."
    raw_size = None if log is None else log.get("Size")
    size = r.text(log, "Size", where) or ""
    options = r.texts(log, "Config", where)
    if raw_size is not None and not isinstance(raw_size, str):
        options = None  # the size limit is unknown: so is whether the log is bounded
    if options is not None and size not in UNLIMITED_SIZES:
        options.setdefault("max-size", size)  # libpod reports --log-opt max-size as Size
    image_id = r.text(data, "Image")
    if image_id and _HEX_ID.fullmatch(image_id):
        image_id = f"sha256:{image_id}"  # as the compat API and Docker write it
    compat = {**data, "Image": image_id, "HostConfig": {**(host or {}), "LogConfig": {}}}
    if host is None:
        compat.pop("HostConfig")
    digest = r.text(data, "ImageDigest")
    container = container_from_inspect(engine, compat, digest=digest, unread=unread)
    test = r.seq(
        r.obj(r.obj(data, "Config"), "Healthcheck", "Config."), "Test", "Config.Healthcheck."
    )
    configured = None if test is None else bool(test) and str(test[0]).upper() != "NONE"
    pod = pods.get(r.text(data, "Pod") or "")
    return replace(
        container,
        restart_policy=container.restart_policy if host is not None else None,
        log_driver=r.text(log, "Type", where),
        log_options=options,
        healthcheck=configured,
        health=container.health if configured else None,
        pod=pod.name if pod else None,
        pod_labels=dict(pod.labels) if pod else {},
    )
