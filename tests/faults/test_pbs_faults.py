"""A PVE cluster whose token cannot see its backups, and the PBS that can, both over real HTTPS
(``PveServer``, ``PbsServer``), through the CLI: what the report says with the PBS up, with the
PBS down, after a record and replay, and that no secret of either reaches any output.

The lab: guests 100 (fresh backup on PBS) and 101 (40 days old) in a job to the PBS storage,
102 in no job. PVE's token has the read-only role, so PVE lists no backup at all.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collector.cli import app
from tests.support.pbs_server import DEFAULT_TOKEN_ID, PbsServer
from tests.support.pbs_server import DEFAULT_TOKEN_SECRET as PBS_SECRET
from tests.support.pbs_shapes import snapshot, upid, write_answers
from tests.support.pve_server import DEFAULT_TOKEN_SECRET as PVE_SECRET
from tests.support.pve_server import PveServer
from tests.support.recording import GuestSpec, RecordingBuilder

NOW = 1_795_694_400  # 2026-11-26 12:00 UTC
DAY = 86400
READ_ONLY = {
    path: {"Sys.Audit": 1, "VM.Audit": 1, "Datastore.Audit": 1, "Pool.Audit": 1}
    for path in ("/", "/nodes", "/pool", "/storage", "/vms")
}


def _pbs_lab(root: Path) -> Path:
    owner = "pve@pbs!lab"
    done = ("ok", upid("verificationjob", "backup:v", NOW - DAY + 3600))
    snaps = [
        snapshot("vm", "100", NOW - DAY, owner, verified=done),
        snapshot("vm", "101", NOW - 40 * DAY, owner, verified=done),
    ]
    verify = {"id": "v", "store": "backup", "schedule": "05:00", "ns": "lab"}
    write_answers(
        root,
        {
            "version": {"version": "4.1", "release": "2", "repoid": "0" * 40},
            "admin/datastore": [
                {"store": "backup", "comment": None, "mount-status": "nonremovable",
                 "backend-type": "filesystem"}
            ],
            "status/datastore-usage": [],
            "admin/gc": [],
            "admin/verify": [verify],
            "admin/prune": [],
            "admin/sync@sync-direction=all": [],
            "admin/datastore/backup/namespace": [{"ns": ""}, {"ns": "lab"}],
            "admin/datastore/backup/snapshots": [],
            "admin/datastore/backup/snapshots@ns=lab": snaps,
        },
    )  # fmt: skip
    return root


def _pve_lab(root: Path, pbs_port: int) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"pve1": "10.0.0.11"}, permissions=READ_ONLY)
    for vmid in (100, 101, 102):
        config = {"description": "x", "onboot": 1}
        lab.guest("lab", GuestSpec(vmid, f"g{vmid}", "pve1", agent="0", config=config))
    target = {"server": "127.0.0.1", "port": pbs_port, "datastore": "backup", "namespace": "lab"}
    lab.storage("lab", "pbs", "pbs", shared=True, config=target | {"username": "pve@pbs!lab"})
    lab.backup_job("lab", "daily", vmid="100,101", storage="pbs")
    return lab.write() / "pve" / "lab"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[PveServer, PbsServer]]:
    with (
        PbsServer(_pbs_lab(tmp_path / "pbs")) as pbs,
        PveServer(_pve_lab(tmp_path / "lab", pbs.port)) as pve,
    ):
        yield pve, pbs


def _config(pve: PveServer, pbs_port: int, pbs_ca: str) -> str:
    return (
        f'[[proxmox]]\nname = "lab"\nhost = "127.0.0.1"\nport = {pve.port}\n'
        f'user = "collector@pve"\ntoken_name = "collector"\ntoken_secret_env = "PVE_SECRET"\n'
        f'ca_bundle = "{pve.ca_path}"\ntimeout = 3\n\n'
        f'[[pbs]]\nname = "pbs"\nhost = "127.0.0.1"\nport = {pbs_port}\n'
        f'token_id = "{DEFAULT_TOKEN_ID}"\ntoken_secret_env = "PBS_SECRET"\n'
        f'ca_bundle = "{pbs_ca}"\ntimeout = 3\n'
    )


def _run(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    env = {"PVE_SECRET": PVE_SECRET, "PBS_SECRET": PBS_SECRET}
    result = CliRunner().invoke(app, [*args, "-c", str(config)], env=env)
    assert not isinstance(result.exception, Exception), result.output
    return result.exit_code, result.stdout + result.stderr


def _report(tmp_path: Path, text: str, name: str = "report.json") -> tuple[int, dict[str, Any]]:
    out = tmp_path / name
    code, _ = _run(tmp_path, text, "report", "-f", "json", "-o", str(out), "--no-history")
    return code, json.loads(out.read_text(encoding="utf-8"))


def _backup_findings(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule"], f["subject"]) for f in doc["findings"] if f["rule"].startswith("backup")}


def test_with_pbs_up_the_ages_pve_hides_come_from_pbs(
    tmp_path: Path, servers: tuple[PveServer, PbsServer]
) -> None:
    pve, pbs = servers
    code, doc = _report(tmp_path, _config(pve, pbs.port, pbs.ca_path))
    assert code == 1  # backup-missing is an error
    assert {s["name"]: s["complete"] for s in doc["sources"]} == {"lab": True, "pbs": True}
    assert _backup_findings(doc) == {
        ("backup-missing", "pve:lab/qemu/102"),
        ("backup-stale", "pve:lab/qemu/101"),
    }
    rows = {r["guest"]: r for r in doc["backups"]}
    assert rows["pve:lab/qemu/100"]["newest"]["origin"] == "pbs:pbs/backup/lab"
    assert {r.method for r in pve.request_log + pbs.request_log} == {"GET"}


def test_with_pbs_down_pve_checks_are_unaffected_and_the_ages_stay_unknown(
    tmp_path: Path, servers: tuple[PveServer, PbsServer]
) -> None:
    pve, pbs = servers
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        refused = int(sock.getsockname()[1])
    code, doc = _report(tmp_path, _config(pve, refused, pbs.ca_path))
    assert code == 3  # a source could not be read
    sources = {s["name"]: s for s in doc["sources"]}
    assert sources["lab"]["complete"] is True
    assert sources["pbs"]["error"] == (
        "pbs: GET admin/datastore: cannot connect (connection refused); check host and port "
        "(PBS: 8007)"
    )
    # PVE-side: backup-missing needs no listing and is there; no stale claim from hidden ages.
    assert _backup_findings(doc) == {("backup-missing", "pve:lab/qemu/102")}
    (gap,) = [g for g in sources["lab"]["gaps"] if g["what"] == "backup visibility"]
    assert gap["reason"].endswith(
        "; the [[pbs]] source 'pbs' that could read them did not answer (see Sources)"
    )
    rows = {r["guest"]: r for r in doc["backups"]}
    assert rows["pve:lab/qemu/101"]["newest"] is None
    assert rows["pve:lab/qemu/101"]["unknown_on"] == ["pbs"]


def test_record_then_replay_gives_the_same_report_and_no_secret_anywhere(
    tmp_path: Path, servers: tuple[PveServer, PbsServer]
) -> None:
    pve, pbs = servers
    text = _config(pve, pbs.port, pbs.ca_path)
    outputs = []
    code, live = _report(tmp_path, text, "live.json")
    for args in (
        ("record", "-o", str(tmp_path / "recorded")),
        ("doctor",),
        ("report", "-f", "markdown", "-o", str(tmp_path / "report.md"), "--no-history"),
    ):
        outputs.append(_run(tmp_path, text, *args)[1])
    assert (tmp_path / "recorded" / "pbs" / "pbs" / "admin" / "datastore.json").is_file()
    replay = tmp_path / "replayed.json"
    result = CliRunner().invoke(
        app, ["report", "--replay", str(tmp_path / "recorded"), "-f", "json", "-o", str(replay)]
    )
    assert result.exit_code == code == 1, result.output
    replayed = json.loads(replay.read_text(encoding="utf-8"))
    assert _backup_findings(replayed) == _backup_findings(live)
    assert replayed["backups"] == live["backups"]
    secrets = (PBS_SECRET, PVE_SECRET)
    assert not [s for s in secrets for o in outputs if s in o]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not [(p, s) for p in files for s in secrets if s.encode() in p.read_bytes()]
