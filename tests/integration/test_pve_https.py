"""The Proxmox adapter over real HTTPS: proxmoxer's login, requests/urllib3 TLS, PVE's errors.

The server (``tests/support/pve_server.py``) serves the demo lab's PVE recording with PVE's auth
and error semantics and logs every request, so these tests check what replay cannot: that the
collector connects, authenticates and verifies certificates like a real client, reads the same
cluster a replay reads, and sends nothing but GETs (plus the ticket login).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import certifi
import pytest

from adapters.proxmox.adapter import ProxmoxAdapter
from adapters.proxmox.client import open_client
from adapters.proxmox.replay import ReplayPveApi
from collector.collection.orchestrate import collect_all
from collector.collection.wiring import live_sources
from collector.config import Config, ProxmoxConfig
from collector.model import SourceResult, SourceStatus
from tests.support.certs import write_unrelated_ca
from tests.support.pve_server import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN_SECRET,
    PveServer,
)

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab" / "pve" / "homelab"
# The bundle these variables usually name; certifi's when the distribution has none.
SYSTEM_BUNDLE = next(
    (p for p in ("/etc/ssl/certs/ca-certificates.crt",) if Path(p).is_file()), certifi.where()
)
Auth = Literal["token", "password"]
SECRETS: dict[Auth, str] = {"token": DEFAULT_TOKEN_SECRET, "password": DEFAULT_PASSWORD}


@pytest.fixture
def server() -> Iterator[PveServer]:
    with PveServer(DEMO) as srv:
        yield srv


def pve_config(server: PveServer, auth: Auth = "token", **overrides: object) -> ProxmoxConfig:
    """A ``[[proxmox]]`` source pointing at ``server``; the secret is in $HLC_TEST_SECRET."""
    fields: dict[str, object] = {
        "name": "homelab",
        "host": "127.0.0.1",
        "port": server.port,
        "user": "collector@pve",
        "ca_bundle": server.ca_path,
        "timeout": 5.0,
    }
    if auth == "token":
        fields |= {"token_name": "collector", "token_secret_env": "HLC_TEST_SECRET"}
    else:
        fields |= {"password_env": "HLC_TEST_SECRET"}
    return ProxmoxConfig(**(fields | overrides))  # type: ignore[arg-type]


def collect_live(cfg: ProxmoxConfig, secret: str, monkeypatch: pytest.MonkeyPatch) -> SourceResult:
    """Through the wiring, as ``collect report`` does: connect failures become results."""
    monkeypatch.setenv("HLC_TEST_SECRET", secret)
    [result] = collect_all(live_sources(Config(proxmox=(cfg,))))
    return result


def replayed() -> SourceResult:
    return ProxmoxAdapter("homelab", ReplayPveApi(DEMO, "homelab")).collect()


def guests_on_online_nodes() -> int:
    status = json.loads((DEMO / "cluster" / "status.json").read_text())
    online = {n["name"] for n in status if n.get("type") == "node" and n.get("online")}
    guests = json.loads((DEMO / "cluster" / "resources@type=vm.json").read_text())
    return sum(1 for g in guests if g["node"] in online)


@pytest.mark.parametrize("auth", ["token", "password"])
def test_real_client_collects_the_cluster_replay_collects(server: PveServer, auth: Auth) -> None:
    api, agent_api = open_client(pve_config(server, auth), SECRETS[auth])
    live = ProxmoxAdapter("homelab", api, agent_api=agent_api).collect()
    assert live.status.error is None
    assert live.cluster is not None and len(live.cluster.guests) > 25
    assert live.cluster == replayed().cluster
    assert live.status == replayed().status  # same gaps, same number of requests
    assert server.handler_errors == []


@pytest.mark.parametrize("auth", ["token", "password"])
def test_only_gets_plus_the_ticket_login_and_no_per_node_listing(
    server: PveServer, auth: Auth
) -> None:
    api, agent_api = open_client(pve_config(server, auth), SECRETS[auth])
    ProxmoxAdapter("homelab", api, agent_api=agent_api).collect()
    log = server.request_log
    writes = [(r.method, r.path) for r in log if r.method != "GET"]
    assert writes == ([("POST", "access/ticket")] if auth == "password" else [])
    gets = [r for r in log if r.method == "GET"]
    assert {r.auth for r in gets} == {"token" if auth == "token" else "ticket"}
    endpoints = server.requests_by_endpoint()
    assert "nodes/{node}/qemu" not in endpoints and "nodes/{node}/lxc" not in endpoints
    configs = (
        endpoints["nodes/{node}/qemu/{vmid}/config"] + endpoints["nodes/{node}/lxc/{vmid}/config"]
    )
    assert configs == guests_on_online_nodes()
    asked = Counter((r.path, tuple(sorted(r.query.items()))) for r in gets)
    assert max(asked.values()) == 1, "no answer is asked for twice"
    assert len(gets) == replayed().status.requests


@pytest.mark.parametrize("auth", ["token", "password"])
def test_unrelated_ca_is_one_clear_tls_error(
    server: PveServer, auth: Auth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = pve_config(server, auth, ca_bundle=str(write_unrelated_ca(tmp_path)))
    result = collect_live(cfg, SECRETS[auth], monkeypatch)
    error = result.status.error or ""
    assert result.cluster is None and "\n" not in error
    # The call that met the TLS error: a token's first GET, or a password's ticket login.
    call = {"token": "GET cluster/status", "password": "POST access/ticket"}[auth]
    assert error.startswith(f"homelab: {call}: TLS error (certificate verify failed")
    assert "ca_bundle" in error
    assert not [r for r in server.request_log if r.method == "GET"], "nothing got through"


def test_configured_ca_bundle_beats_the_environment(
    server: PveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests would let these replace verify=True; the configured bundle must win both ways.
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(variable, SYSTEM_BUNDLE)
    ok = collect_live(pve_config(server), DEFAULT_TOKEN_SECRET, monkeypatch)
    assert ok.status.error is None and ok.cluster == replayed().cluster

    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(variable, server.ca_path)  # would verify, but is not what we set
    wrong = pve_config(server, ca_bundle=str(write_unrelated_ca(tmp_path)))
    refused = collect_live(wrong, DEFAULT_TOKEN_SECRET, monkeypatch)
    assert refused.status.error is not None
    assert "TLS error" in refused.status.error


def test_verify_ssl_false_connects_and_the_report_says_so(
    server: PveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)  # must not sneak verification back
    cfg = pve_config(server, verify_ssl=False, ca_bundle=None)
    result = collect_live(cfg, DEFAULT_TOKEN_SECRET, monkeypatch)
    assert result.status.error is None and result.cluster == replayed().cluster
    notes = [g for g in result.status.gaps if g.what == "security"]
    assert notes and "verify_ssl = false" in notes[0].reason


def test_default_verification_does_not_trust_a_self_signed_pve(
    server: PveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = collect_live(pve_config(server, ca_bundle=None), DEFAULT_TOKEN_SECRET, monkeypatch)
    assert result.status.error is not None
    assert "TLS error" in result.status.error


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ("token", "homelab: GET cluster/status: 401 Authentication failed!; check user"),
        ("password", "homelab: ticket login refused; check user and password"),
    ],
)
def test_wrong_secret_is_an_auth_error_naming_the_source(
    server: PveServer, auth: Auth, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = collect_live(pve_config(server, auth), "not-the-secret", monkeypatch)
    assert isinstance(result.status, SourceStatus) and result.cluster is None
    assert result.status.error is not None
    assert result.status.error.startswith(expected)
    assert "not-the-secret" not in result.status.error
