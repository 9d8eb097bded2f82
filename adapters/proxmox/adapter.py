"""Proxmox VE adapter: reads one cluster through anything that answers ``api.get(path, **params)``.

That is ``PveClient`` (``client.py``) when live and ``ReplayPveApi`` (``replay.py``) for
recordings, so the same code path runs in both; either raises only ``SourceError``s. Request
budget per cluster (``tests/support/budget.py`` computes it and ``docs/performance.md``
measures it):

    9 cluster-wide GETs (version, cluster/status, cluster/resources x2, pools, HA, backup jobs,
    not-backed-up, access/permissions) + 1 storage config (/storage) if a storage is of type
    pbs + 1 config per guest on an online node + 1 agent call per running QEMU guest with the
    agent enabled + 1 interfaces call per running LXC + 1 content listing per backup storage
    (shared storages once, local ones once per node)

Never a per-node guest listing: ``/cluster/resources`` lists every guest of every node in one call.
``access/permissions`` says which backup volumes the content listings may leave out
(``visibility.py``); ``/storage`` says which PBS datastore and namespace a ``pbs`` storage
writes to, so the collector can join a ``[[pbs]]`` source's snapshots to this cluster's guests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from adapters.common.fanout import fan_out
from adapters.common.retry import with_retry
from adapters.proxmox import parse as p
from adapters.proxmox.normalise import (
    agent_permission_gap,
    apply_config,
    backup_jobs_of,
    coverage_gap,
    guest_from_resource,
    ha_states,
    invisible_guests_gap,
    nodes_from_status,
    not_backed_up_of,
    pbs_targets_of,
    pools_of,
    storages_of,
    version_of,
    volumes_of,
)
from adapters.proxmox.visibility import backup_visibility, permissions_of
from collector.contract import Deadline
from collector.errors import (
    SourceAuthError,
    SourceError,
    SourceResponseError,
)
from collector.model import (
    BackupVisibility,
    BackupVolume,
    Cluster,
    Form,
    Gap,
    Guest,
    PbsTarget,
    SourceKind,
    SourceResult,
    SourceStatus,
    Storage,
)

FIXED_REQUESTS = 9


class PveApi(Protocol):
    def get(self, path: str, **params: Any) -> Any:
        """The answer's ``data``; raises only ``SourceError`` subclasses."""


@dataclass(frozen=True, slots=True)
class _Fixed:
    """Answers of the cluster-wide calls; an entry is an exception when that call failed."""

    answers: Mapping[str, Any]

    def ok(self, key: str) -> Any:
        value = self.answers[key]
        if isinstance(value, SourceError):
            raise value
        return value

    def maybe(self, key: str) -> Any:
        value = self.answers[key]
        return None if isinstance(value, SourceError) else value


