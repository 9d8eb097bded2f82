"""Docker adapter: reads one engine through a low-level ``docker.APIClient`` (or a replay of one).

Request budget per engine: ``/info`` + ``/version`` + one ``/containers/json?all=1`` + one inspect
per container + one image inspect per distinct image whose reference pins no digest (for the
repo digest; see ``tests/support/budget.py``): ``3 + C + I``, exactly. A Podman engine
(``podman.py``) is read with one more request, ``/libpod/pods/json``, and the libpod inspect
instead of the compat one; it needs no image inspect, and its pods' infra containers are not
inspected at all. Inspects and image inspects run concurrently, bounded by the engine's
``concurrency``, each worker looping over the shared list (``adapters/common/fanout.py``). The
client is ``DockerClient`` (``client.py``) when live and ``ReplayDockerClient`` (``replay.py``)
for recordings; either raises only ``SourceError``s. Nothing is dropped silently: each answer of
the wrong shape, dropped item and unreadable value ends in a gap naming the call
(``adapters/common/unread.py``).
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
from adapters.common.unread import Unread, json_type, unread_gap
from adapters.docker.errors import LISTING, is_not_found
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
    unreadable_components,
)
from collector.contract import Deadline
from collector.errors import SourceDeadlineError, SourceError
from collector.model import (
    Container,
    Engine,
    EngineProduct,
    Gap,
    Impact,
    Pod,
    SourceKind,
    SourceResult,
    SourceStatus,
)

IMPACTS = {
    "/version": Impact.FATAL,
    "/info": Impact.COVERAGE,
    LISTING: Impact.FATAL,
    "inspect": Impact.COVERAGE,
    "image": Impact.COVERAGE,
    "pods": Impact.COVERAGE,
}
"""What each call's failure costs the report, for ``collect report`` and ``collect doctor``
alike. ``/version`` is the connection check (nothing else is asked if it fails) and the listing
is the inventory; ``/info`` only names the engine (hostname, daemon labels, swarm address): the
listing still works without it, so its containers are kept and the names it would have given
become a coverage gap. A listing that answers something other than a list leaves the engine
without containers: an incomplete gap. An inspect that fails keeps the container from its list
entry; an image inspect only adds a digest; Podman's pods only group containers."""


