"""Fault matrix, PVE policy rows: agent privilege, TLS settings vs the environment, retries, the
run deadline and clear-text transport. Real proxmoxer over ``PveServer``, real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.faults.lab import (
    ALL_GUESTS,
    assert_docker_intact,
    assert_pve_intact,
    build_lab,
    docker_toml,
    invoke,
    pve_toml,
    run_report,
)
from tests.support import pve_server
from tests.support.certs import ServerCerts
from tests.support.docker_server import DockerServer
from tests.support.pve_server import PveServer


def _config(pve: PveServer, engine: DockerServer, *, collect: str = "", **kw: object) -> str:
    return pve_toml(pve.port, pve.ca_path, **kw) + docker_toml(engine.url) + collect  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "privilege"), [("9.1.3", "VM.GuestAgent.Audit"), ("8.4.1", "VM.Monitor")]
)
def test_agent_403_is_reported_once_with_the_placements_it_weakened(
    tmp_path: Path, certs: ServerCerts, engine: DockerServer, version: str, privilege: str
) -> None:
    lab = build_lab(tmp_path / "lab")
    (lab / "pve/lab/version.json").write_text(
        json.dumps({"version": version, "release": version[:3]})
    )
    with PveServer(lab / "pve" / "lab", certs=certs, forbidden=["*/agent/*"]) as pve:
        outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 1, outcome.stderr  # complete: coverage narrowed, nothing unread
    (gap,) = outcome.gaps("lab", "agent-permission")  # once per source, not once per VM
    assert gap["subject"] == "pve:lab" and not gap["incomplete"]
    assert privilege in gap["reason"]
    assert all(f"qemu/{vmid}" in gap["reason"] for vmid in (100, 101, 102))
    assert not outcome.gaps("lab", "agent")
    (weakened,) = outcome.gaps("lab", "placement")
    assert weakened["subject"] == "docker:apps" and "hostname" in weakened["reason"]
    assert outcome.item("pve:lab/lxc/200")["ips"] == ["10.0.0.60"]  # LXC addresses still read
    assert outcome.item("pve:lab/qemu/100")["ips"] == []  # the agent's answer is missing
    assert_docker_intact(outcome)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
@pytest.mark.parametrize("setting", ["ca_bundle", "verify_ssl = false"])
def test_tls_settings_win_over_ca_bundle_environment(
    tmp_path: Path,
    pve: PveServer,
    engine: DockerServer,
    unrelated_ca: str,
    variable: str,
    setting: str,
) -> None:
    """requests would let these variables replace a session's verify; the config must win."""
    if setting == "ca_bundle":
        text = pve_toml(pve.port, pve.ca_path)
    else:
        text = pve_toml(pve.port, None, extra="verify_ssl = false")
    env = {variable: unrelated_ca}
    outcome = run_report(tmp_path, text + docker_toml(engine.url), env=env)
    assert outcome.code == 1, outcome.source("lab")
    assert_pve_intact(outcome, ALL_GUESTS)
    notes = outcome.gaps("lab", "security")
    assert bool(notes) is (setting != "ca_bundle")  # an unverified connection is said so


def test_configured_ca_is_not_replaced_by_a_matching_environment_bundle(
    tmp_path: Path, pve: PveServer, engine: DockerServer, unrelated_ca: str
) -> None:
    env = {"REQUESTS_CA_BUNDLE": pve.ca_path, "CURL_CA_BUNDLE": pve.ca_path}
    outcome = run_report(tmp_path, _config(pve, engine).replace(pve.ca_path, unrelated_ca), env=env)
    assert outcome.code == 3
    assert "certificate verify failed" in outcome.source("lab")["error"]


def test_retry_recovers_from_one_502(tmp_path: Path, pve: PveServer, engine: DockerServer) -> None:
    fault = pve.add_fault("cluster/status", "error", status=502, message="Bad Gateway", times=1)
    dropped = pve.add_fault("cluster/resources@type=vm", "close", times=1)
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 1, outcome.doc["sources"]
    assert fault.fired == 1 and dropped.fired == 1
    assert pve.requests_by_endpoint()["cluster/status"] == 2
    assert_pve_intact(outcome, ALL_GUESTS)


