"""The weekly service and timer for the installed program, built from the shipped units.

Two scopes, one timer:

- ``system``: ``contrib/homelab-collector.service``, run by root's systemd as the dedicated user
  ``homelab-collector``, config in ``/etc/homelab-collector``, the PVE token as a systemd
  credential (``LoadCredential=``; the config names ``$CREDENTIALS_DIRECTORY/pve-token``);
- ``user``: ``contrib/user/homelab-collector.service``, run by your own systemd (``systemctl
  --user``) beside a ``pipx install``, secrets from an ``EnvironmentFile=``.

The shipped units are the templates: only ``ExecStart``'s program (the real path of the
``collect`` that is running) and the ``COLLECT_CONFIG`` path are filled in, so what
``collect init --systemd`` prints is what ``contrib/`` documents and the tests verify.
"""

from __future__ import annotations

import os
import pwd
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from collector.data import contrib_text
from collector.errors import ConfigError

UNIT = "homelab-collector"
SERVICE_USER = "homelab-collector"
SYSTEM_CONFIG = Path("/etc/homelab-collector/config.toml")
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
TIMER_TEMPLATE = f"{UNIT}.timer"
UNIT_MODE = 0o644

# A word systemd would split or unescape: such a path cannot stand in ExecStart unquoted.
_UNSAFE = re.compile(r"[\s\"'\\;$]")


class Scope(StrEnum):
    SYSTEM = "system"
    USER = "user"


SERVICE_TEMPLATES = {
    Scope.SYSTEM: f"{UNIT}.service",
    Scope.USER: f"user/{UNIT}.service",
}


@dataclass(frozen=True, slots=True)
class Units:
    """The two unit files, by file name, ready to be written into a unit folder."""

    scope: Scope
    service: str
    timer: str

    def files(self) -> dict[str, str]:
        return {f"{UNIT}.service": self.service, f"{UNIT}.timer": self.timer}


def default_scope() -> Scope:
    """Root installs for the machine; anyone else for themselves."""
    return Scope.SYSTEM if os.geteuid() == 0 else Scope.USER


def default_unit_dir(scope: Scope) -> Path:
    if scope is Scope.SYSTEM:
        return SYSTEM_UNIT_DIR
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "systemd" / "user"


def installed_program() -> Path:
    """The real path of the running ``collect``: the script that started this process, else
    the one beside the interpreter (a venv's or pipx's ``bin/``), symlinks resolved (so
    ``~/.local/bin/collect`` becomes the file inside the pipx venv it links to)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is not None and started.name == "collect" and started.is_file():
        return started.resolve()
    # Not Path(sys.executable).resolve(): a venv's python is a symlink to the system one.
    beside = Path(sys.executable).parent / "collect"
    if beside.is_file():
        return beside.resolve()
    raise ConfigError(
        "cannot find the installed collect program; install homelab-collector with pipx "
        "(README: Point it at your lab) and run collect init --systemd from it"
    )


def render_units(scope: Scope, program: Path, config: Path) -> Units:
    """The service (for ``program`` reading ``config``) and the timer, as unit file text."""
    service = contrib_text(SERVICE_TEMPLATES[scope])
    service = _replace_value(service, "ExecStart=", lambda value: _with_program(value, program))
    service = _replace_value(
        service, "Environment=COLLECT_CONFIG=", lambda _: _unit_path(config, "the config")
    )
    return Units(scope, service, contrib_text(TIMER_TEMPLATE))


def install_units(units: Units, folder: Path) -> list[Path]:
    """Write the units into ``folder``; an existing file that differs is never replaced (it may
    hold your own edits). Returns the files written (unchanged ones are left out)."""
    written: list[Path] = []
    for name, text in units.files().items():
        path = folder / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        if path.exists() or path.is_symlink():
            raise ConfigError(
                f"{path} exists and differs from what collect init would write; move it away "
                "first (collect init --systemd prints the new one, to compare)"
            )
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(UNIT_MODE)
        written.append(path)
    return written


def credential_files(units: Units) -> list[Path]:
    """The files the service's ``LoadCredential=`` lines read (name:path)."""
    found: list[Path] = []
    for line in units.service.splitlines():
        if line.startswith("LoadCredential="):
            _, _, source = line.removeprefix("LoadCredential=").partition(":")
            found.append(Path(source))
    return found


def setup_gaps(units: Units, program: Path, config: Path) -> list[str]:
    """What is still missing before the installed units can run, each with the command that
    fixes it (empty when nothing is)."""
    gaps: list[str] = []
    if units.scope is Scope.SYSTEM:
        if program.is_relative_to("/root") or program.is_relative_to("/home"):
            gaps.append(
                f"the service user cannot run {program} (ProtectHome=yes): install it for the "
                "machine: sudo PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install "
                "<checkout or wheel>, then run /usr/local/bin/collect init --systemd again"
            )
        if not _user_exists(SERVICE_USER):
            gaps.append(
                f"create the service user: sudo useradd --system --home-dir "
                f"/var/lib/{SERVICE_USER} --shell /usr/sbin/nologin {SERVICE_USER}"
            )
    if not config.is_file():
        gaps.append(
            f"put the config at {config}: "
            + (
                f"sudo install -D -m 0640 -g {SERVICE_USER} "
                f"~/.config/homelab-collector/config.toml {config}"
                if units.scope is Scope.SYSTEM
                else f"collect init --path {config}"
            )
        )
    for secret in credential_files(units):
        if not secret.is_file():
            gaps.append(
                f"put the PVE token secret in {secret} (mode 0600): sudo install -m 0600 "
                f"/dev/null {secret} && sudoedit {secret}; the config names it "
                f'token_secret_file = "$CREDENTIALS_DIRECTORY/{secret.name}"'
            )
    return gaps


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _replace_value(text: str, prefix: str, new_value: Callable[[str], str]) -> str:
    """Replace the value of the one line starting with ``prefix``; the template must have it."""
    lines = text.splitlines(keepends=True)
    matches = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    if len(matches) != 1:
        raise ConfigError(f"the shipped unit template has {len(matches)} {prefix} lines; reinstall")
    (index,) = matches
    value = lines[index].removeprefix(prefix).rstrip("\n")
    lines[index] = f"{prefix}{new_value(value)}\n"
    return "".join(lines)


def _with_program(exec_start: str, program: Path) -> str:
    _, _, arguments = exec_start.partition(" ")
    return f"{_unit_path(program, 'the collect program')} {arguments}"


def _unit_path(path: Path, what: str) -> str:
    """``path`` as a unit file value: absolute, no characters systemd would split or expand,
    and ``%`` written as ``%%`` (a literal percent sign in a unit file)."""
    if not path.is_absolute() or _UNSAFE.search(str(path)):
        raise ConfigError(
            f"{what} is at {path}, a path a systemd unit cannot name as it is (it must be "
            "absolute, without spaces, quotes, backslashes, ; or $); move it"
        )
    return str(path).replace("%", "%%")
