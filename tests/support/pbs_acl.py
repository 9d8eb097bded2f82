"""Proxmox Backup Server privileges, roles and ACL evaluation, for ``PbsServer``.

A faithful PBS test server has to answer a token limited to some paths the way PBS does: list
endpoints silently leave out what the token may not see, a few endpoints refuse with 403. That
needs PBS's own model, reproduced here from the sources cited in ``docs/pbs-api.md``:

- privilege names and the built-in roles: ``pbs-api-types/src/acl.rs``;
- evaluation (``AclTree::roles`` in ``pbs-config/src/acl.rs``): walk from ``/`` down the path; at
  each node that has entries for the auth id, those entries *replace* what was inherited;
  entries on an ancestor count only if they propagate; ``NoAccess`` wins at its node;
- ACL paths of namespaces (``BackupNamespace::acl_path``): ``/datastore/{store}/{ns...}``.

Simplification: a token's privileges are those of its own ACL entries. Real PBS also intersects
them with the owning user's privileges; tests that need a weaker user give the token less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

__all__ = [
    "DEFAULT_PATHS",
    "NS_PRIVS_OK",
    "PRIVILEGES",
    "ROLES",
    "Acl",
    "AclEntry",
    "namespace_acl_path",
]

# In PBS's bitmap order, which is also the order of names in its error messages
# ("missing Datastore.Audit|Datastore.Backup on ...").
PRIVILEGES: tuple[str, ...] = (
    "Sys.Audit",
    "Sys.Modify",
    "Sys.PowerManagement",
    "Datastore.Audit",
    "Datastore.Allocate",
    "Datastore.Modify",
    "Datastore.Read",
    "Datastore.Verify",
    "Datastore.Backup",
    "Datastore.Prune",
    "Permissions.Modify",
    "Remote.Audit",
    "Remote.Modify",
    "Remote.Read",
    "Remote.DatastoreBackup",
    "Remote.DatastoreModify",
    "Remote.DatastorePrune",
    "Sys.Console",
    "Tape.Audit",
    "Tape.Modify",
    "Tape.Write",
    "Tape.Read",
    "Realm.Allocate",
)

_DS_ADMIN = frozenset(
    f"Datastore.{p}" for p in ("Audit", "Modify", "Read", "Verify", "Backup", "Prune")
)
ROLES: dict[str, frozenset[str]] = {
    "Admin": frozenset(PRIVILEGES),
    "Audit": frozenset({"Sys.Audit", "Datastore.Audit"}),
    "NoAccess": frozenset(),
    "DatastoreAdmin": _DS_ADMIN,
    "DatastoreReader": frozenset({"Datastore.Audit", "Datastore.Verify", "Datastore.Read"}),
    "DatastoreBackup": frozenset({"Datastore.Backup"}),
    "DatastorePowerUser": frozenset({"Datastore.Prune", "Datastore.Backup"}),
    "DatastoreAudit": frozenset({"Datastore.Audit"}),
    "RemoteAudit": frozenset({"Remote.Audit"}),
    "RemoteAdmin": frozenset({"Remote.Audit", "Remote.Modify", "Remote.Read"}),
    "RemoteSyncOperator": frozenset({"Remote.Audit", "Remote.Read"}),
    "RemoteSyncPushOperator": frozenset({"Remote.Audit", "Remote.DatastoreBackup"}),
    "TapeAudit": frozenset({"Tape.Audit"}),
    "TapeAdmin": frozenset({"Tape.Audit", "Tape.Modify", "Tape.Read", "Tape.Write"}),
}

#: Any of these on a namespace makes it (and its datastore's name) visible (``NS_PRIVS_OK``).
NS_PRIVS_OK = frozenset(
    {"Datastore.Audit", "Datastore.Modify", "Datastore.Read", "Datastore.Backup"}
)
#: Paths ``GET /access/permissions`` reports even without an ACL entry on them.
DEFAULT_PATHS = ("/", "/access", "/datastore", "/remote", "/system")


class AclEntry(NamedTuple):
    """One line of ``acl.cfg`` for one auth id: ``acl:<propagate>:<path>:<auth id>:<role>``."""

    path: str
    role: str
    propagate: bool = True


def namespace_acl_path(store: str, ns: str = "") -> str:
    """``/datastore/{store}`` plus one component per namespace level."""
    return "/".join(["/datastore", store, *(c for c in ns.split("/") if c)])


def _components(path: str) -> list[str]:
    return [c for c in path.split("/") if c]


class Acl:
    """The ACL entries of every auth id, evaluated like PBS's ``CachedUserInfo::lookup_privs``."""

    def __init__(
        self, entries: Mapping[str, Iterable[AclEntry | tuple[str, str] | tuple[str, str, bool]]]
    ) -> None:
        self._entries: dict[str, tuple[AclEntry, ...]] = {}
        for auth_id, items in entries.items():
            parsed = tuple(AclEntry(*item) for item in items)
            for entry in parsed:
                if entry.role not in ROLES:
                    raise ValueError(f"unknown PBS role {entry.role!r}; use one of {list(ROLES)}")
                if not entry.path.startswith("/"):
                    raise ValueError(f"ACL path {entry.path!r} must start with '/'")
            self._entries[auth_id] = parsed

    def replaced(
        self, auth_id: str, entries: Iterable[AclEntry | tuple[str, str] | tuple[str, str, bool]]
    ) -> Acl:
        """A copy in which ``auth_id`` has exactly ``entries``."""
        return Acl({**self._entries, auth_id: tuple(entries)})

    def entries(self, auth_id: str) -> tuple[AclEntry, ...]:
        return self._entries.get(auth_id, ())

    def _roles(self, auth_id: str, path: str) -> dict[str, bool]:
        """Role -> propagate flag in effect at ``path`` (``AclTree::roles``)."""
        by_path: dict[tuple[str, ...], list[AclEntry]] = {}
        for entry in self.entries(auth_id):
            by_path.setdefault(tuple(_components(entry.path)), []).append(entry)
        target = _components(path)
        roles: dict[str, bool] = {}
        for depth in range(len(target) + 1):
            leaf = depth == len(target)
            here = [e for e in by_path.get(tuple(target[:depth]), ()) if e.propagate or leaf]
            if not here:
                continue
            if any(e.role == "NoAccess" for e in here):
                roles = {"NoAccess": False}
            else:
                roles = {e.role: e.propagate for e in here}
        return roles

    def privs(self, auth_id: str, path: str) -> frozenset[str]:
        """The privileges ``auth_id`` has on ``path``."""
        return frozenset().union(*(ROLES[r] for r in self._roles(auth_id, path)))

    def privs_with_propagation(self, auth_id: str, path: str) -> dict[str, bool]:
        """Privilege -> propagate bit, as ``GET /access/permissions`` reports them."""
        out: dict[str, bool] = {}
        for role, propagate in self._roles(auth_id, path).items():
            for priv in ROLES[role]:
                out[priv] = out.get(priv, False) or propagate
        return {p: out[p] for p in PRIVILEGES if p in out}

    def any_privs_below(self, auth_id: str, path: str, wanted: frozenset[str]) -> bool:
        """True if ``auth_id`` has one of ``wanted`` on ``path`` or on any path below it."""
        if self.privs(auth_id, path) & wanted:
            return True
        prefix = _components(path)
        return any(
            _components(e.path)[: len(prefix)] == prefix
            and len(_components(e.path)) > len(prefix)
            and self.privs(auth_id, e.path) & wanted
            for e in self.entries(auth_id)
        )

    def permissions(self, auth_id: str, path: str | None = None) -> dict[str, dict[str, bool]]:
        """The answer of ``GET /access/permissions[?path=]`` for ``auth_id``."""
        paths = {path} if path else {*DEFAULT_PATHS, *(e.path for e in self.entries(auth_id))}
        answer = {p: self.privs_with_propagation(auth_id, p) for p in sorted(paths)}
        return {p: privs for p, privs in answer.items() if privs}  # PBS hides empty paths
