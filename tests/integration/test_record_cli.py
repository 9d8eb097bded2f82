"""``collect report`` and ``collect record`` end to end against PVE over real HTTPS.

Proves: the live report equals the replay of the same recording; ``record`` then ``report
--replay`` reproduces the live report; no secret reaches a recorded file; ``--anonymise`` keeps
the report's shape while removing names, addresses and MACs; the exit codes of ``record``.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.recording.config_out import dumps_toml
from tests.support.pve_server import DEFAULT_PASSWORD, DEFAULT_TOKEN_SECRET, PveServer
from tests.support.recording import GuestSpec, RecordingBuilder, fake_mac

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo-lab"
SECRETS = {"token": DEFAULT_TOKEN_SECRET, "password": DEFAULT_PASSWORD}
# Planted in the served recording: values of keys the redaction must catch.
PLANTED = {
    "cipassword": "$5$PLANTEDHASH$abc",
    "sshkeys": "ssh-ed25519%20AAAAC3Nza%20alice%40laptop",
    "homelab-note": "PRIVATE-NOTE-42",
}
runner = CliRunner()


def invoke(*args: str, secret: str | None = None) -> tuple[int, str, str]:
    env = {"HLC_TEST_SECRET": secret} if secret else None
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def report_json(*args: str, secret: str | None = None) -> tuple[int, dict[str, Any]]:
    code, out, err = invoke(
        "report", *args, "-f", "json", "--no-history", "--no-notify", secret=secret
    )
    assert out.startswith("{"), err
    doc = json.loads(out)
    doc.pop("generated_at")
    return code, doc


def write_config(path: Path, server: PveServer, auth: str = "token", extra: str = "") -> Path:
    """The demo lab's config (classify rules included), its PVE source pointed at ``server``."""
    doc = tomllib.loads((DEMO / "config.toml").read_text())
    pve = {
        "name": "homelab",
        "host": "127.0.0.1",
        "port": server.port,
        "user": "collector@pve",
        "ca_bundle": server.ca_path,
    }
    if auth == "token":
        pve |= {"token_name": "collector", "token_secret_env": "HLC_TEST_SECRET"}
    else:
        pve |= {"password_env": "HLC_TEST_SECRET"}
    doc = {"proxmox": [pve], "rules": doc["rules"]}
    path.write_text(dumps_toml(doc) + extra)
    return path


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[PveServer]:
    """The demo lab's PVE with secrets planted in one guest config."""
    root = tmp_path / "served"
    shutil.copytree(DEMO / "pve" / "homelab", root)
    config = root / "nodes" / "pve1" / "qemu" / "100" / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | PLANTED))
    with PveServer(root) as server:
        yield server


def test_live_report_over_https_equals_the_replayed_demo_lab(tmp_path: Path) -> None:
    with PveServer(DEMO / "pve" / "homelab") as server:
        config = write_config(tmp_path / "live.toml", server)
        live_code, live = report_json("--config", str(config), secret=DEFAULT_TOKEN_SECRET)
    # Without recording.json the replay judges ages by the same (real) clock as the live run.
    unpinned = tmp_path / "demo"
    shutil.copytree(DEMO, unpinned)
    (unpinned / "recording.json").unlink()
    replay_code, replayed = report_json("--replay", str(unpinned), "--config", str(config))
    assert live_code == replay_code
    assert live == replayed
    assert live["summary"]["counts_by_layer"]["guest"] > 25


def _recorded_text(out: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(out.rglob("*")) if p.is_file())


@pytest.mark.parametrize("auth", ["token", "password"])
def test_record_then_replay_reproduces_the_live_report_and_writes_no_secret(
    planted: PveServer, tmp_path: Path, auth: str
) -> None:
    secret = SECRETS[auth]
    config = write_config(
        tmp_path / "c.toml", planted, auth, '\n[record]\nredact_keys = ["homelab-note"]\n'
    )
    out = tmp_path / "rec"
    code, stdout, stderr = invoke(
        "record", "--config", str(config), "--out", str(out), secret=secret
    )
    assert code == 0, stderr
    assert stdout.startswith(f"wrote a recording of 1 source(s) to {out}: ")
    live_code, live = report_json("--config", str(config), secret=secret)
    replay_code, replayed = report_json("--replay", str(out))
    assert (replay_code, replayed) == (live_code, live)

    text = _recorded_text(out)
    assert '"cipassword": "REDACTED"' in text, "the key stays, its value does not"
    for value in (secret, "PVE:collector@pve:", "PVEAuthCookie", *PLANTED.values()):
        assert value not in text, value
    writes = {(r.method, r.path) for r in planted.request_log if r.method != "GET"}
    assert writes == ({("POST", "access/ticket")} if auth == "password" else set())
    recorded = tomllib.loads((out / "config.toml").read_text())
    secret_keys = {k: v for k, v in recorded["proxmox"][0].items() if k.endswith("_env")}
    expected_key = "token_secret_env" if auth == "token" else "password_env"
    assert secret_keys == {expected_key: "HLC_TEST_SECRET"}
    assert "record" not in recorded
    assert json.loads((out / "recording.json").read_text())["recorded_at"].endswith("Z")