_FIXED_CALLS: dict[str, tuple[str, dict[str, str]]] = {
    "version": ("version", {}),
    "status": ("cluster/status", {}),
    "guests": ("cluster/resources", {"type": "vm"}),
    "storages": ("cluster/resources", {"type": "storage"}),
    "pools": ("pools", {}),
    "ha": ("cluster/ha/resources", {}),
    "backup_jobs": ("cluster/backup", {}),
    "not_backed_up": ("cluster/backup-info/not-backed-up", {}),
    "permissions": ("access/permissions", {}),
}
STORAGE_CONFIG = "storage"
"""``GET /storage``: asked only when a storage is of type ``pbs`` (its target is in there)."""


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
            what=f"{self.name}: GET {path}",
        )

    def _try(self, path: str, params: Mapping[str, Any]) -> Any:
        try:
            return self._get(path, **params)
        except SourceError as exc:
            return exc

    # -- collection ----------------------------------------------------------------------------

    def collect(self) -> SourceResult:
        try:
            cluster, gaps = self._collect()
        except SourceError as exc:
            failed = SourceStatus.failed(self.name, self.kind, str(exc), self._requests)
            return SourceResult(failed)
        status = SourceStatus.finished(self.name, self.kind, gaps, self._requests)
        return SourceResult(status, cluster=cluster)

    def _collect(self) -> tuple[Cluster, list[Gap]]:
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            futures = {
                key: pool.submit(self._try, path, params)
                for key, (path, params) in _FIXED_CALLS.items()
            }
            fixed = _Fixed({key: f.result() for key, f in futures.items()})
            cluster_name, nodes = nodes_from_status(fixed.ok("status"), self.name)
            cluster_id = f"pve:{self.name}"
            gaps: list[Gap] = []
            offline = {n.name for n in nodes if n.online is False}
            for node in sorted(offline):
                gaps.append(
                    Gap(f"{cluster_id}/node/{node}", "node", "node is offline", incomplete=True)
                )
            resources = fixed.ok("guests")
            if not isinstance(resources, list):
                raise SourceResponseError(f"{self.name}: cluster/resources did not return a list")
            guests = [
                g for g in (guest_from_resource(r, self.name) for r in resources) if g is not None
            ]
            if not guests and nodes:
                gaps.append(invisible_guests_gap(cluster_id, len(nodes)))
            storages = storages_of(fixed.maybe("storages"))
            todo = [g for g in guests if g.node not in offline]
            self._guests_total = len(todo)
            self._progress(0, len(todo))
            # Backup listings start first: they are few, and a large PBS listing should not
            # wait behind every guest. The guests then share the remaining workers.
            listings = self._list_backups(pool, storages, offline)
            configs = None
            if any(s.plugintype == "pbs" for s in storages):
                configs = pool.submit(self._try, STORAGE_CONFIG, {})
            completing = fan_out(pool, todo, self._guest_task, self._concurrency)
            backup_volumes = self._backup_volumes(listings, storages, gaps)
            pbs_targets = self._pbs_targets(configs, cluster_id, gaps)
            completed = {g.id: g for g in guests}
            for guest, guest_gaps in completing():
                completed[guest.id] = guest
                gaps.extend(guest_gaps)
        version = version_of(fixed.maybe("version"))
        if self._agent_denied:
            gaps.append(agent_permission_gap(cluster_id, version, self._agent_denied))
        for key in ("pools", "ha", "backup_jobs", "not_backed_up", "storages", "permissions"):
            if isinstance(fixed.answers[key], SourceError):
                gaps.append(_optional_gap(cluster_id, key, fixed.answers[key]))
        ha = ha_states(fixed.maybe("ha"))
        cluster = Cluster(
            id=cluster_id,
            name=cluster_name,
            source=self.name,
            version=version,
            nodes=tuple(nodes),
            guests=tuple(
                # replace() costs more than the rest of a guest's bookkeeping: only where needed.
                g if g.ha_state or g.vmid not in ha else replace(g, ha_state=ha[g.vmid])
                for g in completed.values()
            ),
            pools=pools_of(fixed.maybe("pools")),
            storages=storages,
            backup_jobs=backup_jobs_of(fixed.maybe("backup_jobs")),
            backup_volumes=backup_volumes,
            not_backed_up=not_backed_up_of(fixed.maybe("not_backed_up")),
            pbs_targets=pbs_targets,
            backup_visibility=_visibility(fixed.maybe("permissions"), storages, guests),
        )
        return cluster, gaps

    def _pbs_targets(
        self, configs: Future[Any] | None, cluster_id: str, gaps: list[Gap]
    ) -> tuple[PbsTarget, ...] | None:
        if configs is None:
            return ()
        answer = configs.result()
        if isinstance(answer, SourceError):
            gaps.append(coverage_gap(cluster_id, STORAGE_CONFIG, answer))
            return None
        return pbs_targets_of(answer)

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
        gaps: list[Gap] = []
        try:
            config = self._get(f"{base}/config")
        except SourceError as exc:
            return guest, [Gap(guest.id, "config", str(exc), incomplete=True)]
        guest = apply_config(guest, config if isinstance(config, Mapping) else {})
        if not guest.running:
            return guest, gaps
        if guest.form is Form.VM and guest.agent_enabled:
            try:
                answer = self._get(f"{base}/agent/network-get-interfaces", agent=True)
            except SourceAuthError as exc:
                # We may not ask, so whether it runs is unknown. A missing privilege is the
                # same for every guest: one "agent-permission" gap per source, not one per VM.
                with self._lock:
                    self._agent_denied.append((guest.id, str(exc)))
                return guest, gaps
            except SourceError as exc:
                # "agent": it did not answer; "agent-data": it answered, but without addresses.
                return guest, [coverage_gap(guest.id, "agent", exc)]
            addresses = p.agent_addresses(answer)
            if isinstance(addresses, str):
                return guest, [Gap(guest.id, "agent-data", addresses)]
            return replace(guest, reported_ips=addresses[0], reported_macs=addresses[1]), gaps
        if guest.form is Form.LXC:
            try:
                answer = self._get(f"{base}/interfaces")
            except SourceError as exc:
                return guest, [coverage_gap(guest.id, "interfaces", exc)]
            ips, macs = p.lxc_addresses(answer)
            return replace(guest, reported_ips=ips, reported_macs=macs), gaps
        return guest, gaps

    def _list_backups(
        self, pool: ThreadPoolExecutor, storages: tuple[Storage, ...], offline: set[str]
    ) -> dict[str, tuple[Storage, Future[Any]]]:
        """Start one backup listing per backup storage: shared ones from a single node."""
        targets: dict[str, Storage] = {}
        for storage in storages:
            if "backup" not in storage.content or storage.node in offline:
                continue
            key = storage.name if storage.shared else f"{storage.node}/{storage.name}"
            targets.setdefault(key, storage)
        return {
            key: (
                s,
                pool.submit(
                    self._try, f"nodes/{s.node}/storage/{s.name}/content", {"content": "backup"}
                ),
            )
            for key, s in sorted(targets.items())
        }

    def _backup_volumes(
        self,
        listings: Mapping[str, tuple[Storage, Future[Any]]],
        storages: tuple[Storage, ...],
        gaps: list[Gap],
    ) -> tuple[BackupVolume, ...] | None:
        if not listings:
            return () if storages else None
        volumes: dict[str, BackupVolume] = {}
        for key, (storage, listing) in listings.items():
            answer = listing.result()
            if isinstance(answer, SourceError):
                gaps.append(
                    coverage_gap(f"pve:{self.name}/storage/{key}", "backup content", answer)
                )
                continue
            for volume in volumes_of(answer, storage.name, f"pve:{self.name}"):
                volumes.setdefault(volume.volid, volume)
        return tuple(volumes.values())


def _optional_gap(cluster_id: str, key: str, exc: SourceError) -> Gap:
    return coverage_gap(cluster_id, _FIXED_CALLS[key][0], exc)


def _visibility(
    answer: Any, storages: tuple[Storage, ...], guests: list[Guest]
) -> tuple[BackupVisibility, ...] | None:
    """Per backup storage, the guests whose backups its content listing leaves out."""
    permissions = permissions_of(answer)
    if permissions is None:
        return None
    names = sorted({s.name for s in storages if "backup" in s.content})
    vmids = [g.vmid for g in guests]
    return tuple(backup_visibility(permissions, name, vmids) for name in names)
