"""Backup job resolution and matching (``collector.correlation.backup_jobs``), one rule of
vzdump per case."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from collector.correlation.backup_jobs import (
    backups_of,
    coverage,
    foreign_backups,
    undated_backups,
    volume_kind,
)
from collector.model import BackupJob, BackupVolume, Form, Guest


def _guest(
    vmid: int = 100, node: str = "pve1", pool: str | None = None, lxc: bool = False
) -> Guest:
    form = Form.LXC if lxc else Form.VM
    kind = "lxc" if lxc else "qemu"
    return Guest(
        f"pve:lab/{kind}/{vmid}", "lab", node, vmid, f"g{vmid}", form, "running", pool=pool
    )


def _job(**kw: object) -> BackupJob:
    return replace(BackupJob("job", enabled=True), **kw)


@pytest.mark.parametrize(
    ("job", "guest", "covered", "excluded"),
    [
        (_job(all=True), _guest(), True, False),
        (_job(all=True, exclude=(100,)), _guest(), False, True),
        (_job(all=True, exclude=(101,)), _guest(), True, False),
        (_job(exclude=(101,)), _guest(), True, False),  # exclude alone implies all
        (_job(vmids=(100, 102)), _guest(), True, False),
        (_job(vmids=(102,)), _guest(), False, False),
        (_job(pool="apps"), _guest(pool="apps"), True, False),
        (_job(pool="apps"), _guest(pool="other"), False, False),
        (_job(pool="apps"), _guest(), False, False),
        (_job(pool="apps", exclude=(100,)), _guest(pool="apps"), False, True),
        (_job(all=True, node="pve2"), _guest(node="pve1"), False, False),
        (_job(all=True, node="pve1"), _guest(node="pve1"), True, False),
        (_job(vmids=(100,), node="pve2"), _guest(node="pve1"), False, False),
        (_job(), _guest(), False, False),  # selects nothing
    ],
)
def test_job_selection_follows_vzdump(
    job: BackupJob, guest: Guest, covered: bool, excluded: bool
) -> None:
    result = coverage(guest, [job])
    assert result.covered is covered
    assert bool(result.excluded_by) is excluded


def test_a_disabled_job_selects_but_does_not_cover() -> None:
    result = coverage(_guest(), [_job(id="off", enabled=False, vmids=(100,))])
    assert not result.covered
    assert [j.id for j in result.disabled] == ["off"]


def test_one_enabled_job_is_enough() -> None:
    jobs = [_job(id="a", enabled=False, all=True), _job(id="b", pool="apps")]
    result = coverage(_guest(pool="apps"), jobs)
    assert [j.id for j in result.enabled] == ["b"] and [j.id for j in result.disabled] == ["a"]


def _vol(volid: str, vmid: int, ctime: int, subtype: str | None, fmt: str | None) -> BackupVolume:
    return BackupVolume(volid, volid.split(":")[0], vmid, ctime, subtype=subtype, format=fmt)


@pytest.mark.parametrize(
    ("subtype", "fmt", "kind"),
    [
        ("qemu", None, "qemu"),
        ("lxc", None, "lxc"),
        (None, "pbs-vm", "qemu"),
        (None, "pbs-ct", "lxc"),
        (None, "vma.zst", "qemu"),
        (None, "tar.zst", "lxc"),
        (None, "tgz", "lxc"),
        (None, None, None),
    ],
)
def test_volume_kind_from_subtype_or_format(
    subtype: str | None, fmt: str | None, kind: str | None
) -> None:
    assert volume_kind(_vol("s:backup/x", 1, 1, subtype, fmt)) == kind


def test_backups_match_vmid_and_guest_type_newest_first() -> None:
    volumes = [
        _vol("pbs:backup/vm/100/a", 100, 10, "qemu", "pbs-vm"),
        _vol("nas:backup/vzdump-qemu-100-b.vma.zst", 100, 30, None, "vma.zst"),
        _vol("nas:backup/vzdump-lxc-100-c.tar.zst", 100, 50, "lxc", "tar.zst"),
        _vol("nas:backup/vzdump-qemu-101-d.vma.zst", 101, 70, "qemu", "vma.zst"),
        _vol("x:backup/unknown", 100, 20, None, None),  # type unknown: counted, not guessed away
    ]
    vm = _guest(100)
    assert [v.ctime for v in backups_of(vm, volumes)] == [30, 20, 10]
    assert [v.ctime for v in foreign_backups(vm, volumes)] == [50]
    assert [v.ctime for v in backups_of(_guest(100, lxc=True), volumes)] == [50, 20]
    assert [v.ctime for v in foreign_backups(_guest(100, lxc=True), volumes)] == [10, 30]


def test_a_backup_without_a_time_is_no_backup() -> None:
    """ctime 0 means the listing did not say when: it cannot prove anything is recent."""
    volumes = [
        _vol("nas:backup/a", 100, 0, "qemu", None),
        _vol("nas:backup/b", 100, 1, "qemu", None),
    ]
    assert [v.volid for v in backups_of(_guest(100), volumes)] == ["nas:backup/b"]


def _missing(
    jobs: tuple[BackupJob, ...] | None, not_backed_up: tuple[int, ...] | None
) -> list[str]:
    from collector.correlation.inventory import Inventory
    from collector.model import Cluster
    from collector.rules import default_rule_settings, evaluate

    cluster = Cluster(
        "pve:lab", "lab", "lab", guests=(_guest(100),), backup_jobs=jobs,
        not_backed_up=not_backed_up,
    )  # fmt: skip
    inventory = Inventory((cluster,), (), (), roles={})
    settings = default_rule_settings()
    only = {k: replace(v, enabled=k == "backup-missing") for k, v in settings.items()}
    return [f.message for f in evaluate(inventory, only, now_epoch=0)]


def test_pve_saying_not_backed_up_wins_over_our_reading() -> None:
    (message,) = _missing((_job(id="all", all=True),), (100,))
    assert message == (
        "VM 100 'g100' is listed by PVE as not backed up although job(s) 'all' seem to include it"
    )


def test_unreadable_jobs_claim_only_what_pve_lists() -> None:
    assert _missing(None, ()) == []
    assert _missing(None, None) == []
    (message,) = _missing(None, (100,))
    assert (
        message
        == "VM 100 'g100' is listed by PVE as not backed up (the backup jobs could not be read)"
    )


def test_uncovered_guest_message_says_why() -> None:
    (message,) = _missing((_job(id="off", enabled=False, vmids=(100,)),), ())
    assert message == "VM 100 'g100' is only in disabled backup job(s) 'off'"


# -- the rules, on a hand-built inventory ------------------------------------------------------

DAY = 86400
NOW = 1_795_000_000  # 2026-11-19T...Z: what "now" is for the rules below


def _findings(
    guests: tuple[Guest, ...],
    *,
    jobs: tuple[BackupJob, ...] | None = (),
    volumes: tuple[BackupVolume, ...] | None = (),
    gaps: tuple[tuple[str, str], ...] = (),
    rules: tuple[str, ...] = ("backup-stale",),
    engines: tuple[object, ...] = (),
) -> list[tuple[str, str]]:
    from collector.correlation.inventory import Inventory
    from collector.model import Cluster, Gap, SourceKind, SourceStatus
    from collector.rules import default_rule_settings, evaluate

    cluster = Cluster(
        "pve:lab", "lab", "lab", guests=guests, backup_jobs=jobs, backup_volumes=volumes,
        not_backed_up=(),
    )  # fmt: skip
    status = SourceStatus(
        "lab", SourceKind.PROXMOX, True, gaps=tuple(Gap(s, w, "x") for s, w in gaps)
    )
    inventory = Inventory((cluster,), engines, (status,), roles={})  # type: ignore[arg-type]
    settings = default_rule_settings()
    only = {k: replace(v, enabled=k in rules) for k, v in settings.items()}
    return [(f.subject, f.message) for f in evaluate(inventory, only, now_epoch=NOW)]


def test_a_skipped_guest_does_not_stop_the_check_of_the_next() -> None:
    template = replace(_guest(100), template=True)
    old = _vol("nas:backup/x", 101, NOW - 9 * DAY, "qemu", None)
    found = _findings(
        (template, _guest(101)), jobs=(_job(all=True, storage="nas"),), volumes=(old,)
    )
    assert [s for s, _ in found] == ["pve:lab/qemu/101"]


def test_an_unlisted_storage_hides_only_the_guests_it_may_hold() -> None:
    """pbs2 could not be listed: guest 100 (backed up there) may have a newer backup, so it is
    not judged; guest 101 (backed up to nas, which was listed) is."""
    jobs = (_job(id="a", vmids=(100,), storage="pbs2"), _job(id="b", vmids=(101,), storage="nas"))
    gaps = (("pve:lab/storage/pve1/pbs2", "backup content"),)
    found = _findings((_guest(100), _guest(101)), jobs=jobs, gaps=gaps)
    assert found == [
        (
            "pve:lab/qemu/101",
            "no backup of VM 101 'g101' on any backup storage although job(s) 'b' include it",
        )
    ]


def test_a_gap_of_another_kind_or_cluster_hides_nothing() -> None:
    jobs = (_job(id="a", vmids=(100,), storage="pbs2"),)
    gaps = (
        ("pve:lab/storage/pve1/pbs2", "storage status"),
        ("pve:other/storage/pbs2", "backup content"),
    )
    assert [s for s, _ in _findings((_guest(100),), jobs=jobs, gaps=gaps)] == ["pve:lab/qemu/100"]


def test_the_last_backup_date_is_a_utc_date(time_zone: Callable[[str], None]) -> None:
    """The date in the message does not depend on the machine's time zone."""
    time_zone("Pacific/Kiritimati")  # UTC+14: a different day for most of it
    ctime = NOW - 9 * DAY
    old = _vol("nas:backup/x", 100, ctime, "qemu", None)
    ((_, message),) = _findings(
        (_guest(100),), jobs=(_job(all=True, storage="nas"),), volumes=(old,)
    )
    day = time.strftime("%Y-%m-%d", time.gmtime(ctime))
    assert message == (
        f"last backup of VM 100 'g100' is 9 days old ({day} on nas); limit 7 days, job(s) 'job'"
    )


