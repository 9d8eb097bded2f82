"""Proof that the live fixtures are what they claim, using nothing but the plain docker SDK.

If one of these fails, the collector's live tests cannot be trusted either: they compare the
collector's output with the descriptions checked here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.tls
import paramiko
import pytest
import requests

from tests.support.dockerd import (
    IMAGE,
    IMAGE_LATEST,
    SECRET_VALUE,
    EnvIsolatedAPIClient,
    ExpectedContainer,
    LiveEngine,
    LiveLab,
    LiveSSH,
    missing_prerequisites,
    start_lab,
)

pytestmark = pytest.mark.live

ENGINES = ("alpha", "bravo")


def _api(engine: LiveEngine) -> docker.APIClient:
    return docker.APIClient(base_url=engine.unix_url, version="auto", timeout=15)


def _tls(engine: LiveEngine, *, ca: Path | None, cert: bool = True) -> docker.tls.TLSConfig:
    assert engine.cert_pem is not None and engine.key_pem is not None
    return docker.tls.TLSConfig(
        client_cert=(str(engine.cert_pem), str(engine.key_pem)) if cert else None,
        ca_cert=str(ca) if ca else None,
        verify=True,
    )


def _ssl_error_in(exc: BaseException) -> requests.exceptions.SSLError | None:
    """The SSLError behind ``exc``: docker-py raises it bare from API calls, but wraps it in a
    DockerException when it happens during ``version="auto"`` negotiation in the constructor."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENGINES)
def test_engine_answers_info_on_its_unix_socket(live_lab: LiveLab, name: str) -> None:
    engine = live_lab.engines[name]
    assert len(str(engine.socket_path)) < 100
    with _api(engine) as api:
        info = api.info()
        version = api.version()
    assert info["ID"] == engine.engine_id
    assert info["Name"] == engine.engine_name == socket.gethostname()
    assert f"homelab.engine={name}" in info["Labels"]
    assert info["Driver"] == "vfs"
    assert version["ApiVersion"] == engine.api_version
    assert info["Containers"] == len(engine.containers)


def test_engines_are_distinct(live_lab: LiveLab) -> None:
    alpha, bravo = live_lab.alpha, live_lab.bravo
    # Same kernel, same hostname: only the engine ID tells them apart.
    assert alpha.engine_name == bravo.engine_name
    assert alpha.engine_id != bravo.engine_id
    assert alpha.data_root != bravo.data_root
    assert alpha.tcp_url is None and alpha.ca_pem is None
    assert bravo.tcp_url == f"tcp://127.0.0.1:{bravo.tcp_port}"


def test_daemons_are_our_processes(live_lab: LiveLab) -> None:
    for engine in live_lab.engines.values():
        cmdline = Path(f"/proc/{engine.pid}/cmdline").read_bytes().split(b"\0")
        assert Path(cmdline[0].decode()).name == "dockerd"
        assert str(engine.data_root).encode() in cmdline
    assert live_lab.setup_seconds < 30


# --------------------------------------------------------------------------------------------
# TLS (engine bravo)
# --------------------------------------------------------------------------------------------


def test_tls_with_right_ca_and_client_cert(live_lab: LiveLab) -> None:
    bravo = live_lab.bravo
    with EnvIsolatedAPIClient(
        base_url=bravo.tcp_url, tls=_tls(bravo, ca=bravo.ca_pem), version="auto", timeout=10
    ) as api:
        assert api.info()["ID"] == bravo.engine_id


def test_tls_dir_is_a_docker_cert_path(live_lab: LiveLab) -> None:
    """``tls_dir`` has docker-py's DOCKER_CERT_PATH layout (ca.pem, cert.pem, key.pem)."""
    bravo = live_lab.bravo
    assert bravo.tls_dir is not None
    assert {p.name for p in bravo.tls_dir.iterdir()} >= {"ca.pem", "cert.pem", "key.pem"}
    tls = docker.tls.TLSConfig(
        client_cert=(str(bravo.tls_dir / "cert.pem"), str(bravo.tls_dir / "key.pem")),
        ca_cert=str(bravo.tls_dir / "ca.pem"),
        verify=True,
    )
    with EnvIsolatedAPIClient(base_url=bravo.tcp_url, tls=tls, timeout=10) as api:
        assert api.info()["ID"] == bravo.engine_id


