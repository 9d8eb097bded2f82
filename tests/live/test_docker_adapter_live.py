"""The Docker adapter against real engines: unix socket, tcp:// with mutual TLS, and ssh://.

Everything goes through the collector's own path (``DockerClient`` → ``DockerAdapter``,
via ``collector.collection.wiring`` so connect failures become results) and is compared field
by field with what ``tests/support/dockerd.py`` really created.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.docker.adapter import DockerAdapter
from adapters.docker.client import DockerClient
from collector.cli import app
from collector.collection.orchestrate import collect_all
from collector.collection.wiring import live_sources
from collector.config import Config, DockerConfig
from collector.model import Container, SourceResult
from collector.recording.config_out import dumps_toml
from tests.support.dockerd import SECRET_VALUE, ExpectedContainer, LiveEngine, LiveLab, LiveSSH

pytestmark = pytest.mark.live

NEVER_STARTED = "0001-01-01T00:00:00Z"


def collect(cfg: DockerConfig) -> SourceResult:
    [result] = collect_all(live_sources(Config(docker=(cfg,))))
    return result


def tls_config(engine: LiveEngine, name: str = "bravo-tls", **overrides: Any) -> DockerConfig:
    assert engine.tcp_url and engine.ca_pem and engine.cert_pem and engine.key_pem
    fields: dict[str, Any] = {
        "name": name,
        "url": engine.tcp_url,
        "tls_ca": str(engine.ca_pem),
        "tls_cert": str(engine.cert_pem),
        "tls_key": str(engine.key_pem),
    }
    return DockerConfig(**(fields | overrides))


def _mismatches(got: Container, want: ExpectedContainer, engine: LiveEngine) -> list[str]:
    problems: list[str] = []

    def check(what: str, value: Any, expected: Any) -> None:
        if value != expected:
            problems.append(f"{want.name}.{what}: {value!r} != {expected!r}")

    check("container_id", got.container_id, want.id)
    check("state", got.state, want.status)
    check("health", got.health, want.health)
    check("healthcheck", got.healthcheck, want.health is not None)
    check("restart_policy", got.restart_policy, want.restart_policy)
    check("restart_count", got.restart_count, 0)
    check("log_driver", got.log_driver, want.log_driver)
    check("log_options", dict(got.log_options), want.log_options)
    check("labels", dict(got.labels), want.labels)
    check("compose_project", got.compose_project, want.compose_project)
    check("compose_service", got.compose_service, want.compose_service)
    check("image", got.image, want.image)
    check("image_id", got.image_id, engine.image_id)
    check("image_digest", got.image_digest, None)  # imported, never pulled: no repo digest
    check("networks", got.networks, (want.network_mode,))
    check("ports", got.ports, ())
    check("created_at set", bool(re.match(r"20\d\d-\d\d-\d\dT", got.created_at or "")), True)
    check("started", got.started_at not in (None, NEVER_STARTED), want.status != "created")
    mounts = {m.destination: m for m in got.mounts}
    check("mount destinations", sorted(mounts), sorted(m.destination for m in want.mounts))
    for expected in want.mounts:
        mount = mounts.get(expected.destination)
        if mount is None:
            continue
        check(f"mount {expected.destination} type", mount.type, expected.type)
        check(f"mount {expected.destination} read_only", mount.read_only, expected.read_only)
        if expected.type == "bind":
            check(f"mount {expected.destination} source", mount.source, expected.source)
        elif expected.anonymous:
            check(f"mount {expected.destination} name", len(mount.name or ""), 64)
        else:
            check(f"mount {expected.destination} name", mount.name, expected.source)
            check(
                f"mount {expected.destination} under data root",
                mount.source.startswith(str(engine.data_root)),
                True,
            )
    return problems


def _check_engine(
    result: SourceResult, engine: LiveEngine, source: str, address: str | None
) -> None:
    status, got = result.status, result.engine
    assert status.error is None and status.complete and status.gaps == ()
    assert got is not None
    assert got.id == f"docker:{source}" and got.engine_id == engine.engine_id
    assert got.hostname == engine.engine_name == socket.gethostname()
    assert (got.version, got.api_version) == (engine.server_version, engine.api_version)
    assert got.addresses == ((address,) if address else ())
    assert got.labels.get("homelab.engine") == engine.name
    assert {c.name for c in got.containers} == set(engine.containers)
    # /version + /info + the listing + one inspect each + one image (every container shares it)
    assert status.requests == 3 + len(engine.containers) + 1
    problems = [
        problem
        for c in got.containers
        for problem in _mismatches(c, engine.containers[c.name], engine)
    ]
    assert not problems, "\n".join(problems)
    assert all(c.id == f"docker:{source}/{c.name}" and c.engine == source for c in got.containers)


@pytest.mark.parametrize("name", ["alpha", "bravo"])
def test_unix_socket_engine_normalises_every_container(live_lab: LiveLab, name: str) -> None:
    engine = live_lab.engines[name]
    result = collect(DockerConfig(name=name, url=engine.unix_url))
    _check_engine(result, engine, name, None)


def test_tls_engine_with_the_right_ca_and_client_cert(
    live_lab: LiveLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests would let these replace the configured CA; they point at a CA that must lose.
    assert live_lab.bravo.wrong_ca_pem is not None
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(variable, str(live_lab.bravo.wrong_ca_pem))
    result = collect(tls_config(live_lab.bravo))
    _check_engine(result, live_lab.bravo, "bravo-tls", "127.0.0.1")


def test_the_same_engine_reads_the_same_over_unix_and_tls(live_lab: LiveLab) -> None:
    bravo = live_lab.bravo
    client = DockerClient(DockerConfig(name="b", url=bravo.unix_url))
    over_unix = DockerAdapter("b", bravo.unix_url, client).collect().engine
    assert bravo.tcp_url is not None
    over_tls = collect(tls_config(bravo, name="b")).engine
    assert over_unix is not None and over_tls is not None
    assert over_unix.containers == over_tls.containers


def _tls_error(result: SourceResult) -> str:
    error = result.status.error or ""
    assert result.engine is None and error and "\n" not in error
    return error


def test_wrong_ca_is_a_clear_tls_error(live_lab: LiveLab) -> None:
    error = _tls_error(collect(tls_config(live_lab.bravo, tls_ca=str(live_lab.bravo.wrong_ca_pem))))
    assert error.startswith("bravo-tls: GET /version: TLS error (certificate verify failed")
    assert "tls_ca" in error


def test_missing_client_cert_is_a_clear_tls_error(live_lab: LiveLab) -> None:
    error = _tls_error(collect(tls_config(live_lab.bravo, tls_cert=None, tls_key=None)))
    assert error.startswith("bravo-tls: GET /version: TLS error (") and "tls_cert" in error


def test_client_cert_of_another_ca_is_refused(live_lab: LiveLab) -> None:
    bravo = live_lab.bravo
    cfg = tls_config(bravo, tls_cert=str(bravo.wrong_cert_pem), tls_key=str(bravo.wrong_key_pem))
    assert _tls_error(collect(cfg)).startswith("bravo-tls: GET /version: TLS error (")


def test_stopped_engines_are_source_failures_not_crashes(live_lab: LiveLab, tmp_path: Path) -> None:
    missing = collect(DockerConfig(name="gone", url=f"unix://{tmp_path}/missing.sock"))
    assert missing.status.error == (
        "gone: GET /version: cannot connect to the engine (no such file or directory); "
        "is dockerd running?"
    )
    # What a crashed dockerd leaves behind: the socket file, and nobody listening on it.
    stale = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(stale))
    refused = collect(DockerConfig(name="stale", url=f"unix://{stale}"))
    assert refused.status.error == (
        "stale: GET /version: cannot connect to the engine (connection refused); "
        "is dockerd running?"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    closed = collect(tls_config(live_lab.bravo, name="closed", url=f"tcp://127.0.0.1:{port}"))
    assert closed.status.error == (
        "closed: GET /version: cannot connect to the engine (connection refused); "
        "is dockerd running?"
    )
    assert all(r.engine is None and not r.status.complete for r in (missing, refused, closed))


def test_ssh_url_reaches_the_engine_like_a_remote_host(
    live_lab: LiveLab, live_ssh: LiveSSH, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docker-py's paramiko transport reads ~/.ssh/config and ~/.ssh/known_hosts via $HOME.
    monkeypatch.setenv("HOME", str(live_ssh.home))
    result = collect(DockerConfig(name="alpha-ssh", url=live_ssh.url))
    _check_engine(result, live_ssh.engine, "alpha-ssh", "127.0.0.1")
    via_socket = collect(DockerConfig(name="alpha-ssh", url=live_lab.alpha.unix_url)).engine
    assert via_socket is not None and result.engine is not None
    assert via_socket.containers == result.engine.containers


def test_ssh_without_a_known_host_key_is_a_clear_error(
    live_ssh: LiveSSH, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text((live_ssh.home / ".ssh" / "config").read_text())
    monkeypatch.setenv("HOME", str(home))
    error = collect(DockerConfig(name="alpha-ssh", url=live_ssh.url)).status.error or ""
    assert error.startswith("alpha-ssh: GET /version: ssh failed (") and "known_hosts" in error
    assert "\n" not in error


def test_container_environment_never_reaches_model_or_report(
    live_lab: LiveLab, tmp_path: Path
) -> None:
    alpha = live_lab.alpha
    assert alpha.containers["media-web-1"].secret_env == {"DB_PASSWORD": SECRET_VALUE}
    result = collect(DockerConfig(name="alpha", url=alpha.unix_url))
    assert SECRET_VALUE not in repr(result)
    config = tmp_path / "c.toml"
    config.write_text(
        dumps_toml(
            {
                "docker": [
                    {"name": "alpha", "url": alpha.unix_url},
                    {"name": "gone", "url": f"unix://{tmp_path}/gone.sock"},
                ]
            }
        )
    )
    for fmt in ("json", "table", "markdown"):
        run = CliRunner().invoke(
            app, ["report", "-c", str(config), "-f", fmt, "--no-history", "--no-notify"]
        )
        assert run.exit_code == 3, run.stderr  # "gone" failed; alpha is still reported
        assert SECRET_VALUE not in run.stdout and "DB_PASSWORD" not in run.stdout
    doc = json.loads(
        CliRunner()
        .invoke(app, ["report", "-c", str(config), "-f", "json", "--no-history", "--no-notify"])
        .stdout
    )
    sources = {s["name"]: s for s in doc["sources"]}
    assert sources["alpha"]["complete"] and "is dockerd running?" in sources["gone"]["error"]
    names = {i["name"] for i in doc["inventory"] if i["form"] == "docker-container"}
    assert names == set(alpha.containers)


def test_a_container_removed_between_list_and_inspect_is_simply_gone(live_lab: LiveLab) -> None:
    """The adapter lists, then inspects: a 404 on inspect must drop the container quietly."""
    alpha = live_lab.alpha
    real = DockerClient(DockerConfig(name="alpha", url=alpha.unix_url))

    class Vanishing:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def inspect_container(self, container: str) -> Any:
            target = alpha.containers["spare"].id
            return real.inspect_container(
                "no-such-" + container if container == target else container
            )

    engine = DockerAdapter("alpha", alpha.unix_url, Vanishing()).collect().engine
    assert engine is not None
    assert {c.name for c in engine.containers} == set(alpha.containers) - {"spare"}
    full = collect(DockerConfig(name="alpha", url=alpha.unix_url)).engine
    assert full is not None
    assert engine.containers == tuple(c for c in full.containers if c.name != "spare")
