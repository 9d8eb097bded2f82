"""``collect doctor`` for a PVE source: can we connect, log in, and read everything we need?

The privileges the collector needs, per PVE version (from the API schema's permission checks,
``/work/shared/reference/proxmox-api/endpoints.md``):

=====================  ========  ================================================================
privilege              ACL path  used for
=====================  ========  ================================================================
Sys.Audit              /         cluster/status, cluster/ha/resources, cluster/backup,
                                 cluster/backup-info/not-backed-up
VM.Audit               /vms      guests in cluster/resources, qemu/lxc config, lxc interfaces
Datastore.Audit        /storage  storage content (backup volumes); Datastore.AllocateSpace also
                                 passes the check
Pool.Audit             /pool     pools
VM.GuestAgent.Audit    /vms      PVE >= 9: agent/network-get-interfaces (or ...Unrestricted)
VM.Monitor             /vms      PVE < 9: the same agent call
=====================  ========  ================================================================

``GET /access/permissions`` (allowed to every user and token for itself) returns the effective
privileges per ACL path, always including ``/``, ``/vms``, ``/storage``, ``/pool``, ``/nodes``;
a privilege granted only below the path (``/vms/100``) is reported as partial.

Backup volumes are a case apart (``visibility.py``): ``Datastore.Audit`` lets the collector
list a storage, but PVE then leaves out every backup unless the token also holds
``Datastore.AllocateSpace`` there and ``VM.Backup`` on the guest (or ``Datastore.Allocate``).
The read-only role lacks them on purpose, so doctor warns (it does not fail) and names both ways
out: grant them, or read the backups from a Proxmox Backup Server with a ``[[pbs]]`` source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.proxmox.client import PveSettings, open_client, trusted_cas
from adapters.proxmox.normalise import agent_privilege
from adapters.proxmox.visibility import ALLOCATE, ALLOCATE_SPACE, VM_BACKUP, holds, permissions_of
from collector.errors import SourceAuthError, SourceConnectionError, SourceError
from collector.model import Check, CheckState, Diagnosis, SourceKind


@dataclass(frozen=True, slots=True)
class Need:
    privilege: str
    path: str
    accepted: tuple[str, ...]
    purpose: str


def needed_privileges(version: str | None) -> tuple[Need, ...]:
    agent = agent_privilege(version)
    accepted = (agent,) if agent == "VM.Monitor" else (agent, "VM.GuestAgent.Unrestricted")
    return (
        Need("Sys.Audit", "/", ("Sys.Audit",), "cluster status, HA, backup jobs"),
        Need("VM.Audit", "/vms", ("VM.Audit",), "guest list, guest configs, LXC addresses"),
        Need(
            "Datastore.Audit",
            "/storage",
            ("Datastore.Audit", "Datastore.AllocateSpace"),
            "backup volumes on storages",
        ),
        Need("Pool.Audit", "/pool", ("Pool.Audit",), "pool names"),
        Need(agent, "/vms", accepted, "guest agent addresses (engine placement by IP)"),
    )


def _has(privileges: Any, accepted: tuple[str, ...]) -> bool:
    return isinstance(privileges, Mapping) and any(p in privileges for p in accepted)


def judge(permissions: Mapping[str, Any], need: Need) -> Check:
    """OK when granted on the path or an ancestor, WARN when only below it, else FAIL."""
    name = f"{need.privilege} on {need.path}"
    path = need.path
    while True:
        if _has(permissions.get(path), need.accepted):
            return Check(name, CheckState.OK, f"granted ({need.purpose})")
        if path == "/":
            break
        path = path.rsplit("/", 1)[0] or "/"
    below = sorted(
        p
        for p, privs in permissions.items()
        if p.startswith(need.path + "/") and _has(privs, need.accepted)
    )
    if below:
        shown = ", ".join(below[:5]) + (" ..." if len(below) > 5 else "")
        return Check(
            name, CheckState.WARN, f"only on {shown}: other objects stay invisible ({need.purpose})"
        )
    return Check(
        name,
        CheckState.FAIL,
        f"missing: grant it on {need.path} to read {need.purpose} (see docs/reliability.md)",
    )


BACKUP_VISIBILITY_ADVICE = (
    "grant Datastore.AllocateSpace on the backup storages and VM.Backup on /vms (they also let "
    "the token start backups and allocate space there), or read the backups from a Proxmox "
    "Backup Server with a read-only [[pbs]] source (docs/reliability.md)"
)


def backup_visibility_check(permissions: Mapping[str, Any]) -> Check:
    """Whether PVE's content listings will show the token its backup volumes."""
    perms = permissions_of(permissions) or {}
    name = "backup volumes visible"
    if holds(perms, "/storage", ALLOCATE) or (
        holds(perms, "/storage", ALLOCATE_SPACE) and holds(perms, "/vms", VM_BACKUP)
    ):
        return Check(name, CheckState.OK, "Datastore.AllocateSpace and VM.Backup: listed")
    some = sorted(
        path.removeprefix("/storage/")
        for path in perms
        if path.startswith("/storage/")
        and (holds(perms, path, ALLOCATE) or holds(perms, path, ALLOCATE_SPACE))
    )
    where = f" (Datastore.AllocateSpace only on {', '.join(some)})" if some else ""
    return Check(
        name,
        CheckState.WARN,
        "PVE hides backups from this token: it lists a backup only with Datastore.Allocate on "
        "the storage, or Datastore.AllocateSpace on it and VM.Backup on the guest"
        f"{where}; backup ages stay unknown (backup-stale is silent, backup-missing still "
        f"works); {BACKUP_VISIBILITY_ADVICE}",
    )


