"""Backup coverage, resolved from the model alone: which jobs include a guest, which backups it has.

PVE's own ``/cluster/backup-info/not-backed-up`` answers only "is the guest in any job at all"
and counts disabled jobs as coverage, so the selection is resolved here, the way vzdump does it:

- a job with ``node`` runs on that node only, so it includes only guests placed there;
- ``pool`` includes the pool's guests, minus ``exclude``;
- ``vmid`` includes the listed guests;
- ``all`` (or an ``exclude`` list alone, which implies ``all``) includes every guest minus
  ``exclude``.

Backups are matched to a guest by VMID *and* guest type, so a VM that reuses the VMID of a
deleted container is not taken for backed up by the container's old archives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from collector.model import BackupJob, BackupVolume, Form, Guest


@dataclass(frozen=True, slots=True)
class Coverage:
    """The jobs that select one guest, split by whether they would back it up."""

    enabled: tuple[BackupJob, ...] = ()
    disabled: tuple[BackupJob, ...] = ()
    excluded_by: tuple[BackupJob, ...] = ()
    """Jobs whose selection (``all``/``pool``) would include the guest but that exclude it."""

    @property
    def covered(self) -> bool:
        return bool(self.enabled)


def _selects(job: BackupJob, guest: Guest) -> bool | None:
    """True if the job selects the guest, None if it would but excludes it, else False."""
    if job.node and job.node != guest.node:
        return False
    if job.pool:
        if guest.pool != job.pool:
            return False
    elif job.vmids:
        return guest.vmid in job.vmids
    elif not (job.all or job.exclude):
        return False
    return None if guest.vmid in job.exclude else True


def coverage(guest: Guest, jobs: Iterable[BackupJob]) -> Coverage:
    enabled: list[BackupJob] = []
    disabled: list[BackupJob] = []
    excluded: list[BackupJob] = []
    for job in jobs:
        selected = _selects(job, guest)
        if selected is None:
            excluded.append(job)
        elif selected:
            (enabled if job.enabled else disabled).append(job)
    return Coverage(tuple(enabled), tuple(disabled), tuple(excluded))


def volume_kind(volume: BackupVolume) -> str | None:
    """``qemu`` or ``lxc`` from the listing's subtype/format; None when it does not say."""
    if volume.subtype in ("qemu", "lxc"):
        return volume.subtype
    fmt = volume.format or ""
    if fmt == "pbs-vm" or fmt.startswith("vma"):
        return "qemu"
    if fmt == "pbs-ct" or fmt.startswith(("tar", "tgz")):
        return "lxc"
    return None


def backups_of(guest: Guest, volumes: Iterable[BackupVolume]) -> list[BackupVolume]:
    """The guest's backups, newest first. A volume of the other guest type does not count."""
    kind = "qemu" if guest.form is Form.VM else "lxc"
    own = [
        v for v in volumes if v.vmid == guest.vmid and volume_kind(v) in (kind, None) and v.ctime
    ]
    return sorted(own, key=lambda v: v.ctime or 0, reverse=True)


def undated_backups(guest: Guest, volumes: Iterable[BackupVolume]) -> list[BackupVolume]:
    """The guest's backups whose creation time is unknown: their age cannot be judged."""
    kind = "qemu" if guest.form is Form.VM else "lxc"
    return [
        v
        for v in volumes
        if v.vmid == guest.vmid and volume_kind(v) in (kind, None) and v.ctime is None
    ]


def foreign_backups(guest: Guest, volumes: Iterable[BackupVolume]) -> list[BackupVolume]:
    """Backups under the guest's VMID that belong to the other guest type (a reused VMID)."""
    kind = "qemu" if guest.form is Form.VM else "lxc"
    return [v for v in volumes if v.vmid == guest.vmid and volume_kind(v) not in (kind, None)]


def job_names(jobs: Iterable[BackupJob]) -> str:
    return ", ".join(f"'{job.id}'" for job in jobs)
