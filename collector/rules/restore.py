"""Restorability: is there machine evidence that the backups can be restored?

A backup file proves nothing about restore; a Proxmox Backup Server verifies snapshots (reads
every chunk and checks its digest) and records the result in the snapshot. These rules read
that record, and the PBS jobs and datastores that keep backups restorable:

- ``backup-unverified``, ``backup-verify-failed``: the newest PBS snapshot of a guest (from a
  ``[[pbs]]`` source, or as PVE's listing of a PBS storage passes it on); guests whose backups
  are vzdump archives have no verification to judge and are never flagged;
- ``verify-job-missing``: a datastore holding guest backups in a namespace no verify job covers;
- ``backup-job-failed``: a verify, prune, sync or garbage-collection job whose last run failed
  (``last-run-state`` is neither ``OK`` nor ``WARNINGS: n``);
- ``datastore-corrupt-chunks``: chunks still marked bad after the last garbage collection;
- ``datastore-filling``: PBS estimates the datastore full within ``days``.

Data that was not read (a job list, a namespace, the usage estimate) keeps its rule silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from collector.correlation.backup_jobs import backups_of
from collector.correlation.inventory import Inventory
from collector.model import (
    BackupServer,
    BackupVolume,
    Datastore,
    Form,
    Guest,
    JobKind,
    Layer,
    PbsJob,
    Severity,
    VerifyState,
)
from collector.rules.base import Hit, Rule, RuleContext

_DAY = 86400
_GUEST_TYPES = ("vm", "ct")
_MAX_DEPTH = 7
"""PBS's default (and largest) namespace depth: a job without ``max-depth`` reaches this deep."""


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _name(guest: Guest) -> str:
    return f"{'VM' if guest.form is Form.VM else 'CT'} {guest.vmid} '{guest.name}'"


def _newest_snapshots(inventory: Inventory) -> Iterator[tuple[Guest, BackupVolume]]:
    """Each guest's newest backup that carries a verification state (a PBS snapshot)."""
    for cluster in inventory.clusters:
        volumes = inventory.backups[cluster.id].volumes
        for guest in cluster.guests:
            if guest.template:
                continue
            own = backups_of(guest, volumes.get(guest.vmid, ()))
            newest = next((v for v in own if v.verification is not None), None)
            if newest is not None:
                yield guest, newest


def _where(volume: BackupVolume) -> str:
    origin = f", read from {volume.origin}" if volume.origin else ""
    when = _day(volume.ctime) if volume.ctime is not None else "an unknown date"
    return f"{when} on {volume.storage}{origin}"