def _tls_check(cfg: PveSettings) -> Check:
    if cfg.scheme == "http":
        return Check("tls", CheckState.WARN, "none: plain HTTP (allow_insecure_http = true)")
    if not cfg.verify_ssl:
        return Check("tls", CheckState.WARN, "certificate NOT verified (verify_ssl = false)")
    anchor = f"ca_bundle {cfg.ca_bundle}" if cfg.ca_bundle else f"the CA bundle {trusted_cas(cfg)}"
    return Check("tls", CheckState.OK, f"certificate verified against {anchor}")


def diagnose_proxmox(cfg: PveSettings, secret: str) -> Diagnosis:
    """Connect, log in, read the version and the token's own permissions; never raises."""
    checks: list[Check] = []

    def done() -> Diagnosis:
        return Diagnosis(cfg.name, SourceKind.PROXMOX, tuple(checks))

    where = f"{cfg.scheme}://{cfg.host}:{cfg.port}"
    who = f"token {cfg.user}!{cfg.token_name}" if cfg.token_name else f"user {cfg.user}"
    try:
        api, _ = open_client(cfg, secret)
        version_answer = api.get("version")
    except SourceConnectionError as exc:
        checks.append(Check("reachable", CheckState.FAIL, str(exc)))
        return done()
    except SourceAuthError as exc:
        checks += [Check("reachable", CheckState.OK, f"{where} answered"), _tls_check(cfg)]
        checks.append(Check("auth", CheckState.FAIL, str(exc)))
        return done()
    except SourceError as exc:
        checks.append(Check("reachable", CheckState.FAIL, str(exc)))
        return done()
    checks += [Check("reachable", CheckState.OK, f"{where} answered"), _tls_check(cfg)]
    checks.append(Check("auth", CheckState.OK, f"{who} accepted"))
    version = None
    if isinstance(version_answer, Mapping) and isinstance(version_answer.get("version"), str):
        version = version_answer["version"]
    checks.append(
        Check("version", CheckState.OK if version else CheckState.WARN, f"PVE {version or '?'}")
    )
    try:
        permissions = api.get("access/permissions")
    except SourceError as exc:
        checks.append(Check("permissions", CheckState.FAIL, f"cannot list own privileges: {exc}"))
        return done()
    if not isinstance(permissions, Mapping):
        checks.append(Check("permissions", CheckState.FAIL, "access/permissions is not a map"))
        return done()
    checks += [judge(permissions, need) for need in needed_privileges(version)]
    checks.append(backup_visibility_check(permissions))
    return done()
