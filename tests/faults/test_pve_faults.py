"""Fault matrix, Proxmox VE rows: real proxmoxer over HTTPS against ``PveServer``, real CLI.

Every test ends the same way: the report is written, the failing part is named, the rest (the
other node's guests, the Docker engine) is intact, and the exit code is 3 when a source or node
could not be read, 0/1 when only coverage narrowed. Rows are listed in docs/reliability.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.lab import (
    GUESTS_ON_PVE2,
    VMS_ON_PVE1,
    assert_docker_intact,
    assert_pve_intact,
    build_lab,
    docker_toml,
    pve_toml,
    run_report,
)
from tests.support.certs import ServerCerts, issue_server, make_ca
from tests.support.docker_server import DockerServer
from tests.support.pve_server import DEFAULT_PASSWORD, PveServer


def _config(pve: PveServer, engine: DockerServer, **kw: object) -> str:
    return pve_toml(pve.port, pve.ca_path, **kw) + docker_toml(engine.url)  # type: ignore[arg-type]


def test_healthy_lab_is_complete(tmp_path: Path, pve: PveServer, engine: DockerServer) -> None:
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 1, outcome.stderr
    assert outcome.doc["summary"]["complete"] is True
    assert_pve_intact(outcome, VMS_ON_PVE1 + GUESTS_ON_PVE2)
    assert_docker_intact(outcome)
    assert pve.requests_by_endpoint(method=None).get("access/ticket", 0) == 0  # token: no POST
    assert {r.method for r in pve.request_log} == {"GET"}


def test_node_offline_names_node_and_keeps_the_other(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    lab = build_lab(tmp_path / "lab", offline=("pve2",))
    with PveServer(lab / "pve" / "lab", certs=certs, offline_nodes=("pve2",)) as pve:
        outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    (gap,) = outcome.gaps("lab", "node")
    assert gap["subject"] == "pve:lab/node/pve2" and gap["incomplete"] is True
    assert "offline" in gap["reason"]
    for guest in GUESTS_ON_PVE2:  # listed by cluster/resources, state unknown
        assert outcome.item(guest)["state"] == "unknown"
    assert_pve_intact(outcome)
    assert_docker_intact(outcome)


def test_node_unreachable_behind_proxy_595(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    """cluster/status still says online, but pveproxy cannot forward to the node."""
    pve.set_node_offline("pve2")
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    gaps = {g["subject"]: g for g in outcome.gaps("lab", "config")}
    assert set(gaps) == set(GUESTS_ON_PVE2)
    assert all("595" in g["reason"] and g["incomplete"] for g in gaps.values())
    assert_pve_intact(outcome)
    assert_docker_intact(outcome)


def test_guest_agent_timeout_is_a_coverage_gap_not_incomplete(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    fault = pve.add_fault("nodes/pve1/qemu/102/agent/*", "hang", seconds=5)
    outcome = run_report(tmp_path, _config(pve, engine, agent_timeout=0.5))
    assert outcome.code == 1, outcome.stderr  # complete, not 3: only coverage narrowed
    assert outcome.doc["summary"]["complete"] is True
    (gap,) = outcome.gaps("lab", "agent")
    assert gap["subject"] == "pve:lab/qemu/102" and gap["incomplete"] is False
    assert "timed out" in gap["reason"]
    assert fault.fired == 1  # agent calls are never retried
    assert_pve_intact(outcome, ("pve:lab/qemu/100", "pve:lab/lxc/200", *GUESTS_ON_PVE2))
    assert_docker_intact(outcome)
    assert outcome.seconds < 4


@pytest.mark.parametrize("auth", ["token", "password"])
def test_bad_credentials_401(
    tmp_path: Path, pve: PveServer, engine: DockerServer, auth: str
) -> None:
    outcome = run_report(tmp_path, _config(pve, engine, auth=auth), secret="wrong-secret")
    assert outcome.code == 3
    error = outcome.source("lab")["error"]
    assert ("401" in error) if auth == "token" else ("login refused" in error)
    assert "lab" in outcome.stderr
    assert_docker_intact(outcome)


def test_password_login_works(tmp_path: Path, pve: PveServer, engine: DockerServer) -> None:
    outcome = run_report(tmp_path, _config(pve, engine, auth="password"), secret=DEFAULT_PASSWORD)
    assert outcome.code == 1, outcome.stderr
    assert_pve_intact(outcome, VMS_ON_PVE1 + GUESTS_ON_PVE2)


def test_403_on_one_guest_config_makes_it_incomplete(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    pve.forbid("nodes/pve2/qemu/101/config")
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    (gap,) = outcome.gaps("lab", "config")
    assert gap["subject"] == "pve:lab/qemu/101" and "VM.Audit" in gap["reason"]
    assert_pve_intact(outcome, (*VMS_ON_PVE1, "pve:lab/lxc/201"))
    assert_docker_intact(outcome)


def test_403_on_backup_jobs_is_a_coverage_gap_naming_the_privilege(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    pve.forbid("cluster/backup", "Permission check failed (/, Sys.Audit)")
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 1, outcome.stderr
    (gap,) = outcome.gaps("lab", "cluster/backup")
    assert "403" in gap["reason"] and "Sys.Audit" in gap["reason"] and not gap["incomplete"]
    assert_pve_intact(outcome, VMS_ON_PVE1 + GUESTS_ON_PVE2)


def test_token_that_sees_no_guests_is_a_permission_problem(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer
) -> None:
    """A privilege-separated token without its own ACL: an empty list, not an empty lab."""
    lab = build_lab(tmp_path / "lab")
    (lab / "pve/lab/cluster/resources@type=vm.json").write_text("[]")
    with PveServer(lab / "pve" / "lab", certs=certs) as pve:
        outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    (gap,) = outcome.gaps("lab", "guests")
    assert "VM.Audit" in gap["reason"] and gap["incomplete"] is True
    assert "pve:lab/node/pve1" in outcome.ids()
    assert_docker_intact(outcome)


@pytest.mark.parametrize(
    ("glob", "fails_source"),
    [("cluster/resources@type=vm", True), ("nodes/pve1/lxc/200/config", False)],
)
def test_500_names_the_path(
    tmp_path: Path, pve: PveServer, engine: DockerServer, glob: str, fails_source: bool
) -> None:
    fault = pve.add_fault(glob, "error", status=500, message="internal error")
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    assert fault.fired == 1  # a PVE 500 is deterministic: not retried
    if fails_source:
        assert "500" in outcome.source("lab")["error"]
        assert "cluster/resources" in outcome.source("lab")["error"]
    else:
        (gap,) = outcome.gaps("lab", "config")
        assert gap["subject"] == "pve:lab/lxc/200" and "500" in gap["reason"]
        assert_pve_intact(outcome, ("pve:lab/qemu/100", *GUESTS_ON_PVE2))
    assert_docker_intact(outcome)


def test_api_slower_than_the_timeout(tmp_path: Path, pve: PveServer, engine: DockerServer) -> None:
    fault = pve.add_fault("cluster/status", "hang", seconds=10)
    outcome = run_report(tmp_path, _config(pve, engine, timeout=0.5))
    assert outcome.code == 3
    assert "timed out" in outcome.source("lab")["error"]
    assert fault.fired == 2  # one retry for a timed-out idempotent GET, then give up
    assert outcome.seconds < 4
    assert_docker_intact(outcome)


def test_malformed_json(tmp_path: Path, pve: PveServer, engine: DockerServer) -> None:
    pve.add_fault("cluster/resources@type=vm", "malformed")
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    assert "malformed JSON" in outcome.source("lab")["error"]
    assert_docker_intact(outcome)


@pytest.mark.parametrize("mismatch", ["unrelated CA", "wrong host name"])
def test_tls_certificate_mismatch(
    tmp_path: Path, lab: Path, unrelated_ca: str, engine: DockerServer, mismatch: str
) -> None:
    if mismatch == "unrelated CA":
        certs = issue_server(make_ca(), tmp_path / "srv")
        ca = unrelated_ca
    else:
        certs = issue_server(make_ca(), tmp_path / "srv", hosts=("pve.invalid",))
        ca = str(certs.ca)
    with PveServer(lab / "pve" / "lab", certs=certs) as pve:
        outcome = run_report(tmp_path, pve_toml(pve.port, ca) + docker_toml(engine.url))
        assert not pve.request_log  # nothing was sent over the unverified connection
    assert outcome.code == 3
    error = outcome.source("lab")["error"]
    assert "TLS error" in error and "certificate verify failed" in error and "ca_bundle" in error
    assert_docker_intact(outcome)


def test_connection_refused(tmp_path: Path, free_port: int, engine: DockerServer) -> None:
    outcome = run_report(tmp_path, pve_toml(free_port, None) + docker_toml(engine.url))
    assert outcome.code == 3
    assert "connection refused" in outcome.source("lab")["error"]
    assert_docker_intact(outcome)
