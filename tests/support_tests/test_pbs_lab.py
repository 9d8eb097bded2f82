"""The committed PBS lab is what its generator writes, and every answer has PBS's wire shape.

Shapes are the serde serialisation of ``pbs-api-types`` (proxmox-rs f3305009, 1.0.18): field
names in kebab-case, in struct order, ``Option`` fields with ``skip_serializing_if`` absent when
unset, the few without it (``DataStoreListItem.comment``, ``GarbageCollectionStatus.upid``,
``Counts.*``) present as ``null``. ``docs/pbs-api.md`` cites each struct.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.pbs_lab import NOW, answers, write_pbs_lab
from tests.support.pbs_shapes import estimated_full_date

LAB = Path(__file__).resolve().parents[2] / "fixtures" / "pbs" / "lab"

# proxmox-schema upid.rs PROXMOX_UPID_REGEX
UPID = re.compile(
    r"^UPID:[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:"
    r"[0-9A-Fa-f]{8,16}:[0-9A-Fa-f]{8}:[^:\s]+:[^:\s]*:[^:\s]+:$"
)
AUTHID = re.compile(r"^[^\s:/@!]+@[^\s:/@!]+(![^\s:/@!]+)?$")
FINGERPRINT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){31}$")

# struct -> ordered (field, JSON type(s), required)
INT, STR, BOOL, LIST, OBJ, NULL = int, str, bool, list, dict, type(None)
SNAPSHOT = [
    ("backup-type", STR, True),
    ("backup-id", STR, True),
    ("backup-time", INT, True),
    ("comment", STR, False),
    ("verification", OBJ, False),
    ("fingerprint", STR, False),
    ("files", LIST, True),
    ("size", INT, False),
    ("owner", STR, False),
    ("protected", BOOL, True),
]
GROUP = [
    ("backup-type", STR, True),
    ("backup-id", STR, True),
    ("last-backup", INT, True),
    ("backup-count", INT, True),
    ("files", LIST, True),
    ("owner", STR, False),
    ("comment", STR, False),
]
GC_STATUS = [
    ("upid", (STR, NULL), True),
    *((k, INT, True) for k in ("index-file-count", "index-data-bytes", "disk-bytes")),
    *((k, INT, True) for k in ("disk-chunks", "removed-bytes", "removed-chunks")),
    *((k, INT, True) for k in ("pending-bytes", "pending-chunks", "removed-bad", "still-bad")),
    ("cache-stats", OBJ, False),
]
JOB_STATUS = [
    ("next-run", INT, False),
    ("last-run-state", STR, False),
    ("last-run-upid", STR, False),
    ("last-run-endtime", INT, False),
]
GC_JOB = [
    ("store", STR, True),
    *GC_STATUS,
    ("schedule", STR, False),
    ("next-run", INT, False),
    ("last-run-endtime", INT, False),
    ("last-run-state", STR, False),
    ("duration", INT, False),
]
USAGE = [
    ("store", STR, True),
    *((k, INT, False) for k in ("total", "used", "avail")),
    ("mount-status", STR, True),
    ("history", LIST, False),
    ("history-start", INT, False),
    ("history-delta", INT, False),
    ("estimated-full-date", INT, False),
    ("error", STR, False),
    ("gc-status", OBJ, False),
    ("backend-type", STR, True),
]
DATASTORE = [
    ("store", STR, True),
    ("comment", (STR, NULL), True),
    ("mount-status", STR, True),
    ("maintenance", STR, False),
    ("backend-type", STR, True),
]
STATUS = [
    *((k, INT, True) for k in ("total", "used", "avail")),
    ("gc-status", OBJ, False),
    ("counts", OBJ, False),
    ("backend-type", STR, True),
]


def check(item: dict[str, Any], fields: list[tuple[str, Any, bool]], where: str) -> None:
    """Known keys only, in struct order, required ones present, JSON types right."""
    order = [name for name, _, _ in fields]
    unknown = [k for k in item if k not in order]
    assert not unknown, f"{where}: fields not in the struct: {unknown}"
    assert list(item) == [k for k in order if k in item], f"{where}: not in struct order"
    for name, types, required in fields:
        if name not in item:
            assert not required, f"{where}: required field {name} missing"
            continue
        value = item[name]
        ok = isinstance(value, types) and not (types is INT and isinstance(value, bool))
        assert ok, f"{where}: {name}={value!r} is not {types}"


def lab_files() -> dict[str, Any]:
    return {
        p.relative_to(LAB).as_posix()[: -len(".json")]: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(LAB.rglob("*.json"))
    }


def test_committed_lab_is_what_the_generator_writes(tmp_path: Path) -> None:
    write_pbs_lab(tmp_path)
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.json")}
    assert written == {p.relative_to(LAB) for p in LAB.rglob("*.json")}
    for rel in written:
        assert (tmp_path / rel).read_text() == (LAB / rel).read_text(), f"regenerate: {rel}"


@pytest.mark.parametrize("key", [k for k in answers() if re.search(r"/(snapshots|groups)", k)])
def test_snapshots_and_groups_have_pbs_shape(key: str) -> None:
    items = lab_files()[key]
    for item in items:
        where = f"{key} {item['backup-type']}/{item['backup-id']}"
        assert item["backup-type"] in ("vm", "ct", "host")
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._\-]*", item["backup-id"])
        assert AUTHID.match(item["owner"])
        if "/snapshots" in key:
            check(item, SNAPSHOT, where)
            assert 1 <= item["backup-time"] <= NOW
            for f in item["files"]:
                assert set(f) <= {"filename", "crypt-mode", "size"}
                assert f.get("crypt-mode", "none") in ("none", "encrypt", "sign-only")
            assert item["size"] == sum(f.get("size", 0) for f in item["files"])
            if "verification" in item:
                assert list(item["verification"]) == ["upid", "state"]
                assert item["verification"]["state"] in ("ok", "failed")
                assert UPID.match(item["verification"]["upid"])
            if "fingerprint" in item:
                assert FINGERPRINT.match(item["fingerprint"])
        else:
            check(item, GROUP, where)
            assert all(isinstance(f, str) for f in item["files"])
    if "/groups" in key:
        snaps = lab_files()[key.replace("/groups", "/snapshots")]
        for group in items:
            mine = [s for s in snaps if (s["backup-type"], s["backup-id"]) == (
                group["backup-type"], group["backup-id"])]  # fmt: skip
            assert group["backup-count"] == len(mine)
            assert group["last-backup"] == max(s["backup-time"] for s in mine)


def test_jobs_have_pbs_shape_and_states() -> None:
    files = lab_files()
    states = set()
    for key in ("admin/verify", "admin/prune", "admin/sync@sync-direction=all"):
        for job in files[key]:
            config = {
                k: v for k, v in job.items() if k not in dict.fromkeys(f[0] for f in JOB_STATUS)
            }
            status = {k: v for k, v in job.items() if k not in config}
            check(status, JOB_STATUS, f"{key} {job['id']}")
            assert list(job)[-len(status) :] == list(status), "status is flattened after config"
            assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._\-]{2,31}", job["id"])
            if "last-run-upid" in status:
                assert UPID.match(status["last-run-upid"])
            if "last-run-state" in status:
                states.add(status["last-run-state"])
                assert status["last-run-endtime"] <= NOW < status["next-run"]
    assert {"OK", "WARNINGS: 1"} <= states
    assert states - {"OK", "WARNINGS: 1"}, "the lab needs a failed job (bare error text)"
    assert [j["id"] for j in files["admin/sync"]] == ["s-homelab", "s-nas"]  # pull only


def test_gc_usage_status_and_datastore_list_have_pbs_shape() -> None:
    files = lab_files()
    for item in files["admin/gc"]:
        check(item, GC_JOB, f"admin/gc {item['store']}")
        assert item == files[f"admin/datastore/{item['store']}/gc"]
        assert UPID.match(item["upid"])
    assert [g["still-bad"] for g in files["admin/gc"]] == [0, 3]
    for item in files["admin/datastore"]:
        check(item, DATASTORE, "admin/datastore")
    for item in files["status/datastore-usage"]:
        where = f"datastore-usage {item['store']}"
        check(item, USAGE, where)
        check(item["gc-status"], GC_STATUS, where)
        history = item["history"]
        assert len(history) == 30 * 86400 // item["history-delta"]
        known = [v for v in history if v is not None]  # None: a day without a reading
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in known)
        assert item["estimated-full-date"] == estimated_full_date(item["history-start"], history)
    for store in ("backup", "offsite"):
        check(files[f"admin/datastore/{store}/status"], STATUS, f"{store} status")
        verbose = files[f"admin/datastore/{store}/status@verbose=1"]
        check(verbose, STATUS, f"{store} status verbose")
        assert list(verbose["counts"]) == ["ct", "host", "vm", "other"]


def test_lab_tells_the_stories_it_is_for() -> None:
    files = lab_files()
    newest: dict[str, Any] = {}
    for snap in files["admin/datastore/backup/snapshots@ns=homelab"]:
        key = f"{snap['backup-type']}/{snap['backup-id']}"
        if key not in newest or snap["backup-time"] > newest[key]["backup-time"]:
            newest[key] = snap
    verified = {k: s.get("verification", {}).get("state") for k, s in newest.items()}
    assert verified == {"vm/100": "ok", "vm/101": "failed", "ct/200": None}
    usage = {u["store"]: u["estimated-full-date"] for u in files["status/datastore-usage"]}
    assert NOW < usage["backup"] < NOW + 60 * 86400  # filling: full within two months
    assert usage["offsite"] < NOW  # declining: an estimate in the past
    assert {ns["ns"] for ns in files["admin/datastore/backup/namespace"]} == {"", "homelab"}
