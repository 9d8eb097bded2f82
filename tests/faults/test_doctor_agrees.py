"""``collect doctor`` and ``collect report`` judge the same lab the same way.

Both classify through ``collector.model.Impact`` and the adapters' call tables: what makes the
report exit 3 (a source or part of the inventory lost) makes the doctor say NOT READY (exit 3);
what the report only notes as a coverage gap, the doctor only warns about (exit 0). Each case
runs both commands against one served lab with one condition injected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.lab import (
    AUDITOR_PERMISSIONS,
    build_lab,
    docker_toml,
    invoke,
    pve_toml,
    run_report,
)
from tests.support.certs import ServerCerts
from tests.support.docker_server import DockerServer
from tests.support.pve_server import PveServer

FULL_9 = {**AUDITOR_PERMISSIONS, "/vms": {"VM.Audit": 1, "VM.GuestAgent.Audit": 1}}
Inject = Callable[[PveServer, Path], None]


def _nothing(_pve: PveServer, _lab: Path) -> None:
    return None


def _resources_500(pve: PveServer, _lab: Path) -> None:
    pve.add_fault("cluster/resources@type=vm", "error", status=500, message="internal error")


def _storages_500(pve: PveServer, _lab: Path) -> None:
    pve.add_fault("cluster/resources@type=storage", "error", status=500, message="busy")


def _ha_forbidden(pve: PveServer, _lab: Path) -> None:
    pve.forbid("cluster/ha/resources")


def _version_500(pve: PveServer, _lab: Path) -> None:
    pve.add_fault("version", "error", status=500, message="internal error")


def _guests_hidden(_pve: PveServer, lab: Path) -> None:
    """What a token without VM.Audit sees: PVE filters the guest listing, it does not refuse."""
    (lab / "pve/lab/cluster/resources@type=vm.json").write_text("[]")


def _node_missing_from_status(_pve: PveServer, lab: Path) -> None:
    status = lab / "pve/lab/cluster/status.json"
    items = json.loads(status.read_text())
    status.write_text(json.dumps([i for i in items if i.get("name") != "pve2"]))


CASES: list[tuple[str, Inject, dict[str, object], tuple[str, ...], int]] = [
    # (case, injected fault, permissions, offline nodes, exit code of both commands)
    ("all granted", _nothing, FULL_9, (), 0),
    ("no agent privilege", _nothing, AUDITOR_PERMISSIONS, (), 0),
    ("no VM.Audit", _guests_hidden, {**FULL_9, "/vms": {"VM.GuestAgent.Audit": 1}}, (), 3),
    ("node offline", _nothing, FULL_9, ("pve2",), 3),
    ("node missing from cluster/status", _node_missing_from_status, FULL_9, (), 3),
    ("guest listing 500", _resources_500, FULL_9, (), 3),
    ("storage listing 500", _storages_500, FULL_9, (), 0),
    ("HA forbidden", _ha_forbidden, FULL_9, (), 0),
    ("version 500", _version_500, FULL_9, (), 0),
]


@pytest.mark.parametrize(
    ("inject", "permissions", "offline", "code"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_doctor_and_report_classify_alike(
    tmp_path: Path,
    certs: ServerCerts,
    engine: DockerServer,
    inject: Inject,
    permissions: dict[str, object],
    offline: tuple[str, ...],
    code: int,
) -> None:
    lab = build_lab(tmp_path / "lab", offline=offline, permissions=permissions)
    # Findings must not decide the report's exit code here: only completeness does.
    rules = "[rules.backup-missing]\nenabled = false\n[rules.docker-on-node]\nenabled = false\n"
    with PveServer(lab / "pve" / "lab", certs=certs) as pve:
        inject(pve, lab)
        text = pve_toml(pve.port, pve.ca_path) + docker_toml(engine.url) + rules
        doctor, out, _ = invoke(tmp_path, text, "doctor")
        report = run_report(tmp_path, text)
    assert doctor == code, out
    assert report.code == code, report.doc["sources"]
    ready = "ready" if code == 0 else "NOT READY"
    assert f"proxmox 'lab': {ready}" in out


def test_a_docker_info_refused_is_a_warning_for_both(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``/info`` names the engine, the listing is its inventory: a socket proxy refusing
    ``/info`` leaves the containers readable, so neither command calls the engine unusable."""
    root = build_lab(tmp_path_factory.mktemp("proxied")) / "docker" / "apps"
    (root / "info.json").unlink()
    (root / "info.error.json").write_text(json.dumps({"status": 403, "message": "Forbidden"}))
    with DockerServer(root) as engine:
        text = docker_toml(engine.url)
        doctor, out, _ = invoke(tmp_path, text, "doctor")
        report = run_report(tmp_path, text)
    assert doctor == 0, out
    (line,) = [x for x in out.splitlines() if "GET /info" in x]
    assert line.startswith("  WARN") and "socket proxy" in line
    assert report.code == 0  # complete: the 403 on /info is a coverage gap, not a failure
    (gap,) = report.gaps("apps", "info")
    assert gap["incomplete"] is False and "GET /info: 403" in gap["reason"]
    assert {"docker:apps/db", "docker:apps/web"} <= report.ids()