def test_tls_rejects_wrong_ca(live_lab: LiveLab) -> None:
    bravo = live_lab.bravo
    with pytest.raises(docker.errors.DockerException) as caught:
        EnvIsolatedAPIClient(
            base_url=bravo.tcp_url,
            tls=_tls(bravo, ca=bravo.wrong_ca_pem),
            version="auto",
            timeout=10,
        )
    error = _ssl_error_in(caught.value)
    assert error is not None, repr(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)


def test_tls_wrong_ca_on_a_call_raises_bare_sslerror(live_lab: LiveLab) -> None:
    """With a pinned API version nothing is wrapped: the caller sees requests' SSLError."""
    bravo = live_lab.bravo
    api = EnvIsolatedAPIClient(
        base_url=bravo.tcp_url, tls=_tls(bravo, ca=bravo.wrong_ca_pem), version="1.41", timeout=10
    )
    with api, pytest.raises(requests.exceptions.SSLError):
        api.info()


def test_tls_requires_a_client_cert(live_lab: LiveLab) -> None:
    bravo = live_lab.bravo
    with pytest.raises(docker.errors.DockerException) as caught:
        EnvIsolatedAPIClient(
            base_url=bravo.tcp_url, tls=_tls(bravo, ca=bravo.ca_pem, cert=False), timeout=10
        )
    error = _ssl_error_in(caught.value)
    assert error is not None, repr(caught.value)
    # The server verified our side and hung up: the CA was right, the client was refused.
    assert "CERTIFICATE_VERIFY_FAILED" not in str(error)


def test_tls_rejects_client_cert_from_another_ca(live_lab: LiveLab) -> None:
    bravo = live_lab.bravo
    assert bravo.wrong_cert_pem is not None and bravo.wrong_key_pem is not None
    tls = docker.tls.TLSConfig(
        client_cert=(str(bravo.wrong_cert_pem), str(bravo.wrong_key_pem)),
        ca_cert=str(bravo.ca_pem),
        verify=True,
    )
    with pytest.raises(docker.errors.DockerException) as caught:
        EnvIsolatedAPIClient(base_url=bravo.tcp_url, tls=tls, timeout=10)
    assert _ssl_error_in(caught.value) is not None, repr(caught.value)


def test_plain_http_to_tls_port_fails(live_lab: LiveLab) -> None:
    with pytest.raises(docker.errors.DockerException):
        EnvIsolatedAPIClient(base_url=live_lab.bravo.tcp_url, timeout=10)