def test_partial_backups_are_reported_when_the_jobs_cannot_be_read() -> None:
    guest = replace(_guest(100), disks_without_backup=("scsi1", "scsi2"))
    found = _findings((guest,), jobs=None, rules=("backup-partial",))
    assert found == [
        (
            "pve:lab/qemu/100",
            "VM 100 'g100' is backed up without disk(s) scsi1, scsi2 (backup=0): a restore "
            "brings them back empty",
        )
    ]


def test_partial_backup_of_an_unbacked_guest_is_left_to_backup_missing() -> None:
    first = replace(_guest(100), disks_without_backup=("scsi1",))
    second = replace(_guest(101), disks_without_backup=("mp0",))
    found = _findings((first, second), jobs=(_job(vmids=(101,)),), rules=("backup-partial",))
    assert [s for s, _ in found] == ["pve:lab/qemu/101"]


def test_every_job_that_excludes_a_guest_is_named() -> None:
    jobs = (_job(id="a", all=True, exclude=(100,)), _job(id="b", all=True, exclude=(100,)))
    found = _findings((_guest(100),), jobs=jobs, rules=("backup-missing",))
    assert found == [("pve:lab/qemu/100", "VM 100 'g100' is excluded from backup job(s) 'a', 'b'")]


def test_every_anonymous_volume_of_a_container_is_named() -> None:
    from collector.model import Container, Engine, Mount

    anonymous = ("a" * 64, "b" * 64)
    container = Container(
        "docker:apps/db", "apps", "c" * 64, "db", "postgres", None, None, "running", None, "no",
        0, "json-file", {}, {},
        mounts=tuple(Mount("volume", "", f"/data/{i}", name=n) for i, n in enumerate(anonymous)),
    )  # fmt: skip
    engine = Engine("docker:apps", "apps", "apps", "ssh://x", containers=(container,))
    found = _findings((), engines=(engine,), rules=("container-anonymous-volume",))
    assert found == [
        (
            "docker:apps/db",
            "container 'db' keeps data in anonymous volume(s) at /data/0, /data/1: nothing names "
            "them, so no backup or re-create finds them again",
        )
    ]


