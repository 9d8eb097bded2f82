"""No secret ever leaks: every command runs with known secrets, then all its output is scanned.

The commands run as real processes (``python -c 'from collector.cli import app; app()'``) so that
what reaches the terminal is exactly what a user would see, logging and ``--verbose`` tracebacks
included. Known secrets: the PVE token secret, the PVE password, every login ticket the server
issued, a password in a container's environment, and secrets in container labels (a secret word
in the key, traefik's basicauth users, credentials in a URL, a key listed in ``[record]
redact_keys``), in a log option and in a daemon label. Scanned: stdout and stderr of every run,
every byte of every file the runs wrote (reports, history database, recordings) and every
notification sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from collector.cli import app
from tests.faults.lab import (
    DAEMON_SECRET,
    DB_PASSWORD,
    LABEL_SECRETS,
    LOG_SECRET,
    REDACT_KEYS_TOML,
    SECRET_ENV,
    docker_toml,
    invoke,
    pve_toml,
)
from tests.support.docker_server import DockerServer
from tests.support.pve_server import DEFAULT_PASSWORD, DEFAULT_TOKEN_SECRET, PveServer

COVERED = {"report", "record", "history", "diff", "doctor", "init", "declare"}


def _collect(args: list[str], secret: str, home: Path) -> tuple[int, str]:
    env = {
        **os.environ,
        SECRET_ENV: secret,
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-c", "from collector.cli import app; app(prog_name='collect')", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _leaks(haystack: bytes, secrets: set[str]) -> set[str]:
    return {s for s in secrets if s.encode() in haystack}


# The part of each label, log option and daemon label value that must never surface.
LAB_SECRETS = {
    *(v.split("@")[0].rsplit(":", 1)[-1] for v in LABEL_SECRETS.values()),
    LOG_SECRET[1],
    DAEMON_SECRET[1],
}


@pytest.fixture
def notifications() -> Iterator[tuple[str, list[bytes]]]:
    """A webhook that keeps every body it is sent: (url, bodies)."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()


def test_every_command_is_covered_by_the_secret_scan() -> None:
    registered = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    assert registered == COVERED, "add the new command to test_no_secret_in_any_output"


