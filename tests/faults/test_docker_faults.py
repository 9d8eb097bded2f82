"""Fault matrix, Docker rows: the real docker SDK against local engines that misbehave.

Each test also runs the PVE source (``PveServer``) to show the rest of the report stays intact.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.faults.docker_tcp import TcpDockerServer
from tests.faults.lab import (
    ALL_GUESTS,
    assert_pve_intact,
    build_lab,
    docker_toml,
    invoke,
    pve_toml,
    run_report,
)
from tests.support.certs import ServerCerts
from tests.support.docker_server import DockerServer
from tests.support.pve_server import PveServer


def _with_pve(pve: PveServer, docker: str) -> str:
    return pve_toml(pve.port, pve.ca_path) + docker


def test_engine_down(tmp_path: Path, pve: PveServer) -> None:
    missing = f"unix://{tempfile.gettempdir()}/no-such-engine-{tmp_path.name[:20]}/docker.sock"
    outcome = run_report(tmp_path, _with_pve(pve, docker_toml(missing)))
    assert outcome.code == 3
    error = outcome.source("apps")["error"]
    assert "cannot connect to the engine" in error and "is dockerd running" in error
    assert_pve_intact(outcome, ALL_GUESTS)


def test_engine_that_hangs(tmp_path: Path, pve: PveServer, hung_socket: str) -> None:
    outcome = run_report(tmp_path, _with_pve(pve, docker_toml(hung_socket, timeout=1)))
    assert outcome.code == 3
    assert "timed out" in outcome.source("apps")["error"]
    assert outcome.seconds < 4  # 1 s, one retry of 1 s, a short pause
    assert_pve_intact(outcome, ALL_GUESTS)


def test_engine_tls_mismatch(
    tmp_path: Path, lab: Path, pve: PveServer, certs: ServerCerts, unrelated_ca: str
) -> None:
    with TcpDockerServer(lab / "docker" / "apps", certs) as engine:
        text = docker_toml(engine.url, extra=f'tls_ca = "{unrelated_ca}"')
        outcome = run_report(tmp_path, _with_pve(pve, text))
        assert not engine.request_log  # nothing was asked over the unverified connection
    assert outcome.code == 3
    error = outcome.source("apps")["error"]
    assert "TLS error" in error and "certificate verify failed" in error
    assert_pve_intact(outcome, ALL_GUESTS)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_engine_tls_ca_wins_over_ca_bundle_environment(
    tmp_path: Path, lab: Path, pve: PveServer, certs: ServerCerts, unrelated_ca: str, variable: str
) -> None:
    with TcpDockerServer(lab / "docker" / "apps", certs) as engine:
        text = docker_toml(engine.url, extra=f'tls_ca = "{certs.ca}"')
        outcome = run_report(tmp_path, _with_pve(pve, text), env={variable: unrelated_ca})
    assert outcome.code == 1, outcome.source("apps")
    assert {"docker:apps/web", "docker:apps/db"} <= outcome.ids()


def test_container_removed_between_list_and_inspect(
    tmp_path: Path, pve: PveServer, certs: ServerCerts
) -> None:
    lab = build_lab(tmp_path / "lab")
    root = lab / "docker" / "apps"
    listing = json.loads((root / "containers.json").read_text())
    (gone,) = [c["Id"] for c in listing if c["Names"] == ["/db"]]
    (root / "containers" / f"{gone}.json").unlink()
    message = {"status": 404, "message": f"No such container: {gone}"}
    (root / "containers" / f"{gone}.error.json").write_text(json.dumps(message))
    with DockerServer(root) as engine:
        outcome = run_report(tmp_path, _with_pve(pve, docker_toml(engine.url)))
    assert outcome.code == 1, outcome.stderr
    apps = outcome.source("apps")
    assert apps["complete"] is True and apps["error"] is None and apps["gaps"] == []
    assert "docker:apps/web" in outcome.ids() and "docker:apps/db" not in outcome.ids()


def test_plain_tcp_is_refused_unless_allowed(tmp_path: Path, lab: Path, pve: PveServer) -> None:
    with TcpDockerServer(lab / "docker" / "apps") as engine:
        code, _, err = invoke(tmp_path, _with_pve(pve, docker_toml(engine.url)), "report")
        assert code == 2 and "allow_plain_tcp" in err
        assert not engine.request_log and not pve.request_log  # refused before connecting
        text = docker_toml(engine.url, extra="allow_plain_tcp = true")
        outcome = run_report(tmp_path, _with_pve(pve, text))
    assert outcome.code == 1, outcome.source("apps")
    (note,) = outcome.gaps("apps", "security")
    assert note["subject"] == "docker:apps" and "without TLS" in note["reason"]
    assert {"docker:apps/web", "docker:apps/db"} <= outcome.ids()
