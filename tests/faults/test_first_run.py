"""The README's "Point it at your lab", run against the HTTPS PVE server and a Docker engine:
the config ``collect init`` writes, edited the way step 3 says, then ``collect doctor`` and
``collect report``. The token secret comes through ``$CREDENTIALS_DIRECTORY``, as in the
machine-wide systemd service."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from typer.testing import CliRunner

from collector.cli import app
from tests.faults.lab import AUDITOR_PERMISSIONS, build_lab
from tests.support.certs import ServerCerts
from tests.support.docker_server import DockerServer
from tests.support.pve_server import DEFAULT_TOKEN_SECRET, PveServer

FULL_9 = {**AUDITOR_PERMISSIONS, "/vms": {"VM.Audit": 1, "VM.GuestAgent.Audit": 1}}
runner = CliRunner()


def _edit(example: str, pve: PveServer, engine_url: str) -> str:
    """Step 3's edits: host, port, the CA, the token as a credential, one engine."""
    pve_part, docker_part = example.split("\n[[docker]]\n", 1)
    pve_part = pve_part.replace('host = "pve1.lan"', 'host = "127.0.0.1"')
    pve_part = pve_part.replace("port = 8006", f"port = {pve.port}")
    pve_part = pve_part.replace(
        '# ca_bundle = "/etc/homelab-collector/pve-root-ca.pem"', f'ca_bundle = "{pve.ca_path}"'
    )
    pve_part = pve_part.replace(
        'token_secret_env = "PVE_TOKEN_SECRET"',
        'token_secret_file = "$CREDENTIALS_DIRECTORY/pve-token"',
    )
    rest = docker_part[docker_part.index("\n# ----") :]  # after the engines: rules, waivers, ...
    rest = rest.replace('[[docker]]\nname = "media"\nurl = "ssh://collector@192.168.10.40"\n', "")
    engine = f'[[docker]]\nname = "apps"\nurl = "{engine_url}"\n'
    return f"{pve_part}\n{engine}{rest}"


def test_the_readme_path_from_collect_init_to_a_first_report(
    tmp_path: Path, certs: ServerCerts
) -> None:
    lab = build_lab(tmp_path / "lab", permissions=FULL_9)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "pve-token").write_text(DEFAULT_TOKEN_SECRET + "\n")
    (credentials / "pve-token").chmod(0o400)
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "homelab-collector" / "config.toml"

    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    with (
        PveServer(lab / "pve" / "lab", certs=certs) as pve,
        DockerServer(lab / "docker" / "apps") as engine,
    ):
        edited = _edit(config.read_text(), pve, engine.url)
        tables = re.findall(r"^\[\[([\w.]+)\]\]$", edited, re.MULTILINE)
        assert tables == ["proxmox", "docker", "rules.classify", "rules.classify"]
        assert "192.168.10" not in re.sub("#.*", "", edited)
        config.write_text(edited)

        # Outside the service the credential is not there: the error says where it works.
        result = runner.invoke(app, ["doctor"])
        assert result.exit_code == 2
        assert result.stderr.startswith(
            f"collect: error: {config}: [[proxmox]] 'homelab' token_secret_file = "
            '"$CREDENTIALS_DIRECTORY/pve-token": $CREDENTIALS_DIRECTORY is not set'
        )

        env = {"CREDENTIALS_DIRECTORY": str(credentials)}
        result = runner.invoke(app, ["doctor"], env=env)
        assert result.exit_code == 0, result.output
        assert "proxmox 'homelab': ready" in result.stdout
        assert "docker 'apps': ready" in result.stdout

        result = runner.invoke(app, ["report", "-f", "json"], env=env)
        # The demo lab has error-level findings that no clock changes (guests in no backup job).
        assert result.exit_code == 1, result.output
        doc = json.loads(result.stdout)
        assert [(s["name"], s["complete"]) for s in doc["sources"]] == [
            ("homelab", True),
            ("apps", True),
        ]
        assert {r.method for r in pve.request_log} == {"GET"}
    assert DEFAULT_TOKEN_SECRET not in result.output