def test_requests_ca_bundle_overrides_docker_tls_ca(
    live_lab: LiveLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pin the pitfall: with trust_env (docker-py's default) the env bundle replaces our CA.

    The env var is set explicitly (to a CA that signed nothing) so the outcome does not depend on
    what the machine exports; on this machine REQUESTS_CA_BUNDLE is the system bundle, which
    fails the same way.
    """
    bravo = live_lab.bravo
    assert bravo.wrong_ca_pem is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bravo.wrong_ca_pem))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bravo.wrong_ca_pem))
    with pytest.raises(docker.errors.DockerException) as caught:
        docker.APIClient(base_url=bravo.tcp_url, tls=_tls(bravo, ca=bravo.ca_pem), timeout=10)
    assert _ssl_error_in(caught.value) is not None
    # Same configuration, environment ignored: works.
    with EnvIsolatedAPIClient(
        base_url=bravo.tcp_url, tls=_tls(bravo, ca=bravo.ca_pem), timeout=10
    ) as api:
        assert api.info()["ID"] == bravo.engine_id
    # Resetting trust_env after construction also works, but only with a pinned version:
    # version="auto" would already have failed inside the constructor.
    plain = docker.APIClient(
        base_url=bravo.tcp_url, tls=_tls(bravo, ca=bravo.ca_pem), version="1.41", timeout=10
    )
    plain.trust_env = False
    with plain:
        assert plain.info()["ID"] == bravo.engine_id


# --------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------


def _mismatches(expected: ExpectedContainer, inspect: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def check(what: str, got: object, want: object) -> None:
        if got != want:
            problems.append(f"{expected.name}: {what}: got {got!r}, want {want!r}")

    state = inspect["State"]
    host = inspect["HostConfig"]
    config = inspect["Config"]
    check("id", inspect["Id"], expected.id)
    check("name", inspect["Name"], f"/{expected.name}")
    check("status", state["Status"], expected.status)
    check("exit code", state["ExitCode"], expected.exit_code)
    check("health", (state.get("Health") or {}).get("Status"), expected.health)
    check("has healthcheck", "Healthcheck" in config, expected.health is not None)
    check("restart policy", host["RestartPolicy"]["Name"], expected.restart_policy)
    check("restart retries", host["RestartPolicy"]["MaximumRetryCount"],
          expected.restart_max_retries)  # fmt: skip
    check("log driver", host["LogConfig"]["Type"], expected.log_driver)
    check("log options", host["LogConfig"]["Config"] or {}, expected.log_options)
    check("labels", config["Labels"] or {}, expected.labels)
    check("image", config["Image"], expected.image)
    check("command", tuple(config["Cmd"] or ()), expected.command)
    check("network mode", host["NetworkMode"], expected.network_mode)

    got_mounts = sorted(inspect["Mounts"], key=lambda m: m["Destination"])
    want_mounts = sorted(expected.mounts, key=lambda m: m.destination)
    check("mount count", len(got_mounts), len(want_mounts))
    for got, want in zip(got_mounts, want_mounts, strict=False):
        check(f"mount {want.destination} type", got["Type"], want.type)
        check(f"mount {want.destination} destination", got["Destination"], want.destination)
        check(f"mount {want.destination} read-only", not got["RW"], want.read_only)
        if want.type == "bind":
            check(f"mount {want.destination} source", got["Source"], want.source)
        elif want.anonymous:
            name = got.get("Name", "")
            check(f"mount {want.destination} anonymous name", len(name) == 64, True)
        else:
            check(f"mount {want.destination} volume", got.get("Name"), want.source)
    return problems


@pytest.mark.parametrize("name", ENGINES)
def test_containers_have_expected_properties(live_lab: LiveLab, name: str) -> None:
    engine = live_lab.engines[name]
    with _api(engine) as api:
        listed = {c["Names"][0].lstrip("/") for c in api.containers(all=True)}
        assert listed == set(engine.containers)
        problems = [
            problem
            for expected in engine.containers.values()
            for problem in _mismatches(expected, api.inspect_container(expected.id))
        ]
    assert not problems, "\n".join(problems)


def test_lab_covers_the_cases_the_collector_must_handle(live_lab: LiveLab) -> None:
    everything = [c for e in live_lab.engines.values() for c in e.containers.values()]
    assert {c.status for c in everything} == {"running", "exited", "created"}
    assert {c.health for c in everything} == {"healthy", "unhealthy", None}
    assert {c.restart_policy for c in everything} == {"no", "always", "unless-stopped",
                                                      "on-failure"}  # fmt: skip
    assert {c.log_driver for c in everything} >= {"json-file", "none", "local"}
    assert {"max-size": "10m"} in [c.log_options for c in everything]
    assert {m.type for c in everything for m in c.mounts} == {"bind", "volume"}
    assert any(m.anonymous for c in everything for m in c.mounts)
    assert any("org.opencontainers.image.description" in c.labels for c in everything)
    assert any(c.labels == {} for c in everything)
    assert any(c.image.startswith("sha256:") for c in everything)  # created from a bare id


def test_one_container_carries_the_fake_secret(live_lab: LiveLab) -> None:
    """A collector test can only prove it never outputs Env if the secret is really there."""
    web = live_lab.alpha.containers["media-web-1"]
    assert web.secret_env == {"DB_PASSWORD": SECRET_VALUE}
    with _api(live_lab.alpha) as api:
        env = api.inspect_container(web.id)["Config"]["Env"]
    assert f"DB_PASSWORD={SECRET_VALUE}" in env


@pytest.mark.parametrize("name", ENGINES)
def test_images_and_volumes(live_lab: LiveLab, name: str) -> None:
    engine = live_lab.engines[name]
    with _api(engine) as api:
        image = api.inspect_image(IMAGE)
        assert image["Id"] == engine.image_id
        assert set(image["RepoTags"]) == {IMAGE, IMAGE_LATEST}
        volumes = {v["Name"]: v for v in api.volumes()["Volumes"]}
    for volume in engine.volumes:
        assert volumes[volume]["Labels"]["com.docker.compose.project"]
    anonymous = [v for v in volumes if v not in engine.volumes]
    expected_anonymous = sum(m.anonymous for c in engine.containers.values() for m in c.mounts)
    assert len(anonymous) == expected_anonymous


# --------------------------------------------------------------------------------------------
# ssh:// transport (sessions reach engine alpha)
# --------------------------------------------------------------------------------------------


def test_ssh_sessions_see_the_engine(live_ssh: LiveSSH) -> None:
    """What docker-py's remote command relies on: DOCKER_HOST and the CLI on PATH."""
    done = subprocess.run(
        [str(live_ssh.wrapper_dir / "ssh"), "127.0.0.1", "command -v docker; echo $DOCKER_HOST"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.split() == [str(live_ssh.docker_cli), live_ssh.engine.unix_url]


def test_ssh_with_paramiko(live_ssh: LiveSSH, monkeypatch: pytest.MonkeyPatch) -> None:
    """docker-py's default ssh transport reads ~/.ssh/config and ~/.ssh/known_hosts via $HOME,
    and only while the client is being constructed (it connects right there)."""
    with monkeypatch.context() as env:
        env.setenv("HOME", str(live_ssh.home))
        api = docker.APIClient(base_url=live_ssh.url, use_ssh_client=False, timeout=15)
    # HOME is back to the real one: later requests reuse the connected paramiko transport.
    assert os.environ.get("HOME") != str(live_ssh.home)
    with api:
        assert api.info()["ID"] == live_ssh.engine.engine_id
        assert len(api.containers(all=True)) == len(live_ssh.engine.containers)


def test_ssh_paramiko_checks_the_host_key(
    live_ssh: LiveSSH, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text((live_ssh.home / ".ssh" / "config").read_text())
    monkeypatch.setenv("HOME", str(home))  # same key, but no known_hosts entry
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        docker.APIClient(base_url=live_ssh.url, use_ssh_client=False, timeout=15)


def test_ssh_with_openssh_client(live_ssh: LiveSSH, monkeypatch: pytest.MonkeyPatch) -> None:
    """``use_ssh_client=True`` spawns ``ssh`` (found on $PATH) for every new connection; OpenSSH
    ignores $HOME, so the test's identity and known_hosts come in through a wrapper on PATH."""
    for key, value in live_ssh.env_for_ssh_client().items():
        monkeypatch.setenv(key, value)
    with docker.APIClient(base_url=live_ssh.url, use_ssh_client=True, timeout=15) as api:
        assert api.info()["ID"] == live_ssh.engine.engine_id
        assert {c["Id"] for c in api.containers(all=True)} == {
            c.id for c in live_ssh.engine.containers.values()
        }


# --------------------------------------------------------------------------------------------
# Hygiene of start/close (a second, short-lived lab)
# --------------------------------------------------------------------------------------------


def _pids_mentioning(needle: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle.encode() in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def test_close_stops_its_processes_and_removes_its_state(live_lab: LiveLab) -> None:
    """Runs after the session lab exists, so it also proves close() leaves that one alone."""
    assert missing_prerequisites() is None
    lab = start_lab()
    try:
        root = str(lab.root)
        assert _pids_mentioning(root)  # dockerd, containerd, shims
        mounted = any(root in line for line in Path("/proc/mounts").read_text().splitlines())
        assert mounted  # dockerd bind-mounts its data root onto itself
    finally:
        started = time.monotonic()
        lab.close()
        lab.close()  # idempotent
    assert time.monotonic() - started < 15
    assert not Path(root).exists()
    assert not _pids_mentioning(root)
    assert root not in Path("/proc/mounts").read_text()
    # The session lab is untouched.
    with _api(live_lab.alpha) as api:
        assert api.info()["ID"] == live_lab.alpha.engine_id
