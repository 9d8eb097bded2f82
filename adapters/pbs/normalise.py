"""Pure normalisers for PBS answers: one function per endpoint, raw JSON in, model values out.

No I/O and no state, so they can be fuzzed; every function accepts whatever the API might send
and leaves out (or returns None for) what it cannot read. Shapes: ``docs/pbs-api.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.common.verification import verification_of
from collector.model import JobKind, PbsJob, PbsSnapshot, VerifyState

MANIFEST = "index.json.blob"


def _int(value: Any) -> int | None:
    """PBS sends real JSON integers; anything else is not read."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def version_of(answer: Any) -> str | None:
    """``{"version": "4.1", "release": "4"}`` → ``4.1.4``."""
    if not isinstance(answer, Mapping) or not _str(answer.get("version")):
        return None
    release = answer.get("release")
    return f"{answer['version']}.{release}" if _str(release) else str(answer["version"])


def datastores_of(answer: Any) -> list[tuple[str, str | None]] | None:
    """``/admin/datastore``: (store, comment) of every datastore the token may see."""
    if not isinstance(answer, list):
        return None
    stores = {}
    for item in answer:
        if isinstance(item, Mapping) and _str(item.get("store")):
            stores[str(item["store"])] = _str(item.get("comment"))
    return sorted(stores.items())


@dataclass(frozen=True, slots=True)
class Usage:
    """One store's entry of ``/status/datastore-usage`` (or of a GC status)."""

    total_bytes: int | None = None
    used_bytes: int | None = None
    estimated_full: int | None = None
    still_bad: int | None = None
    removed_bad: int | None = None
    error: str | None = None


def _gc_counts(status: Any) -> tuple[int | None, int | None]:
    if not isinstance(status, Mapping):
        return None, None
    return _int(status.get("still-bad")), _int(status.get("removed-bad"))


def usage_of(answer: Any) -> dict[str, Usage]:
    """``/status/datastore-usage`` per store. ``estimated-full-date`` is absent without enough
    history (unknown); 0 or a past date means usage is not growing."""
    usage: dict[str, Usage] = {}
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping) or not _str(item.get("store")):
            continue
        still_bad, removed_bad = _gc_counts(item.get("gc-status"))
        usage[str(item["store"])] = Usage(
            total_bytes=_int(item.get("total")),
            used_bytes=_int(item.get("used")),
            estimated_full=_int(item.get("estimated-full-date")),
            still_bad=still_bad,
            removed_bad=removed_bad,
            error=_str(item.get("error")),
        )
    return usage


def namespaces_of(answer: Any) -> list[str] | None:
    """``/admin/datastore/{store}/namespace``: every namespace, ``""`` the root."""
    if not isinstance(answer, list):
        return None
    spaces = {
        item["ns"].strip("/")
        for item in answer
        if isinstance(item, Mapping) and isinstance(item.get("ns"), str)
    }
    return sorted(spaces)


def snapshots_of(answer: Any, store: str, namespace: str) -> list[PbsSnapshot] | None:
    """``/admin/datastore/{store}/snapshots?ns=...``. A snapshot without its manifest (being
    written, or damaged) has no verification state to speak of: ``verification`` None."""
    if not isinstance(answer, list):
        return None
    snapshots = []
    for item in answer:
        if not isinstance(item, Mapping):
            continue
        btype, bid, time = (
            item.get("backup-type"),
            item.get("backup-id"),
            _int(item.get("backup-time")),
        )
        if not _str(btype) or not _str(bid) or not time:
            continue
        files = item.get("files")
        names = (
            [f.get("filename") for f in files if isinstance(f, Mapping)]
            if isinstance(files, list)
            else []
        )
        verification: VerifyState | None = None
        verified_at = None
        if MANIFEST in names and "size" in item:
            verification, verified_at = verification_of(item.get("verification"))
        snapshots.append(
            PbsSnapshot(
                store=store,
                namespace=namespace,
                backup_type=str(btype),
                backup_id=str(bid),
                time=time,
                verification=verification,
                verified_at=verified_at,
                protected=item.get("protected") is True,
                size_bytes=_int(item.get("size")),
                owner=_str(item.get("owner")),
            )
        )
    return snapshots


def _job_id(source: str, kind: JobKind, name: str) -> str:
    return f"pbs:{source}/{kind.value}/{name}"


def jobs_of(answer: Any, kind: JobKind, source: str) -> tuple[PbsJob, ...] | None:
    """``/admin/verify``, ``/admin/prune``, ``/admin/sync``: each job's config and last run."""
    if not isinstance(answer, list):
        return None
    jobs = []
    for item in answer:
        if not isinstance(item, Mapping) or not _str(item.get("id")) or not _str(item.get("store")):
            continue
        detail = None
        if kind is JobKind.SYNC:
            direction = _str(item.get("sync-direction")) or "pull"
            remote = _str(item.get("remote"))
            where = f"{remote}:{item.get('remote-store')}" if remote else item.get("remote-store")
            detail = f"{direction} {'from' if direction == 'pull' else 'to'} {where}"
        jobs.append(
            PbsJob(
                id=_job_id(source, kind, str(item["id"])),
                kind=kind,
                name=str(item["id"]),
                store=str(item["store"]),
                namespace=(_str(item.get("ns")) or "").strip("/"),
                max_depth=_int(item.get("max-depth")),
                schedule=_str(item.get("schedule")),
                last_state=_str(item.get("last-run-state")),
                last_end=_int(item.get("last-run-endtime")),
                remote=_str(item.get("remote")) if kind is JobKind.SYNC else None,
                detail=detail,
                enabled=item.get("disable") is not True,
            )
        )
    return tuple(sorted(jobs, key=lambda j: j.id))


def gc_of(answer: Any, source: str) -> tuple[tuple[PbsJob, ...], dict[str, Usage]] | None:
    """``/admin/gc``: one garbage-collection job per store, and its bad-chunk counts."""
    if not isinstance(answer, list):
        return None
    jobs, counts = [], {}
    for item in answer:
        if not isinstance(item, Mapping) or not _str(item.get("store")):
            continue
        store = str(item["store"])
        still_bad, removed_bad = _gc_counts(item) if item.get("upid") else (None, None)
        counts[store] = Usage(still_bad=still_bad, removed_bad=removed_bad)
        jobs.append(
            PbsJob(
                id=_job_id(source, JobKind.GC, store),
                kind=JobKind.GC,
                name=store,
                store=store,
                schedule=_str(item.get("schedule")),
                last_state=_str(item.get("last-run-state")),
                last_end=_int(item.get("last-run-endtime")),
            )
        )
    return tuple(sorted(jobs, key=lambda j: j.id)), counts


def privileges_of(answer: Any) -> dict[str, set[str]] | None:
    """``/access/permissions``: ``{path: {privilege, ...}}`` for the token itself."""
    if not isinstance(answer, Mapping):
        return None
    return {
        str(path): {str(p) for p in privs}
        for path, privs in answer.items()
        if isinstance(privs, Mapping)
    }


def held_on(privileges: Mapping[str, set[str]], path: str, privilege: str) -> bool:
    """Whether ``privilege`` is held on ``path`` itself (PBS evaluates each listed path)."""
    return privilege in privileges.get(path, set())