def backup_unverified(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    max_days = ctx.params["max_age_days"]
    hint = (
        "add a verify job for its datastore and namespace (Datastore > Verify Jobs), with "
        "'Re-Verify After' at most max_age_days, or enable verify-new on the datastore"
    )
    for guest, newest in _newest_snapshots(inventory):
        if newest.verification is VerifyState.NEVER:
            message = f"newest backup of {_name(guest)} ({_where(newest)}) was never verified"
        elif newest.verified_at is not None and (
            ctx.now_epoch - newest.verified_at > max_days * _DAY
        ):
            age = int((ctx.now_epoch - newest.verified_at) // _DAY)
            message = (
                f"newest backup of {_name(guest)} ({_where(newest)}) was last verified "
                f"{age} days ago ({_day(newest.verified_at)}); limit {max_days} days"
            )
        else:
            continue
        yield Hit(guest.id, Layer.GUEST, message, hint)


def backup_verify_failed(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for guest, newest in _newest_snapshots(inventory):
        if newest.verification is not VerifyState.FAILED:
            continue
        when = f" on {_day(newest.verified_at)}" if newest.verified_at else ""
        yield Hit(
            guest.id,
            Layer.GUEST,
            f"newest backup of {_name(guest)} ({_where(newest)}) failed verification{when}: "
            "it may not restore",
            "read the verify task's log on PBS; run a new backup (PBS re-uploads missing or bad "
            "chunks) and verify it again",
        )


def _depth(namespace: str) -> int:
    return len(namespace.split("/")) if namespace else 0


def _covers(job: PbsJob, store: str, namespace: str) -> bool:
    if job.store != store:
        return False
    base = job.namespace or ""
    if base and namespace != base and not namespace.startswith(base + "/"):
        return False
    depth = job.max_depth if job.max_depth is not None else _MAX_DEPTH
    return _depth(namespace) - _depth(base) <= depth


def _guest_namespaces(store: Datastore) -> list[str]:
    return sorted(
        ns
        for ns, snapshots in (store.namespaces or {}).items()
        if any(s.backup_type in _GUEST_TYPES for s in snapshots)
    )


def verify_job_missing(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for server in inventory.backup_servers:
        if server.verify_jobs is None:
            continue  # unread: a verify job may exist
        for store in server.datastores:
            uncovered = [
                ns
                for ns in _guest_namespaces(store)
                if not any(_covers(j, store.name, ns) for j in server.verify_jobs)
            ]
            if not uncovered:
                continue
            spaces = ", ".join(f"'{ns}'" if ns else "the root" for ns in uncovered)
            yield Hit(
                store.id,
                Layer.BACKUP,
                f"datastore '{store.name}' on {server.name} holds guest backups in namespace(s) "
                f"{spaces} that no verify job checks: nothing re-reads their chunks",
                "add a verify job for the datastore (Datastore > Verify Jobs), e.g. daily with "
                "'Skip Verified' and 'Re-Verify After' 30 days",
            )


_JOB_WORDS = {
    JobKind.VERIFY: "verify job",
    JobKind.PRUNE: "prune job",
    JobKind.SYNC: "sync job",
    JobKind.GC: "garbage collection",
}


def _job_hit(server: BackupServer, job: PbsJob) -> Hit:
    when = f" on {_day(job.last_end)}" if job.last_end else ""
    what = (
        f"garbage collection of datastore '{job.store}'"
        if job.kind is JobKind.GC
        else f"{_JOB_WORDS[job.kind]} '{job.name}' (datastore '{job.store}'"
        + (f", namespace '{job.namespace}'" if job.namespace else "")
        + (f", {job.detail}" if job.detail else "")
        + ")"
    )
    return Hit(
        job.id,
        Layer.BACKUP,
        f"{what} on {server.name}: last run{when} failed: {job.last_state}",
        "read the task log on PBS (Administration > Tasks, or the job's 'Show Log'); fix the "
        "cause and run the job again",
    )


def backup_job_failed(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for server in inventory.backup_servers:
        for job in server.jobs:
            if job.enabled and job.failed:
                yield _job_hit(server, job)


def datastore_corrupt_chunks(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for server in inventory.backup_servers:
        for store in server.datastores:
            if not store.gc_still_bad:
                continue
            yield Hit(
                store.id,
                Layer.BACKUP,
                f"datastore '{store.name}' on {server.name} has {store.gc_still_bad} chunk(s) "
                "still marked bad after the last garbage collection: snapshots using them "
                "cannot be restored",
                "run a verify job on the datastore to find the snapshots that use bad chunks, "
                "back those guests up again (a new backup re-uploads the chunks), and check the "
                "disks under the datastore",
            )


def datastore_filling(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    days = ctx.params["days"]
    for server in inventory.backup_servers:
        for store in server.datastores:
            full = store.estimated_full
            # Absent: too little history (unknown). 0 or in the past: not growing.
            if full is None or full <= ctx.now_epoch or full - ctx.now_epoch > days * _DAY:
                continue
            left = int((full - ctx.now_epoch) // _DAY)
            used = (
                f" ({store.used_bytes / store.total_bytes:.0%} used now)"
                if store.total_bytes and store.used_bytes is not None
                else ""
            )
            yield Hit(
                store.id,
                Layer.BACKUP,
                f"datastore '{store.name}' on {server.name} will be full in about {left} days "
                f"({_day(full)}, PBS's estimate){used}; limit {days} days",
                "prune more (keep fewer snapshots), run garbage collection, or add space before "
                "backups start to fail",
            )


RULES = (
    Rule(
        "backup-unverified",
        Severity.WARNING,
        "a guest's newest PBS snapshot was never verified, or not within max_age_days",
        backup_unverified,
        "backup",
        {"max_age_days": 30},
    ),
    Rule(
        "backup-verify-failed",
        Severity.ERROR,
        "a guest's newest PBS snapshot failed verification",
        backup_verify_failed,
        "backup",
    ),
    Rule(
        "verify-job-missing",
        Severity.WARNING,
        "a PBS datastore holds guest backups that no verify job checks",
        verify_job_missing,
        "backup",
    ),
    Rule(
        "backup-job-failed",
        Severity.ERROR,
        "a PBS verify, prune, sync or garbage-collection job's last run failed",
        backup_job_failed,
        "backup",
    ),
    Rule(
        "datastore-corrupt-chunks",
        Severity.ERROR,
        "a PBS datastore has chunks still marked bad after garbage collection",
        datastore_corrupt_chunks,
        "backup",
    ),
    Rule(
        "datastore-filling",
        Severity.WARNING,
        "PBS estimates a datastore full within days",
        datastore_filling,
        "backup",
        {"days": 30},
    ),
)
