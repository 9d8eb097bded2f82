"""What is known about each guest's backups, storage by storage, and what is not.

A guest's backups on a storage are *unknown* when

- PVE's content listing of that storage failed (an adapter gap ``backup content``), or
- PVE hides them from the token (``Cluster.backup_visibility``: pve-storage lists a backup only
  with ``Datastore.Allocate`` on the storage, or ``Datastore.AllocateSpace`` on it and
  ``VM.Backup`` on the guest) and no ``[[pbs]]`` source read that storage's snapshots, or
- the listing came back empty although enabled backup jobs write there (a ``backup listing``
  gap): with jobs that ran that is a token that cannot see, not a lab without backups.

Rules that judge backup age stay silent for unknown storages; ``backup-missing`` needs no
listing (it resolves the jobs) and keeps working. ``visibility_gaps`` writes one coverage gap per
storage that says what is hidden, why, and both ways to see it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.correlation.backup_jobs import coverage
from collector.model import BackupServer, BackupVisibility, BackupVolume, Cluster, Gap, Guest

BACKUP_CONTENT = "backup content"
"""``Gap.what`` of a content listing that could not be read (written by the PVE adapter)."""
BACKUP_LISTING = "backup listing"
"""``Gap.what`` of a listing that is suspiciously empty."""
BACKUP_VISIBILITY = "backup visibility"
_GRANT = (
    "grant Datastore.AllocateSpace on /storage/{storage} and VM.Backup on /vms (they also let "
    "the token start backups of those guests and allocate space on the storage)"
)


def _storage_of(subject: str, cluster: Cluster) -> str | None:
    prefix = f"{cluster.id}/storage/"
    return subject.removeprefix(prefix).rsplit("/", 1)[-1] if subject.startswith(prefix) else None


@dataclass(frozen=True)
class ClusterBackups:
    """One cluster's backups as the rules and the report read them."""

    cluster: Cluster
    volumes: Mapping[int, tuple[BackupVolume, ...]]
    """VMID → its volumes (any storage, any guest type; ``backup_jobs.backups_of`` filters)."""
    unreadable: frozenset[str]
    hidden: Mapping[str, frozenset[int]]
    """Storage → VMIDs whose backups there PVE hides and no PBS source supplied."""
    supplied: Mapping[str, str]
    """Storage → where PBS supplied its volumes (``pbs:<server>/<store>[/<ns>]``)."""

    def unknown_on(self, guest: Guest, storages: Iterable[str | None]) -> list[str]:
        """The storages among ``storages`` where the guest's backups are not known.

        ``None`` (a job without a storage: PVE's default) counts as unknown whenever any
        storage is, because it could be that one."""
        unknown = set(self.unreadable) | {s for s, ids in self.hidden.items() if guest.vmid in ids}
        out = sorted(s for s in storages if s is not None and s in unknown)
        if None in storages and unknown and not out:
            out = sorted(unknown)
        return out


def cluster_backups(
    cluster: Cluster, gaps: Iterable[tuple[str, str]], supplied: Mapping[str, str]
) -> ClusterBackups:
    """``gaps`` are the inventory's (subject, what) pairs."""
    unreadable = {
        storage
        for subject, what in gaps
        if what in (BACKUP_CONTENT, BACKUP_LISTING)
        and (storage := _storage_of(subject, cluster)) is not None
        and storage not in supplied
    }
    hidden = {
        v.storage: frozenset(v.hidden_vmids)
        for v in cluster.backup_visibility or ()
        if v.hidden_vmids and v.storage not in supplied
    }
    by_vmid: dict[int, list[BackupVolume]] = defaultdict(list)
    for volume in cluster.backup_volumes or ():
        by_vmid[volume.vmid].append(volume)
    return ClusterBackups(
        cluster=cluster,
        volumes={k: tuple(v) for k, v in by_vmid.items()},
        unreadable=frozenset(unreadable),
        hidden=hidden,
        supplied=supplied,
    )


def _guest_names(cluster: Cluster, vmids: Iterable[int], limit: int = 8) -> str:
    kinds = {g.vmid: g.id.removeprefix(cluster.id + "/") for g in cluster.guests}
    names = [kinds.get(v, str(v)) for v in sorted(vmids)]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _job_guests(cluster: Cluster, storage: str) -> dict[int, list[str]]:
    """VMID → enabled jobs that back the guest up to ``storage``."""
    out: dict[int, list[str]] = {}
    for guest in cluster.guests:
        if guest.template:
            continue
        enabled = coverage(guest, cluster.backup_jobs or ()).enabled
        jobs = [j.id for j in enabled if j.storage == storage]
        if jobs:
            out[guest.vmid] = jobs
    return out


