"""No secret ever leaks: every command runs with known secrets, then all its output is scanned.

The commands run as real processes (``python -c 'from collector.cli import app; app()'``) so that
what reaches the terminal is exactly what a user would see, logging and ``--verbose`` tracebacks
included. Known secrets: the PVE token secret, the PVE password, every login ticket the server
issued, and a password in a container's environment. Scanned: stdout and stderr of every run
and every byte of every file the runs wrote (reports, history database, recordings).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from collector.cli import app
from tests.faults.lab import DB_PASSWORD, SECRET_ENV, docker_toml, invoke, pve_toml
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


def test_every_command_is_covered_by_the_secret_scan() -> None:
    registered = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    assert registered == COVERED, "add the new command to test_no_secret_in_any_output"


def test_no_secret_in_any_output(
    tmp_path: Path, lab: Path, pve: PveServer, engine: DockerServer
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    token = pve_toml(pve.port, pve.ca_path) + docker_toml(engine.url)
    password = pve_toml(pve.port, pve.ca_path, auth="password") + docker_toml(engine.url)
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
    secrets = {DEFAULT_TOKEN_SECRET, DEFAULT_PASSWORD, DB_PASSWORD, *tickets}
    assert not _leaks(transcript.encode(), secrets), transcript
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 20
    leaked = {str(p.relative_to(tmp_path)): _leaks(p.read_bytes(), secrets) for p in files}
    assert not {k: v for k, v in leaked.items() if v}
    # The scanner itself works: the fixture recording does hold the container secret.
    assert any(_leaks(p.read_bytes(), {DB_PASSWORD}) for p in lab.rglob("*.json"))


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
    for command in (["report", "--no-history"], ["doctor"]):
        code, output = _collect([*command, "-c", str(config)], "unused", tmp_path)
        assert code in (0, 1, 3), output
        assert "readable by other users; run chmod 600" in output
        assert DEFAULT_TOKEN_SECRET not in output
    secret_file.chmod(0o600)
    code, output = _collect(["doctor", "-c", str(config)], "unused", tmp_path)
    assert "chmod" not in output
