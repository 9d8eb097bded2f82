"""The lean PVE client answers, fails and verifies TLS exactly as proxmoxer does.

Every case runs the same request through ``proxmoxer.ProxmoxAPI`` and through the
``PveHttpApi`` that ``open_proxmox_api`` now returns, against the real HTTPS test server, and
compares the answers or the translated errors (``adapters/pve_errors.translate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from proxmoxer import ProxmoxAPI

from adapters.proxmox_client import open_proxmox_api
from adapters.pve_errors import translate
from adapters.pve_http import PveHttpApi
from collector.config import ProxmoxConfig
from collector.errors import SourceError, SourceResponseError
from tests.support.certs import make_server_certs, write_unrelated_ca
from tests.support.pve_server import DEFAULT_PASSWORD, DEFAULT_TOKEN_SECRET, PveServer
from tests.support.recording import GuestSpec, RecordingBuilder


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lab = RecordingBuilder(tmp_path_factory.mktemp("lean"))
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


def _cfg(server: PveServer, **extra: Any) -> ProxmoxConfig:
    settings: dict[str, Any] = {
        "name": "lab",
        "host": server.host,
        "port": server.port,
        "user": "collector@pve",
        "token_name": "collector",
        "token_secret_env": "PVE_TOKEN_SECRET",
        "ca_bundle": server.ca_path,
    }
    return ProxmoxConfig(**(settings | extra))


def _lean(server: PveServer, secret: str = DEFAULT_TOKEN_SECRET, **extra: Any) -> Any:
    api, _ = open_proxmox_api(_cfg(server, **extra), secret)
    return api


def _outcome(call: Any) -> Any:
    """The answer, or the translated error as (type, message)."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the point is to compare failures
        error = translate(exc, "lab", "p")
        return type(error).__name__, str(error)


def test_open_proxmox_api_returns_the_lean_client(server: PveServer) -> None:
    api, agent_api = open_proxmox_api(_cfg(server, agent_timeout=2.0), DEFAULT_TOKEN_SECRET)
    assert isinstance(api, PveHttpApi) and isinstance(agent_api, PveHttpApi)
    assert (api.timeout, agent_api.timeout) == (10.0, 2.0)


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
def test_answers_are_the_same(server: PveServer, path: str, params: dict[str, Any]) -> None:
    proxmoxer = ProxmoxAPI(**server.proxmoxer_kwargs())
    assert _lean(server).get(path, **params) == proxmoxer.get(path, **params)


@pytest.mark.parametrize(
    "setup",
    ["missing path", "forbidden", "node offline", "recorded 500", "injected 503", "dropped"],
)
def test_errors_translate_the_same(server: PveServer, setup: str) -> None:
    path = "nodes/pve1/qemu/109/agent/network-get-interfaces"
    if setup == "missing path":
        path = "nodes/pve1/qemu/999/config"
    elif setup == "forbidden":
        server.forbid("nodes/*/qemu/*/config")
        path = "nodes/pve1/qemu/100/config"
    elif setup == "node offline":
        server.set_node_offline("pve2")
        path = "nodes/pve2/lxc/200/config"
    elif setup == "injected 503":
        server.add_fault("version", "error", status=503, message="pveproxy restarting")
        path = "version"
    elif setup == "dropped":
        server.add_fault("version", "close")
        path = "version"
    proxmoxer = ProxmoxAPI(**server.proxmoxer_kwargs())
    expected = _outcome(lambda: proxmoxer.get(path))
    assert isinstance(expected, tuple)  # every setup is a failure
    assert _outcome(lambda: _lean(server).get(path)) == expected


def test_wrong_token_secret_is_the_same_auth_error(server: PveServer) -> None:
    wrong = "00000000-0000-0000-0000-000000000000"
    kwargs = server.proxmoxer_kwargs() | {"token_value": wrong}
    expected = _outcome(lambda: ProxmoxAPI(**kwargs).get("version"))
    assert expected[0] == "SourceAuthError"
    assert _outcome(lambda: _lean(server, wrong).get("version")) == expected


