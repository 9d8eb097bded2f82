"""The backup side of the model: backups of guests, and Proxmox Backup Servers.

- ``BackupVolume``: one backup of one guest on one PVE storage, from PVE's content listing or from
  a PBS (``origin`` says which); ``VerifyState`` its PBS verification;
- ``PbsTarget`` and ``BackupVisibility``: per PVE storage, which PBS namespace it writes to and
  which backups PVE's listing hides from the collector's token;
- ``BackupServer`` → ``Datastore`` → ``PbsSnapshot`` per namespace, and its ``PbsJob``s.

Re-exported by ``collector.model``, which is where everything else imports them from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class VerifyState(StrEnum):
    """The last verification of a PBS snapshot, as PBS records it in the snapshot's manifest."""

    OK = "ok"
    FAILED = "failed"
    NEVER = "never"
    """PBS has no verification for it (the ``verification`` key is absent)."""


@dataclass(frozen=True, slots=True)
class BackupVolume:
    """One backup of one guest on one PVE storage, whichever source said so.

    PVE's content listing and a Proxmox Backup Server's snapshot list both become these, so the
    rules read one model; ``origin`` says where the fact came from.
    """

    volid: str
    storage: str
    vmid: int
    ctime: int | None
    """Creation time (epoch seconds); None when neither the listing nor the name says."""
    subtype: str | None = None
    format: str | None = None
    protected: bool = False
    verification: VerifyState | None = None
    """None where no verification exists to know of (vzdump archives) or it was not read."""
    verified_at: int | None = None
    """Start of the last verify task (from its UPID), when there was one."""
    origin: str | None = None
    """``pve:<cluster>`` (PVE's content listing) or ``pbs:<server>/<store>[/<namespace>]``."""


@dataclass(frozen=True, slots=True)
class PbsTarget:
    """Where a PVE storage of type ``pbs`` writes (its entry in PVE's ``/storage``)."""

    storage: str
    server: str
    datastore: str
    namespace: str = ""
    """``""`` is the datastore's root namespace."""
    port: int = 8007
    fingerprint: str | None = None
    owner: str | None = None
    """The PBS auth id PVE writes with (``username``): it owns the groups PVE creates."""


@dataclass(frozen=True, slots=True)
class BackupVisibility:
    """Which backup volumes PVE's content listing of one storage shows the collector's token.

    pve-storage lists a backup volume only with ``Datastore.Allocate`` on the storage, or
    ``Datastore.AllocateSpace`` on it *and* ``VM.Backup`` on the guest; other volumes are left
    out silently. Worked out from ``/access/permissions`` by the adapter.
    """

    storage: str
    allocate: bool
    allocate_space: bool
    hidden_vmids: tuple[int, ...] = ()
    """Guests of the cluster whose backups on this storage the listing leaves out."""

    @property
    def hides_all(self) -> bool:
        return not (self.allocate or self.allocate_space)


@dataclass(frozen=True, slots=True)
class PbsSnapshot:
    """One backup snapshot in a PBS datastore (``/admin/datastore/{store}/snapshots``)."""

    store: str
    namespace: str
    backup_type: str
    """``vm``, ``ct`` or ``host``."""
    backup_id: str
    time: int
    verification: VerifyState | None = VerifyState.NEVER
    """None for a snapshot without a readable manifest (still being written, or damaged)."""
    verified_at: int | None = None
    protected: bool = False
    size_bytes: int | None = None
    owner: str | None = None


class JobKind(StrEnum):
    VERIFY = "verify"
    PRUNE = "prune"
    SYNC = "sync"
    GC = "gc"


@dataclass(frozen=True, slots=True)
class PbsJob:
    """A scheduled PBS job and how its last run ended (``last-run-state``)."""

    id: str
    kind: JobKind
    name: str
    """The job id; for garbage collection, the datastore."""
    store: str
    namespace: str | None = None
    max_depth: int | None = None
    schedule: str | None = None
    last_state: str | None = None
    """PBS's text: ``OK``, ``WARNINGS: n``, ``unknown`` or the bare error; None: never ran, or
    running now."""
    last_end: int | None = None
    remote: str | None = None
    """A sync job's remote (None: a local sync); push or pull in ``detail``."""
    detail: str | None = None
    enabled: bool = True

    @property
    def failed(self) -> bool | None:
        """None when it has no finished run; ``OK`` and ``WARNINGS: n`` are not failures."""
        if self.last_state is None:
            return None
        return not (self.last_state == "OK" or self.last_state.startswith("WARNINGS"))


@dataclass(frozen=True, slots=True)
class Datastore:
    id: str
    name: str
    server: str
    comment: str | None = None
    total_bytes: int | None = None
    used_bytes: int | None = None
    estimated_full: int | None = None
    """PBS's ``estimated-full-date`` (epoch); one in the past (or 0) means usage is flat or
    falling; None: PBS had too little history, or it was not read."""
    gc_still_bad: int | None = None
    """Chunks still marked bad after the last garbage collection: corruption."""
    gc_removed_bad: int | None = None
    namespaces: Mapping[str, tuple[PbsSnapshot, ...]] | None = None
    """Snapshots per namespace (``""`` the root) for every namespace that could be read; None
    when the namespace list itself could not be."""


@dataclass(frozen=True, slots=True)
class BackupServer:
    """A Proxmox Backup Server: its datastores and jobs. A job list is None when unread."""

    id: str
    name: str
    source: str
    host: str
    port: int = 8007
    fingerprint: str | None = None
    """The certificate fingerprint the config pins (PVE's storages pin the same one)."""
    version: str | None = None
    datastores: tuple[Datastore, ...] = ()
    verify_jobs: tuple[PbsJob, ...] | None = None
    prune_jobs: tuple[PbsJob, ...] | None = None
    sync_jobs: tuple[PbsJob, ...] | None = None
    gc_jobs: tuple[PbsJob, ...] | None = None

    @property
    def jobs(self) -> tuple[PbsJob, ...]:
        lists = (self.verify_jobs, self.prune_jobs, self.sync_jobs, self.gc_jobs)
        return tuple(job for jobs in lists for job in jobs or ())