def _small_lab(root: Path) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"oakland-node": "192.168.77.11", "berkeley-node": "192.168.77.12"})
    lab.guest(
        "lab", GuestSpec(100, "quasar-web", "oakland-node", tags="service", ips=["192.168.77.50"])
    )
    lab.guest("lab", GuestSpec(101, "k3s-nebula", "berkeley-node", ips=["192.168.77.51"]))
    lab.guest(
        "lab",
        GuestSpec(
            200,
            "pulsar-dns",
            "berkeley-node",
            kind="lxc",
            tags="platform",
            ips=["192.168.77.53"],
            config={"description": "DNS for the Smith family\nask Bob"},
        ),
    )
    lab.write()
    return root / "pve" / "lab"


def _shape(doc: dict[str, Any]) -> dict[str, Any]:
    guests = {i["id"]: (i["role"], i["state"]) for i in doc["inventory"] if "/node/" not in i["id"]}
    return {
        "summary": doc["summary"],
        "findings": Counter((f["rule"], f["severity"]) for f in doc["findings"]),
        "guests": guests,
    }


def test_anonymised_recording_keeps_the_report_and_drops_every_identifier(tmp_path: Path) -> None:
    with PveServer(_small_lab(tmp_path / "lab")) as server:
        config = tmp_path / "c.toml"
        config.write_text(
            dumps_toml(
                {
                    "proxmox": [
                        {
                            "name": "lab",
                            "host": "127.0.0.1",
                            "port": server.port,
                            "user": "collector@pve",
                            "token_name": "collector",
                            "token_secret_env": "HLC_TEST_SECRET",
                            "ca_bundle": server.ca_path,
                        }
                    ],
                    "rules": {"classify": [{"name": "k3s-*", "form": "vm", "role": "platform"}]},
                }
            )
        )
        out = tmp_path / "anon"
        code, stdout, stderr = invoke(
            "record", "-c", str(config), "-o", str(out), "--anonymise", secret=DEFAULT_TOKEN_SECRET
        )
        assert code == 0, stderr
        assert "anonymised recording" in stdout
        _, live = report_json("--config", str(config), secret=DEFAULT_TOKEN_SECRET)
    _, replayed = report_json("--replay", str(out))
    assert _shape(replayed) == _shape(live)
    assert dict(_shape(live)["guests"])["pve:lab/qemu/101"][0] == "platform"  # via k3s-*

    text = _recorded_text(out)
    names = ("oakland", "berkeley", "quasar", "nebula", "pulsar", "Smith", "Bob", "192.168.77.")
    macs = [fake_mac(seed) for seed in ("qemu100", "qemu101", "lxc200")]
    for value in (*names, *macs, *(m.upper() for m in macs)):
        assert value not in text, value
    renamed = {i["name"] for i in replayed["inventory"] if i["form"] in ("vm", "lxc", "node")}
    assert any(n.startswith("k3s-") for n in renamed), "the classify pattern's prefix survives"


def test_record_refuses_to_overwrite_and_force_replaces(planted: PveServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", planted)
    out = tmp_path / "rec"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = invoke("record", "-c", str(config), "-o", str(out), secret=DEFAULT_TOKEN_SECRET)
    assert code == 2 and "not empty" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    code, _, _ = invoke(
        "record", "-c", str(config), "-o", str(out), "--force", secret=DEFAULT_TOKEN_SECRET
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "config.toml",
        "keep.txt",
        "pve",
        "recording.json",
    ]


def test_record_config_errors_exit_2_and_leave_nothing_behind(
    planted: PveServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "c.toml", planted)
    before = set(tmp_path.iterdir())
    code, _, err = invoke("record", "-c", str(config), "-o", str(tmp_path / "rec"))  # no secret
    assert code == 2 and "HLC_TEST_SECRET" in err
    code, _, err = invoke(
        "record", "-c", str(config), "-o", str(tmp_path / "rec"), "--salt", "x", secret="s"
    )
    assert code == 2 and "only makes sense with --anonymise" in err
    assert set(tmp_path.iterdir()) == before, "no staging folder or partial recording is left"


def test_a_failing_source_exits_3_and_the_rest_is_still_recorded(
    planted: PveServer, tmp_path: Path
) -> None:
    extra = f'\n[[docker]]\nname = "gone"\nurl = "unix://{tmp_path}/no-such.sock"\n'
    config = write_config(tmp_path / "c.toml", planted, extra=extra)
    out = tmp_path / "rec"
    code, _, err = invoke("record", "-c", str(config), "-o", str(out), secret=DEFAULT_TOKEN_SECRET)
    assert code == 3
    assert "gone: GET /version: cannot connect to the engine" in err
    assert (out / "pve" / "homelab" / "cluster" / "status.json").is_file()
    code, doc = report_json("--replay", str(out))
    sources = {s["name"]: s for s in doc["sources"]}
    assert code == 3 and sources["homelab"]["complete"] and not sources["gone"]["complete"]
