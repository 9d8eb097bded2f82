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
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["NOW", "write_pbs_lab"]

NOW = int(datetime(2026, 11, 26, 9, 0, tzinfo=UTC).timestamp())
DAY = 86400
NODE = "pbs"
GIB = 1024**3
Json = dict[str, Any]


def _t(month: int, day: int, hh: int, mm: int, ss: int = 0) -> int:
    return int(datetime(2026, month, day, hh, mm, ss, tzinfo=UTC).timestamp())


def escape_id(text: str) -> str:
    """proxmox-schema ``upid.rs`` ``escape_id`` (systemd style): ``/`` -> ``-``, else ``\\xNN``."""
    out = []
    for i, ch in enumerate(text):
        if ch == "/":
            out.append("-")
        elif (i == 0 and ch == ".") or not (ch.isascii() and (ch.isalnum() or ch in "_.")):
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def upid(worker_type: str, worker_id: str | None, start: int, *, auth: str = "root@pam") -> str:
    """``UPID:node:pid:pstart:task_id:starttime:type:id:auth:`` with stable fake process ids."""
    seed = hashlib.sha256(f"{worker_type}{worker_id}{start}".encode()).digest()
    pid, pstart, task = (int.from_bytes(seed[i : i + 3]) for i in (0, 3, 6))
    wid = escape_id(worker_id) if worker_id else ""
    ids = f"{pid:08X}:{pstart:08X}:{task % 16:08X}:{start:08X}"
    return f"UPID:{NODE}:{ids}:{worker_type}:{wid}:{auth}:"


def next_event(after: int, hour: int | None, minute: int, weekday: int | None = None) -> int:
    """Next start of a calendar event after ``after`` (server in UTC). ``hour=None``: hourly."""
    t = datetime.fromtimestamp(after, UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    while True:
        ok = t.minute == minute and (hour is None or t.hour == hour)
        if ok and (weekday is None or t.weekday() == weekday):
            return int(t.timestamp())
        t += timedelta(minutes=1)


# -- snapshots and groups ----------------------------------------------------------------------

VM_DISK = {"100": 32 * GIB, "101": 64 * GIB}
_FP = ":".join(f"{b:02x}" for b in hashlib.sha256(b"ct-200 key").digest())  # a key fingerprint


def _files(btype: str, bid: str, encrypted: bool) -> list[Json]:
    """``BackupContent`` list as ``list_snapshots`` builds it: manifest files, then the manifest
    itself, then files uploaded after the manifest (the client log: no size, no crypt-mode)."""
    mode = "encrypt" if encrypted else "none"
    if btype == "vm":
        data = [("qemu-server.conf.blob", 612), ("drive-scsi0.img.fidx", VM_DISK[bid])]
    elif btype == "ct":
        data = [("pct.conf.blob", 431), ("root.pxar.didx", 3_271_557_120)]
        data.append(("catalog.pcat1.didx", 1_884_160))
    else:
        data = [("etc.pxar.didx", 18_845_696), ("catalog.pcat1.didx", 40_960)]
    files = [{"filename": n, "crypt-mode": mode, "size": s} for n, s in data]
    files.append(
        {"filename": "index.json.blob", "crypt-mode": "sign-only" if encrypted else "none"}
    )
    files[-1]["size"] = 733 if encrypted else 569
    if btype != "host":
        files.append({"filename": "client.log.blob"})
    return files


def snapshot(
    btype: str,
    bid: str,
    time: int,
    owner: str,
    *,
    verified: tuple[str, str] | None = None,
    comment: str | None = None,
    encrypted: bool = False,
    protected: bool = False,
) -> Json:
    """A ``SnapshotListItem``; ``verified`` is ``(state, upid)`` of the last verify task."""
    item: Json = {"backup-type": btype, "backup-id": bid, "backup-time": time}
    if comment is not None:
        item["comment"] = comment
    if verified is not None:
        item["verification"] = {"upid": verified[1], "state": verified[0]}
    if encrypted:
        item["fingerprint"] = _FP
    item["files"] = _files(btype, bid, encrypted)
    item["size"] = sum(f.get("size", 0) for f in item["files"])
    item["owner"] = owner
    item["protected"] = protected
    return item


def groups_of(snapshots: Iterable[Json]) -> list[Json]:
    """``GroupListItem`` per group, as ``list_groups`` derives them from the snapshots."""
    by_group: dict[tuple[str, str], list[Json]] = {}
    for snap in snapshots:
        by_group.setdefault((snap["backup-type"], snap["backup-id"]), []).append(snap)
    out = []
    for (btype, bid), snaps in by_group.items():
        last = max(snaps, key=lambda s: s["backup-time"])
        out.append(
            {
                "backup-type": btype,
                "backup-id": bid,
                "last-backup": last["backup-time"],
                "backup-count": len(snaps),
                "files": sorted(f["filename"] for f in last["files"]),  # a directory listing
                "owner": last["owner"],
            }
        )
    return out


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
        snapshot("vm", "101", _t(11, 24, 2, 6, 41), HOMELAB, verified=ok[0]),
        snapshot("vm", "101", _t(11, 25, 2, 6, 38), HOMELAB, verified=ok[1]),
        snapshot(
            "vm", "101", _t(11, 26, 2, 6, 52), HOMELAB, verified=("failed", VERIFY_HOMELAB[2])
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
HISTORY_DELTA = 1800  # RRD "month" resolution (rrd_cache.rs: Month => 30 days at 30 * 60 s)


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


def estimated_full_date(start: int, history: list[float | None]) -> int | None:
    """``status.rs``: least squares over the known points, ``floor((1 - a) / b)``; 0 if flat."""
    points = [(start + i * HISTORY_DELTA, v) for i, v in enumerate(history) if v is not None]
    if len(points) < 7:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    b = cov / var
    a = mean_y - b * mean_x
    return 0 if b == 0 else math.floor((1 - a) / b)


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


def counts(snapshot_lists: Iterable[list[Json]]) -> Json:
    """``Counts``: groups and snapshots per type over all namespaces; absent types are null."""
    out: Json = {"ct": None, "host": None, "vm": None, "other": None}
    for snaps in snapshot_lists:
        for group in groups_of(snaps):
            entry = out[group["backup-type"]] or {"groups": 0, "snapshots": 0}
            entry["groups"] += 1
            entry["snapshots"] += group["backup-count"]
            out[group["backup-type"]] = entry
    return out


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


def job_status(
    state: str | None, worker: str, worker_id: str, start: int, end: int | None, next_run: int
) -> Json:
    """``JobScheduleStatus`` as ``compute_schedule_status`` fills it (created/started/finished)."""
    status: Json = {"next-run": next_run}
    if end is not None:
        status["last-run-state"] = state
    if start:
        status["last-run-upid"] = upid(worker, worker_id, start)
    if end is not None:
        status["last-run-endtime"] = end
    return status


VERIFY_FAILED = "verification failed - please check the log for details"  # verify_job.rs


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
    jobs = [
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
            "sync failed with some errors.",
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
    out: dict[str, Any] = {
        "version": {"version": "4.1", "release": "4", "repoid": hashlib.sha1(b"lab").hexdigest()},
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
    written = []
    for key, data in answers().items():
        path = folder / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
