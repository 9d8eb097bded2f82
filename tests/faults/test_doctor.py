"""``collect doctor``: reachability, TLS, login, version and missing privileges, per source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.proxmox.probe import backup_visibility_check, judge, needed_privileges
from collector.model import CheckState
from tests.faults.lab import AUDITOR_PERMISSIONS, build_lab, docker_toml, invoke, pve_toml
from tests.support.certs import ServerCerts
from tests.support.docker_server import DockerServer
from tests.support.pve_server import PveServer

FULL_9 = {**AUDITOR_PERMISSIONS, "/vms": {"VM.Audit": 1, "VM.GuestAgent.Audit": 1}}


def _doctor(
    tmp_path: Path,
    certs: ServerCerts,
    engine: DockerServer,
    permissions: Any,
    *,
    version: str = "9.1.3",
    secret: str | None = None,
) -> tuple[int, str, str]:
    lab = build_lab(tmp_path / "lab", permissions=permissions)
    (lab / "pve/lab/version.json").write_text(json.dumps({"version": version, "release": "x"}))
    with PveServer(lab / "pve" / "lab", certs=certs) as pve:
        text = pve_toml(pve.port, pve.ca_path) + docker_toml(engine.url)
        kwargs = {"secret": secret} if secret else {}
        result = invoke(tmp_path, text, "doctor", **kwargs)
        assert {r.method for r in pve.request_log} <= {"GET"}
    return result


def test_everything_granted_is_ready(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    code, out, err = _doctor(tmp_path, certs, engine, FULL_9)
    assert code == 0, out + err
    assert "proxmox 'lab': ready" in out and "docker 'apps': ready" in out
    assert "PVE 9.1.3" in out and "certificate verified against ca_bundle" in out
    assert "VM.GuestAgent.Audit on /vms" in out and "FAIL" not in out
    assert "2/2 sources ready" in out


def test_pveauditor_on_pve9_misses_the_agent_privilege(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    """A warning, not NOT READY: the report treats refused agent reads as a coverage gap."""
    code, out, _ = _doctor(tmp_path, certs, engine, AUDITOR_PERMISSIONS)
    assert code == 0, out
    (line,) = [x for x in out.splitlines() if "VM.GuestAgent.Audit on /vms" in x]
    assert "WARN" in line and "missing (a coverage gap in the report)" in line
    assert "proxmox 'lab': ready" in out and "docker 'apps': ready" in out


@pytest.mark.parametrize(("extra", "mark"), [({"VM.Monitor": 1}, "ok  "), ({}, "WARN")])
def test_pve8_needs_vm_monitor_for_the_agent(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer, extra: dict[str, int], mark: str
) -> None:
    permissions = {**AUDITOR_PERMISSIONS, "/vms": {"VM.Audit": 1, **extra}}
    got, out, _ = _doctor(tmp_path, certs, engine, permissions, version="8.4.1")
    assert got == 0, out
    (line,) = [x for x in out.splitlines() if "VM.Monitor on /vms" in x]
    assert line.startswith(f"  {mark}") and "GuestAgent" not in out


def test_bad_token_is_an_auth_failure(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    code, out, _ = _doctor(tmp_path, certs, engine, FULL_9, secret="not-the-secret")
    assert code == 3
    (line,) = [x for x in out.splitlines() if " auth " in x]
    assert "FAIL" in line and "401" in line


def test_unreachable_sources(tmp_path: Path, free_port: int) -> None:
    text = pve_toml(free_port, None) + docker_toml(f"unix://{tmp_path}/none.sock")
    code, out, _ = invoke(tmp_path, text, "doctor")
    assert code == 3
    assert "connection refused" in out and "cannot connect to the engine" in out
    assert "0/2 sources ready" in out


def test_socket_proxy_refusing_an_endpoint(
    tmp_path: Path, lab: Path, free_port: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The listing is the engine's inventory: refused, the engine is not ready (the report
    would fail this source too). ``/info`` refused is only a warning: test_doctor_agrees.py."""
    root = build_lab(tmp_path_factory.mktemp("proxied")) / "docker" / "apps"
    (root / "containers.json").unlink()
    (root / "containers.error.json").write_text(json.dumps({"status": 403, "message": "Forbidden"}))
    with DockerServer(root) as engine:
        code, out, _ = invoke(tmp_path, docker_toml(engine.url), "doctor")
    assert code == 3
    (line,) = [x for x in out.splitlines() if "GET /containers/json " in x]
    assert "FAIL" in line and "socket proxy" in line
    assert "GET /info" in out


