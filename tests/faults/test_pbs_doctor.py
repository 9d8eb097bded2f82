"""``collect doctor`` for a ``[[pbs]]`` source against the PBS test server: reachable,
certificate, token, version, and the two privileges the collector needs there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from tests.support.pbs_acl import AclEntry
from tests.support.pbs_server import DEFAULT_TOKEN_ID, DEFAULT_TOKEN_SECRET, PbsServer

LAB = Path(__file__).resolve().parents[2] / "fixtures" / "pbs" / "lab"


@pytest.fixture
def pbs() -> Iterator[PbsServer]:
    with PbsServer(LAB) as server:
        yield server


def _doctor(tmp_path: Path, pbs: PbsServer, secret: str = DEFAULT_TOKEN_SECRET) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[pbs]]\nname = "backup"\nhost = "{pbs.host}"\nport = {pbs.port}\n'
        f'token_id = "{DEFAULT_TOKEN_ID}"\ntoken_secret_env = "PBS_SECRET"\n'
        f'ca_bundle = "{pbs.ca_path}"\ntimeout = 5\n'
    )
    result = CliRunner().invoke(app, ["doctor", "-c", str(config)], env={"PBS_SECRET": secret})
    assert not isinstance(result.exception, Exception), result.output
    assert {r.method for r in pbs.request_log} <= {"GET"}
    return result.exit_code, result.stdout


def _line(out: str, name: str) -> str:
    (line,) = [x for x in out.splitlines() if f" {name} " in x]
    return line


def test_the_documented_token_is_ready(tmp_path: Path, pbs: PbsServer) -> None:
    code, out = _doctor(tmp_path, pbs)
    assert code == 0, out
    assert "pbs 'backup': ready" in out and "1/1 sources ready" in out
    assert "PBS 4.1.4" in out and f"certificate verified against ca_bundle {pbs.ca_path}" in out
    assert "granted (datastores, snapshots, verification, jobs)" in _line(
        out, "Datastore.Audit on /datastore"
    )
    assert "ok" in _line(out, "Remote.Audit on /remote")
    assert "2 visible: backup, offsite" in _line(out, "datastores")


def test_without_remote_audit_sync_jobs_from_remotes_are_a_warning(
    tmp_path: Path, pbs: PbsServer
) -> None:
    pbs.set_acl(DEFAULT_TOKEN_ID, [AclEntry("/datastore", "DatastoreAudit")])
    code, out = _doctor(tmp_path, pbs)
    assert code == 0
    line = _line(out, "Remote.Audit on /remote")
    assert (
        "WARN" in line
        and (
            "missing: PBS leaves out what it may not show (sync jobs pulling from a remote); "
            f"proxmox-backup-manager acl update /remote RemoteAudit --auth-id '{DEFAULT_TOKEN_ID}' "
            "(and the same for its user)"
        )
        in line
    )


def test_without_datastore_audit_the_source_is_not_ready(tmp_path: Path, pbs: PbsServer) -> None:
    pbs.set_acl(DEFAULT_TOKEN_ID, [AclEntry("/datastore/offsite", "DatastoreAudit")])
    code, out = _doctor(tmp_path, pbs)
    assert code == 0  # only below the path: a warning, one datastore is visible
    assert "only on /datastore/offsite" in _line(out, "Datastore.Audit on /datastore")
    assert "1 visible: offsite" in out
    pbs.set_acl(DEFAULT_TOKEN_ID, [])
    code, out = _doctor(tmp_path, pbs)
    assert code == 3
    assert "FAIL" in _line(out, "Datastore.Audit on /datastore")
    assert "pbs 'backup': NOT READY" in out


def test_a_wrong_secret_fails_auth_and_is_never_printed(tmp_path: Path, pbs: PbsServer) -> None:
    code, out = _doctor(tmp_path, pbs, secret="wrong-secret-value")
    assert code == 3
    line = _line(out, "auth")
    assert "FAIL" in line and "401 authentication failed" in line
    assert "wrong-secret-value" not in out and DEFAULT_TOKEN_SECRET not in out
