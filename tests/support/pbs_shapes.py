"""Builders for Proxmox Backup Server answers in PBS's exact wire shape, for test labs.

Each builder returns what PBS serialises for one ``pbs-api-types`` struct (proxmox-rs f3305009,
pbs-api-types 1.0.18; ``docs/pbs-api.md`` cites each): kebab-case names in struct order, unset
optional fields left out, UPIDs, verify states and job states formatted as PBS formats them.
``tests/support/pbs_lab.py`` builds the standard lab from them; a test that needs another PBS
(two clusters in one datastore, an empty store, a failing job) builds its own the same way and
writes it with ``write_answers``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "HISTORY_DELTA",
    "SYNC_FAILED",
    "VERIFY_FAILED",
    "backup_files",
    "counts",
    "escape_id",
    "estimated_full_date",
    "groups_of",
    "job_status",
    "next_event",
    "snapshot",
    "upid",
    "write_answers",
]

Json = dict[str, Any]
GIB = 1024**3
HISTORY_DELTA = 1800  # RRD "month" resolution (rrd_cache.rs: Month => 30 days at 30 * 60 s)
#: ``last-run-state`` of failed jobs: the bare error text (verify_job.rs, server/pull.rs)
VERIFY_FAILED = "verification failed - please check the log for details"
SYNC_FAILED = "sync failed with some errors."


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


def upid(
    worker_type: str,
    worker_id: str | None,
    start: int,
    *,
    node: str = "pbs",
    auth: str = "root@pam",
) -> str:
    """``UPID:node:pid:pstart:task_id:starttime:type:id:auth:`` with stable fake process ids."""
    seed = hashlib.sha256(f"{worker_type}{worker_id}{start}".encode()).digest()
    pid, pstart, task = (int.from_bytes(seed[i : i + 3]) for i in (0, 3, 6))
    wid = escape_id(worker_id) if worker_id else ""
    ids = f"{pid:08X}:{pstart:08X}:{task % 16:08X}:{start:08X}"
    return f"UPID:{node}:{ids}:{worker_type}:{wid}:{auth}:"


def next_event(after: int, hour: int | None, minute: int, weekday: int | None = None) -> int:
    """Next start of a calendar event after ``after`` (server in UTC). ``hour=None``: hourly."""
    t = datetime.fromtimestamp(after, UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    while True:
        ok = t.minute == minute and (hour is None or t.hour == hour)
        if ok and (weekday is None or t.weekday() == weekday):
            return int(t.timestamp())
        t += timedelta(minutes=1)


def backup_files(btype: str, *, disk_bytes: int = 32 * GIB, encrypted: bool = False) -> list[Json]:
    """``BackupContent`` list as ``list_snapshots`` builds it: manifest files, then the manifest
    itself, then files uploaded after the manifest (the client log: no size, no crypt-mode)."""
    mode = "encrypt" if encrypted else "none"
    if btype == "vm":
        data = [("qemu-server.conf.blob", 612), ("drive-scsi0.img.fidx", disk_bytes)]
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
    disk_bytes: int = 32 * GIB,
) -> Json:
    """A ``SnapshotListItem``; ``verified`` is ``(state, upid)`` of the last verify task.

    ``encrypted`` adds the key ``fingerprint`` and marks the archives ``encrypt`` (the manifest
    then is ``sign-only``)."""
    item: Json = {"backup-type": btype, "backup-id": bid, "backup-time": time}
    if comment is not None:
        item["comment"] = comment
    if verified is not None:
        item["verification"] = {"upid": verified[1], "state": verified[0]}
    if encrypted:
        key = hashlib.sha256(f"{owner} key".encode()).digest()
        item["fingerprint"] = ":".join(f"{b:02x}" for b in key)
    item["files"] = backup_files(btype, disk_bytes=disk_bytes, encrypted=encrypted)
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


def job_status(
    state: str | None, worker: str, worker_id: str, start: int, end: int | None, next_run: int
) -> Json:
    """``JobScheduleStatus`` as ``compute_schedule_status`` fills it: never run (``start`` 0:
    only ``next-run``), running (``end`` None: no state, no end time) or finished."""
    status: Json = {"next-run": next_run}
    if end is not None:
        status["last-run-state"] = state
    if start:
        status["last-run-upid"] = upid(worker, worker_id, start)
    if end is not None:
        status["last-run-endtime"] = end
    return status


def write_answers(folder: Path, answers: Mapping[str, Any]) -> list[Path]:
    """Write ``{recording key: data}`` as ``<folder>/<key>.json``; return the files written."""
    written = []
    for key, data in answers.items():
        path = folder / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
