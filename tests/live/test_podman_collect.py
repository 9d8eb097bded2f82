"""The collector against a real Podman (``tests/support/podman.py``): unix socket, ``ssh://``
(through a podman-docker style shim) and ``tcp://`` with mutual TLS (through a TLS-terminating
proxy, since Podman's own tcp service has no TLS).

Everything goes through the collector's path (``live_sources`` → ``DockerClient`` →
``DockerAdapter``) and is compared with what the fixture created, field by field; the rules'
Podman-specific verdicts and hints are checked on the same engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.collection.orchestrate import collect_all, run_report
from collector.collection.wiring import live_sources
from collector.config import Config, DockerConfig
from collector.model import Container, EngineProduct, SourceResult
from collector.render import Format, render
from collector.render.view import View
from tests.support.certs import issue_client, issue_server, make_ca
from tests.support.dockerd import LiveSSH
from tests.support.podman import LivePodman, PodmanContainer
from tests.support.tls_proxy import start_tls_proxy

pytestmark = pytest.mark.live


def collect(cfg: DockerConfig) -> SourceResult:
    [result] = collect_all(live_sources(Config(docker=(cfg,))))
    return result


def workloads(live: LivePodman) -> dict[str, PodmanContainer]:
    return {n: c for n, c in live.containers.items() if not c.infra}


def _check_engine(result: SourceResult, live: LivePodman) -> dict[str, Container]:
    assert result.status.error is None and result.status.complete, result.status
    engine = result.engine
    assert engine is not None
    assert engine.product is EngineProduct.PODMAN
    assert engine.version == live.version and engine.display_version == f"Podman {live.version}"
    assert engine.api_version == live.api_version
    assert engine.engine_id is None  # Podman's /info ID is random per call
    got = {c.name: c for c in engine.containers}
    assert sorted(got) == sorted(workloads(live))  # the infra container is not a workload
    assert {p.name: p.containers for p in engine.pods} == {
        name: tuple(sorted(pod.members)) for name, pod in live.pods.items()
    }
    for pod in engine.pods:
        assert pod.labels == live.pods[pod.name].labels
    # version + info + list + pods + one libpod inspect per workload; infra never inspected
    assert result.status.requests == 4 + len(got)
    return got


def _check_containers(got: dict[str, Container], live: LivePodman) -> None:
    for name, want in workloads(live).items():
        container = got[name]
        assert container.container_id == want.id, name
        assert container.state == want.status, name
        assert container.health == want.health, name
        assert container.healthcheck is (want.health is not None), name
        # Created without a restart policy, a container reports Podman's default, "no".
        expected_policy = want.restart_policy if want.restart_policy else "no"
        assert container.restart_policy == expected_policy, name
        assert container.log_driver == want.log_driver, name  # k8s-file, not compat's json-file
        expected_options = {} if want.log_size == "0B" else {"max-size": want.log_size}
        assert dict(container.log_options) == expected_options, name
        assert dict(container.labels) == want.labels, name
        assert container.image == want.image, name
        assert container.image_id == f"sha256:{live.image_id.removeprefix('sha256:')}", name
        assert container.image_digest is not None and container.image_digest.startswith("sha256:")
        assert container.pod == want.pod, name
        expected_pod_labels = live.pods[want.pod].labels if want.pod else {}
        assert dict(container.pod_labels) == expected_pod_labels, name
        assert container.systemd_unit == (None if want.compose_project else want.systemd_unit)


def test_unix_socket_podman_is_read_like_docker_and_shown_as_podman(
    live_podman: LivePodman,
) -> None:
    result = collect(DockerConfig(name="pods", url=live_podman.unix_url))
    _check_containers(_check_engine(result, live_podman), live_podman)


def test_ssh_podman_through_podman_docker(
    live_podman: LivePodman, live_podman_ssh: LiveSSH, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(live_podman_ssh.home))  # paramiko's ~/.ssh
    result = collect(DockerConfig(name="pods", url=live_podman_ssh.url))
    _check_containers(_check_engine(result, live_podman), live_podman)


def test_tcp_tls_podman_behind_a_tls_proxy(live_podman: LivePodman, tmp_path: Path) -> None:
    ca = make_ca()
    server = issue_server(ca, tmp_path / "server")
    cert, key = issue_client(ca, tmp_path / "client")
    proxy = start_tls_proxy(live_podman.socket_path, server.cert, server.key, server.ca)
    try:
        cfg = DockerConfig(
            name="pods", url=proxy.url, tls_ca=str(server.ca), tls_cert=str(cert), tls_key=str(key)
        )
        result = collect(cfg)
        _check_containers(_check_engine(result, live_podman), live_podman)
        refused = collect(DockerConfig(name="pods", url=proxy.url, tls_ca=str(server.ca)))
        assert refused.engine is None and refused.status.error is not None  # no client cert
    finally:
        proxy.close()


def test_rules_and_hints_are_right_for_podman(live_podman: LivePodman) -> None:
    config = Config(docker=(DockerConfig(name="pods", url=live_podman.unix_url),))
    report = run_report(config, live_sources(config))
    by_rule: dict[str, dict[str, str]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule, {})[finding.subject] = finding.hint
    # Quadlet / systemd: no restart policy on purpose, and the unit documents it.
    quadlet = "docker:pods/systemd-whoami"
    assert quadlet not in by_rule.get("restart-policy-no", {})
    assert quadlet not in by_rule.get("undocumented", {})
    restart = by_rule["restart-policy-no"]
    assert sorted(restart) == ["docker:pods/backup-job", "docker:pods/nextcloud-db"]
    assert all("podman-restart.service" in hint and "Quadlet" in hint for hint in restart.values())
    # k8s-file without a size: unbounded, with containers.conf (no daemon.json) in the hint.
    unbounded = by_rule["log-unbounded"]
    expected = sorted(
        f"docker:pods/{n}"
        for n, c in workloads(live_podman).items()
        if c.log_driver == "k8s-file" and c.log_size == "0B"
    )
    assert sorted(unbounded) == expected and "docker:pods/grafana" not in unbounded
    for hint in unbounded.values():
        assert "containers.conf" in hint and "daemon.json" in hint  # "Podman has no daemon.json"
        assert "log_size_max" in hint
    assert "podman inspect" in by_rule["container-unhealthy"]["docker:pods/monitoring-prometheus-1"]
    # Pod members inherit their pod's labels: role and owner of nextcloud-app come from the pod.
    app = "docker:pods/nextcloud-app"
    owner = report.inventory.owners[app]
    assert owner is not None and (owner.name, owner.origin) == (
        "bob",
        "pod nextcloud label homelab.owner",
    )
    assert report.inventory.roles[app].reason == "label homelab.role=service"
    # No infra container anywhere in the report.
    assert not [f for f in report.findings if f.subject.endswith("-infra")]
    table = render(report, Format.TABLE, View(inventory=True))  # the engine's row: the tree
    assert f"Podman {live_podman.version}" in table
