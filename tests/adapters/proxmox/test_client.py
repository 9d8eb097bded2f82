"""The PVE client against the real HTTPS test server: answers, every kind of failure (as the
collector's own error types, with the exact messages), TLS policy, proxies, pool, ticket login."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from adapters.common.http import JsonApi
from adapters.proxmox.client import open_client
from adapters.proxmox.replay import ReplayPveApi
from collector.errors import (
    SourceAuthError,
    SourceConnectionError,
    SourceError,
    SourceHandshakeError,
    SourceResponseError,
    SourceTimeoutError,
)
from tests.support.certs import make_server_certs, write_unrelated_ca
from tests.support.proxy import ConnectProxy
from tests.support.pve_server import DEFAULT_PASSWORD, DEFAULT_TOKEN_SECRET, PveServer
from tests.support.recording import GuestSpec, RecordingBuilder


@dataclass(frozen=True)
class Settings:
    """What the client reads from a ``[[proxmox]]`` entry (``PveSettings``)."""

    name: str
    host: str
    port: int
    ca_bundle: str | None
    user: str = "collector@pve"
    token_name: str | None = "collector"
    scheme: str = "https"
    verify_ssl: bool = True
    timeout: float = 10.0
    agent_timeout: float = 5.0
    concurrency: int = 32


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lab = RecordingBuilder(tmp_path_factory.mktemp("client"))
    lab.cluster("lab", {"pve1": "10.0.0.1", "pve2": "10.0.0.2"})
    for vmid in range(100, 110):
        lab.guest("lab", GuestSpec(vmid, f"vm{vmid}", "pve1", ips=[f"10.0.1.{vmid - 90}"]))
    lab.guest("lab", GuestSpec(200, "ct200", "pve2", kind="lxc", ips=["10.0.2.1"]))
    lab.error("lab", "nodes/pve1/qemu/109/agent/network-get-interfaces", 500, "No QEMU guest agent")
    return lab.write() / "pve" / "lab"


@pytest.fixture
def server(recording: Path) -> Iterator[PveServer]:
    with PveServer(recording) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def _settings(server: PveServer, **changes: object) -> Settings:
    return replace(Settings("lab", server.host, server.port, server.ca_path), **changes)  # type: ignore[arg-type]


def _client(server: PveServer, secret: str = DEFAULT_TOKEN_SECRET, **changes: object) -> JsonApi:
    return open_client(_settings(server, **changes), secret)[0]


def _failure(call: object) -> tuple[type[SourceError], str]:
    try:
        call()  # type: ignore[operator]
    except SourceError as exc:
        return type(exc), str(exc)
    raise AssertionError("the call succeeded")


def test_open_client_gives_a_main_and_a_shorter_agent_view(server: PveServer) -> None:
    api, agent_api = open_client(_settings(server, agent_timeout=2.0), DEFAULT_TOKEN_SECRET)
    assert (api.timeout, agent_api.timeout) == (10.0, 2.0)
    _, capped = open_client(_settings(server, timeout=1.0, agent_timeout=5.0), DEFAULT_TOKEN_SECRET)
    assert capped.timeout == 1.0  # an agent call never waits longer than any other call


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("version", {}),
        ("cluster/resources", {"type": "vm"}),
        ("nodes/pve1/qemu/100/config", {}),
        ("nodes/pve2/lxc/200/interfaces", {}),
        ("nodes/pve1/qemu/101/agent/network-get-interfaces", {}),
        ("cluster/resources", {"type": "storage", "ignored": None}),
    ],
)
def test_answers_are_the_recorded_data(
    server: PveServer, recording: Path, path: str, params: dict[str, object]
) -> None:
    assert _client(server).get(path, **params) == ReplayPveApi(recording, "lab").get(path, **params)


# The messages the collector gave before the client was rebuilt (same server, same setups).
_AGENT = "nodes/pve1/qemu/109/agent/network-get-interfaces"


@pytest.mark.parametrize(
    ("setup", "path", "kind", "message"),
    [
        (
            "missing path",
            "nodes/pve1/qemu/999/config",
            SourceResponseError,
            "lab: GET nodes/pve1/qemu/999/config: 501 Method 'GET /nodes/pve1/qemu/999/config' "
            "not implemented",
        ),
        (
            "forbidden",
            "nodes/pve1/qemu/100/config",
            SourceAuthError,
            "lab: GET nodes/pve1/qemu/100/config: 403 Permission check failed (/vms/100, "
            "VM.Audit); grant the privilege it names",
        ),
        (
            "node offline",
            "nodes/pve2/lxc/200/config",
            SourceResponseError,
            "lab: GET nodes/pve2/lxc/200/config: 595 No route to host; node pve2 is unreachable "
            "from the node we asked (offline, or the cluster network is down)",
        ),
        (
            "recorded 500",
            _AGENT,
            SourceResponseError,
            f"lab: GET {_AGENT}: 500 No QEMU guest agent",
        ),
        (
            "injected 503",
            "version",
            SourceResponseError,
            "lab: GET version: 503 pveproxy restarting",
        ),
        (
            "dropped",
            "version",
            SourceConnectionError,
            "lab: GET version: cannot connect (remote end closed connection); check host and port",
        ),
        (
            "malformed",
            "version",
            SourceResponseError,
            "lab: GET version: malformed JSON in the answer",
        ),
    ],
)
def test_failures_are_the_collectors_errors(
    server: PveServer, setup: str, path: str, kind: type[SourceError], message: str
) -> None:
    if setup == "forbidden":
        server.forbid("nodes/*/qemu/*/config")
    elif setup == "node offline":
        server.set_node_offline("pve2")
    elif setup == "injected 503":
        server.add_fault("version", "error", status=503, message="pveproxy restarting")
    elif setup == "dropped":
        server.add_fault("version", "close")
    elif setup == "malformed":
        server.add_fault("version", "malformed")
    assert _failure(lambda: _client(server).get(path)) == (kind, message)


def test_http_errors_keep_status_and_reason_for_the_recorder(server: PveServer) -> None:
    server.add_fault("version", "error", status=503, message="pveproxy restarting")
    with pytest.raises(SourceResponseError) as failed:
        _client(server).get("version")
    assert (failed.value.status, failed.value.reason) == (503, "pveproxy restarting")


def test_wrong_token_secret_is_an_auth_error(server: PveServer) -> None:
    wrong = "00000000-0000-0000-0000-000000000000"
    kind, message = _failure(lambda: _client(server, wrong).get("version"))
    assert kind is SourceAuthError
    assert (
        message
        == "lab: GET version: 401 Authentication failed!; check user, token_name and the secret"
    )
    assert wrong not in message


def test_wrong_password_is_refused_at_login(server: PveServer) -> None:
    kind, message = _failure(lambda: open_client(_settings(server, token_name=None), "wrong"))
    assert (kind, message) == (
        SourceAuthError,
        "lab: ticket login refused; check user and password",
    )


def test_timeout(server: PveServer) -> None:
    server.add_fault("version", "hang", seconds=3)
    kind, message = _failure(lambda: _client(server, timeout=0.3).get("version"))
    assert kind is SourceTimeoutError
    assert message == "lab: GET version: timed out; raise timeout or check the host"


def test_agent_view_has_its_own_shorter_timeout(server: PveServer) -> None:
    server.add_fault("nodes/*/agent/*", "hang", seconds=3)
    api, agent_api = open_client(_settings(server, agent_timeout=0.3), DEFAULT_TOKEN_SECRET)
    kind, message = _failure(
        lambda: agent_api.get("nodes/pve1/qemu/100/agent/network-get-interfaces")
    )
    assert kind is SourceTimeoutError and "check qemu-guest-agent in the VM" in message
    assert api.get("version")["version"] == "9.1.3"  # the main view is unaffected


def test_untrusted_certificate_is_refused_before_anything_is_sent(
    server: PveServer, tmp_path: Path
) -> None:
    other_ca = str(write_unrelated_ca(tmp_path))
    kind, message = _failure(lambda: _client(server, ca_bundle=other_ca).get("version"))
    assert kind is SourceHandshakeError
    assert message.startswith("lab: GET version: TLS error (certificate verify failed")
    assert not server.request_log


def test_connection_refused(recording: Path, tmp_path: Path) -> None:
    with PveServer(recording, certs=make_server_certs(tmp_path)) as server:
        client = _client(server)
    kind, message = _failure(lambda: client.get("version"))
    assert (kind, message) == (
        SourceConnectionError,
        "lab: GET version: cannot connect (connection refused); check host and port",
    )


def test_ca_bundle_environment_is_used_only_without_a_configured_ca(
    server: PveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_ca = str(write_unrelated_ca(tmp_path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
    assert _client(server, ca_bundle=None).get("version")["release"] == "9.1"
    kind, _ = _failure(lambda: _client(server, ca_bundle=other_ca).get("version"))
    assert kind is SourceHandshakeError  # the configured CA wins over the environment
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", other_ca)
    monkeypatch.setenv("CURL_CA_BUNDLE", other_ca)
    assert _client(server).get("version")["release"] == "9.1"


def test_verify_ssl_off_accepts_any_certificate(server: PveServer, tmp_path: Path) -> None:
    other_ca = str(write_unrelated_ca(tmp_path))
    client = _client(server, ca_bundle=other_ca, verify_ssl=False)
    assert client.get("version")["release"] == "9.1"


def test_a_proxy_in_the_environment_carries_login_and_gets(
    server: PveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        api, _ = open_client(_settings(server, token_name=None), DEFAULT_PASSWORD)
        assert api.get("version")["release"] == "9.1"
        assert api.get("cluster/resources", type="vm")
        tunnels = proxy.tunnels
    target = f"{server.host}:{server.port}"
    assert tunnels and set(tunnels) == {target}  # the login's tunnel and the pool's
    assert [r.method for r in server.request_log] == ["POST", "GET", "GET"]


def test_no_proxy_exempts_the_host(server: PveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", server.host)
        assert _client(server).get("version")["release"] == "9.1"
        assert proxy.tunnels == []


def test_pool_keeps_one_connection_per_worker(server: PveServer) -> None:
    api = _client(server, concurrency=6)
    paths = [f"nodes/pve1/qemu/{vmid}/config" for vmid in range(100, 109)] * 8
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(api.get, paths))
    assert all(a["name"].startswith("vm") for a in answers)
    assert server.connection_count <= 6


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ticket_is_sent_as_cookie_and_renewed_after_an_hour(server: PveServer) -> None:
    clock = _Clock()
    settings = _settings(server, token_name=None)
    api, agent_api = open_client(settings, DEFAULT_PASSWORD, clock=clock)
    assert api.get("version")["release"] == "9.1"
    assert agent_api.get("nodes/pve1/qemu/100/agent/network-get-interfaces")["result"]
    clock.now += 3599
    assert api.get("version")["release"] == "9.1"
    clock.now += 1  # an hour old: renewed before the next GET, once for every view
    assert agent_api.get("version")["release"] == "9.1"
    assert api.get("version")["release"] == "9.1"
    log = server.request_log
    assert [r.path for r in log if r.method == "POST"] == ["access/ticket"] * 2
    assert {r.auth for r in log if r.method == "GET"} == {"ticket"}
