"""A small, realistic Proxmox Backup Server lab, written as a recording folder for ``PbsServer``.

``write_pbs_lab(folder)`` writes every answer the PBS source is expected to read; ``python
fixtures/pbs/generate.py`` regenerates the committed copy in ``fixtures/pbs/lab/``. Field names,
JSON types, optional-field omission and key order follow ``pbs-api-types`` (``datastore.rs``,
``jobs.rs``: proxmox-rs f3305009, pbs-api-types 1.0.18); values are synthesised, not recorded.
What the lab holds, and which finding each part is there to provoke, is in
``fixtures/pbs/README.md``; the API itself is described in ``docs/pbs-api.md``.

The lab as of ``NOW`` (2026-11-26 09:00 UTC), PBS node ``pbs``:

- datastore ``backup``: namespace ``homelab`` (the PVE cluster "homelab": ``vm/100``, ``vm/101``,
  ``ct/200``; newest verification ok / failed / none) and the root namespace (an old cluster
  "edge": ``vm/100`` last verified in October; a host backup ``host/nas``); GC clean;
  usage rising, estimated full in about six weeks;
- datastore ``offsite``: synced copies of ``homelab`` plus a remote pull; GC ``still-bad`` 3;
  usage slowly falling (the estimate lies in the past); no verify job;
- jobs: verify OK and failed, prune ``WARNINGS: 1`` and never run, sync failed, OK and a push
  job that ``/admin/sync`` lists only with ``sync-direction=all`` (PBS >= 3.3).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.pbs_shapes import (
    HISTORY_DELTA,
    SYNC_FAILED,
    VERIFY_FAILED,
    counts,
    estimated_full_date,
    groups_of,
    job_status,
    next_event,
    snapshot,
    upid,
    write_answers,
)

__all__ = ["NOW", "answers", "write_pbs_lab"]

NOW = int(datetime(2026, 11, 26, 9, 0, tzinfo=UTC).timestamp())
DAY = 86400
GIB = 1024**3
Json = dict[str, Any]


def _t(month: int, day: int, hh: int, mm: int, ss: int = 0) -> int:
    return int(datetime(2026, month, day, hh, mm, ss, tzinfo=UTC).timestamp())


# -- the lab's history -------------------------------------------------------------------------

HOMELAB = "pve@pbs!homelab"  # the PVE cluster "homelab" writes with this token
EDGE = "pve@pbs!edge"  # an older cluster that backed up into the root namespace
VERIFY_HOMELAB = [
    upid("verificationjob", "backup:v-homelab", _t(11, d, 3, 30)) for d in (24, 25, 26)
]
VERIFY_ROOT_OCT = upid("verificationjob", "backup:v-root", _t(10, 3, 3, 0))
VERIFY_ROOT_NOV = upid("verificationjob", "backup:v-root", _t(11, 21, 3, 0))


def homelab_snapshots() -> list[Json]:
    ok = [("ok", u) for u in VERIFY_HOMELAB]
    return [
        snapshot(
            "vm",
            "100",
            _t(11, 24, 2, 0, 5),
            HOMELAB,
            verified=ok[0],
            protected=True,
            comment="before the upgrade to PVE 9.1",
        ),
        snapshot("vm", "100", _t(11, 25, 2, 0, 4), HOMELAB, verified=ok[1]),
        snapshot("vm", "100", _t(11, 26, 2, 0, 6), HOMELAB, verified=ok[2]),
        snapshot("vm", "101", _t(11, 24, 2, 6, 41), HOMELAB, verified=ok[0], disk_bytes=64 * GIB),
        snapshot("vm", "101", _t(11, 25, 2, 6, 38), HOMELAB, verified=ok[1], disk_bytes=64 * GIB),
        snapshot(
            "vm",
            "101",
            _t(11, 26, 2, 6, 52),
            HOMELAB,
            verified=("failed", VERIFY_HOMELAB[2]),
            disk_bytes=64 * GIB,
        ),
        # a new container: its only backup ran after this morning's verify job
        snapshot("ct", "200", _t(11, 26, 6, 0, 12), HOMELAB, encrypted=True),
    ]


def root_snapshots() -> list[Json]:
    return [
        snapshot("vm", "100", _t(10, 1, 1, 30, 2), EDGE, verified=("ok", VERIFY_ROOT_OCT)),
        snapshot("vm", "100", _t(10, 2, 1, 30, 3), EDGE, verified=("ok", VERIFY_ROOT_OCT)),
        snapshot("host", "nas", _t(11, 20, 22, 0, 1), "nas@pbs", verified=("ok", VERIFY_ROOT_NOV)),
    ]


def offsite_homelab_snapshots() -> list[Json]:
    # A pull copies the manifest blob as it is, verify state included: these states (and
    # UPIDs, which name the job on the source store) describe the *source* snapshots.
    copied = {
        (_t(11, 24, 2, 0, 5)),
        _t(11, 25, 2, 0, 4),
        _t(11, 24, 2, 6, 41),
        _t(11, 25, 2, 6, 38),
    }
    return [
        {**snap, "owner": "root@pam", "protected": False}  # protection is not synced
        for snap in homelab_snapshots()
        if snap["backup-time"] in copied
    ]


def offsite_root_snapshots() -> list[Json]:
    return [snapshot("host", "truenas", _t(11, 26, 7, 45, 9), "root@pam")]


# -- datastore usage, GC, status ---------------------------------------------------------------

STORES = {  # store -> (total bytes, used fraction now, change of that fraction per day)
    "backup": (3_998_614_552_576, 0.742, 0.0061),
    "offsite": (7_997_229_105_152, 0.503, -0.0009),
}


def usage_history(store: str) -> tuple[int, list[float | None]]:
    """(history-start, 1440 averages of used / (used + avail)); a 6 h gap where it was down."""
    total, now_frac, per_day = STORES[store]
    start = (NOW - 30 * DAY) // HISTORY_DELTA * HISTORY_DELTA
    values: list[float | None] = []
    for i in range(30 * DAY // HISTORY_DELTA):
        t = start + i * HISTORY_DELTA
        if store == "backup" and 600 <= i < 612:
            values.append(None)
            continue
        frac = now_frac + per_day * (t - NOW) / DAY + 0.002 * math.sin(t / DAY * 2 * math.pi)
        values.append(int(total * frac) / total)
    return start, values


def sizes(store: str) -> tuple[int, int, int]:
    total, frac, _ = STORES[store]
    used = int(total * frac)
    return total, used, total - used


GC_RUNS = {  # store -> (schedule text, start, duration s, removed-bad, still-bad, weekday, hour)
    "backup": ("daily", _t(11, 26, 0, 0), 754, 0, 0, None, 0),
    "offsite": ("sun 04:00", _t(11, 22, 4, 0), 2411, 1, 3, 6, 4),
}


def gc_status(store: str) -> Json:
    """``GarbageCollectionStatus`` of the last run (``upid`` is null before the first run)."""
    _, start, _, removed_bad, still_bad, _, _ = GC_RUNS[store]
    _, used, _ = sizes(store)
    return {
        "upid": upid("garbage_collection", store, start),
        "index-file-count": 412 if store == "backup" else 233,
        "index-data-bytes": used * 5,
        "disk-bytes": used - 7 * GIB,
        "disk-chunks": used // (2_600 * 1024),
        "removed-bytes": 21 * GIB,
        "removed-chunks": 9_051,
        "pending-bytes": 3 * GIB,
        "pending-chunks": 1_172,
        "removed-bad": removed_bad,
        "still-bad": still_bad,
        "cache-stats": {"hits": 1_843_211, "misses": 402_977},
    }


def gc_job(store: str) -> Json:
    """``GarbageCollectionJobStatus`` (``/admin/gc`` and ``/admin/datastore/{store}/gc``)."""
    schedule, start, duration, _, _, weekday, hour = GC_RUNS[store]
    end = start + duration
    return {
        "store": store,
        **gc_status(store),
        "schedule": schedule,
        "next-run": next_event(end, hour, 0, weekday),
        "last-run-endtime": end,
        "last-run-state": "OK",
        "duration": duration,
    }


def datastore_status(store: str, verbose: bool, snapshot_lists: list[list[Json]]) -> Json:
    total, used, avail = sizes(store)
    status: Json = {"total": total, "used": used, "avail": avail}
    if verbose:
        status |= {"gc-status": gc_status(store), "counts": counts(snapshot_lists)}
    return status | {"backend-type": "filesystem"}


def usage_item(store: str) -> Json:
    """``DataStoreStatusListItem`` of ``/status/datastore-usage``."""
    total, used, avail = sizes(store)
    start, history = usage_history(store)
    item: Json = {"store": store, "total": total, "used": used, "avail": avail}
    item |= {"mount-status": "nonremovable", "history": history, "history-start": start}
    item |= {"history-delta": HISTORY_DELTA}
    estimate = estimated_full_date(start, history)
    if estimate is not None:
        item["estimated-full-date"] = estimate
    return item | {"gc-status": gc_status(store), "backend-type": "filesystem"}


# -- jobs --------------------------------------------------------------------------------------


def verify_jobs() -> list[Json]:
    homelab_start, root_start = _t(11, 26, 3, 30), _t(11, 21, 3, 0)
    homelab_end, root_end = homelab_start + 677, root_start + 95
    return [
        {
            "id": "v-homelab",
            "store": "backup",
            "ignore-verified": True,
            "outdated-after": 30,
            "schedule": "03:30",
            "ns": "homelab",
        }
        | job_status(
            VERIFY_FAILED,
            "verificationjob",
            "backup:v-homelab",
            homelab_start,
            homelab_end,
            next_event(homelab_end, 3, 30),
        ),
        {
            "id": "v-root",
            "store": "backup",
            "ignore-verified": True,
            "outdated-after": 90,
            "comment": "root namespace (old cluster edge)",
            "schedule": "sat 03:00",
            "max-depth": 0,
        }
        | job_status(
            "OK",
            "verificationjob",
            "backup:v-root",
            root_start,
            root_end,
            next_event(root_end, 3, 0, 5),
        ),
    ]


def prune_jobs() -> list[Json]:
    start, created = _t(11, 25, 21, 0), _t(11, 26, 8, 30)
    return [
        {
            "id": "p-backup",
            "store": "backup",
            "schedule": "21:00",
            "keep-daily": 7,
            "keep-weekly": 4,
            "keep-monthly": 3,
        }
        | job_status(
            "WARNINGS: 1", "prunejob", "backup", start, start + 41, next_event(start + 41, 21, 0)
        ),
        # created this morning, never run: only next-run (JobState::Created)
        {"id": "p-offsite", "store": "offsite", "schedule": "daily", "keep-last": 14}
        | job_status(None, "prunejob", "offsite", 0, None, next_event(created, 0, 0)),
    ]


def sync_jobs(direction: str = "pull") -> list[Json]:
    """``/admin/sync``: PBS >= 3.3 lists pull jobs unless ``sync-direction=all|push``."""
    local, nas, push = _t(11, 26, 4, 0), _t(11, 26, 8, 30), _t(11, 26, 5, 0)
    jobs: list[Json] = [
        {
            "id": "s-homelab",
            "store": "offsite",
            "ns": "homelab",
            "remote-store": "backup",
            "remote-ns": "homelab",
            "remove-vanished": True,
            "schedule": "04:00",
        }
        | job_status(
            SYNC_FAILED,
            "syncjob",
            "-:backup:offsite:homelab:s-homelab",
            local,
            local + 1312,
            next_event(local + 1312, 4, 0),
        ),
        {
            "id": "s-nas",
            "store": "offsite",
            "remote": "nas-pbs",
            "remote-store": "nas",
            "schedule": "*:30",
            "transfer-last": 3,
        }
        | job_status(
            "OK",
            "syncjob",
            "nas-pbs:nas:offsite::s-nas",
            nas,
            nas + 63,
            next_event(nas + 63, None, 30),
        ),
        {
            "id": "s-cloud",
            "store": "backup",
            "ns": "homelab",
            "remote": "cloud",
            "remote-store": "homelab-copy",
            "schedule": "05:00",
            "sync-direction": "push",
        }
        | job_status(
            "OK",
            "syncjob",
            "cloud:homelab-copy:backup:homelab:s-cloud",
            push,
            push + 2044,
            next_event(push + 2044, 5, 0),
        ),
    ]
    if direction == "all":
        return jobs
    return [j for j in jobs if j.get("sync-direction", "pull") == direction]


# -- writing -----------------------------------------------------------------------------------


def answers() -> dict[str, Any]:
    """Recording key -> answer data for the whole lab."""
    homelab, root = homelab_snapshots(), root_snapshots()
    off_homelab, off_root = offsite_homelab_snapshots(), offsite_root_snapshots()
    by_store = {
        "backup": {"": root, "homelab": homelab},
        "offsite": {"": off_root, "homelab": off_homelab},
    }
    from tests.support.pbs_acl import Acl  # the server computes this answer; replay reads it
    from tests.support.pbs_server import DEFAULT_ACL, DEFAULT_TOKEN_ID

    out: dict[str, Any] = {
        "version": {"version": "4.1", "release": "4", "repoid": hashlib.sha1(b"lab").hexdigest()},
        "access/permissions": Acl({DEFAULT_TOKEN_ID: DEFAULT_ACL}).permissions(DEFAULT_TOKEN_ID),
        "admin/datastore": [
            {
                "store": "backup",
                "comment": "homelab PVE backups",
                "mount-status": "nonremovable",
                "backend-type": "filesystem",
            },
            {
                "store": "offsite",
                "comment": None,
                "mount-status": "nonremovable",
                "backend-type": "filesystem",
            },
        ],
        "status/datastore-usage": [usage_item(store) for store in STORES],
        "admin/gc": [gc_job(store) for store in STORES],
        "admin/verify": verify_jobs(),
        "admin/prune": prune_jobs(),
        "admin/sync": sync_jobs(),
        "admin/sync@sync-direction=all": sync_jobs("all"),
        "admin/sync@sync-direction=push": sync_jobs("push"),
        "config/datastore": [
            {
                "name": "backup",
                "path": "/mnt/datastore/backup",
                "comment": "homelab PVE backups",
                "gc-schedule": "daily",
                "notification-mode": "notification-system",
            },
            {
                "name": "offsite",
                "path": "/mnt/datastore/offsite",
                "gc-schedule": "sun 04:00",
                "notification-mode": "notification-system",
            },
        ],
    }
    for store, spaces in by_store.items():
        base = f"admin/datastore/{store}"
        lists = list(spaces.values())
        out[f"{base}/status"] = datastore_status(store, False, lists)
        out[f"{base}/status@verbose=1"] = datastore_status(store, True, lists)
        out[f"{base}/gc"] = gc_job(store)
        out[f"{base}/namespace"] = [{"ns": ns} for ns in spaces]
        for ns, snaps in spaces.items():
            suffix = f"@ns={ns}" if ns else ""
            out[f"{base}/snapshots{suffix}"] = snaps
            out[f"{base}/groups{suffix}"] = groups_of(snaps)
    return out


def write_pbs_lab(folder: Path) -> list[Path]:
    """Write the lab into ``folder`` (replacing earlier answers); return the files written."""
    return write_answers(folder, answers())
