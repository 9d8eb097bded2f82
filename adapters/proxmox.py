"""Proxmox VE adapter: reads one cluster through anything that answers ``api.get(path, **params)``.

That is ``adapters.pve_http.PveHttpApi`` (a lean GET client on proxmoxer's login) or a
``proxmoxer.ProxmoxAPI`` when live and a ``ReplayPveApi`` for recordings, so the same code path
runs in both. Request budget per cluster (``adapters/budget.py`` computes it and
``docs/performance.md`` measures it):

    8 cluster-wide GETs (version, cluster/status, cluster/resources x2, pools, HA, backup jobs,
    not-backed-up) + 1 config per guest on an online node + 1 agent call per running QEMU guest
    with the agent enabled + 1 interfaces call per running LXC + 1 content listing per backup
    storage (shared storages once, local ones once per node)

Never a per-node guest listing: ``/cluster/resources`` lists every guest of every node in one call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from adapters import pve_parse as p
from adapters.fanout import fan_out
from adapters.pve_errors import retryable, translate
from adapters.retry import with_retry
from collector.errors import (
    SourceAuthError,
    SourceDeadlineError,
    SourceError,
    SourceResponseError,
)
from collector.limits import Deadline
from collector.model import (
    BackupJob,
    BackupVolume,
    Cluster,
    Form,
    Gap,
    Guest,
    Node,
    SourceKind,
    SourceResult,
    SourceStatus,
    Storage,
)

FIXED_REQUESTS = 8


class PveApi(Protocol):
    def get(self, path: str, **params: Any) -> Any: ...


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
}


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

        try:
            # Agent calls are not retried: a silent agent stays silent, a retry only doubles
            # the wait (and the agent view's short timeout exists to keep that wait short).
            return with_retry(
                attempt,
                retries=0 if agent else self._retries,
                retryable=retryable,
                deadline=self._deadline,
                what=f"{self.name}: GET {path}",
            )
        except Exception as exc:
            raise translate(exc, self.name, path) from exc

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
            status = SourceStatus(
                self.name, self.kind, complete=False, error=str(exc), requests=self._requests
            )
            return SourceResult(status)
        complete = not any(g.incomplete for g in gaps)
        status = SourceStatus(
            self.name, self.kind, complete=complete, gaps=tuple(gaps), requests=self._requests
        )
        return SourceResult(status, cluster=cluster)

    def _collect(self) -> tuple[Cluster, list[Gap]]:
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            futures = {
                key: pool.submit(self._try, path, params)
                for key, (path, params) in _FIXED_CALLS.items()
            }
            fixed = _Fixed({key: f.result() for key, f in futures.items()})
            cluster_name, nodes = _nodes(fixed.ok("status"), self.name)
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
            guests = [g for g in (_guest(r, self.name) for r in resources) if g is not None]
            if not guests and nodes:
                gaps.append(_invisible_guests(cluster_id, len(nodes)))
            storages = _storages(fixed.maybe("storages"))
            todo = [g for g in guests if g.node not in offline]
            self._guests_total = len(todo)
            self._progress(0, len(todo))
            # Backup listings start first: they are few, and a large PBS listing should not
            # wait behind every guest. The guests then share the remaining workers.
            listings = self._list_backups(pool, storages, offline)
            completing = fan_out(pool, todo, self._guest_task, self._concurrency)
            backup_volumes = self._backup_volumes(listings, storages, gaps)
            completed = {g.id: g for g in guests}
            for guest, guest_gaps in completing():
                completed[guest.id] = guest
                gaps.extend(guest_gaps)
        version = _version(fixed.maybe("version"))
        if self._agent_denied:
            gaps.append(_agent_permission_gap(cluster_id, version, self._agent_denied))
        for key in ("pools", "ha", "backup_jobs", "not_backed_up", "storages"):
            if isinstance(fixed.answers[key], SourceError):
                gaps.append(_optional_gap(cluster_id, key, fixed.answers[key]))
        ha = _ha_states(fixed.maybe("ha"))
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
            pools=_pools(fixed.maybe("pools")),
            storages=storages,
            backup_jobs=_backup_jobs(fixed.maybe("backup_jobs")),
            backup_volumes=backup_volumes,
            not_backed_up=_not_backed_up(fixed.maybe("not_backed_up")),
        )
        return cluster, gaps

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
        guest = _apply_config(guest, config if isinstance(config, Mapping) else {})
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
                return guest, [_gap(guest.id, "agent", exc)]
            addresses = p.agent_addresses(answer)
            if isinstance(addresses, str):
                return guest, [Gap(guest.id, "agent-data", addresses)]
            return replace(guest, reported_ips=addresses[0], reported_macs=addresses[1]), gaps
        if guest.form is Form.LXC:
            try:
                answer = self._get(f"{base}/interfaces")
            except SourceError as exc:
                return guest, [_gap(guest.id, "interfaces", exc)]
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
                gaps.append(_gap(f"pve:{self.name}/storage/{key}", "backup content", answer))
                continue
            for volume in _volumes(answer, storage.name):
                volumes.setdefault(volume.volid, volume)
        return tuple(volumes.values())


# -- normalisers (pure) ------------------------------------------------------------------------


def _nodes(status: Any, fallback_name: str) -> tuple[str, list[Node]]:
    if not isinstance(status, list):
        raise SourceResponseError(f"{fallback_name}: cluster/status did not return a list")
    name = fallback_name
    nodes: list[Node] = []
    for item in status:
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "cluster" and p.as_str(item.get("name")):
            name = str(item["name"])
        elif item.get("type") == "node" and p.as_str(item.get("name")):
            node_name = str(item["name"])
            nodes.append(
                Node(
                    id=f"pve:{fallback_name}/node/{node_name}",
                    cluster=fallback_name,
                    name=node_name,
                    online=p.as_bool(item.get("online")),
                    ip=p.as_str(item.get("ip")),
                )
            )
    return name, sorted(nodes, key=lambda n: n.name)


def _guest(item: Any, cluster: str) -> Guest | None:
    if not isinstance(item, Mapping) or item.get("type") not in ("qemu", "lxc"):
        return None
    vmid = p.as_int(item.get("vmid"))
    node = p.as_str(item.get("node"))
    if vmid is None or not node:
        return None
    kind = str(item["type"])
    form = Form.VM if kind == "qemu" else Form.LXC
    return Guest(
        id=f"pve:{cluster}/{kind}/{vmid}",
        cluster=cluster,
        node=node,
        vmid=vmid,
        name=p.as_str(item.get("name")) or f"{kind}-{vmid}",
        form=form,
        status=p.guest_status(item.get("status")),
        template=bool(p.as_bool(item.get("template"))),
        tags=p.parse_tags(item.get("tags")),
        pool=p.as_str(item.get("pool")) or None,
        ha_state=p.as_str(item.get("hastate")),
        memory_bytes=p.as_int(item.get("maxmem")),
        cores=p.as_int(item.get("maxcpu")),
        uptime_seconds=p.as_int(item.get("uptime")),
    )


def _apply_config(guest: Guest, config: Mapping[str, Any]) -> Guest:
    lxc = guest.form is Form.LXC
    tags = p.parse_tags(config.get("tags")) or guest.tags
    description = p.as_str(config.get("description")) or ""
    return replace(
        guest,
        name=p.as_str(config.get("hostname" if lxc else "name")) or guest.name,
        tags=tags,
        description=description.rstrip(),
        onboot=p.as_bool(config.get("onboot")) or False,
        agent_enabled=None if lxc else bool(p.agent_enabled(config.get("agent"))),
        ostype=p.as_str(config.get("ostype")),
        nics=p.parse_nics(config, lxc=lxc),
        features=p.lxc_features(config.get("features")) if lxc else (),
        memory_bytes=p.memory_bytes(config.get("memory")) or guest.memory_bytes,
        cores=p.as_int(config.get("cores")) or guest.cores,
        disks_without_backup=p.disks_without_backup(config),
        template=guest.template or bool(p.as_bool(config.get("template"))),
    )


def _gap(subject: str, what: str, exc: SourceError) -> Gap:
    """A coverage gap, except when the run deadline stopped the read: then the run is incomplete."""
    return Gap(subject, what, str(exc), incomplete=isinstance(exc, SourceDeadlineError))


def agent_privilege(version: str | None) -> str:
    """The privilege guest-agent reads need: PVE 9 split it out of VM.Monitor."""
    major = p.as_int((version or "").split(".", 1)[0])
    return "VM.Monitor" if major is not None and major < 9 else "VM.GuestAgent.Audit"


def _agent_permission_gap(
    cluster_id: str, version: str | None, denied: list[tuple[str, str]]
) -> Gap:
    guests = sorted(g.removeprefix(cluster_id + "/") for g, _ in denied)
    shown = ", ".join(guests[:10]) + (f" and {len(guests) - 10} more" if len(guests) > 10 else "")
    return Gap(
        cluster_id,
        "agent-permission",
        f"guest agent reads refused (403) for {len(guests)} running VM(s) ({shown}): grant "
        f"{agent_privilege(version)} on /vms to the token (and its user); until then their "
        "addresses come only from static config, and placement by IP cannot use them",
    )


def _invisible_guests(cluster_id: str, node_count: int) -> Gap:
    return Gap(
        cluster_id,
        "guests",
        f"cluster/resources lists no guests although {node_count} node(s) exist: the token "
        "probably lacks VM.Audit (privilege-separated tokens need their own ACL on /vms)",
        incomplete=True,
    )


def _optional_gap(cluster_id: str, key: str, exc: SourceError) -> Gap:
    return _gap(cluster_id, _FIXED_CALLS[key][0], exc)


def _version(answer: Any) -> str | None:
    return p.as_str(answer.get("version")) if isinstance(answer, Mapping) else None


def _pools(answer: Any) -> dict[str, str]:
    if not isinstance(answer, list):
        return {}
    return {
        str(item["poolid"]): p.as_str(item.get("comment")) or ""
        for item in answer
        if isinstance(item, Mapping) and p.as_str(item.get("poolid"))
    }


def _ha_states(answer: Any) -> dict[int, str]:
    states: dict[int, str] = {}
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping):
            continue
        _, _, vmid = str(item.get("sid", "")).partition(":")
        number = p.as_int(vmid)
        if number is not None:
            states[number] = p.as_str(item.get("state")) or "managed"
    return states


def _storages(answer: Any) -> tuple[Storage, ...]:
    storages = []
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping) or item.get("type", "storage") != "storage":
            continue
        name, node = p.as_str(item.get("storage")), p.as_str(item.get("node"))
        if not name or not node:
            continue
        storages.append(
            Storage(
                id=p.as_str(item.get("id")) or f"storage/{node}/{name}",
                name=name,
                node=node,
                plugintype=p.as_str(item.get("plugintype")) or "unknown",
                content=tuple(sorted(c for c in str(item.get("content", "")).split(",") if c)),
                shared=bool(p.as_bool(item.get("shared"))),
                status=p.as_str(item.get("status")),
            )
        )
    return tuple(storages)


def _id_list(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        items: list[Any] = value
    else:
        items = [v for v in str(value or "").replace(";", ",").split(",") if v.strip()]
    return tuple(sorted({n for n in (p.as_int(v) for v in items) if n is not None}))


def _backup_jobs(answer: Any) -> tuple[BackupJob, ...] | None:
    if not isinstance(answer, list):
        return None
    jobs = []
    for item in answer:
        if not isinstance(item, Mapping):
            continue
        jobs.append(
            BackupJob(
                id=p.as_str(item.get("id")) or "unnamed",
                # A job without "enabled" is enabled: PVE only writes the key to disable one.
                enabled=p.as_bool(item.get("enabled", 1)) is not False,
                storage=p.as_str(item.get("storage")),
                schedule=p.as_str(item.get("schedule")),
                all=bool(p.as_bool(item.get("all"))),
                vmids=_id_list(item.get("vmid")),
                pool=p.as_str(item.get("pool")),
                exclude=_id_list(item.get("exclude")),
                node=p.as_str(item.get("node")),
            )
        )
    return tuple(jobs)


def _not_backed_up(answer: Any) -> tuple[int, ...] | None:
    if not isinstance(answer, list):
        return None
    return _id_list([i.get("vmid") for i in answer if isinstance(i, Mapping)])


def _volumes(answer: Any, storage: str) -> list[BackupVolume]:
    volumes = []
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping):
            continue
        volid = p.as_str(item.get("volid"))
        vmid = p.as_int(item.get("vmid"))
        ctime, subtype = p.as_int(item.get("ctime")), p.as_str(item.get("subtype"))
        # The name is only a fallback; parsing its timestamp costs more than the rest of the
        # item, and a PBS datastore lists every snapshot of every guest.
        complete = vmid is not None and ctime and subtype
        named = None if complete else p.backup_volid(volid)
        vmid = vmid if vmid is not None else named.vmid if named else None
        if not volid or vmid is None:
            continue
        verification = item.get("verification")
        verified = None
        if isinstance(verification, Mapping):
            verified = verification.get("state") == "ok"
        volumes.append(
            BackupVolume(
                volid=volid,
                storage=storage,
                vmid=vmid,
                ctime=ctime or (named.ctime if named else None) or 0,
                subtype=subtype or (named.kind if named else None),
                format=p.as_str(item.get("format")),
                protected=bool(p.as_bool(item.get("protected"))),
                verified=verified,
            )
        )
    return volumes