def coverage_gap(subject: str, what: str, exc: SourceError) -> Gap:
    """A coverage gap, unless the run deadline stopped the read: then the run is incomplete."""
    return Gap(subject, what, str(exc), incomplete=isinstance(exc, SourceDeadlineError))


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
        self._image_gaps: list[Gap] = []

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

    def _try(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._call(what, method, *args, **kwargs)
        except SourceError as exc:
            return exc

    def _where(self, what: str) -> str:
        return f"{self.name}: GET {what}"

    def _collect(self, gaps: list[Gap]) -> Engine:
        engine_id = f"docker:{self.name}"
        version = self._call("/version", self._client.version)  # first: it negotiates
        self._podman = engine_product(version) is EngineProduct.PODMAN
        if why := unreadable_components(version):
            reason = f"{self._where('/version')}: {why}: Docker or Podman cannot be told apart"
            gaps.append(Gap(f"docker:{self.name}", "version", reason))
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            # /info and the listing need nothing from each other: one round trip, not two.
            asked = pool.submit(self._try, "/info", self._client.info)
            pods = pool.submit(self._read_pods, gaps) if self._podman else None
            listing = self._call(LISTING, self._client.containers, all=True)
            items = self._listed(listing, gaps)
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
            # An image the listing did not name (a container re-created in between) and whose
            # reference pins no digest: still one lookup per undigested image (3 + C + I).
            late = {
                c.image_id
                for c in found
                if c.image_id
                and not c.image_digest
                and c.image_id not in lookups
                and not self._podman
            }
            digests = dict(f.result() for f in lookups.values())
            digests |= dict(fan_out(pool, sorted(late), self._digest, self._concurrency)())
            asked_info = asked.result()
        gaps += self._image_gaps
        found = [
            replace(c, image_digest=digests[c.image_id])
            if not c.image_digest and c.image_id and digests.get(c.image_id)
            else c
            for c in found
        ]
        unread = Unread()
        info = self._answer("/info", asked_info, gaps)
        version = self._answer("/version", version, gaps)
        host = url_host(self._url)
        swarm = info.get("Swarm")
        if swarm is not None and not isinstance(swarm, Mapping):
            unread("Swarm", swarm, None)
        swarm_addr = (
            _s(unread, "Swarm.NodeAddr", swarm.get("NodeAddr"))
            if isinstance(swarm, Mapping)
            else None
        )
        addresses = tuple(dict.fromkeys(a for a in (host, swarm_addr) if a))
        labels = info.get("Labels")
        engine = Engine(
            id=engine_id,
            name=self.name,
            source=self.name,
            url=self._url,
            # Podman answers a new random ID on every call: no identity to keep.
            engine_id=None if self._podman else _s(unread, "ID", info.get("ID")),
            hostname=_s(unread, "Name", info.get("Name")),
            version=_s(unread, "Version", version.get("Version"))
            or _s(unread, "ServerVersion", info.get("ServerVersion")),
            api_version=_s(unread, "ApiVersion", version.get("ApiVersion")),
            os=_s(unread, "OperatingSystem", info.get("OperatingSystem")),
            kernel=_s(unread, "KernelVersion", info.get("KernelVersion")),
            addresses=addresses,
            containers=tuple(sorted(found, key=lambda c: c.name)),
            # Unknown when /info was not read: the owner label may be among them.
            labels=unread("Labels", labels, engine_labels(labels))
            if isinstance(asked_info, Mapping)
            else None,
            pods=tuple(sorted(self._pods.values(), key=lambda p: p.name)),
            product=EngineProduct.PODMAN if self._podman else EngineProduct.DOCKER,
        )
        if unread:
            gaps.append(unread_gap(engine_id, "info-values", self._where("/info"), unread))
        return engine

    def _answer(self, what: str, answer: Any, gaps: list[Gap]) -> Mapping[str, Any]:
        """``/info`` or ``/version`` as a mapping; a failure or another shape is a coverage gap
        (the containers were still listed: see ``IMPACTS``)."""
        if isinstance(answer, Mapping):
            return answer
        if isinstance(answer, SourceError):
            gaps.append(coverage_gap(f"docker:{self.name}", what.strip("/"), answer))
        else:
            reason = f"{self._where(what)}: did not return an object ({json_type(answer)})"
            gaps.append(Gap.of(f"docker:{self.name}", what.strip("/"), reason, IMPACTS[what]))
        return {}

    def _listed(self, listing: Any, gaps: list[Gap]) -> list[Mapping[str, Any]]:
        """The listing's items; what cannot be a container is dropped and named in a gap."""
        engine_id, where = f"docker:{self.name}", self._where(LISTING)
        if not isinstance(listing, list):
            reason = f"{where}: did not return a list ({json_type(listing)})"
            gaps.append(Gap.of(engine_id, "containers", reason, Impact.INCOMPLETE))
            return []
        unread = Unread()
        items: list[Mapping[str, Any]] = []
        for index, item in enumerate(listing):
            if not isinstance(item, Mapping):
                unread.drop(f"item {index} ({json_type(item)})")
            elif not _s(Unread(), "Id", item.get("Id")):
                unread.drop(f"item {index} (Id is {json_type(item.get('Id'))})")
            else:
                items.append(item)
        if unread:
            gaps.append(unread_gap(engine_id, "containers", where, unread, Impact.INCOMPLETE))
        return items

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
        unread = Unread()
        self._pods = {p.pod_id: p for p in pods_from_listing(listing, unread)}
        if unread:
            where = self._where("/libpod/pods/json")
            gaps.append(unread_gap(f"docker:{self.name}", "pods", where, unread))
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
        container_id = str(item["Id"])  # checked by _listed
        inspect = self._client.inspect_container
        what = f"/containers/{container_id[:12]}/json"
        if self._podman:
            inspect, what = self._client.inspect_podman_container, f"/libpod{what}"
        try:
            data = self._call(what, inspect, container_id)
        except SourceError as exc:
            if is_not_found(exc):  # removed between list and inspect: it is simply gone now
                return None
            partial = self._partial(item, gaps)
            # Past the deadline the container was not read at all: the run is incomplete.
            gaps.append(coverage_gap(partial.id, "inspect", exc))
            return partial
        if not isinstance(data, Mapping):
            partial = self._partial(item, gaps)
            reason = f"{self._where(what)}: did not return an object ({json_type(data)})"
            gaps.append(Gap.of(partial.id, "inspect", reason, IMPACTS["inspect"]))
            return partial
        if self._podman:
            if is_infra(data):
                return None
            unread = Unread()
            container = container_from_libpod(self.name, data, self._pods, unread)
            if unread:
                gaps.append(unread_gap(container.id, "inspect-values", self._where(what), unread))
            return container
        lookup = lookups.get(_s(Unread(), "Image", data.get("Image")) or "")
        digest = lookup.result()[1] if lookup is not None else None
        unread = Unread()
        container = container_from_inspect(self.name, data, digest=digest, unread=unread)
        if unread:
            gaps.append(unread_gap(container.id, "inspect-values", self._where(what), unread))
        return container

    def _partial(self, item: Mapping[str, Any], gaps: list[Gap]) -> Container:
        """The container from its list entry alone (its inspect failed)."""
        unread = Unread()
        container = container_from_list(self.name, item, unread)
        if unread:
            gaps.append(unread_gap(container.id, "list-values", self._where(LISTING), unread))
        return container

    def _digest(self, image_id: str) -> tuple[str, str | None]:
        what = f"/images/{image_id[:19]}/json"
        try:
            data = self._call(what, self._client.inspect_image, image_id)
        except SourceError as exc:
            if not is_not_found(exc):  # an image removed in between has no digest to find
                with self._lock:
                    self._image_gaps.append(coverage_gap(f"docker:{self.name}", "image", exc))
            return image_id, None
        repo_digests = data.get("RepoDigests") if isinstance(data, Mapping) else None
        return image_id, image_digest(None, repo_digests)


def _s(unread: Unread, name: str, value: Any) -> str | None:
    """A non-empty string; a value of another type is noted in ``unread``."""
    return unread(name, value, value if isinstance(value, str) else None) or None


def _undigested(items: list[Mapping[str, Any]]) -> set[str]:
    """Image ids in the listing whose reference does not pin a digest."""
    quiet = Unread()  # the listing's values are noted where a container is built from them
    return {
        image_id
        for item in items
        if (image_id := _s(quiet, "ImageID", item.get("ImageID")))
        and not image_digest(_s(quiet, "Image", item.get("Image")))
    }