def test_timeout_is_the_same_timeout(server: PveServer) -> None:
    server.add_fault("version", "hang", seconds=3)
    proxmoxer = ProxmoxAPI(**server.proxmoxer_kwargs(timeout=0.3))
    expected = _outcome(lambda: proxmoxer.get("version"))
    assert "timed out" in expected[1]
    assert _outcome(lambda: _lean(server, timeout=0.3).get("version")) == expected


def test_agent_view_has_its_own_shorter_timeout(server: PveServer) -> None:
    server.add_fault("nodes/*/agent/*", "hang", seconds=3)
    api, agent_api = open_proxmox_api(_cfg(server, agent_timeout=0.3), DEFAULT_TOKEN_SECRET)
    error = _outcome(lambda: agent_api.get("nodes/pve1/qemu/100/agent/network-get-interfaces"))
    assert "timed out" in error[1]
    assert api.get("version")["version"] == "9.1.3"  # the main view is unaffected


def test_untrusted_certificate_is_refused_before_anything_is_sent(
    server: PveServer, tmp_path: Path
) -> None:
    other_ca = str(write_unrelated_ca(tmp_path))
    kwargs = server.proxmoxer_kwargs() | {"verify_ssl": other_ca}
    expected = _outcome(lambda: ProxmoxAPI(**kwargs).get("version"))
    assert "certificate verify failed" in expected[1]
    assert _outcome(lambda: _lean(server, ca_bundle=other_ca).get("version")) == expected
    assert not server.request_log


def test_connection_refused_is_the_same_error(recording: Path, tmp_path: Path) -> None:
    with PveServer(recording, certs=make_server_certs(tmp_path)) as server:
        kwargs = server.proxmoxer_kwargs()
        lean = _lean(server)
    expected = _outcome(lambda: ProxmoxAPI(**kwargs).get("version"))
    assert "cannot connect" in expected[1]
    assert _outcome(lambda: lean.get("version")) == expected


def test_malformed_json_is_an_error_not_data(server: PveServer) -> None:
    # proxmoxer would hand back {"errors": b"..."} as if PVE had answered that.
    server.add_fault("cluster/resources@type=vm", "malformed")
    with pytest.raises(ValueError) as exc:
        _lean(server).get("cluster/resources", type="vm")
    error = translate(exc.value, "lab", "cluster/resources")
    assert isinstance(error, SourceResponseError) and "malformed JSON" in str(error)


def test_ca_bundle_environment_is_honoured_only_without_a_configured_ca(
    server: PveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_ca = str(write_unrelated_ca(tmp_path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
    assert _lean(server, ca_bundle=None).get("version")["release"] == "9.1"
    with pytest.raises(SourceError, match="certificate verify failed"):
        try:
            _lean(server, ca_bundle=other_ca).get("version")
        except Exception as exc:
            raise translate(exc, "lab", "version") from exc


def test_verify_ssl_off_accepts_any_certificate(server: PveServer) -> None:
    assert _lean(server, ca_bundle=None, verify_ssl=False).get("version")["release"] == "9.1"


def test_a_proxy_in_the_environment_keeps_proxmoxer(
    server: PveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    api, _ = open_proxmox_api(_cfg(server), DEFAULT_TOKEN_SECRET)
    assert not isinstance(api, PveHttpApi)


def test_pool_keeps_one_connection_per_worker(server: PveServer) -> None:
    api = _lean(server, concurrency=6)
    paths = [f"nodes/pve1/qemu/{vmid}/config" for vmid in range(100, 109)] * 8
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(api.get, paths))
    assert all(a["name"].startswith("vm") for a in answers)
    assert server.connection_count <= 6


def test_ticket_is_sent_as_cookie_and_renewed_when_old(server: PveServer) -> None:
    cfg = _cfg(server, token_name=None, token_secret_env=None, password_env="PVE_PASSWORD")
    api, agent_api = open_proxmox_api(cfg, DEFAULT_PASSWORD)
    assert api.get("version")["release"] == "9.1"
    assert agent_api.get("nodes/pve1/qemu/100/agent/network-get-interfaces")["result"]
    api._auth.birth_time -= 2 * 3600  # older than proxmoxer's renew_age
    assert api.get("version")["release"] == "9.1"
    log = server.request_log
    assert [r.path for r in log if r.method == "POST"] == ["access/ticket"] * 2
    assert {r.auth for r in log if r.method == "GET"} == {"ticket"}
