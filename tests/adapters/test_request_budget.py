"""The request budget, counted by real servers: the formula in ``tests/support/budget.py`` is exact.

A lab of known composition is served over HTTPS (``PveServer``) and a unix socket
(``DockerServer``) and collected through the real client stack (``open_client`` /
``DockerClient``), so what is counted is what a live run would send: per endpoint, per
method, per connection.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from adapters.docker.adapter import DockerAdapter
from adapters.docker.client import DockerClient
from adapters.proxmox.adapter import FIXED_REQUESTS, ProxmoxAdapter
from adapters.proxmox.client import open_client
from collector.config import DockerConfig, ProxmoxConfig
from collector.model import SourceResult
from tests.support.budget import FIXED_ENDPOINTS, PVE_FIXED, docker_budget, pve_budget
from tests.support.docker_server import DockerServer
from tests.support.pve_server import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN_SECRET,
    PveServer,
)
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

CONCURRENCY = 4  # fewer workers than guests, so connection reuse is visible

# Per online node: what each kind of guest costs beyond the 8 cluster-wide calls.
RUNNING_AGENT_VMS = 6  # config + agent
RUNNING_VMS_AGENT_OFF = 2  # config only ("agent: 0")
STOPPED_VMS = 3  # config only
TEMPLATES = 1  # config only
RUNNING_LXC = 5  # config + interfaces
STOPPED_LXC = 2  # config only
ONLINE_NODES = ("pve1", "pve2")
OFFLINE_NODE = "pve3"  # its guests cost nothing: PVE could not answer for them anyway


def _build_lab(root: Path) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster(
        "lab",
        {"pve1": "10.0.0.1", "pve2": "10.0.0.2", OFFLINE_NODE: "10.0.0.3"},
        offline=(OFFLINE_NODE,),
    )
    vmid = 100
    plan = [
        (RUNNING_AGENT_VMS, "qemu", "running", "1", False),
        (RUNNING_VMS_AGENT_OFF, "qemu", "running", "0", False),
        (STOPPED_VMS, "qemu", "stopped", "1", False),
        (TEMPLATES, "qemu", "stopped", "1", True),
        (RUNNING_LXC, "lxc", "running", None, False),
        (STOPPED_LXC, "lxc", "stopped", None, False),
    ]
    for node in ONLINE_NODES:
        for count, kind, status, agent, template in plan:
            for _ in range(count):
                spec = GuestSpec(
                    vmid, f"g{vmid}", node, kind=kind, status=status, agent=agent,
                    template=template, ips=[f"10.1.{vmid // 250}.{vmid % 250}"],
                )  # fmt: skip
                if vmid == 100:  # a silent agent still costs exactly its one call
                    spec.agent_error = {"status": 500, "message": "QEMU guest agent is not running"}
                lab.guest("lab", spec)
                vmid += 1
    lab.guest("lab", GuestSpec(900, "lost-vm", OFFLINE_NODE))
    lab.guest("lab", GuestSpec(901, "lost-ct", OFFLINE_NODE, kind="lxc"))
    # Backup storages: "pbs" is shared (one listing), "local" is per node (one per online node),
    # "iso" holds no backups (no listing).
    lab.storage("lab", "pbs", "pbs", shared=True)
    lab.storage("lab", "local", "dir", shared=False, content="backup,iso,vztmpl")
    lab.storage("lab", "iso", "nfs", shared=True, content="iso")
    lab.backup_job("lab", "daily", all=1)
    lab.backup("lab", "pve1", "pbs", "qemu", 101, 1763600000, pbs=True)
    lab.engine(
        "apps",
        hostname="g101",
        containers=[
            ContainerSpec(f"c{i}", image=f"registry.lab/app{i % 3}:1", state="running")
            for i in range(10)
        ]
        # Pinned by digest: the reference says the digest, so no image inspect is made.
        + [ContainerSpec(f"p{i}", image=f"registry.lab/pinned@sha256:{i:064x}") for i in (1, 2)],
    )
    return lab.write()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_lab(tmp_path_factory.mktemp("budget"))


def _config(server: PveServer, *, password: bool = False, **extra: Any) -> ProxmoxConfig:
    settings: dict[str, Any] = {
        "name": "lab",
        "host": server.host,
        "port": server.port,
        "user": "collector@pve",
        "ca_bundle": server.ca_path,
        "concurrency": CONCURRENCY,
    }
    if password:
        settings["password_env"] = "PVE_PASSWORD"
    else:
        settings |= {"token_name": "collector", "token_secret_env": "PVE_TOKEN_SECRET"}
    return ProxmoxConfig(**settings, **extra)


def _collect(cfg: ProxmoxConfig, secret: str) -> SourceResult:
    api, agent_api = open_client(cfg, secret)
    return ProxmoxAdapter("lab", api, agent_api=agent_api, concurrency=cfg.concurrency).collect()


def _incomplete(result: SourceResult) -> list[str]:
    return [g.subject for g in result.status.gaps if g.incomplete]


EXPECTED = Counter(
    {
        **dict.fromkeys(FIXED_ENDPOINTS, 1),
        "nodes/{node}/qemu/{vmid}/config": len(ONLINE_NODES)
        * (RUNNING_AGENT_VMS + RUNNING_VMS_AGENT_OFF + STOPPED_VMS + TEMPLATES),
        "nodes/{node}/lxc/{vmid}/config": len(ONLINE_NODES) * (RUNNING_LXC + STOPPED_LXC),
        "nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": len(ONLINE_NODES)
        * RUNNING_AGENT_VMS,
        "nodes/{node}/lxc/{vmid}/interfaces": len(ONLINE_NODES) * RUNNING_LXC,
        "nodes/{node}/storage/{storage}/content@content=backup": 1 + len(ONLINE_NODES),
        "storage": 1,  # "pbs" is of type pbs: where it writes is in /storage
    }
)


def test_fixed_calls_are_the_nine_cluster_wide_endpoints() -> None:
    assert PVE_FIXED == FIXED_REQUESTS == 9


def test_pve_requests_match_the_formula_exactly(lab: Path) -> None:
    with PveServer(lab / "pve" / "lab") as server:
        result = _collect(_config(server), DEFAULT_TOKEN_SECRET)
        seen = server.requests_by_endpoint(method=None)
        log = server.request_log
        connections = server.connection_count
    cluster = result.cluster
    assert cluster is not None
    assert seen == EXPECTED
    assert sum(seen.values()) == 9 + 1 + 38 + 12 + 10 + 3 == 73
    # The formula applied to what was collected gives the same numbers.
    budget = pve_budget(cluster)
    assert budget.by_endpoint() == EXPECTED
    assert budget.total == sum(seen.values()) == result.status.requests
    # Read-only, no per-node guest listing, nothing sent to the node that is down.
    assert {r.method for r in log} == {"GET"}
    assert not {"nodes", "nodes/{node}/qemu", "nodes/{node}/lxc"} & set(seen)
    assert not [r.path for r in log if r.path.startswith(f"nodes/{OFFLINE_NODE}/")]
    # One keep-alive pool: at most one connection per worker, one credential kind, no logins.
    assert connections <= CONCURRENCY
    assert {r.auth for r in log} == {"token"}


def test_ticket_login_happens_once_per_run(lab: Path) -> None:
    with PveServer(lab / "pve" / "lab") as server:
        result = _collect(_config(server, password=True), DEFAULT_PASSWORD)
        log = server.request_log
        connections = server.connection_count
    assert [r.path for r in log if r.method != "GET"] == ["access/ticket"]
    assert {r.auth for r in log if r.method == "GET"} == {"ticket"}
    assert len([r for r in log if r.method == "GET"]) == sum(EXPECTED.values())
    assert connections <= CONCURRENCY + 1  # the login POST has a connection of its own
    assert _incomplete(result) == [f"pve:lab/node/{OFFLINE_NODE}"]


def test_a_hung_agent_costs_its_own_short_timeout_not_the_run(lab: Path) -> None:
    with PveServer(lab / "pve" / "lab") as server:
        fault = server.add_fault("nodes/pve1/qemu/101/agent/*", "hang", seconds=10)
        started = time.monotonic()
        result = _collect(_config(server, agent_timeout=0.5), DEFAULT_TOKEN_SECRET)
        elapsed = time.monotonic() - started
        seen = server.requests_by_endpoint()
    status = result.status
    assert fault.fired == 1  # agent calls are never retried
    assert elapsed < 5  # bounded by agent_timeout, far below the 10 s hang and timeout
    (gap,) = [g for g in status.gaps if g.subject == "pve:lab/qemu/101"]
    assert gap.what == "agent" and "timed out" in gap.reason and not gap.incomplete
    # An agent that does not answer narrows what is known; only the node that is down makes
    # the run incomplete.
    assert _incomplete(result) == [f"pve:lab/node/{OFFLINE_NODE}"]
    assert seen == EXPECTED


def test_docker_requests_are_one_listing_plus_the_inspects_it_needs(lab: Path) -> None:
    with DockerServer(lab / "docker" / "apps") as server:
        cfg = DockerConfig(name="apps", url=server.url, concurrency=CONCURRENCY)
        result = DockerAdapter("apps", cfg.url, DockerClient(cfg), concurrency=4).collect()
        seen = server.requests_by_endpoint()
        connections = server.connection_count
        methods = {r.method for r in server.request_log}
    assert result.engine is not None
    assert seen == Counter(
        {"version": 1, "info": 1, "containers/json": 1, "containers/{id}/json": 12}
        # One digest lookup per distinct image whose reference pins no digest: not per
        # container, and none for the two pinned ones.
        | {"images/{id}/json": 3}
    )
    assert sum(seen.values()) == docker_budget(result.engine) == result.status.requests
    assert methods == {"GET"}
    # docker-py keys its unix-socket pools by URL; the client pins them to one pool.
    assert connections <= CONCURRENCY
