"""Proxmox VE adapter: reads one cluster through anything that answers ``api.get(path, **params)``.

That is ``JsonApi`` (``client.py`` opens it) when live and ``ReplayPveApi`` (``replay.py``) for
recordings, so the same code path runs in both; either raises only ``SourceError``s. Which calls
it makes, and what each one's failure costs, is the table in ``calls.py``. Request budget per
cluster (``tests/support/budget.py`` computes it and ``docs/performance.md`` measures it):

    9 cluster-wide GETs (version, cluster/status, cluster/resources x2, pools, HA, backup jobs,
    not-backed-up, access/permissions) + 1 storage config (/storage) if a storage is of type
    pbs + 1 config per guest on an online node + 1 agent call per running QEMU guest with the
    agent enabled + 1 interfaces call per running LXC + 1 content listing per backup storage
    (shared storages once, local ones once per node)

Never a per-node guest listing: ``/cluster/resources`` lists every guest of every node in one call.
``access/permissions`` says which backup volumes the content listings may leave out
(``visibility.py``); ``/storage`` says which PBS datastore and namespace a ``pbs`` storage
writes to, so the collector can join a ``[[pbs]]`` source's snapshots to this cluster's guests.
Nothing is dropped silently: an answer of the wrong shape, an item that cannot be read and a
value of the wrong type each end in a gap naming the call (``adapters/common/unread.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from adapters.common.fanout import fan_out
from adapters.common.http import call_label
from adapters.common.retry import with_retry
from adapters.common.unread import Unread, json_type, unread_gap
from adapters.proxmox import parse as p
from adapters.proxmox.backups import backup_volumes, start_listings
from adapters.proxmox.calls import CALLS, CLUSTER_CALLS, GUEST_CONFIG, STORAGE_CONFIG
from adapters.proxmox.guests import apply_config, guests_from_resources
from adapters.proxmox.normalise import (
    agent_permission_gap,
    backup_jobs_of,
    coverage_gap,
    ha_states,
    invisible_guests_gap,
    nodes_from_status,
    not_a_list,
    not_backed_up_of,
    pbs_targets_of,
    pools_of,
    storages_of,
    unlisted_nodes,
    version_gap,
    version_of,
)
from adapters.proxmox.visibility import backup_visibility, permissions_of
from collector.contract import Deadline
from collector.errors import SourceAuthError, SourceError, SourceResponseError
from collector.model import (
    BackupVisibility,
    Cluster,
    Form,
    Gap,
    Guest,
    Impact,
    PbsTarget,
    SourceKind,
    SourceResult,
    SourceStatus,
    Storage,
)

FIXED_REQUESTS = len(CLUSTER_CALLS)
T = TypeVar("T")


class PveApi(Protocol):
    def get(self, path: str, **params: Any) -> Any:
        """The answer's ``data``; raises only ``SourceError`` subclasses."""


@dataclass(slots=True)
class _Head:
    """What the cluster-wide calls told: the cluster with its guests as listed, and gaps."""

    cluster: Cluster
    offline: set[str]
    gaps: list[Gap]
    storages_whole: bool
    """Every storage item was read (otherwise a backup storage may be missing)."""


