"""Which backup volumes PVE's storage content listing shows a token, from ``/access/permissions``.

``GET /nodes/{node}/storage/{storage}/content`` passes every volume through pve-storage's
``check_volume_access`` (``src/PVE/Storage.pm``, pve-storage 9.1.7) and silently leaves out
those that fail: a backup volume is listed only with

- ``Datastore.Allocate`` on ``/storage/<storage>``, or
- ``Datastore.AllocateSpace`` on ``/storage/<storage>`` **and** ``VM.Backup`` on
  ``/vms/<vmid>`` of the guest it belongs to.

``Datastore.Audit`` (``PVEAuditor``, the project's read-only role) passes the endpoint's own
check but none of these, so such a token gets an empty list and no error.

``/access/permissions`` (pve-access-control ``get_effective_permissions``) answers the token's
effective privileges for ``/``, ``/storage``, ``/vms`` and every path named by an ACL or a pool
(so pool members' ``/vms/<vmid>``), as ``{path: {privilege: propagates}}``; a path without any
privilege is left out. A path it does not name has what propagates from its parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adapters.common.unread import Unread, json_type
from collector.model import BackupVisibility

Permissions = Mapping[str, Mapping[str, Any]]

ALLOCATE = "Datastore.Allocate"
ALLOCATE_SPACE = "Datastore.AllocateSpace"
VM_BACKUP = "VM.Backup"


def permissions_of(answer: Any, unread: Unread | None = None) -> dict[str, dict[str, bool]] | None:
    """The answer as ``{path: {privilege: propagates}}``; None when it is not that shape. A path
    whose privileges are not an object is left out (fewer privileges: more guests count as
    hidden, so the backup rules claim less) and noted in ``unread``."""
    if not isinstance(answer, Mapping):
        return None
    out: dict[str, dict[str, bool]] = {}
    for path, privileges in answer.items():
        if isinstance(path, str) and isinstance(privileges, Mapping):
            flags = {str(k): v for k, v in privileges.items() if isinstance(v, bool | int)}
            if unread is not None and len(flags) != len(privileges):
                unread.note(f"{path}: a privilege that is not 0/1")
            out[path] = {k: bool(v) for k, v in flags.items()}
        elif unread is not None:
            unread.drop(f"{path} ({json_type(privileges)})")
    return out


def holds(permissions: Permissions, path: str, privilege: str) -> bool:
    """Whether the token has ``privilege`` on ``path`` (``/storage/x`` or ``/vms/100``)."""
    if path in permissions:
        return privilege in permissions[path]
    # Not named: no ACL and no pool there, so only what propagates from the parent applies.
    # ``/storage`` and ``/vms`` are always evaluated, so a parent that is not named has no
    # privilege to pass on.
    parent = path.rsplit("/", 1)[0] or "/"
    return parent != path and bool(permissions.get(parent, {}).get(privilege))


def backup_visibility(
    permissions: Permissions, storage: str, vmids: Iterable[int]
) -> BackupVisibility:
    """What the content listing of ``storage`` shows, for the guests ``vmids``."""
    allocate = holds(permissions, f"/storage/{storage}", ALLOCATE)
    space = holds(permissions, f"/storage/{storage}", ALLOCATE_SPACE)
    if allocate:
        hidden: tuple[int, ...] = ()
    elif space:
        hidden = tuple(
            v for v in sorted(set(vmids)) if not holds(permissions, f"/vms/{v}", VM_BACKUP)
        )
    else:
        hidden = tuple(sorted(set(vmids)))
    return BackupVisibility(storage, allocate, space, hidden)
