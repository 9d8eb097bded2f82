"""The report's view of backups: per guest, its newest backup and where that fact came from.

One row per guest that is not a template: the enabled jobs that include it, its newest backup
(time, storage, origin: PVE's listing ``pve:<cluster>`` or a PBS namespace
``pbs:<server>/<store>[/<ns>]``), the verification of its newest PBS snapshot, and the storages
where its backups are unknown (hidden from the PVE token, or a listing that failed). Unknown
stays unknown: a guest whose only job writes to a hidden storage has no "newest backup", and
says so, rather than "none".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from collector.correlation.backup_jobs import backups_of, coverage
from collector.correlation.inventory import Inventory
from collector.model import BackupVolume, Guest


@dataclass(frozen=True, slots=True)
class GuestBackups:
    guest: Guest
    jobs: tuple[str, ...]
    """Enabled backup jobs that include the guest; () when none does or jobs are unknown."""
    jobs_known: bool
    newest: BackupVolume | None
    newest_verifiable: BackupVolume | None
    """The newest backup that can carry a verification (a PBS snapshot)."""
    unknown_on: tuple[str, ...]
    """Storages where its backups could be but are not known."""
    count: int


def guest_backups(inventory: Inventory) -> Iterator[GuestBackups]:
    for cluster in inventory.clusters:
        evidence = inventory.backups[cluster.id]
        for guest in sorted(cluster.guests, key=lambda g: g.vmid):
            if guest.template:
                continue
            jobs = coverage(guest, cluster.backup_jobs).enabled if cluster.backup_jobs else ()
            targets: set[str | None] = {j.storage for j in jobs}
            if not targets:  # in no job: its backups (if any) could be on any storage
                targets = {*evidence.hidden, *evidence.unreadable}
            unknown = evidence.unknown_on(guest, targets)
            if cluster.backup_volumes is None and not unknown:
                unknown = ["(no listing)"]
            own = backups_of(guest, evidence.volumes.get(guest.vmid, ()))
            verifiable = [v for v in own if v.verification is not None]
            yield GuestBackups(
                guest=guest,
                jobs=tuple(j.id for j in jobs),
                jobs_known=cluster.backup_jobs is not None,
                newest=own[0] if own else None,
                newest_verifiable=verifiable[0] if verifiable else None,
                unknown_on=tuple(unknown),
                count=len(own),
            )
