"""``collect init --systemd``: the weekly units for the installed program, parsed the way systemd
reads them, with every path resolved, and verified by ``systemd-analyze verify``."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.errors import ConfigError
from collector.onboarding import systemd
from collector.onboarding.systemd import Scope, installed_program, render_units, setup_gaps
from tests.support.units import parse_collect_args, parse_unit, systemd_verify

ROOT = Path(__file__).resolve().parents[1]
CONTRIB = ROOT / "contrib"
runner = CliRunner()
# This test run's own `collect` (the venv's script beside the interpreter), symlinks resolved.
PROGRAM = Path(sys.executable).with_name("collect").resolve()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _printed_units(out: str) -> dict[str, str]:
    """Split ``init --systemd``'s stdout at the ``# <folder>/<file>`` lines heading each unit."""
    units: dict[str, list[str]] = {}
    current: list[str] = []
    for line in out.splitlines(keepends=True):
        if line.startswith("# /") and line.rstrip().endswith((".service", ".timer")):
            current = units.setdefault(line[2:].strip(), [])
        else:
            current.append(line)
    return {path: "".join(lines).removesuffix("\n") for path, lines in units.items()}


def _exec_start(service_text: str) -> tuple[Path, dict[str, object]]:
    (line,) = parse_unit(service_text)["Service"]["ExecStart"]
    program, *argv = line.replace("%%", "%").split()
    return Path(program), parse_collect_args(argv)


def test_system_units_run_the_installed_program_by_its_real_path() -> None:
    code, out, _ = _invoke("init", "--systemd", "--system")
    assert code == 0
    units = _printed_units(out)
    service_path = "/etc/systemd/system/homelab-collector.service"
    assert list(units) == [service_path, "/etc/systemd/system/homelab-collector.timer"]
    program, params = _exec_start(units[service_path])
    assert program == PROGRAM and program.is_absolute()
    assert program == Path(os.path.realpath(program)) and os.access(program, os.X_OK)
    assert params["quiet"] is True
    service = parse_unit(units[service_path])["Service"]
    assert "COLLECT_CONFIG=/etc/homelab-collector/config.toml" in service["Environment"]
    assert service["LoadCredential"] == ["pve-token:/etc/homelab-collector/pve-token"]
    # Everything but ExecStart is the shipped unit, line for line; the timer is shipped as is.
    shipped = (CONTRIB / "homelab-collector.service").read_text().splitlines()
    printed = units[service_path].splitlines()
    assert [a for a, b in zip(shipped, printed, strict=True) if a != b] == [
        line for line in shipped if line.startswith("ExecStart=")
    ]
    timer = units["/etc/systemd/system/homelab-collector.timer"]
    assert timer == (CONTRIB / "homelab-collector.timer").read_text()


def test_user_units_read_the_config_collect_init_wrote(tmp_path: Path) -> None:
    config = tmp_path / "my lab.toml"
    code, _, err = _invoke("init", "--systemd", "--user", "--path", str(config))
    assert code == 2 and "a systemd unit cannot name as it is" in err  # a space: refused
    config = tmp_path / "100%.toml"
    code, out, err = _invoke("init", "--systemd", "--user", "--path", str(config))
    assert code == 0
    units = _printed_units(out)
    unit_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"
    service = parse_unit(units[str(unit_dir / "homelab-collector.service")])["Service"]
    # "%" is a specifier in a unit file: the path is written with "%%".
    assert service["Environment"] == [f"COLLECT_CONFIG={tmp_path}/100%%.toml"]
    assert _exec_start(units[str(unit_dir / "homelab-collector.service")])[0] == PROGRAM
    assert f"put the config at {config}: collect init --path {config}" in err  # not there yet


def test_user_scope_defaults_to_the_xdg_config() -> None:
    code, out, _ = _invoke("init", "--systemd", "--user")
    assert code == 0
    xdg = Path(os.environ["XDG_CONFIG_HOME"])
    text = _printed_units(out)[str(xdg / "systemd" / "user" / "homelab-collector.service")]
    env = parse_unit(text)["Service"]["Environment"]
    assert env == [f"COLLECT_CONFIG={xdg}/homelab-collector/config.toml"]


def test_install_writes_the_units_once_and_never_over_different_ones(tmp_path: Path) -> None:
    folder = tmp_path / "units"
    args = ("init", "--systemd", "--user", "--install", "--unit-dir", str(folder))
    code, out, _ = _invoke(*args)
    service, timer = folder / "homelab-collector.service", folder / "homelab-collector.timer"
    assert code == 0
    assert out.splitlines()[:4] == [
        f"wrote {service}, {timer}",
        "Next:",
        "  systemctl --user daemon-reload",
        "  systemctl --user enable --now homelab-collector.timer",
    ]
    assert stat.S_IMODE(service.stat().st_mode) == 0o644
    assert _exec_start(service.read_text())[0] == PROGRAM
    code, out, _ = _invoke(*args)
    assert code == 0 and out.startswith("wrote nothing (already installed)\n")
    service.write_text(service.read_text() + "SupplementaryGroups=docker\n")
    edited = service.read_text()
    code, _, err = _invoke(*args)
    assert code == 2
    assert f"{service} exists and differs from what collect init would write" in err
    assert service.read_text() == edited


def test_unit_dir_without_install_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _invoke("init", "--systemd", "--unit-dir", str(tmp_path))
    assert code == 2 and "--unit-dir goes with --install" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scope", list(Scope))
def test_systemd_analyze_verify_accepts_the_installed_units(scope: Scope, tmp_path: Path) -> None:
    folder = tmp_path / "units"
    code, _, _ = _invoke("init", "--systemd", f"--{scope}", "--install", "--unit-dir", str(folder))
    assert code == 0
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == ["homelab-collector.service", "homelab-collector.timer"]
    assert systemd_verify(files, user=scope is Scope.USER, runtime_dir=tmp_path / "run") == []


def test_installed_program_resolves_the_pipx_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv_bin = tmp_path / "pipx" / "venvs" / "homelab-collector" / "bin"
    venv_bin.mkdir(parents=True)
    real = venv_bin / "collect"
    real.write_text("#!/bin/sh\n")
    link = tmp_path / ".local" / "bin" / "collect"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    monkeypatch.setattr(sys, "argv", [str(link), "init", "--systemd"])
    assert installed_program() == real
    # Started some other way (python -m, a test runner): the script beside the interpreter.
    monkeypatch.setattr(sys, "argv", ["/usr/bin/pytest"])
    assert installed_program() == PROGRAM
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    with pytest.raises(ConfigError, match="cannot find the installed collect program"):
        installed_program()


def test_setup_gaps_name_each_missing_piece_and_its_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(systemd, "SERVICE_USER", "no-such-user-for-this-test")
    home_program = Path("/home/alice/.local/share/pipx/venvs/homelab-collector/bin/collect")
    config = tmp_path / "config.toml"
    units = render_units(Scope.SYSTEM, home_program, config)
    gaps = setup_gaps(units, home_program, config)
    assert len(gaps) == 4
    assert gaps[0].startswith(f"the service user cannot run {home_program} (ProtectHome=yes)")
    assert "sudo PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install" in gaps[0]
    assert gaps[1].startswith("create the service user: sudo useradd --system")
    assert gaps[2].startswith(f"put the config at {config}: sudo install -D -m 0640")
    assert gaps[3].startswith("put the PVE token secret in /etc/homelab-collector/pve-token")
    config.write_text("")
    assert setup_gaps(render_units(Scope.USER, PROGRAM, config), PROGRAM, config) == []
