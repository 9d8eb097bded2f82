"""``collect record`` against a real lab: PVE over HTTPS plus real Docker engines (unix, TLS, ssh).

Record, replay the recording, and compare with a live report of the same lab: they must be the
same report. Then scan every recorded file for the secrets the lab really holds.
"""

from __future__ import annotations

import json
import socket
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.recording.config_out import dumps_toml
from tests.support.dockerd import SECRET_VALUE, LiveLab, LiveSSH
from tests.support.pve_server import DEFAULT_PASSWORD, PveServer

pytestmark = pytest.mark.live

DEMO_PVE = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab" / "pve" / "homelab"


@pytest.fixture
def lab_config(
    live_lab: LiveLab, live_ssh: LiveSSH, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A config naming every kind of source this project supports, all of them live."""
    monkeypatch.setenv("HOME", str(live_ssh.home))  # the ssh:// engine's key and known_hosts
    monkeypatch.setenv("HLC_TEST_SECRET", DEFAULT_PASSWORD)
    bravo = live_lab.bravo
    with PveServer(DEMO_PVE) as server:
        doc: dict[str, Any] = {
            "proxmox": [
                {
                    "name": "homelab",
                    "host": "127.0.0.1",
                    "port": server.port,
                    "user": "collector@pve",
                    "password_env": "HLC_TEST_SECRET",  # ticket login: there is a ticket to leak
                    "ca_bundle": server.ca_path,
                }
            ],
            "docker": [
                {"name": "alpha", "url": live_lab.alpha.unix_url},
                {
                    "name": "bravo",
                    "url": bravo.tcp_url,
                    "tls_ca": str(bravo.ca_pem),
                    "tls_cert": str(bravo.cert_pem),
                    "tls_key": str(bravo.key_pem),
                },
                {"name": "alpha-ssh", "url": live_ssh.url},
            ],
        }
        path = tmp_path / "lab.toml"
        path.write_text(dumps_toml(doc))
        yield path


def _report(*args: str) -> tuple[int, dict[str, Any]]:
    run = CliRunner().invoke(app, ["report", *args, "-f", "json", "--no-history", "--no-notify"])
    doc = json.loads(run.stdout)
    doc.pop("generated_at")
    return run.exit_code, doc


def _record(config: Path, out: Path, *extra: str) -> str:
    run = CliRunner().invoke(app, ["record", "-c", str(config), "-o", str(out), *extra])
    assert run.exit_code == 0, run.stderr
    return run.stdout


def test_record_then_replay_equals_the_live_report(lab_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    assert "of 4 source(s)" in _record(lab_config, out)
    live = _report("-c", str(lab_config))
    replayed = _report("--replay", str(out))
    assert replayed == live
    code, doc = live
    assert code == 1  # complete (3 would say a source was not); the lab has error findings
    assert all(s["complete"] for s in doc["sources"])
    assert doc["summary"]["counts_by_layer"]["container"] == 4 + 3 + 4


def test_no_recorded_file_holds_a_secret(
    lab_config: Path, live_lab: LiveLab, tmp_path: Path
) -> None:
    out = tmp_path / "rec"
    _record(lab_config, out)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 60
    key = live_lab.bravo.key_pem
    assert key is not None
    forbidden = (
        SECRET_VALUE,
        "DB_PASSWORD",
        "TZ=Europe/Berlin",  # the whole environment goes, not just what looks secret
        DEFAULT_PASSWORD,
        "PVE:collector@pve:",  # every ticket starts so
        "PVEAuthCookie",
        "CSRFPreventionToken",
        "PRIVATE KEY",
        key.read_text().splitlines()[1],
    )
    for file in files:
        text = file.read_text()
        for value in forbidden:
            assert value not in text, f"{value!r} in {file.relative_to(out)}"


def test_anonymised_live_recording_replays_to_the_same_report_shape(
    lab_config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "anon"
    _record(lab_config, out, "--anonymise")
    _, live = _report("-c", str(lab_config))
    _, replayed = _report("--replay", str(out))
    assert replayed["summary"] == live["summary"]
    findings = Counter((f["rule"], f["severity"]) for f in live["findings"])
    assert Counter((f["rule"], f["severity"]) for f in replayed["findings"]) == findings
    containers = {i["id"]: i["role"] for i in live["inventory"] if i["form"] == "docker-container"}
    assert {
        i["id"]: i["role"] for i in replayed["inventory"] if i["form"] == "docker-container"
    } == containers

    recorded = tomllib.loads((out / "config.toml").read_text())
    assert recorded["docker"][1]["tls_key"] == "/etc/homelab-collector/bravo/key.pem"
    for engine in ("alpha", "bravo", "alpha-ssh"):
        info = json.loads((out / "docker" / engine / "info.json").read_text())
        assert info["Name"] != socket.gethostname() and info["Name"].startswith("host-")