def test_config_problems_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, docker_toml("tcp://127.0.0.1:2375"), "doctor")
    assert code == 2 and "allow_plain_tcp" in err
    code, _, err = invoke(tmp_path, pve_toml(8006, None), "doctor", secret="")
    assert code == 2 and "FAULT_PVE_SECRET" in err


def test_privilege_granted_only_below_the_path_is_partial() -> None:
    (vm_audit,) = [n for n in needed_privileges("9.0.1") if n.privilege == "VM.Audit"]
    check = judge({"/": {}, "/vms/100": {"VM.Audit": 1}}, vm_audit)
    assert check.state is CheckState.WARN and "/vms/100" in check.detail
    assert judge({"/": {"VM.Audit": 1}}, vm_audit).state is CheckState.OK  # inherited
    assert judge({"/": {"Sys.Audit": 1}}, vm_audit).state is CheckState.FAIL


def test_the_read_only_role_is_ready_but_told_that_pve_hides_its_backups(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    code, out, _ = _doctor(tmp_path, certs, engine, FULL_9)
    assert code == 0  # a warning: the collector works, backup ages stay unknown
    (line,) = [x for x in out.splitlines() if "backup volumes visible" in x]
    assert "WARN" in line
    assert (
        "PVE hides backups from this token: it lists a backup only with Datastore.Allocate on the "
        "storage, or Datastore.AllocateSpace on it and VM.Backup on the guest; backup ages stay "
        "unknown (backup-stale is silent, backup-missing still works); grant "
        "Datastore.AllocateSpace on the backup storages and VM.Backup on /vms (they also let the "
        "token start backups and allocate space there), or read the backups from a Proxmox "
        "Backup Server with a read-only [[pbs]] source (docs/reliability.md)"
    ) in line


def test_allocate_space_and_vm_backup_make_the_backups_visible(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    granted = {
        **FULL_9,
        "/storage": {"Datastore.Audit": 1, "Datastore.AllocateSpace": 1},
        "/vms": {"VM.Audit": 1, "VM.GuestAgent.Audit": 1, "VM.Backup": 1},
    }
    code, out, _ = _doctor(tmp_path, certs, engine, granted)
    assert code == 0
    (line,) = [x for x in out.splitlines() if "backup volumes visible" in x]
    assert "ok" in line and "listed" in line


def test_allocate_space_on_some_storages_only_is_named() -> None:
    check = backup_visibility_check(
        {"/vms": {"VM.Backup": 1}, "/storage/nas": {"Datastore.AllocateSpace": 1}}
    )
    assert check.state is CheckState.WARN
    assert "(Datastore.AllocateSpace only on nas)" in check.detail


@pytest.mark.parametrize(("extra", "mark"), [({"VM.Monitor": 1}, "ok  "), ({}, "WARN")])
def test_version_unknown_says_so_and_accepts_either_agent_privilege(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer, extra: dict[str, int], mark: str
) -> None:
    """GET version answers 500: the doctor cannot know PVE 8 from 9, and says that."""
    lab = build_lab(
        tmp_path / "lab", permissions={**AUDITOR_PERMISSIONS, "/vms": {"VM.Audit": 1, **extra}}
    )
    with PveServer(lab / "pve" / "lab", certs=certs) as pve:
        pve.add_fault("version", "error", status=500, message="internal error")
        code, out, _ = invoke(
            tmp_path, pve_toml(pve.port, pve.ca_path) + docker_toml(engine.url), "doctor"
        )
    assert code == 0, out
    (version,) = [x for x in out.splitlines() if "GET version" in x]
    assert version.startswith("  WARN  version")
    assert "unknown (lab: GET version: 500 internal error)" in version
    (line,) = [x for x in out.splitlines() if "VM.GuestAgent.Audit or VM.Monitor on /vms" in x]
    assert line.startswith(f"  {mark}")
    assert (
        "the PVE version is unknown: PVE 9 needs VM.GuestAgent.Audit, PVE 8 and older VM.Monitor"
        in line
    )
