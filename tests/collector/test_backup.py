"""Backup job resolution and matching (``collector.correlation.backup_jobs``), one rule of
vzdump per case."""

from __future__ import annotations

from dataclasses import replace

import pytest

from collector.correlation.backup_jobs import backups_of, coverage, foreign_backups, volume_kind
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
    assert "listed by PVE as not backed up although job(s) 'all' seem to include it" in message


def test_unreadable_jobs_claim_only_what_pve_lists() -> None:
    assert _missing(None, ()) == []
    assert _missing(None, None) == []
    (message,) = _missing(None, (100,))
    assert "listed by PVE as not backed up (the backup jobs could not be read)" in message


def test_uncovered_guest_message_says_why() -> None:
    (message,) = _missing((_job(id="off", enabled=False, vmids=(100,)),), ())
    assert message == "VM 100 'g100' is only in disabled backup job(s) 'off'"
