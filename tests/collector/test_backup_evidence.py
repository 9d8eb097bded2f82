"""Backup evidence: what PVE hides from the token, what a PBS source supplies instead, and how
PBS snapshots are joined to guests (``correlation/backup_evidence.py``, ``backup_join.py``).

The reports come from the scenario recordings (``fixtures/scenarios/``, written by
``pbs_scenarios.py``); the join's corner cases are built from model values directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.correlation.backup_join import join_backups
from collector.model import (
    BackupServer,
    Cluster,
    Datastore,
    PbsSnapshot,
    PbsTarget,
    VerifyState,
)
from collector.report.build import Report
from collector.report.document import report_document

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = 86400


def _report(name: str) -> Report:
    config = load_config(SCENARIOS / name / "config.toml")
    return run_report(config, replay_sources(config, SCENARIOS / name), now=NOW)


def _gaps(report: Report, what: str) -> dict[str, str]:
    return {g.subject: g.reason for s in report.inventory.sources for g in s.gaps if g.what == what}


def test_each_storage_pve_hides_gets_one_gap_naming_privileges_and_both_ways_out() -> None:
    gaps = _gaps(_report("backups-hidden-from-the-token"), "backup visibility")
    assert gaps == {
        "pve:lab/storage/nas": (
            "PVE's content listing hides every backup on 'nas' from this token: PVE lists a "
            "backup only with Datastore.Allocate on /storage/nas, or Datastore.AllocateSpace on "
            "it and VM.Backup on the guest; backup ages there are unknown (backup-stale stays "
            "silent, backup-missing still works); grant Datastore.AllocateSpace on /storage/nas "
            "and VM.Backup on /vms (they also let the token start backups of those guests and "
            "allocate space on the storage)"
        ),
        "pve:lab/storage/pbs": (
            "PVE's content listing hides every backup on 'pbs' from this token: PVE lists a "
            "backup only with Datastore.Allocate on /storage/pbs, or Datastore.AllocateSpace on "
            "it and VM.Backup on the guest; backup ages there are unknown (backup-stale stays "
            "silent, backup-missing still works); grant Datastore.AllocateSpace on /storage/pbs "
            "and VM.Backup on /vms (they also let the token start backups of those guests and "
            "allocate space on the storage); or read them from the Proxmox Backup Server itself: "
            "a [[pbs]] source for 10.0.0.15:8007 with a read-only token (DatastoreAudit on "
            "/datastore)"
        ),
    }
    # Hidden, not empty: no "lists no backup at all" gap on top.
    assert _gaps(_report("backups-hidden-from-the-token"), "backup listing") == {}


def test_with_a_pbs_source_the_gap_says_where_the_ages_come_from() -> None:
    report = _report("backups-hidden-read-from-pbs")
    gaps = _gaps(report, "backup visibility")
    assert gaps["pve:lab/storage/pbs"].endswith(
        "their ages and verification come from pbs:pbs/backup/lab instead"
    )
    assert "unknown" in gaps["pve:lab/storage/nas"]  # nothing else reads the NAS


def test_the_backups_section_says_where_each_fact_came_from_and_what_is_unknown() -> None:
    doc = report_document(_report("backups-hidden-read-from-pbs"))
    rows = {row["guest"]: row for row in doc["backups"]}
    assert rows["pve:lab/qemu/101"] == {
        "guest": "pve:lab/qemu/101",
        "jobs": ["to-pbs"],
        "backups": 1,
        "newest": {
            "volid": "pbs:backup/vm/101/2026-10-17T12:00:00Z",
            "storage": "pbs",
            "time": int(NOW.timestamp()) - 40 * DAY,
            "origin": "pbs:pbs/backup/lab",
            "verification": "ok",
            "verified_at": int(NOW.timestamp()) - 20 * DAY,
        },
        "newest_verifiable": rows["pve:lab/qemu/101"]["newest"],
        "unknown_on": [],
    }
    # Unknown stays null, never "none": the NAS hides 200's backups from the token.
    assert rows["pve:lab/lxc/200"] == {
        "guest": "pve:lab/lxc/200",
        "jobs": ["to-nas"],
        "backups": 0,
        "newest": None,
        "newest_verifiable": None,
        "unknown_on": ["nas"],
    }


def test_an_empty_listing_although_jobs_write_there_is_suspicious_not_no_backup() -> None:
    report = _report("backup-listing-empty-although-jobs-write-there")
    assert _gaps(report, "backup listing") == {
        "pve:lab/storage/nas": (
            "lists no backup at all although enabled job(s) to-nas back up 2 guest(s) to it: if "
            "the jobs ran, the token cannot see the volumes (PVE hides them without "
            "Datastore.AllocateSpace on /storage/nas and VM.Backup on the guests); their backup "
            "ages are treated as unknown"
        )
    }
    (permissions,) = [
        g for s in report.inventory.sources for g in s.gaps if g.what == "access/permissions"
    ]
    assert permissions.reason == (
        "lab: GET access/permissions: 403 Permission check failed (/access, Sys.Audit); grant "
        "the privilege it names"
    )


# -- the join, from model values ----------------------------------------------------------------


def _cluster(name: str, namespace: str, owner: str | None, server: str = "pbs.lan") -> Cluster:
    target = PbsTarget("pbs", server, "backup", namespace, owner=owner, fingerprint="aa:bb")
    return Cluster(id=f"pve:{name}", name=name, source=name, pbs_targets=(target,))


def _snap(bid: str, owner: str, ns: str = "shared", btype: str = "vm") -> PbsSnapshot:
    return PbsSnapshot("backup", ns, btype, bid, 1_795_000_000, VerifyState.OK, None, owner=owner)


def _server(snapshots: list[PbsSnapshot], **kw: Any) -> BackupServer:
    store = Datastore(
        "pbs:p/datastore/backup", "backup", "p", namespaces={"shared": tuple(snapshots)}
    )
    return BackupServer("pbs:p", "p", "p", kw.get("host", "pbs.lan"), datastores=(store,),
                        fingerprint=kw.get("fingerprint"))  # fmt: skip


def test_snapshots_become_volumes_of_the_storage_with_pbs_as_origin() -> None:
    joined = join_backups(
        (_cluster("lab", "shared", "pve@pbs!lab"),),
        (
            _server(
                [_snap("100", "x"), _snap("200", "x", btype="ct"), _snap("nas", "x", btype="host")]
            ),
        ),
    )
    (cluster,) = joined.clusters
    assert cluster.backup_volumes is not None
    assert [(v.volid, v.vmid, v.subtype, v.format, v.origin) for v in cluster.backup_volumes] == [
        ("pbs:backup/vm/100/2026-11-18T11:06:40Z", 100, "qemu", "pbs-vm", "pbs:p/backup/shared"),
        ("pbs:backup/ct/200/2026-11-18T11:06:40Z", 200, "lxc", "pbs-ct", "pbs:p/backup/shared"),
    ]  # host/nas is never a guest
    assert joined.supplied == {"pve:lab": {"pbs": "pbs:p/backup/shared"}}


def test_two_clusters_in_one_namespace_are_told_apart_by_owner_and_told_so() -> None:
    lab, edge = _cluster("lab", "shared", "pve@pbs!lab"), _cluster("edge", "shared", "pve@pbs!edge")
    server = _server(
        [_snap("100", "pve@pbs!lab"), _snap("100", "pve@pbs!edge"), _snap("101", "pve@pbs!edge")]
    )
    joined = join_backups((lab, edge), (server,))
    vmids = {c.name: sorted(v.vmid for v in c.backup_volumes or ()) for c in joined.clusters}
    assert vmids == {"lab": [100], "edge": [100, 101]}
    (note,) = joined.notes["lab"]
    assert (note.subject, note.what) == ("pve:lab/storage/pbs", "backup namespace")
    assert note.reason == (
        "writes into pbs:p/backup/shared like storage 'pbs' of pve:edge: told apart by their "
        "owner (pve@pbs!lab); give each cluster its own namespace (PVE storage option namespace)"
    )


def test_two_clusters_in_one_namespace_with_one_owner_cannot_be_told_apart() -> None:
    lab, edge = _cluster("lab", "shared", "pve@pbs!x"), _cluster("edge", "shared", "pve@pbs!x")
    joined = join_backups((lab, edge), (_server([_snap("100", "pve@pbs!x")]),))
    assert [len(c.backup_volumes) for c in joined.clusters if c.backup_volumes] == [1, 1]
    assert "cannot be told apart (same or unknown owner)" in joined.notes["edge"][0].reason


@pytest.mark.parametrize(
    ("server_kw", "joined"),
    [
        ({"host": "PBS.LAN"}, True),  # host names compare case-insensitively
        ({"host": "10.0.0.15"}, False),  # another name for it: no join ...
        ({"host": "10.0.0.15", "fingerprint": "aa:bb"}, True),  # ... unless the pin matches
    ],
)
def test_the_server_is_matched_by_host_or_by_fingerprint(
    server_kw: dict[str, Any], joined: bool
) -> None:
    result = join_backups(
        (_cluster("lab", "shared", None),), (_server([_snap("1", "x")], **server_kw),)
    )
    assert bool(result.supplied) is joined