def test_a_cluster_whose_jobs_are_unreadable_does_not_stop_the_next_cluster() -> None:
    from collector.correlation.inventory import Inventory
    from collector.model import Cluster
    from collector.rules import default_rule_settings, evaluate

    blind = Cluster("pve:a", "a", "a", guests=(_guest(100),), backup_jobs=None, backup_volumes=())
    seen = Cluster(
        "pve:b",
        "b",
        "b",
        guests=(replace(_guest(200), id="pve:b/qemu/200", cluster="b"),),
        backup_jobs=(_job(all=True),),
        backup_volumes=(),
    )
    settings = default_rule_settings()
    only = {k: replace(v, enabled=k == "backup-stale") for k, v in settings.items()}
    findings = evaluate(Inventory((blind, seen), (), ()), only, now_epoch=NOW)
    assert [f.subject for f in findings] == ["pve:b/qemu/200"]


def _undated(volid: str, vmid: int, subtype: str | None) -> BackupVolume:
    return BackupVolume(volid, "nas", vmid, None, subtype=subtype)


def test_undated_backups_are_the_guests_own_of_its_type() -> None:
    """PVE gave no creation time: the age cannot be judged, so backup-stale stays silent."""
    volumes = [
        _undated("nas:backup/vm-100", 100, "qemu"),
        _undated("nas:backup/ct-100", 100, "lxc"),
        _undated("nas:backup/unknown-100", 100, None),
        _undated("nas:backup/vm-101", 101, "qemu"),
        _vol("nas:backup/dated-100", 100, 50, "qemu", None),
    ]
    assert [v.volid for v in undated_backups(_guest(100), volumes)] == [
        "nas:backup/vm-100",
        "nas:backup/unknown-100",
    ]
    assert [v.volid for v in undated_backups(_guest(100, lxc=True), volumes)] == [
        "nas:backup/ct-100",
        "nas:backup/unknown-100",
    ]


def test_an_undated_backup_silences_only_its_own_guest() -> None:
    undated = _undated("nas:backup/vm-100", 100, "qemu")
    old = _vol("nas:backup/x", 101, NOW - 9 * DAY, "qemu", None)
    jobs = (_job(all=True, storage="nas"),)
    found = _findings((_guest(100), _guest(101)), jobs=jobs, volumes=(undated, old))
    assert [s for s, _ in found] == ["pve:lab/qemu/101"]
