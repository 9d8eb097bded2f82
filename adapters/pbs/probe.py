"""``collect doctor`` for a PBS source: reachable, certificate, token, version, privileges.

The collector needs, on PBS (``docs/pbs-api.md``, "Privileges"):

=================  ==========  ================================================================
privilege          ACL path    used for
=================  ==========  ================================================================
Datastore.Audit    /datastore  datastores, usage, snapshots and their verification, verify /
                               prune / GC jobs (role ``DatastoreAudit``)
Remote.Audit       /remote     sync jobs that pull from a remote (role ``RemoteAudit``); without
                               it PBS leaves them out of the list
=================  ==========  ================================================================

PBS filters lists silently, so a token without ``Datastore.Audit`` sees an empty server, not an
error: doctor reads ``/access/permissions`` (every token may read its own) to say so.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.common.transport import ca_path
from adapters.pbs.client import PbsSettings, open_client
from adapters.pbs.normalise import datastores_of, held_on, privileges_of, version_of
from collector.errors import SourceAuthError, SourceConnectionError, SourceError
from collector.model import Check, CheckState, Diagnosis, SourceKind

GRANT = (
    "proxmox-backup-manager acl update {path} {role} --auth-id '{token}' (and the same for "
    "its user)"
)


def _tls_check(cfg: PbsSettings) -> Check:
    if cfg.fingerprint:
        return Check("tls", CheckState.OK, f"certificate pinned by fingerprint {cfg.fingerprint}")
    if not cfg.verify_ssl:
        return Check("tls", CheckState.WARN, "certificate NOT verified (verify_ssl = false)")
    anchor = (
        f"ca_bundle {cfg.ca_bundle}" if cfg.ca_bundle else f"the CA bundle {ca_path(True, None)}"
    )
    return Check("tls", CheckState.OK, f"certificate verified against {anchor}")


def _privilege(
    privileges: Mapping[str, set[str]],
    cfg: PbsSettings,
    path: str,
    privilege: str,
    role: str,
    purpose: str,
    missing: CheckState,
) -> Check:
    name = f"{privilege} on {path}"
    if held_on(privileges, path, privilege):
        return Check(name, CheckState.OK, f"granted ({purpose})")
    below = sorted(
        p for p, privs in privileges.items() if p.startswith(path + "/") and privilege in privs
    )
    grant = GRANT.format(path=path, role=role, token=cfg.token_id)
    if below:
        return Check(
            name,
            CheckState.WARN,
            f"only on {', '.join(below)}: the rest stays invisible ({purpose}); {grant}",
        )
    return Check(
        name, missing, f"missing: PBS leaves out what it may not show ({purpose}); {grant}"
    )


def diagnose_pbs(cfg: PbsSettings, secret: str) -> Diagnosis:
    """Connect, check the token, read the version and the token's own privileges; never raises."""
    checks: list[Check] = []

    def done() -> Diagnosis:
        return Diagnosis(cfg.name, SourceKind.PBS, tuple(checks))

    where = f"https://{cfg.host}:{cfg.port}"
    api = open_client(cfg, secret)
    try:
        version = version_of(api.get("version"))
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
    checks.append(Check("auth", CheckState.OK, f"token {cfg.token_id} accepted"))
    checks.append(
        Check("version", CheckState.OK if version else CheckState.WARN, f"PBS {version or '?'}")
    )
    try:
        privileges = privileges_of(api.get("access/permissions"))
    except SourceError as exc:
        checks.append(Check("permissions", CheckState.FAIL, f"cannot list own privileges: {exc}"))
        return done()
    if privileges is None:
        checks.append(Check("permissions", CheckState.FAIL, "access/permissions is not a map"))
        return done()
    checks.append(
        _privilege(
            privileges,
            cfg,
            "/datastore",
            "Datastore.Audit",
            "DatastoreAudit",
            "datastores, snapshots, verification, jobs",
            CheckState.FAIL,
        )
    )
    checks.append(
        _privilege(
            privileges,
            cfg,
            "/remote",
            "Remote.Audit",
            "RemoteAudit",
            "sync jobs pulling from a remote",
            CheckState.WARN,
        )
    )
    try:
        stores = datastores_of(api.get("admin/datastore"))
    except SourceError as exc:
        checks.append(Check("datastores", CheckState.FAIL, str(exc)))
        return done()
    names = [name for name, _ in stores or ()]
    state = CheckState.OK if names else CheckState.WARN
    checks.append(Check("datastores", state, f"{len(names)} visible: {', '.join(names) or '-'}"))
    return done()