class ProxmoxAdapter:
    """Collects one PVE cluster. ``agent_api`` may be a view with a shorter timeout."""

    kind = SourceKind.PROXMOX

    def __init__(
        self,
        name: str,
        api: PveApi,
        *,
        agent_api: PveApi | None = None,
        concurrency: int = 32,
        progress: Callable[[int, int], None] | None = None,
        retries: int = 0,
        deadline: Deadline | None = None,
    ) -> None:
        self.name = name
        self._api = api
        self._agent_api = agent_api or api
        self._concurrency = concurrency
        self._progress = progress or (lambda _done, _total: None)
        """Called with (guests done, guests to do) from the worker threads."""
        self._guests_done = 0
        self._guests_total = 0
        self._retries = retries
        self._deadline = deadline
        self._requests = 0
        self._lock = threading.Lock()
        self._agent_denied: list[tuple[str, str]] = []
        """(guest id, 403 message) of every agent call refused for lack of privilege."""

    # -- plumbing ------------------------------------------------------------------------------

    def _where(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        return f"{self.name}: GET {call_label(path, params)}"

    def _get(self, path: str, *, agent: bool = False, **params: Any) -> Any:
        api = self._agent_api if agent else self._api

        def attempt() -> Any:
            with self._lock:
                self._requests += 1
            return api.get(path, **params)

        # Agent calls are not retried: a silent agent stays silent, a retry only doubles the
        # wait (and the agent view's short timeout exists to keep that wait short).
        return with_retry(
            attempt,
            retries=0 if agent else self._retries,
            deadline=self._deadline,
            what=self._where(path, params),
        )

    def _try(self, path: str, params: Mapping[str, Any]) -> Any:
        try:
            return self._get(path, **params)
        except SourceError as exc:
            return exc

    # -- collection ----------------------------------------------------------------------------

    def collect(self) -> SourceResult:
        try:
            with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
                head = self._read_cluster(pool)
                cluster = self._complete(pool, head)
        except SourceError as exc:
            failed = SourceStatus.failed(self.name, self.kind, str(exc), self._requests)
            return SourceResult(failed)
        status = SourceStatus.finished(self.name, self.kind, head.gaps, self._requests)
        return SourceResult(status, cluster=cluster)

    def preflight(self) -> SourceStatus:
        """The cluster-wide reads alone, judged exactly as ``collect`` judges them: what
        ``collect doctor`` shows of the lab's state (nodes offline, listings failing)."""
        try:
            with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
                head = self._read_cluster(pool)
        except SourceError as exc:
            return SourceStatus.failed(self.name, self.kind, str(exc), self._requests)
        return SourceStatus.finished(self.name, self.kind, head.gaps, self._requests)

    def _read_cluster(self, pool: ThreadPoolExecutor) -> _Head:
        futures = {c.key: pool.submit(self._try, c.path, c.params) for c in CLUSTER_CALLS}
        answers = {key: f.result() for key, f in futures.items()}
        for call in CLUSTER_CALLS:
            failure = answers[call.key]
            if isinstance(failure, SourceError) and call.impact is Impact.FATAL:
                raise failure
        cluster_id = f"pve:{self.name}"
        gaps = [
            coverage_gap(cluster_id, call.label, answers[call.key])
            for call in CLUSTER_CALLS
            if isinstance(answers[call.key], SourceError)
        ]

        def read(key: str, normalise: Callable[[Any, Unread], T | None], cost: Impact) -> T | None:
            """A cluster-wide answer, normalised; what it lacks becomes a gap naming the call."""
            answer, call = answers[key], CALLS[key]
            if isinstance(answer, SourceError):
                return None
            unread = Unread()
            value = normalise(answer, unread)
            where = self._where(call.path, call.params)
            if value is None:
                gaps.append(Gap.of(cluster_id, call.label, not_a_list(where, answer), cost))
            elif unread:
                gaps.append(unread_gap(cluster_id, call.label, where, unread, cost))
            return value

        cluster_name, nodes = read(
            "status", lambda a, u: nodes_from_status(a, self.name, u), Impact.INCOMPLETE
        ) or (self.name, [])
        listing = answers["guests"]
        if not isinstance(listing, list):
            raise SourceResponseError(
                not_a_list(self._where("cluster/resources", {"type": "vm"}), listing)
            )
        guests = (
            read("guests", lambda a, u: guests_from_resources(a, self.name, u), Impact.INCOMPLETE)
            or []
        )
        if not listing and nodes:
            gaps.append(invisible_guests_gap(cluster_id, len(nodes)))
        nodes = nodes + unlisted_nodes(self.name, nodes, guests, gaps)
        offline = {n.name for n in nodes if n.online is False}
        gaps += [
            Gap(n.id, "node", f"{self.name}: GET cluster/status: node {n.name} is offline", True)
            for n in nodes
            if n.online is False
        ]
        before = len(gaps)
        storages = read("storages", storages_of, Impact.COVERAGE)
        whole = storages is not None and len(gaps) == before
        version = version_of(answers["version"])
        if version is None and not isinstance(answers["version"], SourceError):
            gaps.append(version_gap(self.name, answers["version"]))
        cluster = Cluster(
            id=cluster_id,
            name=cluster_name,
            source=self.name,
            version=version,
            nodes=tuple(nodes),
            guests=tuple(guests),
            pools=read("pools", pools_of, Impact.COVERAGE),
            storages=storages or (),
            backup_jobs=read("backup_jobs", backup_jobs_of, Impact.COVERAGE),
            not_backed_up=read("not_backed_up", not_backed_up_of, Impact.COVERAGE),
            backup_visibility=_visibility(
                read("permissions", permissions_of, Impact.COVERAGE), storages or (), guests
            ),
        )
        ha = read("ha", ha_states, Impact.COVERAGE) or {}
        if ha:
            cluster = replace(
                cluster,
                guests=tuple(
                    # replace() costs more than the rest of a guest's bookkeeping: only if needed.
                    g if g.ha_state or g.vmid not in ha else replace(g, ha_state=ha[g.vmid])
                    for g in cluster.guests
                ),
            )
        return _Head(cluster, offline, gaps, whole)

    def _complete(self, pool: ThreadPoolExecutor, head: _Head) -> Cluster:
        """Every guest's config (and agent or interfaces), and the backup listings."""
        cluster = head.cluster
        todo = [g for g in cluster.guests if g.node not in head.offline]
        self._guests_total = len(todo)
        self._progress(0, len(todo))
        # Backup listings start first: they are few, and a large PBS listing should not
        # wait behind every guest. The guests then share the remaining workers.
        listings = start_listings(pool, self._try, cluster.storages, head.offline)
        configs = None
        if any(s.plugintype == "pbs" for s in cluster.storages):
            configs = pool.submit(self._try, STORAGE_CONFIG.path, STORAGE_CONFIG.params)
        completing = fan_out(pool, todo, self._guest_task, self._concurrency)
        volumes = (
            backup_volumes(self.name, listings, head.gaps) if head.storages_whole else None
        )  # a backup storage may be missing from the listing: no age can be judged
        pbs_targets = self._pbs_targets(configs, head.gaps)
        completed = {g.id: g for g in cluster.guests}
        for guest, guest_gaps in completing():
            completed[guest.id] = guest
            head.gaps.extend(guest_gaps)
        if self._agent_denied:
            head.gaps.append(agent_permission_gap(cluster.id, cluster.version, self._agent_denied))
        return replace(
            cluster,
            guests=tuple(completed.values()),
            backup_volumes=volumes,
            pbs_targets=pbs_targets,
        )

    def _pbs_targets(
        self, configs: Future[Any] | None, gaps: list[Gap]
    ) -> tuple[PbsTarget, ...] | None:
        """Which PBS datastore each ``pbs`` storage writes to (``()`` without one)."""
        if configs is None:
            return ()
        answer, cluster_id = configs.result(), f"pve:{self.name}"
        if isinstance(answer, SourceError):
            gaps.append(coverage_gap(cluster_id, STORAGE_CONFIG.label, answer))
            return None
        unread = Unread()
        targets = pbs_targets_of(answer, unread)
        where = self._where(STORAGE_CONFIG.path)
        if targets is None:
            gaps.append(Gap(cluster_id, STORAGE_CONFIG.label, not_a_list(where, answer)))
        elif unread:
            gaps.append(unread_gap(cluster_id, STORAGE_CONFIG.label, where, unread))
        return targets

    def _guest_task(self, guest: Guest) -> tuple[Guest, list[Gap]]:
        try:
            return self._complete_guest(guest)
        finally:
            with self._lock:
                self._guests_done += 1
                done = self._guests_done
            self._progress(done, self._guests_total)

    def _complete_guest(self, guest: Guest) -> tuple[Guest, list[Gap]]:
        """Config, then the guest's own view of its addresses when that is worth a call."""
        kind = "qemu" if guest.form is Form.VM else "lxc"
        base = f"nodes/{guest.node}/{kind}/{guest.vmid}"
        try:
            config = self._get(f"{base}/config")
        except SourceError as exc:
            return guest, [Gap.of(guest.id, "config", str(exc), GUEST_CONFIG.impact)]
        where = self._where(f"{base}/config")
        if not isinstance(config, Mapping):
            reason = f"{where}: did not return an object ({json_type(config)})"
            return guest, [Gap.of(guest.id, "config", reason, GUEST_CONFIG.impact)]
        unread = Unread()
        guest = apply_config(guest, config, unread)
        gaps = [unread_gap(guest.id, "config-values", where, unread)] if unread else []
        if not guest.running:
            return guest, gaps
        if guest.form is Form.VM and guest.agent_enabled:
            path = f"{base}/agent/network-get-interfaces"
            try:
                answer = self._get(path, agent=True)
            except SourceAuthError as exc:
                # We may not ask, so whether it runs is unknown. A missing privilege is the
                # same for every guest: one "agent-permission" gap per source, not one per VM.
                with self._lock:
                    self._agent_denied.append((guest.id, str(exc)))
                return guest, gaps
            except SourceError as exc:
                # "agent": it did not answer; "agent-data": it answered, but without addresses.
                return guest, [*gaps, coverage_gap(guest.id, "agent", exc)]
            addresses = p.agent_addresses(answer)
            if isinstance(addresses, str):
                return guest, [
                    *gaps,
                    Gap(guest.id, "agent-data", f"{self._where(path)}: {addresses}"),
                ]
            return replace(guest, reported_ips=addresses[0], reported_macs=addresses[1]), gaps
        if guest.form is Form.LXC:
            path = f"{base}/interfaces"
            try:
                answer = self._get(path)
            except SourceError as exc:
                return guest, [*gaps, coverage_gap(guest.id, "interfaces", exc)]
            found = p.lxc_addresses(answer)
            if isinstance(found, str):
                return guest, [*gaps, Gap(guest.id, "interfaces", f"{self._where(path)}: {found}")]
            return replace(guest, reported_ips=found[0], reported_macs=found[1]), gaps
        return guest, gaps


def _visibility(
    permissions: dict[str, dict[str, bool]] | None,
    storages: tuple[Storage, ...],
    guests: list[Guest],
) -> tuple[BackupVisibility, ...] | None:
    """Per backup storage, the guests whose backups its content listing leaves out."""
    if permissions is None:
        return None
    names = sorted({s.name for s in storages if "backup" in s.content})
    vmids = [g.vmid for g in guests]
    return tuple(backup_visibility(permissions, name, vmids) for name in names)
