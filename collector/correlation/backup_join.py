"""One model of backups: PVE's content listings and Proxmox Backup Servers' snapshots, joined.

A PVE storage of type ``pbs`` names the server, datastore and namespace it writes to (PVE's
``/storage``, in ``Cluster.pbs_targets``). Its snapshots are joined to the cluster's guests
through that triple only, by ``backup-type``/``backup-id`` (``vm/101`` is QEMU guest 101, ``ct/202``
LXC 202, ``host/...`` never a guest), so two clusters writing into one PBS never mix. When two
storages of different clusters point at the *same* namespace, their snapshots are told apart by
group owner (the PBS auth id each storage writes with) when the owners differ; otherwise they
cannot be, and a gap says so.

A storage whose snapshots a ``[[pbs]]`` source read gets its volumes from PBS (with verification
state and time), replacing PVE's listing of it: PBS sees every snapshot, PVE's listing only those
the token may see. ``origin`` on each volume says where it came from.

A PVE server is matched by host name or address and port, or by the certificate fingerprint
that both the PVE storage and the ``[[pbs]]`` source pin.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from collector.model import (
    BackupServer,
    BackupVolume,
    Cluster,
    Datastore,
    Gap,
    PbsSnapshot,
    PbsTarget,
)

_KINDS = {"vm": ("qemu", "pbs-vm"), "ct": ("lxc", "pbs-ct")}


@dataclass(frozen=True, slots=True)
class Link:
    """A PVE storage of one cluster, and the PBS datastore namespace it writes to."""

    cluster: Cluster
    target: PbsTarget
    server: BackupServer
    datastore: Datastore

    @property
    def where(self) -> str:
        ns = f"/{self.target.namespace}" if self.target.namespace else ""
        return f"pbs:{self.server.name}/{self.datastore.name}{ns}"


@dataclass(frozen=True, slots=True)
class JoinedBackups:
    clusters: tuple[Cluster, ...]
    supplied: Mapping[str, Mapping[str, str]]
    """Cluster id → storage → where its volumes were read (``pbs:<server>/<store>[/<ns>]``)."""
    links: tuple[Link, ...]
    notes: Mapping[str, tuple[Gap, ...]]
    """Source name → gaps the join found (a shared namespace, a PBS no source reads)."""


def _host(text: str) -> str:
    return text.strip("[]").lower()


def find_server(target: PbsTarget, servers: Iterable[BackupServer]) -> BackupServer | None:
    for server in servers:
        if _host(server.host) == _host(target.server) and server.port == target.port:
            return server
    pinned = (target.fingerprint or "").lower()
    for server in servers:
        if pinned and server.fingerprint and server.fingerprint.lower() == pinned:
            return server
    return None


def _links(clusters: Iterable[Cluster], servers: tuple[BackupServer, ...]) -> list[Link]:
    links = []
    for cluster in clusters:
        for target in cluster.pbs_targets or ():
            server = find_server(target, servers)
            store = (
                next((d for d in server.datastores if d.name == target.datastore), None)
                if server
                else None
            )
            if server is not None and store is not None:
                links.append(Link(cluster, target, server, store))
    return links


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def volume_of(snapshot: PbsSnapshot, storage: str, origin: str) -> BackupVolume | None:
    """A guest backup snapshot as the volume PVE would list (``<storage>:backup/vm/101/<time>``)."""
    kind = _KINDS.get(snapshot.backup_type)
    if kind is None or not snapshot.backup_id.isdigit():
        return None
    return BackupVolume(
        volid=f"{storage}:backup/{snapshot.backup_type}/{snapshot.backup_id}/{_iso(snapshot.time)}",
        storage=storage,
        vmid=int(snapshot.backup_id),
        ctime=snapshot.time,
        subtype=kind[0],
        format=kind[1],
        protected=snapshot.protected,
        verification=snapshot.verification,
        verified_at=snapshot.verified_at,
        origin=origin,
    )


def join_backups(clusters: tuple[Cluster, ...], servers: tuple[BackupServer, ...]) -> JoinedBackups:
    """Clusters whose PBS storages' volumes come from the PBS sources that read them."""
    links = _links(clusters, servers)
    notes: dict[str, list[Gap]] = defaultdict(list)
    sharing: dict[tuple[str, str, str], list[Link]] = defaultdict(list)
    for link in links:
        sharing[(link.server.id, link.datastore.name, link.target.namespace)].append(link)
    by_cluster: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        by_cluster[link.cluster.id].append(link)
    supplied: dict[str, dict[str, str]] = {}
    joined = []
    for cluster in clusters:
        volumes = {v.volid: v for v in cluster.backup_volumes or ()}
        replaced: dict[str, str] = {}
        for link in by_cluster.get(cluster.id, []):
            snapshots = (link.datastore.namespaces or {}).get(link.target.namespace)
            if snapshots is None:
                continue  # not read: PVE's listing (if any) stays the evidence
            others = [
                o
                for o in sharing[(link.server.id, link.datastore.name, link.target.namespace)]
                if o.cluster.id != cluster.id
            ]
            owner = _separating_owner(link, others)
            if others:
                notes[cluster.source].append(_shared_gap(link, others, owner is not None))
            storage = link.target.storage
            volumes = {k: v for k, v in volumes.items() if v.storage != storage}
            for snapshot in snapshots:
                if owner is not None and snapshot.owner != owner:
                    continue
                volume = volume_of(snapshot, storage, link.where)
                if volume is not None:
                    volumes[volume.volid] = volume
            replaced[storage] = link.where
        if replaced:
            supplied[cluster.id] = replaced
            cluster = replace(cluster, backup_volumes=tuple(volumes.values()))
        joined.append(cluster)
    return JoinedBackups(
        clusters=tuple(joined),
        supplied=supplied,
        links=tuple(links),
        notes={k: tuple(v) for k, v in notes.items()},
    )


def _separating_owner(link: Link, others: list[Link]) -> str | None:
    """The owner that tells this storage's groups from the others' in a shared namespace."""
    if not others or not link.target.owner:
        return None
    if all(o.target.owner and o.target.owner != link.target.owner for o in others):
        return link.target.owner
    return None


def _shared_gap(link: Link, others: list[Link], separated: bool) -> Gap:
    names = ", ".join(f"'{o.target.storage}' of {o.cluster.id}" for o in others)
    told = (
        f"told apart by their owner ({link.target.owner})"
        if separated
        else "they cannot be told apart (same or unknown owner), so backups of equal VMIDs mix"
    )
    return Gap(
        f"{link.cluster.id}/storage/{link.target.storage}",
        "backup namespace",
        f"writes into {link.where} like storage {names}: {told}; give each cluster its own "
        "namespace (PVE storage option namespace)",
    )
