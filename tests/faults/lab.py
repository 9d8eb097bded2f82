"""The small lab every fault test runs against, and the helpers that run the real CLI on it.

One PVE cluster ``lab`` (nodes pve1, pve2; three VMs with the guest agent, two LXC, a template)
served over HTTPS by ``PveServer``, and one Docker engine ``apps`` (hostname ``docker-host``, so
it is placed on VM 100 by hostname) served on a unix socket by ``DockerServer``. Tests inject one
fault, run ``collect report -f json -o FILE`` through ``CliRunner`` and check that it ends the
same way: a report written, the failing part named, everything else intact, the right exit code:
3 when something could not be read, else exactly 1, since the lab has no backup job and every
guest is a ``backup-missing`` error whatever the clock says.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from collector.cli import app
from tests.support.pve_server import DEFAULT_TOKEN_SECRET
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

SECRET_ENV = "FAULT_PVE_SECRET"
DB_PASSWORD = "db-env-secret-7c1f9a2e"  # an env secret inside a container: must never surface
# Secrets in labels (one per way a label is recognised as secret) and in a log option and a
# daemon label: the one redaction policy keeps each out of every output.
LABEL_SECRETS = {
    "my.db.password": "hunter2-label-5d8e",  # a secret word among the key's parts
    "traefik.http.middlewares.auth.basicauth.users": "admin:$apr1$Hq7x$label-3c9b",  # known
    "lab.notes": "https://backup:s3cr3t-url-8a1f@nas.lan/share",  # credentials in a URL
    "homelab.vault-ref": "vault-ref-listed-6e2d",  # listed in [record] redact_keys
}
LOG_SECRET = ("splunk-token", "splunk-log-token-4b7a")
DAEMON_SECRET = ("registry.token", "daemon-label-token-9f3c")
REDACT_KEYS_TOML = '\n[record]\nredact_keys = ["homelab.vault-ref"]\n'

# The token's effective permissions as PVE 9 reports them for a PVEAuditor-style role.
AUDITOR_PERMISSIONS = {
    "/": {"Sys.Audit": 1, "Datastore.Audit": 1, "Pool.Audit": 1, "VM.Audit": 1},
    "/vms": {"VM.Audit": 1},
    "/storage": {"Datastore.Audit": 1},
    "/pool": {"Pool.Audit": 1},
    "/nodes": {"Sys.Audit": 1},
}

VMS_ON_PVE1 = ("pve:lab/qemu/100", "pve:lab/qemu/102", "pve:lab/lxc/200")
GUESTS_ON_PVE2 = ("pve:lab/qemu/101", "pve:lab/lxc/201")
ALL_GUESTS = VMS_ON_PVE1 + GUESTS_ON_PVE2
CONTAINERS = ("docker:apps/db", "docker:apps/web")


def build_lab(root: Path, *, offline: tuple[str, ...] = (), permissions: Any = None) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"pve1": "10.0.0.11", "pve2": "10.0.0.12"}, offline=offline)
    lab.guest("lab", GuestSpec(100, "docker-host", "pve1", tags="platform", ips=["10.0.0.50"]))
    lab.guest("lab", GuestSpec(101, "web-vm", "pve2", ips=["10.0.0.51"]))
    lab.guest("lab", GuestSpec(102, "db-vm", "pve1", ips=["10.0.0.52"]))
    lab.guest("lab", GuestSpec(200, "dns", "pve1", kind="lxc", ips=["10.0.0.60"]))
    lab.guest("lab", GuestSpec(201, "proxy", "pve2", kind="lxc", ips=["10.0.0.61"]))
    lab.guest("lab", GuestSpec(9000, "debian-tpl", "pve1", status="stopped", template=True))
    lab.file("lab", "access/permissions", permissions or AUDITOR_PERMISSIONS)
    service = {"homelab.role": "service"}
    lab.engine(
        "apps",
        hostname="docker-host",
        containers=[
            ContainerSpec("web", labels={**service, **LABEL_SECRETS}),
            ContainerSpec(
                "db",
                labels=service,
                env=[f"POSTGRES_PASSWORD={DB_PASSWORD}"],
                log_options={"max-size": "10m", LOG_SECRET[0]: LOG_SECRET[1]},
            ),
        ],
        labels=[f"{DAEMON_SECRET[0]}={DAEMON_SECRET[1]}"],
    )
    return lab.write()


def pve_toml(
    port: int,
    ca: str | None,
    *,
    auth: str = "token",
    timeout: float = 3,
    agent_timeout: float = 1,
    extra: str = "",
) -> str:
    secret = (
        f'token_name = "collector"\ntoken_secret_env = "{SECRET_ENV}"'
        if auth == "token"
        else f'password_env = "{SECRET_ENV}"'
    )
    return (
        f'[[proxmox]]\nname = "lab"\nhost = "127.0.0.1"\nport = {port}\n'
        f'user = "collector@pve"\n{secret}\n'
        + (f'ca_bundle = "{ca}"\n' if ca else "")
        + f"timeout = {timeout}\nagent_timeout = {agent_timeout}\n{extra}\n"
    )


def docker_toml(url: str, *, timeout: float = 3, extra: str = "") -> str:
    return f'[[docker]]\nname = "apps"\nurl = "{url}"\ntimeout = {timeout}\n{extra}\n'


@dataclass
class Outcome:
    code: int
    doc: dict[str, Any]
    stdout: str
    stderr: str
    seconds: float

    def source(self, name: str) -> dict[str, Any]:
        (found,) = [s for s in self.doc["sources"] if s["name"] == name]
        return found

    def ids(self) -> set[str]:
        return {item["id"] for item in self.doc["inventory"]}

    def item(self, item_id: str) -> dict[str, Any]:
        (found,) = [i for i in self.doc["inventory"] if i["id"] == item_id]
        return found

    def gaps(self, name: str, what: str | None = None) -> list[dict[str, Any]]:
        return [g for g in self.source(name)["gaps"] if what is None or g["what"] == what]


def run_report(
    tmp_path: Path, config_text: str, *, secret: str = DEFAULT_TOKEN_SECRET, env: Any = None
) -> Outcome:
    """``collect report -f json -o FILE --no-history`` on ``config_text``; the report must exist."""
    config = tmp_path / "config.toml"
    config.write_text(config_text, encoding="utf-8")
    out = tmp_path / "report.json"
    out.unlink(missing_ok=True)
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        ["report", "-c", str(config), "-f", "json", "-o", str(out), "--no-history"],
        env={SECRET_ENV: secret, **(env or {})},
    )
    seconds = time.monotonic() - started
    # typer's exits are SystemExit (a BaseException); an Exception here escaped the CLI.
    assert not isinstance(result.exception, Exception), result.output
    assert out.is_file(), f"no report written (exit {result.exit_code}): {result.stderr}"
    doc = json.loads(out.read_text(encoding="utf-8"))
    return Outcome(result.exit_code, doc, result.stdout, result.stderr, seconds)


def assert_pve_intact(outcome: Outcome, guests: tuple[str, ...] = VMS_ON_PVE1) -> None:
    """The cluster and the named guests were read, with their addresses."""
    ids = outcome.ids()
    assert "pve:lab" in ids
    for guest in guests:
        assert guest in ids, guest
        assert outcome.item(guest)["ips"], guest


def assert_docker_intact(outcome: Outcome) -> None:
    apps = outcome.source("apps")
    assert apps["complete"] is True and apps["error"] is None, apps
    assert set(CONTAINERS) <= outcome.ids()


def invoke(
    tmp_path: Path, config_text: str, *args: str, secret: str = DEFAULT_TOKEN_SECRET
) -> tuple[int, str, str]:
    """Run ``collect <args> -c CONFIG`` without expecting a report: (exit code, stdout, stderr)."""
    config = tmp_path / "config.toml"
    config.write_text(config_text, encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "-c", str(config)], env={SECRET_ENV: secret})
    # typer's exits are SystemExit (a BaseException); an Exception here escaped the CLI.
    assert not isinstance(result.exception, Exception), result.output
    return result.exit_code, result.stdout, result.stderr