def test_retry_is_bounded(tmp_path: Path, pve: PveServer, engine: DockerServer) -> None:
    pve.add_fault("nodes/pve1/qemu/100/config", "error", status=503, message="busy")
    outcome = run_report(tmp_path, _config(pve, engine))
    assert outcome.code == 3
    (gap,) = outcome.gaps("lab", "config")
    assert gap["subject"] == "pve:lab/qemu/100" and "503" in gap["reason"]
    asked = [r for r in pve.request_log if r.path == "nodes/pve1/qemu/100/config"]
    assert len(asked) == 2  # the first attempt and one retry, no more


def test_retries_zero_disables_the_retry(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    fault = pve.add_fault("cluster/status", "error", status=502, message="Bad Gateway", times=1)
    outcome = run_report(tmp_path, _config(pve, engine, collect="[collect]\nretries = 0\n"))
    assert outcome.code == 3 and fault.fired == 1
    assert "502" in outcome.source("lab")["error"]


def test_run_deadline_abandons_outstanding_guest_reads(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    pve.add_fault("nodes/*/config", "hang", seconds=10)
    text = _config(pve, engine, timeout=1, collect="[collect]\ndeadline_seconds = 1.5\n")
    outcome = run_report(
        tmp_path, text.replace("timeout = 1\n", "timeout = 1\nconcurrency = 1\n", 1)
    )
    assert outcome.code == 3
    gaps = outcome.gaps("lab", "config")
    assert len(gaps) == 6 and all(g["incomplete"] for g in gaps)  # 5 guests + template
    abandoned = [g for g in gaps if "deadline" in g["reason"]]
    assert abandoned and "deadline_seconds" in abandoned[0]["reason"]
    assert outcome.seconds < 1.5 + 2 * 1 + 1.5  # deadline + one request (and its retry) + slack
    assert set(ALL_GUESTS) <= outcome.ids()  # listed, even if not completed
    assert_docker_intact(outcome)


@pytest.mark.parametrize(
    ("collect", "key"),
    [
        ("deadline_seconds = 0", "deadline_seconds"),
        ('deadline_seconds = "5m"', "deadline_seconds"),
        ("retries = 9", "retries"),
        ("retry = 1", "retry"),
    ],
)
def test_bad_collect_table_is_a_config_error(tmp_path: Path, collect: str, key: str) -> None:
    text = pve_toml(8006, None) + f"[collect]\n{collect}\n"
    code, _, err = invoke(tmp_path, text, "report", "--no-history")
    assert code == 2 and f"[collect].{key}" in err and "Traceback" not in err


def test_plain_http_is_refused_unless_allowed(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, pve_toml(8006, None, extra='scheme = "http"'), "report")
    assert code == 2 and "allow_insecure_http" in err
    code, _, err = invoke(
        tmp_path, pve_toml(8006, None).replace("127.0.0.1", "http://127.0.0.1"), "report"
    )
    assert code == 2 and "host must be a host name" in err


def test_plain_http_with_a_password_is_refused(tmp_path: Path) -> None:
    """proxmoxer logs in over https only; a password in clear text is refused, not half-tried."""
    extra = 'scheme = "http"\nallow_insecure_http = true'
    code, _, err = invoke(tmp_path, pve_toml(8006, None, auth="password", extra=extra), "report")
    assert code == 2 and "works only with an API token" in err and "Traceback" not in err


class _PlainHTTPServer(pve_server._HTTPServer):
    """PveServer's server without TLS: the same handler, answers and auth over plain HTTP."""

    def finish_request(self, request: object, client_address: object) -> None:
        pve_server._Handler(request, client_address, self)  # type: ignore[arg-type]


def test_plain_http_when_allowed_works_and_warns(
    tmp_path: Path, lab: Path, engine: DockerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pve_server, "_HTTPServer", _PlainHTTPServer)
    with PveServer(lab / "pve" / "lab") as pve:
        extra = 'scheme = "http"\nallow_insecure_http = true'
        outcome = run_report(
            tmp_path, pve_toml(pve.port, None, extra=extra) + docker_toml(engine.url)
        )
    assert outcome.code == 1, outcome.source("lab")
    assert_pve_intact(outcome, ALL_GUESTS)
    (note,) = outcome.gaps("lab", "security")
    assert "plain HTTP" in note["reason"] and not note["incomplete"]
