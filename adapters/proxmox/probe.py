"""``collect doctor`` for a PVE source: can we connect, log in, and read everything we need?

Three steps: ``GET version`` (reachable, TLS, credentials), ``GET access/permissions``
(allowed to every user and token for itself: the effective privileges per ACL path, always
including ``/``, ``/vms``, ``/storage``, ``/pool``, ``/nodes``; a privilege granted only below
the path, e.g. ``/vms/100``, is reported as partial), then the cluster-wide reads the report
makes (``ProxmoxAdapter.preflight``: nodes offline, listings failing).

Every verdict comes from the classification ``collect report`` uses (``Impact``, and the call
table in ``calls.py``): a missing privilege or a failing read is FAIL (NOT READY, exit 3) where
the report would exit 3, WARN where the report would only note a coverage gap.

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

from adapters.proxmox.adapter import ProxmoxAdapter
from adapters.proxmox.calls import (
    AGENT,
    AGENT_PRIVILEGE_BEFORE_9,
    AGENT_PRIVILEGE_PVE9,
    agent_privilege,
    privilege_impact,
)
from adapters.proxmox.client import PveSettings, open_client, trusted_cas
from adapters.proxmox.normalise import version_of
from adapters.proxmox.visibility import ALLOCATE, ALLOCATE_SPACE, VM_BACKUP, holds, permissions_of
from collector.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceResponseError,
)
from collector.model import Check, CheckState, Diagnosis, Impact, SourceKind


@dataclass(frozen=True, slots=True)
class Need:
    privilege: str
    path: str
    accepted: tuple[str, ...]
    purpose: str
    slot: str = ""
    """The privilege's key in the call table (``AGENT`` for the agent's); default: itself."""

    @property
    def impact(self) -> Impact:
        """What the report lacks without it (the worst impact among the calls needing it)."""
        return privilege_impact(self.slot or self.privilege)


def _agent_need(version: str | None) -> Need:
    purpose = "guest agent addresses (engine placement by IP)"
    agent = agent_privilege(version)
    if agent == AGENT_PRIVILEGE_BEFORE_9:
        return Need(agent, "/vms", (agent,), purpose, AGENT)
    unrestricted = "VM.GuestAgent.Unrestricted"
    if agent == AGENT_PRIVILEGE_PVE9:
        return Need(agent, "/vms", (agent, unrestricted), purpose, AGENT)
    return Need(
        f"{AGENT_PRIVILEGE_PVE9} or {AGENT_PRIVILEGE_BEFORE_9}",
        "/vms",
        (AGENT_PRIVILEGE_PVE9, unrestricted, AGENT_PRIVILEGE_BEFORE_9),
        f"{purpose}; the PVE version is unknown: PVE 9 needs {AGENT_PRIVILEGE_PVE9}, PVE 8 "
        f"and older {AGENT_PRIVILEGE_BEFORE_9}",
        AGENT,
    )


def needed_privileges(version: str | None) -> tuple[Need, ...]:
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
        _agent_need(version),
    )


def _has(privileges: Any, accepted: tuple[str, ...]) -> bool:
    return isinstance(privileges, Mapping) and any(p in privileges for p in accepted)


def judge(permissions: Mapping[str, Any], need: Need) -> Check:
    """OK when granted on the path or an ancestor, WARN when only below it; else what the
    report would lack without it (FAIL for a source or inventory lost, WARN for coverage)."""
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
    cost = "the report fails" if need.impact.incomplete else "a coverage gap in the report"
    return Check.judged(
        name,
        need.impact,
        f"missing ({cost}): grant it on {need.path} to read {need.purpose} "
        "(see docs/reliability.md)",
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
    """Connect, log in, read the version, the token's own permissions and the cluster-wide
    answers; never raises."""
    checks: list[Check] = []

    def done() -> Diagnosis:
        return Diagnosis(cfg.name, SourceKind.PROXMOX, tuple(checks))

    where = f"{cfg.scheme}://{cfg.host}:{cfg.port}"
    who = f"token {cfg.user}!{cfg.token_name}" if cfg.token_name else f"user {cfg.user}"
    version_error: SourceError | None = None
    try:
        api, _ = open_client(cfg, secret)
        try:
            version_answer = api.get("version")
        except SourceResponseError as exc:  # it answered, with an error or garbage
            version_answer, version_error = None, exc
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
    version = version_of(version_answer)
    if version is not None:
        checks.append(Check("version", CheckState.OK, f"PVE {version}"))
    else:
        why = str(version_error) if version_error else "GET version answered without a version"
        checks.append(
            Check.judged(
                "version",
                Impact.COVERAGE,
                f"unknown ({why}); which privilege guest-agent reads need depends on it",
            )
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
    checks += _cluster_reads(ProxmoxAdapter(cfg.name, api, concurrency=cfg.concurrency))
    return done()


def _cluster_reads(adapter: ProxmoxAdapter) -> list[Check]:
    """The report's cluster-wide reads, judged as the report judges them."""
    status = adapter.preflight()
    if status.error is not None:
        return [Check.judged("cluster reads", Impact.FATAL, status.error)]
    found = [
        Check.judged(f"{gap.what} ({gap.subject})", gap.impact, gap.reason)
        for gap in status.gaps
        if gap.what != "version"  # shown above
    ]
    return found or [Check("cluster reads", CheckState.OK, "every cluster-wide GET answered")]
