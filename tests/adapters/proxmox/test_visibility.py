"""Which backup volumes PVE's content listing shows a token (pve-storage ``check_volume_access``),
worked out from ``/access/permissions`` as PVE answers it (``{path: {privilege: propagates}}``)."""

from __future__ import annotations

from adapters.proxmox.visibility import backup_visibility, holds, permissions_of
from collector.model import BackupVisibility

AUDIT = {"Datastore.Audit": 1, "VM.Audit": 1}


def test_a_path_not_named_has_what_propagates_from_its_parent() -> None:
    perms = permissions_of({"/storage": {"Datastore.AllocateSpace": 1, "Datastore.Audit": 0}})
    assert perms is not None
    assert holds(perms, "/storage/nas", "Datastore.AllocateSpace") is True
    assert holds(perms, "/storage/nas", "Datastore.Audit") is False  # set without propagation
    assert holds(perms, "/storage", "Datastore.Audit") is True


def test_a_named_path_is_authoritative_even_when_the_parent_grants_more() -> None:
    # A pool member's /vms/<vmid> is always named; without VM.Backup there it has none.
    perms = permissions_of({"/vms": {"VM.Backup": 1, **AUDIT}, "/vms/100": AUDIT})
    assert perms is not None
    assert holds(perms, "/vms/100", "VM.Backup") is False
    assert holds(perms, "/vms/101", "VM.Backup") is True


def test_an_answer_that_is_not_a_map_is_unknown() -> None:
    assert permissions_of(["/"]) is None and permissions_of(None) is None


def test_datastore_allocate_shows_every_backup() -> None:
    perms = {"/storage/pbs": {"Datastore.Allocate": True}}
    assert backup_visibility(perms, "pbs", [100, 200]) == BackupVisibility("pbs", True, False, ())


def test_allocate_space_shows_the_guests_with_vm_backup_only() -> None:
    perms = {"/storage": {"Datastore.AllocateSpace": 1}, "/vms/100": {"VM.Backup": 1}}
    seen = backup_visibility(perms, "nas", [200, 100, 300, 100])
    assert seen == BackupVisibility("nas", False, True, (200, 300))
    assert not seen.hides_all


def test_the_read_only_role_sees_no_backup_at_all() -> None:
    role = {"Sys.Audit": 1, "VM.Audit": 1, "Datastore.Audit": 1, "Pool.Audit": 1}
    perms = {"/": role, "/storage": role, "/vms": {**role, "VM.Backup": 1}}
    seen = backup_visibility(perms, "pbs", [101, 100])
    assert seen == BackupVisibility("pbs", False, False, (100, 101))
    assert seen.hides_all