def test_no_secret_in_any_output(
    tmp_path: Path,
    lab: Path,
    pve: PveServer,
    engine: DockerServer,
    notifications: tuple[str, list[bytes]],
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    hook, bodies = notifications
    notify = f'\n[[notify]]\nkind = "webhook"\nurl = "{hook}"\nwhen = "always"\n'
    token = pve_toml(pve.port, pve.ca_path) + docker_toml(engine.url) + REDACT_KEYS_TOML + notify
    password = (
        pve_toml(pve.port, pve.ca_path, auth="password")
        + docker_toml(engine.url)
        + REDACT_KEYS_TOML
        + notify
    )
    broken = pve_toml(pve.port, str(tmp_path / "missing-ca.pem"))
    configs = {}
    for name, text in (("token", token), ("password", password), ("broken", broken)):
        configs[name] = tmp_path / f"{name}.toml"
        configs[name].write_text(text, encoding="utf-8")
    # Failures that put SDK exceptions, 403 texts and 500s through every error path.
    pve.add_fault("nodes/pve2/lxc/201/config", "error", status=500, message="internal error")
    pve.forbid("nodes/pve1/qemu/102/agent/*")

    runs: list[tuple[list[str], str]] = []
    for auth, secret in (("token", DEFAULT_TOKEN_SECRET), ("password", DEFAULT_PASSWORD)):
        cfg = str(configs[auth])
        runs += [
            (["report", "-c", cfg], secret),
            (
                ["--verbose", "report", "-c", cfg, "-f", "json", "-o", str(out / f"{auth}.json")],
                secret,
            ),
            (["report", "-c", cfg, "-f", "markdown", "-o", str(out / f"{auth}.md")], secret),
            (["report", "-c", cfg, "-f", "prometheus", "-o", str(out / f"{auth}.prom")], secret),
            (["report", "-c", cfg, "-f", "ansible", "-o", str(out / f"{auth}.ansible")], secret),
            (["report", "-c", cfg, "--details", "--inventory"], secret),
            (["--verbose", "record", "-c", cfg, "-o", str(out / f"rec-{auth}")], secret),
            (["--verbose", "doctor", "-c", cfg], secret),
            (["--verbose", "declare", "-c", cfg, "-f", "markdown"], secret),
            (["declare", "-c", cfg, "-o", str(out / f"systems-{auth}.toml")], secret),
        ]
    runs.append((["--verbose", "report", "-c", str(configs["broken"])], DEFAULT_TOKEN_SECRET))
    units = ["init", "--systemd", "--user", "--path", str(configs["token"]), "--install"]
    runs += [
        (["init", "--path", str(out / "init.toml")], DEFAULT_TOKEN_SECRET),
        ([*units, "--unit-dir", str(out / "units")], DEFAULT_TOKEN_SECRET),
    ]
    then = [  # these read what the first batch wrote
        (["report", "--replay", str(out / "rec-token"), "-f", "json"], DEFAULT_TOKEN_SECRET),
        (["history", "-c", str(configs["token"])], DEFAULT_TOKEN_SECRET),
        (["diff", "-c", str(configs["token"])], DEFAULT_TOKEN_SECRET),
    ]
    outputs: list[str] = []
    for batch in (runs, then):
        with ThreadPoolExecutor(max_workers=6) as pool:
            done = list(pool.map(lambda run: _collect(run[0], run[1], tmp_path), batch))
        for (args, _), (code, text) in zip(batch, done, strict=True):
            assert code in (0, 1, 2, 3), f"{args}: exit {code}\n{text}"
            outputs.append(f"$ collect {' '.join(args)}\n{text}")
    transcript = "\n".join(outputs)
    assert "Traceback" in transcript  # the --verbose failure really printed one
    assert (out / "rec-token" / "docker" / "apps").is_dir()  # the container was recorded
    assert list((tmp_path / "state").rglob("*.sqlite3"))  # and the history written

    tickets = {t.split("::", 1)[-1] for t in pve._tickets}  # the server's issued tickets
    assert tickets, "the password runs must have logged in"
    secrets = {DEFAULT_TOKEN_SECRET, DEFAULT_PASSWORD, DB_PASSWORD, *LAB_SECRETS, *tickets}
    assert not _leaks(transcript.encode(), secrets), transcript
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 20
    leaked = {str(p.relative_to(tmp_path)): _leaks(p.read_bytes(), secrets) for p in files}
    assert not {k: v for k, v in leaked.items() if v}
    assert len(bodies) >= 6  # every report run notified
    assert not _leaks(b"\n".join(bodies), secrets)
    # The scanner itself works: the fixture recording does hold every secret planted in it,
    # and the reports show that the labels were there (redacted, not dropped).
    recorded = b"".join(p.read_bytes() for p in lab.rglob("*.json"))
    assert _leaks(recorded, {DB_PASSWORD, *LAB_SECRETS}) == {DB_PASSWORD, *LAB_SECRETS}
    report = (out / "token.json").read_text(encoding="utf-8")
    assert '"my.db.password": "REDACTED"' in report
    assert '"traefik.http.middlewares.auth.basicauth.users": "REDACTED"' in report
    assert '"lab.notes": "https://REDACTED@nas.lan/share"' in report
    assert '"homelab.vault-ref": "REDACTED"' in report


@pytest.mark.parametrize("key", ["token_secret_env", "password_env"])
def test_a_secret_pasted_into_the_config_is_never_echoed(tmp_path: Path, key: str) -> None:
    """The commonest way a secret reaches a log: written where its variable's name belongs."""
    auth = "token" if key == "token_secret_env" else "password"
    text = pve_toml(8006, None, auth=auth).replace(SECRET_ENV, DEFAULT_TOKEN_SECRET)
    for command in (["report"], ["doctor"], ["record", "-o", str(tmp_path / "rec")]):
        code, out, err = invoke(tmp_path, text, *command)
        assert code == 2 and key in err
        assert DEFAULT_TOKEN_SECRET not in out + err


def test_world_readable_secret_file_warns_without_showing_it(
    tmp_path: Path, pve: PveServer, engine: DockerServer
) -> None:
    secret_file = tmp_path / "pve-token"
    secret_file.write_text(DEFAULT_TOKEN_SECRET + "\n", encoding="utf-8")
    secret_file.chmod(0o644)
    text = pve_toml(pve.port, pve.ca_path).replace(
        f'token_secret_env = "{SECRET_ENV}"', f'token_secret_file = "{secret_file}"'
    )
    config = tmp_path / "config.toml"
    config.write_text(text + docker_toml(engine.url), encoding="utf-8")
    # The run goes on after the warning: the report (with the fault lab's backup-missing errors)
    # exits 1; doctor finds every source ready.
    for command, expected in ((["report", "--no-history"], 1), (["doctor"], 0)):
        code, output = _collect([*command, "-c", str(config)], "unused", tmp_path)
        assert code == expected, output
        assert "readable by other users; run chmod 600" in output
        assert DEFAULT_TOKEN_SECRET not in output
    secret_file.chmod(0o600)
    code, output = _collect(["doctor", "-c", str(config)], "unused", tmp_path)
    assert "chmod" not in output