def _pbs_advice(
    cluster: Cluster, storage: str, servers: tuple[BackupServer, ...], failed: tuple[str, ...]
) -> str:
    target = next((t for t in cluster.pbs_targets or () if t.storage == storage), None)
    if target is None:
        plugin = next((s.plugintype for s in cluster.storages if s.name == storage), None)
        return "" if plugin != "pbs" else "; or read the backups from PBS with a [[pbs]] source"
    server = f"{target.server}:{target.port}"
    if failed and not servers:
        names = ", ".join(f"'{name}'" for name in failed)
        return f"; the [[pbs]] source {names} that could read them did not answer (see Sources)"
    if not servers:
        return (
            f"; or read them from the Proxmox Backup Server itself: a [[pbs]] source for {server} "
            "with a read-only token (DatastoreAudit on /datastore)"
        )
    return (
        f"; or read them from PBS: no [[pbs]] source reads {server} datastore "
        f"'{target.datastore}' (set its host to {target.server}, or pin the same fingerprint)"
    )


def _visibility_gap(
    cluster: Cluster,
    seen: BackupVisibility,
    supplied: str | None,
    servers: tuple[BackupServer, ...],
    failed: tuple[str, ...],
) -> Gap:
    storage = seen.storage
    rule = (
        f"PVE lists a backup only with Datastore.Allocate on /storage/{storage}, or "
        f"Datastore.AllocateSpace on it and VM.Backup on the guest"
    )
    if seen.hides_all:
        what = f"PVE's content listing hides every backup on '{storage}' from this token: {rule}"
    else:
        guests = _guest_names(cluster, seen.hidden_vmids)
        what = (
            f"PVE's content listing hides the backups of {len(seen.hidden_vmids)} guest(s) "
            f"({guests}) on '{storage}': the token lacks VM.Backup on them"
        )
    if supplied is not None:
        return Gap(
            f"{cluster.id}/storage/{storage}",
            BACKUP_VISIBILITY,
            f"{what}; their ages and verification come from {supplied} instead",
        )
    grant = _GRANT.format(storage=storage)
    return Gap(
        f"{cluster.id}/storage/{storage}",
        BACKUP_VISIBILITY,
        f"{what}; backup ages there are unknown (backup-stale stays silent, backup-missing "
        f"still works); {grant}{_pbs_advice(cluster, storage, servers, failed)}",
    )


def visibility_gaps(
    cluster: Cluster,
    supplied: Mapping[str, str],
    servers: tuple[BackupServer, ...],
    unreadable: Iterable[str] = (),
    failed_pbs: tuple[str, ...] = (),
) -> list[Gap]:
    """One gap per backup storage that PVE hides backups of, and one per storage that lists
    none although enabled jobs back guests up to it (``unreadable``: listings that failed;
    ``failed_pbs``: ``[[pbs]]`` sources that could not be read)."""
    gaps = []
    for seen in cluster.backup_visibility or ():
        if seen.hidden_vmids:
            where = supplied.get(seen.storage)
            gaps.append(_visibility_gap(cluster, seen, where, servers, failed_pbs))
    if cluster.backup_volumes is None or cluster.backup_jobs is None:
        return gaps
    listed = {v.storage for v in cluster.backup_volumes}
    hidden = {v.storage: set(v.hidden_vmids) for v in cluster.backup_visibility or ()}
    skip = set(unreadable) | set(supplied) | listed
    for storage in sorted({j.storage for j in cluster.backup_jobs if j.storage} - skip):
        if storage not in {s.name for s in cluster.storages if "backup" in s.content}:
            continue
        guests = _job_guests(cluster, storage)
        if not guests or set(guests) <= hidden.get(storage, set()):
            continue  # nothing to expect, or every missing backup is explained above
        jobs = sorted({j for ids in guests.values() for j in ids})
        gaps.append(
            Gap(
                f"{cluster.id}/storage/{storage}",
                BACKUP_LISTING,
                f"lists no backup at all although enabled job(s) {', '.join(jobs)} back up "
                f"{len(guests)} guest(s) to it: if the jobs ran, the token cannot see the "
                f"volumes (PVE hides them without Datastore.AllocateSpace on /storage/{storage} "
                "and VM.Backup on the guests); their backup ages are treated as unknown",
            )
        )
    return gaps
