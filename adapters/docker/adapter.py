"""Docker adapter: reads one engine through a low-level ``docker.APIClient`` (or a replay of one).

Request budget per engine: ``/info`` + ``/version`` + one ``/containers/json?all=1`` + one inspect
per container + one image inspect per distinct image the listing names without a digest (for
the repo digest; see ``tests/support/budget.py``). A Podman engine (``podman.py``) is read with
one more request, ``/libpod/pods/json``, and the libpod inspect instead of the compat one; it
needs no image inspect, and its pods' infra containers are not inspected at all. Inspects and
image inspects run concurrently, bounded by the engine's ``concurrency``, each worker looping
over the shared list
(``adapters/common/fanout.py``). The client is ``DockerClient`` (``client.py``) when live and
``ReplayDockerClient`` (``replay.py``) for recordings; either raises only ``SourceError``s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from adapters.common.fanout import fan_out
from adapters.common.retry import with_retry
from adapters.docker.errors import is_not_found
from adapters.docker.parse import (
    container_from_inspect,
    container_from_list,
    engine_labels,
    image_digest,
)
from adapters.docker.podman import (
    container_from_libpod,
    engine_product,
    infra_ids,
    is_infra,
    pods_from_listing,
)
from collector.contract import Deadline
from collector.errors import SourceDeadlineError, SourceError
from collector.model import (
    Container,
    Engine,
    EngineProduct,
    Gap,
    Pod,
    SourceKind,
    SourceResult,
    SourceStatus,
)


class DockerApi(Protocol):
    """The reads the adapter makes; each returns decoded JSON or raises ``SourceError``."""

    def info(self) -> Any: ...
    def version(self) -> Any: ...
    def containers(self, all: bool = False) -> Any: ...
    def inspect_container(self, container: str) -> Any: ...
    def inspect_image(self, image: str) -> Any: ...
    def pods(self) -> Any: ...
    def inspect_podman_container(self, container: str) -> Any: ...


def url_host(url: str) -> str | None:
    """The host an engine URL points at (``ssh://u@h:22`` → ``h``); None for local sockets."""
    parts = urlsplit(url)
    if parts.scheme in ("unix", "npipe", ""):
        return None
    return parts.hostname


class DockerAdapter:
    kind = SourceKind.DOCKER

    def __init__(
        self,
        name: str,
        url: str,
        client: DockerApi,
        *,
        concurrency: int = 8,
        retries: int = 0,
        deadline: Deadline | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._progress = progress or (lambda _done, _total: None)
        """Called with (containers inspected, containers listed) from the worker threads."""
        self._inspected = 0
        self._client = client
        self._concurrency = concurrency
        self._retries = retries
        self._deadline = deadline
        self._requests = 0
        self._lock = threading.Lock()
        self._pods: dict[str, Pod] = {}
        """Podman: pod id → pod, read before the containers are inspected."""
        self._podman = False

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        def attempt() -> Any:
            with self._lock:
                self._requests += 1
            return method(*args, **kwargs)

        return with_retry(
            attempt, retries=self._retries, deadline=self._deadline, what=f"{self.name}: GET {what}"
        )

    def collect(self) -> SourceResult:
        gaps: list[Gap] = []
        try:
            engine = self._collect(gaps)
        except SourceError as exc:
            failed = SourceStatus.failed(self.name, self.kind, str(exc), self._requests)
            return SourceResult(failed)
        status = SourceStatus.finished(self.name, self.kind, gaps, self._requests)
        return SourceResult(status, engine=engine)

    def _collect(self, gaps: list[Gap]) -> Engine:
        version = self._call("/version", self._client.version)  # first: it negotiates
        self._podman = engine_product(version) is EngineProduct.PODMAN
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            # /info and the listing need nothing from each other: one round trip, not two.
            asked = pool.submit(self._call, "/info", self._client.info)
            pods = pool.submit(self._read_pods, gaps) if self._podman else None
            listing = self._call("/containers/json", self._client.containers, all=True)
            info = asked.result()
            info = info if isinstance(info, Mapping) else {}
            version = version if isinstance(version, Mapping) else {}
            items = [
                i for i in (listing if isinstance(listing, list) else []) if isinstance(i, Mapping)
            ]
            if pods is not None:
                infra = pods.result()
                items = [i for i in items if i.get("Id") not in infra]
            # Digest lookups start first, for the images the listing names without a digest:
            # they are few, and waiting for every inspect before asking would add a round trip.
            # Each container is then built with its digest (no second copy of every container).
            # Podman's libpod inspect carries the digest itself.
            undigested = set() if self._podman else _undigested(items)
            lookups = {i: pool.submit(self._digest, i) for i in sorted(undigested)}
            self._progress(0, len(items))
            containers = fan_out(
                pool,
                items,
                lambda item: self._counted(item, gaps, len(items), lookups),
                self._concurrency,
            )()
            found = [c for c in containers if c is not None]
            # An image the listing did not name (a container re-created in between).
            late = {
                c.image_id
                for c in found
                if c.image_id and c.image_id not in lookups and not self._podman
            }
            digests = dict(f.result() for f in lookups.values())
            digests |= dict(fan_out(pool, sorted(late), self._digest, self._concurrency)())
        found = [
            replace(c, image_digest=digests[c.image_id])
            if not c.image_digest and c.image_id and digests.get(c.image_id)
            else c
            for c in found
        ]
        host = url_host(self._url)
        swarm = info.get("Swarm")
        swarm_addr = swarm.get("NodeAddr") if isinstance(swarm, Mapping) else None
        addresses = tuple(dict.fromkeys(a for a in (host, swarm_addr) if isinstance(a, str) and a))
        return Engine(
            id=f"docker:{self.name}",
            name=self.name,
            source=self.name,
            url=self._url,
            # Podman answers a new random ID on every call: no identity to keep.
            engine_id=None if self._podman else _s(info.get("ID")),
            hostname=_s(info.get("Name")),
            version=_s(version.get("Version")) or _s(info.get("ServerVersion")),
            api_version=_s(version.get("ApiVersion")),
            os=_s(info.get("OperatingSystem")),
            kernel=_s(info.get("KernelVersion")),
            addresses=addresses,
            containers=tuple(sorted(found, key=lambda c: c.name)),
            labels=engine_labels(info.get("Labels")),
            pods=tuple(sorted(self._pods.values(), key=lambda p: p.name)),
            product=EngineProduct.PODMAN if self._podman else EngineProduct.DOCKER,
        )

    def _read_pods(self, gaps: list[Gap]) -> frozenset[str]:
        """Podman's pods (kept for the containers), and the ids of their infra containers.

        Unreadable pods are a coverage gap, not a failure: the containers are still read (an
        infra container then shows up as one, and members lack their pod's labels).
        """
        try:
            listing = self._call("/libpod/pods/json", self._client.pods)
        except SourceError as exc:
            gaps.append(Gap(f"docker:{self.name}", "pods", str(exc)))
            return frozenset()
        self._pods = {p.pod_id: p for p in pods_from_listing(listing)}
        return infra_ids(listing)

    def _counted(
        self,
        item: Mapping[str, Any],
        gaps: list[Gap],
        total: int,
        lookups: Mapping[str, Future[tuple[str, str | None]]],
    ) -> Container | None:
        try:
            return self._inspect(item, gaps, lookups)
        finally:
            with self._lock:
                self._inspected += 1
                done = self._inspected
            self._progress(done, total)

    def _inspect(
        self,
        item: Mapping[str, Any],
        gaps: list[Gap],
        lookups: Mapping[str, Future[tuple[str, str | None]]],
    ) -> Container | None:
        container_id = item.get("Id")
        if not isinstance(container_id, str):
            return None
        inspect = self._client.inspect_container
        what = f"/containers/{container_id[:12]}/json"
        if self._podman:
            inspect, what = self._client.inspect_podman_container, f"/libpod{what}"
        try:
            data = self._call(what, inspect, container_id)
        except SourceError as exc:
            if is_not_found(exc):  # removed between list and inspect: it is simply gone now
                return None
            partial = container_from_list(self.name, item)
            # Past the deadline the container was not read at all: the run is incomplete.
            late = isinstance(exc, SourceDeadlineError)
            gaps.append(Gap(partial.id, "inspect", str(exc), incomplete=late))
            return partial
        if not isinstance(data, Mapping):
            return container_from_list(self.name, item)
        if self._podman:
            return None if is_infra(data) else container_from_libpod(self.name, data, self._pods)
        lookup = lookups.get(_s(data.get("Image")) or "")
        digest = lookup.result()[1] if lookup is not None else None
        return container_from_inspect(self.name, data, digest=digest)

    def _digest(self, image_id: str) -> tuple[str, str | None]:
        try:
            data = self._call(f"/images/{image_id[:19]}/json", self._client.inspect_image, image_id)
        except SourceError:
            return image_id, None  # a digest is a nicety; an image without one is still reported
        repo_digests = data.get("RepoDigests") if isinstance(data, Mapping) else None
        return image_id, image_digest(None, repo_digests)


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _undigested(items: list[Mapping[str, Any]]) -> set[str]:
    """Image ids in the listing whose reference does not pin a digest."""
    return {
        image_id
        for item in items
        if (image_id := _s(item.get("ImageID"))) and not image_digest(_s(item.get("Image")))
    }
