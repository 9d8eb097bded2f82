"""Recorders and the anonymiser, on every shipped recording, with no network.

Recording a *replay* runs the real recorders (``adapters/*/record.py``) over the real adapters,
through the real wiring (``recording_sources(..., replay=folder)``), so
"record, then replay the recording" must give back exactly the report of the original folder,
for the demo lab and every scenario. Anonymising must keep the report's shape: same counts,
same findings (rule, severity, subject), same roles and placements.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.common.recording import Recorder, RecordingJsonApi
from adapters.docker import errors as docker_errors
from adapters.docker.record import RecordingDockerClient
from adapters.docker.replay import ReplayDockerClient
from adapters.proxmox import errors as pve_errors
from adapters.proxmox.replay import ReplayPveApi
from collector.collection.orchestrate import run_report
from collector.collection.record import RecordOptions, record_lab
from collector.collection.wiring import recording_sources, replay_sources
from collector.config import load_config
from collector.errors import SourceConnectionError, SourceResponseError
from collector.recording.anonymise import anonymise_recording
from collector.recording.redact import Redactor
from collector.recording.store import write_json
from collector.report.build import Report
from collector.report.document import report_document
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CASES = [
    FIXTURES / "demo-lab",
    *sorted(
        p.parent
        for p in FIXTURES.glob("scenarios/*/config.toml")
        if "config_error" not in json.loads((p.parent / "expected.json").read_text())
    ),  # a scenario whose config is meant to be refused records nothing
]
NOW = datetime.fromisoformat("2026-11-26T12:00:00+00:00")


def _record(
    folder: Path, out: Path, *, anonymise: bool = False, salt: bytes | None = None
) -> Report:
    config = load_config(folder / "config.toml")
    options = RecordOptions(out, anonymiser=anonymise_recording if anonymise else None, salt=salt)
    return record_lab(
        config, options, lambda root: recording_sources(config, root, replay=folder), now=NOW
    )


def _replay(folder: Path) -> Report:
    config = load_config(folder / "config.toml")
    return run_report(config, replay_sources(config, folder), now=NOW)


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_replaying_a_recording_gives_the_live_report(folder: Path, tmp_path: Path) -> None:
    live = _record(folder, tmp_path / "rec")
    assert report_document(_replay(tmp_path / "rec")) == report_document(live)
    assert report_document(live) == report_document(_replay(folder))


def _shape(report: Report, nodes: dict[str, str]) -> dict[str, Any]:
    """Everything a report decides, with node names (the only renamed ids) mapped back."""

    def unmap(subject: str) -> str:
        subject = re.sub(  # a declared system's guest name and host are pseudonyms too
            r"^(declared:[^/]+/)([^@]+)(?:@(.+))?$",
            lambda m: (
                m.group(1)
                + nodes.get(m.group(2), m.group(2))
                + (f"@{nodes.get(m.group(3), m.group(3))}" if m.group(3) else "")
            ),
            subject,
        )
        return re.sub(
            r"(/node/)([^/]+)$", lambda m: m.group(1) + nodes.get(m.group(2), m.group(2)), subject
        )

    doc = report_document(report)
    inv = report.inventory
    return {
        "summary": doc["summary"],
        "sources": [
            (s["name"], s["complete"], s["error"] is None, s["requests"], len(s["gaps"]))
            for s in doc["sources"]
        ],
        "findings": Counter(
            (f["rule"], f["severity"], unmap(f["subject"])) for f in doc["findings"]
        ),
        "roles": {unmap(k): v.role for k, v in inv.roles.items()},
        "placements": {
            k: (p.method, unmap(p.target) if p.target else None, len(p.candidates))
            for k, p in inv.placements.items()
        },
    }


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_anonymised_recording_keeps_the_report_shape(folder: Path, tmp_path: Path) -> None:
    live = _record(folder, tmp_path / "anon", anonymise=True, salt=b"test-salt")
    replayed = _replay(tmp_path / "anon")
    original_nodes = {n.name for c in live.inventory.clusters for n in c.nodes}
    renamed = {n.name: n.name for c in replayed.inventory.clusters for n in c.nodes}
    # Node names are the only names inside ids; map each pseudonym back via the same salt.
    from collector.recording.pseudonym import Pseudonymiser

    config = load_config(folder / "config.toml")
    pseudo = Pseudonymiser(b"test-salt", [r.name for r in config.classify if r.name])
    back = {pseudo.host(n): n for n in original_nodes}
    assert set(renamed) == set(back)
    declared = {s.name for s in config.architecture.systems or () if s.form.kind.value == "proxmox"}
    back |= {pseudo.host(name): name for name in declared}
    assert _shape(replayed, back) == _shape(live, {})


FINGERPRINT = re.compile(r"(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}")
"""A SHA-256 certificate or key fingerprint: kept on purpose (it names no lab; PVE's pbs storage
and the [[pbs]] source join on it), and not a MAC even where 6 of its bytes look like one."""


def _identifiers(folder: Path) -> tuple[set[str], set[str], set[str]]:
    """Node and guest names, IPs and MACs that appear in a recording."""
    names: set[str] = set()
    ips: set[str] = set()
    macs: set[str] = set()
    for file in folder.rglob("*.json"):
        text = FINGERPRINT.sub("", file.read_text())
        for ip in re.findall(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])", text):
            address = ipaddress.ip_address(ip)
            if not (address.is_loopback or address.is_unspecified or ip.startswith("255.")):
                ips.add(ip)
        macs |= {m.lower() for m in re.findall(r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", text)}
        if file.name in ("status.json", "resources@type=vm.json"):
            names |= {i["name"].lower() for i in json.loads(text) if "name" in i}
    return names, ips, macs - {"00:00:00:00:00:00"}


def _values(data: Any, keys: tuple[str, ...]) -> list[str]:
    if isinstance(data, dict):
        own = [v for k, v in data.items() if k in keys and isinstance(v, str)]
        return own + [x for v in data.values() for x in _values(v, keys)]
    if isinstance(data, list):
        return [x for v in data for x in _values(v, keys)]
    return []


def test_anonymised_demo_lab_holds_no_original_name_address_or_secret(tmp_path: Path) -> None:
    folder = FIXTURES / "demo-lab"
    _record(folder, tmp_path / "anon", anonymise=True)
    names, ips, macs = _identifiers(folder)
    config = load_config(folder / "config.toml")
    names -= {s.name for s in (*config.proxmox, *config.docker)}  # source names are kept
    assert names and ips and macs
    files = _files(tmp_path / "anon")
    text = FINGERPRINT.sub("", "\n".join(files.values())).lower()
    # Names are words ("dns", "pbs") that may also be a storage or a Docker key: look where
    # names live rather than for the bare words.
    for path, content in files.items():
        if path.startswith("pve/"):
            for value in _values(json.loads(content), ("name", "node", "hostname")):
                assert value.lower() not in names, (path, value)
    for ip in ips:
        assert not re.search(rf"(?<![\w.]){re.escape(ip)}(?![\w.])", text), ip
    for mac in macs:
        assert mac not in text, mac
    assert not any(f"nodes/{n}/" in path for path in files for n in names)
    assert "changeme" not in text, "a container environment reached the recording"


def test_plain_recording_drops_container_environments(tmp_path: Path) -> None:
    folder = FIXTURES / "demo-lab"
    assert "FTLCONF_webserver_api_password=changeme" in "".join(_files(folder).values())
    _record(folder, tmp_path / "rec")
    recorded = "".join(_files(tmp_path / "rec").values())
    assert "changeme" not in recorded and '"Env"' not in recorded and '"Cmd"' not in recorded


def test_redact_keys_reach_docker_recordings(tmp_path: Path) -> None:
    """``[record] redact_keys`` blanks a key in every source's answers, Docker's included: the
    real wiring (``recording_sources``) builds the Docker redactor from the config, not from the
    defaults."""
    lab = RecordingBuilder(tmp_path / "lab")
    lab.cluster("lab", {"pve1": "10.0.0.11"})
    lab.guest("lab", GuestSpec(100, "docker-host", "pve1", tags="platform", ips=["10.0.0.50"]))
    planted = {"acme.vault-pass": "planted-in-docker-4711"}
    lab.engine(
        "apps",
        hostname="docker-host",
        url="tcp://10.0.0.50:2376",
        containers=[ContainerSpec("web", labels={"homelab.role": "service", **planted})],
        labels=["homelab.owner=alice", "acme.vault-pass=planted-in-the-daemon-4711"],
    )
    lab.extra_config = '\n[record]\nredact_keys = ["vault"]\n'
    folder = lab.write()
    assert "planted-in-docker-4711" in "".join(_files(folder / "docker").values())
    assert "planted-in-the-daemon-4711" in "".join(_files(folder / "docker").values())
    _record(folder, tmp_path / "rec")
    docker = _files(tmp_path / "rec" / "docker" / "apps")
    text = "".join(docker.values())
    assert "planted-in-docker-4711" not in text
    assert "planted-in-the-daemon-4711" not in text
    # Daemon labels are "key=value" strings in /info: redacted by key like a mapping's.
    info = json.loads(docker["info.json"])
    assert info["Labels"] == ["homelab.owner=alice", "acme.vault-pass=REDACTED"]
    # The key stays (a reader sees that something was there), in the listing and the inspect.
    listing = json.loads(docker["containers.json"])
    assert listing[0]["Labels"] == {"homelab.role": "service", "acme.vault-pass": "REDACTED"}
    (inspect,) = [name for name in docker if name.startswith("containers/")]
    assert json.loads(docker[inspect])["Config"]["Labels"]["acme.vault-pass"] == "REDACTED"


def test_same_salt_same_recording_other_salt_other_names(tmp_path: Path) -> None:
    folder = FIXTURES / "demo-lab"
    _record(folder, tmp_path / "a", anonymise=True, salt=b"one")
    _record(folder, tmp_path / "b", anonymise=True, salt=b"one")
    _record(folder, tmp_path / "c", anonymise=True, salt=b"two")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert sorted(_files(tmp_path / "a")) != sorted(_files(tmp_path / "c"))


# -- recorders on their own --------------------------------------------------------------------


class _Flaky:
    """Fails once with ``error``, then answers."""

    def __init__(self, error: Exception) -> None:
        self.error: Exception | None = error

    def get(self, path: str, **params: Any) -> Any:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return {"path": path, **params}


def _recorder(root: Path, redactor: Redactor | None = None) -> Recorder:
    return Recorder(root, redactor or Redactor(), write_json)


def test_pve_error_is_recorded_then_replaced_by_a_later_answer(tmp_path: Path) -> None:
    busy = pve_errors.http_error("lab", "cluster/resources?type=vm", 500, "busy\n")
    api = RecordingJsonApi(_Flaky(busy), _recorder(tmp_path))
    with pytest.raises(SourceResponseError):
        api.get("cluster/resources", type="vm")
    error = tmp_path / "cluster" / "resources@type=vm.error.json"
    assert json.loads(error.read_text()) == {"status": 500, "message": "busy"}
    with pytest.raises(SourceResponseError) as replayed:
        ReplayPveApi(tmp_path, "lab").get("cluster/resources", type="vm")
    assert str(replayed.value) == str(busy) == "lab: GET cluster/resources?type=vm: 500 busy"
    assert api.get("cluster/resources", type="vm") == {"path": "cluster/resources", "type": "vm"}
    assert not error.exists(), "a retried call must not leave both an answer and an error"
    assert ReplayPveApi(tmp_path, "lab").get("cluster/resources", type="vm")["type"] == "vm"


def test_transport_failures_write_nothing(tmp_path: Path) -> None:
    api = RecordingJsonApi(
        _Flaky(SourceConnectionError("lab: cannot connect")), _recorder(tmp_path)
    )
    with pytest.raises(SourceConnectionError):
        api.get("version")
    assert not any(tmp_path.iterdir())


class _DockerGone:
    def version(self) -> Any:
        return {"ApiVersion": "1.47"}

    def info(self) -> Any:
        return {}

    def containers(self, all: bool = False) -> Any:
        return []

    def inspect_container(self, container: str) -> Any:
        raise docker_errors.http_error("apps", "/containers/abc/json", 404, "No such container: x")

    def inspect_image(self, image: str) -> Any:
        return {"Id": image, "RepoDigests": []}


def test_docker_errors_and_image_names_use_the_replay_file_names(tmp_path: Path) -> None:
    client = RecordingDockerClient(_DockerGone(), _recorder(tmp_path, Redactor().for_docker()))
    with pytest.raises(SourceResponseError) as live:
        client.inspect_container("abc")
    client.inspect_image("sha256:" + "f" * 64)
    replay = ReplayDockerClient(tmp_path, "apps")
    with pytest.raises(SourceResponseError) as replayed:
        replay.inspect_container("abc")
    assert str(replayed.value) == str(live.value)
    assert replayed.value.status == 404 and "No such container" in str(replayed.value)
    assert replay.inspect_image("sha256:" + "f" * 64)["RepoDigests"] == []
