"""What one PBS auth id gets to see of a recorded answer: PBS's per-endpoint privilege rules.

PBS checks privileges in two ways (sources cited in ``docs/pbs-api.md``):

- a *router* check declared on the method (``Permission::Privilege``): ``403 permission check
  failed`` before the handler runs, delayed by 0.5 s (only ``.../{store}/gc`` among ours);
- checks *inside* the handler: most list endpoints are ``Permission::Anybody`` and silently drop
  the entries the caller may not see; snapshots/groups refuse with ``403 permission check failed
  - missing Datastore.Audit|Datastore.Backup on /datastore/{store}[/{ns}]``, and status with
  ``403 permission check failed`` when nothing at all is visible.

``view(acl, auth_id, path, query, load)`` applies the rule for ``path`` to the answer ``load()``
returns (it raises ``LookupError`` for an unrecorded answer, or the server's recorded error) and
raises ``Denied`` where PBS answers 403. Paths without a rule are returned as recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tests.support.pbs_acl import NS_PRIVS_OK, Acl, namespace_acl_path

__all__ = ["Denied", "view"]

_AUDIT = "Datastore.Audit"
_AUDIT_OR_BACKUP = frozenset({_AUDIT, "Datastore.Backup"})
_STORE_PATH = re.compile(r"^admin/datastore/([^/]+)/(status|snapshots|groups|namespace|gc)$")

Item = dict[str, Any]


class Denied(Exception):
    """PBS's 403; ``router`` marks the router-level check (PBS delays that answer)."""

    def __init__(self, message: str = "permission check failed", router: bool = False) -> None:
        super().__init__(message)
        self.router = router


def _owns(auth_id: str, owner: str) -> bool:
    """``check_backup_owner``: the owner itself, or a user for the groups of its own tokens."""
    return owner == auth_id or ("!" not in auth_id and owner.split("!", 1)[0] == auth_id)


def _store_visibility(acl: Acl, auth_id: str, store: str) -> str | None:
    """ "full" with Audit or Backup on the store, "name" with any privilege on a namespace."""
    path = namespace_acl_path(store)
    if acl.privs(auth_id, path) & _AUDIT_OR_BACKUP:
        return "full"
    return "name" if acl.any_privs_below(auth_id, path, NS_PRIVS_OK) else None


def _store_answer(
    acl: Acl, auth_id: str, store: str, what: str, query: Mapping[str, str], load: Callable[[], Any]
) -> Any:
    store_path = namespace_acl_path(store)
    privs = acl.privs(auth_id, store_path)
    if what == "gc":  # Permission::Privilege(&["datastore", "{store}"], PRIV_DATASTORE_AUDIT)
        if _AUDIT not in privs:
            raise Denied(router=True)
        return load()
    if what == "status":
        if privs & _AUDIT_OR_BACKUP:
            return load()
        if "Datastore.Read" not in privs and not acl.any_privs_below(
            auth_id, store_path, NS_PRIVS_OK
        ):
            raise Denied()
        status = {k: v for k, v in load().items() if k != "gc-status"}
        return {**status, "total": 0, "used": 0, "avail": 0}  # counts only, no sizes
    if what == "namespace":
        return [
            item
            for item in load()
            if acl.privs(auth_id, namespace_acl_path(store, item["ns"])) & NS_PRIVS_OK
        ]
    # snapshots, groups: check_ns_privs_full(store, ns, AUDIT for all, BACKUP for owned groups)
    ns_path = namespace_acl_path(store, query.get("ns", ""))
    ns_privs = acl.privs(auth_id, ns_path)
    if not ns_privs & _AUDIT_OR_BACKUP:
        missing = "Datastore.Audit|Datastore.Backup"
        raise Denied(f"permission check failed - missing {missing} on {ns_path}")
    items = load()
    if _AUDIT in ns_privs:
        return items
    return [i for i in items if _owns(auth_id, str(i.get("owner", "")))]


def _list_filters(acl: Acl, auth_id: str) -> dict[str, Callable[[Item], Item | None]]:
    def datastore(item: Item) -> Item | None:
        seen = _store_visibility(acl, auth_id, item["store"])
        return item if seen == "full" else {**item, "comment": None} if seen else None

    def gc(item: Item) -> Item | None:
        return item if _store_visibility(acl, auth_id, item["store"]) else None

    def usage(item: Item) -> Item | None:
        seen = _store_visibility(acl, auth_id, item["store"])
        if seen != "name":
            return item if seen else None
        keep = ("store", "mount-status", "backend-type")  # DataStoreStatusListItem::empty
        return {k: v for k, v in item.items() if k in keep}

    def config(item: Item) -> Item | None:
        return item if _AUDIT in acl.privs(auth_id, namespace_acl_path(item["name"])) else None

    def job(*privs: str) -> Callable[[Item], Item | None]:
        def check(item: Item) -> Item | None:
            have = acl.privs(auth_id, namespace_acl_path(item["store"], item.get("ns", "")))
            return item if have & {_AUDIT, *privs} else None

        return check

    def sync(item: Item) -> Item | None:
        # check_sync_job_read_access: Audit on the target namespace, plus Remote.Audit on the
        # remote (pull from a remote) or Audit on the source datastore (local sync).
        if _AUDIT not in acl.privs(auth_id, namespace_acl_path(item["store"], item.get("ns", ""))):
            return None
        if item.get("remote"):
            source, wanted = f"/remote/{item['remote']}", "Remote.Audit"
        else:
            source, wanted = namespace_acl_path(item["remote-store"]), _AUDIT
        return item if wanted in acl.privs(auth_id, source) else None

    return {
        "admin/datastore": datastore,
        "admin/gc": gc,
        "status/datastore-usage": usage,
        "config/datastore": config,
        "admin/verify": job("Datastore.Verify"),
        "admin/prune": job("Datastore.Modify"),
        "admin/sync": sync,
    }


def view(
    acl: Acl, auth_id: str, path: str, query: Mapping[str, str], load: Callable[[], Any]
) -> Any:
    """The answer ``auth_id`` gets for ``GET /api2/json/<path>?<query>`` (see the module doc)."""
    if path == "access/permissions":
        return acl.permissions(query.get("auth-id") or auth_id, query.get("path"))
    if m := _STORE_PATH.match(path):
        return _store_answer(acl, auth_id, m[1], m[2], query, load)
    data = load()
    keep = _list_filters(acl, auth_id).get(path)
    if keep is None or not isinstance(data, list):
        return data
    return [item for item in map(keep, data) if item is not None]
