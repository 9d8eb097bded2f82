"""Backup and restore: every guest in an enabled backup job, with a recent backup, whole.

The checks claim nothing they cannot know: without readable backup jobs there is no
``backup-missing`` (unless PVE's own not-backed-up list names the guest), and where a guest's
backups are unknown (a listing that failed, volumes PVE hides from the token, a listing that is
empty although jobs write there: ``correlation.backup_evidence``) there is no ``backup-stale``.
Backups read from a Proxmox Backup Server count like PVE's own listing (``backup_join``).
Templates are never judged: they are copied, not run. Verification and the PBS jobs and
datastores: ``rules/restore.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from collector.correlation.backup_jobs import (
    Coverage,
    backups_of,
    coverage,
    foreign_backups,
    job_names,
    undated_backups,
)
from collector.correlation.inventory import Inventory
from collector.model import BackupVolume, Cluster, Form, Guest, Layer, Severity
from collector.rules.base import Hit, Rule, RuleContext

_ANONYMOUS_VOLUME = re.compile(r"[0-9a-f]{64}")
_DAY = 86400


def _guests(inventory: Inventory) -> Iterator[tuple[Cluster, Guest]]:
    for cluster in inventory.clusters:
        for guest in cluster.guests:
            if not guest.template:
                yield cluster, guest


def _kind(guest: Guest) -> str:
    return "VM" if guest.form is Form.VM else "CT"


def backup_missing(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    declined = inventory.declared.backup_not_needed if inventory.declared else frozenset()
    for cluster, guest in _guests(inventory):
        if guest.id in declined:
            continue  # its declared system says it needs no backup (Backup: no)
        listed = cluster.not_backed_up is not None and guest.vmid in cluster.not_backed_up
        pve_says = " (PVE's not-backed-up list agrees)" if listed else ""
        if cluster.backup_jobs is None:
            if not listed:
                continue  # jobs unreadable and PVE does not name it: nothing is known
            reason = "is listed by PVE as not backed up (the backup jobs could not be read)"
            pve_says = ""
        else:
            cover = coverage(guest, cluster.backup_jobs)
            if cover.covered and not listed:
                continue
            reason = _uncovered_reason(cover)
            if cover.covered:  # our reading says covered, PVE says not: PVE runs the jobs
                reason = (
                    f"is listed by PVE as not backed up although job(s) "
                    f"{job_names(cover.enabled)} seem to include it"
                )
                pve_says = ""
        yield Hit(
            guest.id,
            Layer.GUEST,
            f"{_kind(guest)} {guest.vmid} '{guest.name}' {reason}{pve_says}",
            "add it to an enabled backup job (Datacenter > Backup), or waive this finding with "
            "the reason its data need not be restored",
        )


def _uncovered_reason(cover: Coverage) -> str:
    if cover.excluded_by:
        return f"is excluded from backup job(s) {job_names(cover.excluded_by)}"
    if cover.disabled:
        return f"is only in disabled backup job(s) {job_names(cover.disabled)}"
    return "is in no backup job"


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _read_from(volume: BackupVolume) -> str:
    """``, read from pbs:...`` when the fact came from a PBS source rather than PVE's listing."""
    origin = volume.origin or ""
    return f", read from {origin}" if origin.startswith("pbs:") else ""


def backup_stale(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    max_days = ctx.params["max_age_days"]
    for cluster in inventory.clusters:
        if cluster.backup_jobs is None or cluster.backup_volumes is None:
            continue
        offline = {n.name for n in cluster.nodes if n.online is False}
        evidence = inventory.backups[cluster.id]
        for guest in cluster.guests:
            cover = coverage(guest, cluster.backup_jobs)
            if guest.template or not cover.covered or guest.node in offline:
                continue
            volumes = list(evidence.volumes.get(guest.vmid, ()))
            backups = backups_of(guest, volumes)
            newest = backups[0] if backups else None
            if newest and ctx.now_epoch - (newest.ctime or 0) <= max_days * _DAY:
                continue
            if undated_backups(guest, volumes):
                continue  # a backup whose date PVE did not give may well be recent
            if evidence.unknown_on(guest, {job.storage for job in cover.enabled}):
                # A newer backup may sit where we cannot see: unreadable, or hidden from the
                # token (backup_evidence). Unknown is not "no backup".
                continue
            yield _stale_hit(guest, cover, newest, ctx, max_days, volumes)


def _stale_hit(
    guest: Guest,
    cover: Coverage,
    newest: BackupVolume | None,
    ctx: RuleContext,
    max_days: int,
    volumes: list[BackupVolume],
) -> Hit:
    jobs = job_names(cover.enabled)
    hint = "check the job's task log (Datacenter > Backup, Node > Task History) and its storage"
    name = f"{_kind(guest)} {guest.vmid} '{guest.name}'"
    if newest is not None and newest.ctime is not None:
        age = int((ctx.now_epoch - newest.ctime) // _DAY)
        return Hit(
            guest.id,
            Layer.GUEST,
            f"last backup of {name} is {age} days old ({_day(newest.ctime)} on "
            f"{newest.storage}{_read_from(newest)}); limit {max_days} days, job(s) {jobs}",
            hint,
        )
    foreign = foreign_backups(guest, volumes)
    note = (
        f"; {len(foreign)} backup(s) under VMID {guest.vmid} belong to an earlier guest of the "
        "other type"
        if foreign
        else ""
    )
    return Hit(
        guest.id,
        Layer.GUEST,
        f"no backup of {name} on any backup storage although job(s) {jobs} include it{note}",
        hint,
    )


def backup_partial(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for cluster, guest in _guests(inventory):
        if not guest.disks_without_backup:
            continue
        if cluster.backup_jobs is not None and not coverage(guest, cluster.backup_jobs).covered:
            continue  # not backed up at all: backup-missing says so
        disks = ", ".join(guest.disks_without_backup)
        yield Hit(
            guest.id,
            Layer.GUEST,
            f"{_kind(guest)} {guest.vmid} '{guest.name}' is backed up without disk(s) {disks} "
            "(backup=0): a restore brings them back empty",
            "back the excluded disks up another way (e.g. PBS sync, zfs send) and waive this "
            "finding with that reason, or remove backup=0",
        )


def container_anonymous_volume(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for container in inventory.containers():
        anonymous = [
            m.destination
            for m in container.mounts
            if m.type == "volume" and m.name and _ANONYMOUS_VOLUME.fullmatch(m.name)
        ]
        if anonymous:
            yield Hit(
                container.id,
                Layer.CONTAINER,
                f"container '{container.name}' keeps data in anonymous volume(s) at "
                f"{', '.join(anonymous)}: nothing names them, so no backup or re-create finds "
                "them again",
                "mount a named volume or a bind mount at that path (compose: volumes: "
                "[name:/path]) and include it in a backup",
            )


RULES = (
    Rule(
        "backup-missing",
        Severity.ERROR,
        "a guest is in no enabled backup job",
        backup_missing,
        "backup",
    ),
    Rule(
        "backup-stale",
        Severity.WARNING,
        "a guest's newest backup is older than max_age_days, or it has none",
        backup_stale,
        "backup",
        {"max_age_days": 7},
    ),
    Rule(
        "backup-partial",
        Severity.WARNING,
        "a guest is backed up without some of its disks (backup=0)",
        backup_partial,
        "backup",
    ),
    Rule(
        "container-anonymous-volume",
        Severity.WARNING,
        "a container keeps data in an anonymous volume",
        container_anonymous_volume,
        "backup",
    ),
)
