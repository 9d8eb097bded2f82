"""The restore rules' edges, from model values: what counts as a failed job, as a filling
datastore, as a namespace a verify job covers; unknown stays silent."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from collector.correlation.inventory import build_inventory
from collector.model import (
    BackupServer,
    Datastore,
    JobKind,
    PbsJob,
    PbsSnapshot,
    SourceKind,
    SourceResult,
    SourceStatus,
)
from collector.rules import RULES_BY_ID
from collector.rules.base import RuleContext

NOW = 1_795_694_400
DAY = 86400


def _hits(rule: str, server: BackupServer, **params: object) -> list[tuple[str, str]]:
    status = SourceStatus.finished("pbs", SourceKind.PBS, (), 8)
    inventory = build_inventory([SourceResult(status, backup_server=server)])
    found = RULES_BY_ID[rule]
    ctx = RuleContext({**found.defaults, **params}, NOW)
    return [(h.subject, h.message) for h in found.check(inventory, ctx)]


def _server(
    stores: Iterable[Datastore] = (), jobs: Iterable[PbsJob] = (), verify: bool = True
) -> BackupServer:
    jobs = tuple(jobs)
    return BackupServer(
        "pbs:p",
        "p",
        "p",
        "pbs.lan",
        datastores=tuple(stores),
        verify_jobs=tuple(j for j in jobs if j.kind is JobKind.VERIFY) if verify else None,
        sync_jobs=tuple(j for j in jobs if j.kind is JobKind.SYNC),
    )


@pytest.mark.parametrize(
    ("state", "failed"),
    [
        ("OK", False),
        ("WARNINGS: 3", False),
        (None, None),  # never ran, or running now
        ("unknown", True),  # PBS could not tell how the task ended (the daemon died)
        ("sync failed with some errors.", True),
    ],
)
def test_only_ok_and_warnings_are_not_failures(state: str | None, failed: bool | None) -> None:
    job = PbsJob("pbs:p/sync/s", JobKind.SYNC, "s", "backup", last_state=state, last_end=NOW)
    assert job.failed is failed
    hits = _hits("backup-job-failed", _server(jobs=[job]))
    assert [s for s, _ in hits] == (["pbs:p/sync/s"] if failed else [])


def test_a_failed_job_names_its_store_namespace_direction_and_error() -> None:
    job = PbsJob(
        "pbs:p/sync/s", JobKind.SYNC, "s", "offsite", namespace="lab", last_state="boom",
        last_end=NOW - DAY, detail="pull from backup",
    )  # fmt: skip
    ((_, message),) = _hits("backup-job-failed", _server(jobs=[job]))
    assert message == (
        "sync job 's' (datastore 'offsite', namespace 'lab', pull from backup) on p: last run on "
        "2026-11-25 failed: boom"
    )


@pytest.mark.parametrize(
    ("estimate", "fires"),
    [
        (None, False),  # PBS had too little history: unknown
        (0, False),  # flat usage: PBS says 0
        (NOW - DAY, False),  # in the past: falling usage
        (NOW + 29 * DAY, True),
        (NOW + 31 * DAY, False),
    ],
)
def test_datastore_filling_reads_pbs_estimate_as_pbs_means_it(
    estimate: int | None, fires: bool
) -> None:
    store = Datastore(
        "pbs:p/datastore/b", "b", "p", total_bytes=100, used_bytes=90, estimated_full=estimate
    )
    assert bool(_hits("datastore-filling", _server([store]))) is fires


def test_datastore_filling_days_is_configurable() -> None:
    store = Datastore(
        "pbs:p/datastore/b", "b", "p", total_bytes=100, used_bytes=90, estimated_full=NOW + 29 * DAY
    )
    assert _hits("datastore-filling", _server([store]), days=14) == []
    ((_, message),) = _hits("datastore-filling", _server([store]))
    assert message == (
        "datastore 'b' on p will be full in about 29 days (2026-12-25, PBS's estimate) (90% used "
        "now); limit 30 days"
    )


def _snap(ns: str, btype: str = "vm") -> PbsSnapshot:
    return PbsSnapshot("backup", ns, btype, "100", NOW - DAY)


def _verify(ns: str = "", depth: int | None = None) -> PbsJob:
    return PbsJob("pbs:p/verify/v", JobKind.VERIFY, "v", "backup", namespace=ns, max_depth=depth)


@pytest.mark.parametrize(
    ("job", "uncovered"),
    [
        (_verify(), []),  # the root job, default depth, reaches everything
        (_verify("a"), ["the root"]),
        (_verify("", 0), ["'a'", "'a/b'"]),
        (_verify("", 1), ["'a/b'"]),
        (_verify("a/b"), ["the root", "'a'"]),
    ],
)
def test_a_verify_job_covers_its_namespace_and_the_ones_below_within_max_depth(
    job: PbsJob, uncovered: list[str]
) -> None:
    spaces = {
        "": (_snap(""),),
        "a": (_snap("a"),),
        "a/b": (_snap("a/b"),),
        "h": (_snap("h", "host"),),
    }
    store = Datastore("pbs:p/datastore/backup", "backup", "p", namespaces=spaces)
    hits = _hits("verify-job-missing", _server([store], [job]))
    if not uncovered:
        assert hits == []
        return
    ((subject, message),) = hits
    assert subject == "pbs:p/datastore/backup"
    assert f"in namespace(s) {', '.join(uncovered)} that no verify job checks" in message


def test_unread_verify_jobs_or_namespaces_claim_nothing() -> None:
    store = Datastore("pbs:p/datastore/backup", "backup", "p", namespaces={"": (_snap(""),)})
    assert _hits("verify-job-missing", _server([store], verify=False)) == []
    unread = Datastore("pbs:p/datastore/backup", "backup", "p", namespaces=None)
    assert _hits("verify-job-missing", _server([unread])) == []
    assert _hits("datastore-corrupt-chunks", _server([unread])) == []  # still-bad unknown
