"""``collect init``: the first config where collect looks for it, and what to run next.

Also the shipped package data it reads (``collector.data``): the same bytes as the checkout's
one copy, whether read from a folder (editable install, wheel) or from a zip.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.config import load_config
from collector.data import demo_lab, example_config, materialised

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
runner = CliRunner()


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _xdg_config() -> Path:
    """The per-test $XDG_CONFIG_HOME (tests/conftest.py) and the file collect reads there."""
    return Path(os.environ["XDG_CONFIG_HOME"]) / "homelab-collector" / "config.toml"


def test_init_writes_the_example_to_the_xdg_path_private_and_names_the_next_commands() -> None:
    target = _xdg_config()
    assert not target.parent.exists()
    code, out, err = _invoke("init")
    assert (code, err) == (0, "")
    assert target.read_bytes() == EXAMPLE.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    lines = out.splitlines()
    assert (
        lines[0]
        == f"wrote {target} (mode 0600): the commented example config, every key explained."
    )
    # The next two commands, without --config: collect finds the file there by itself.
    assert lines[-2].split()[:2] == ["collect", "doctor"]
    assert lines[-1].split()[:2] == ["collect", "report"]
    assert "--config" not in out
    assert load_config(target).proxmox[0].name == "homelab"  # what it wrote is a valid config


def test_init_mode_is_0600_whatever_the_umask() -> None:
    old = os.umask(0)
    try:
        code, _, _ = _invoke("init")
    finally:
        os.umask(old)
    assert code == 0 and stat.S_IMODE(_xdg_config().stat().st_mode) == 0o600


def test_init_refuses_to_overwrite_and_leaves_the_file_alone() -> None:
    target = _xdg_config()
    target.parent.mkdir(parents=True)
    target.write_text("# mine\n")
    code, out, err = _invoke("init")
    assert code == 2 and out == ""
    assert err == (
        f"collect: error: {target} already exists; collect init never overwrites a config: "
        "edit it, or write a new one elsewhere with --path FILE\n"
    )
    assert target.read_text() == "# mine\n"


def test_init_refuses_a_dangling_symlink_in_the_config_place(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.symlink_to(tmp_path / "elsewhere.toml")
    code, _, err = _invoke("init", "--path", str(target))
    assert code == 2 and "already exists" in err
    assert not (tmp_path / "elsewhere.toml").exists()  # nothing written through the link


def test_init_path_writes_elsewhere_and_the_next_commands_name_it(tmp_path: Path) -> None:
    target = tmp_path / "lab" / "collector.toml"
    code, out, _ = _invoke("init", "--path", str(target))
    assert code == 0
    assert target.read_bytes() == EXAMPLE.read_bytes()
    assert f"  collect doctor --config {target}  " in out
    assert f"  collect report --config {target}  " in out
    assert not _xdg_config().exists()


def test_init_follows_collect_config_like_every_other_command(tmp_path: Path) -> None:
    target = tmp_path / "from-env.toml"
    code, out, _ = _invoke("init", env={"COLLECT_CONFIG": str(target)})
    assert code == 0 and target.is_file()
    assert "--config" not in out  # collect reads $COLLECT_CONFIG by itself


def test_init_print_writes_nothing_and_prints_the_example() -> None:
    code, out, err = _invoke("init", "--print")
    assert (code, err) == (0, "")
    assert out == EXAMPLE.read_text()
    assert not _xdg_config().parent.exists()


def test_init_cannot_create_the_folder_says_so_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = _invoke("init", "--path", str(blocker / "config.toml"))
    assert code == 2
    assert err.startswith(f"collect: error: cannot create {blocker / 'config.toml'}: ")
    assert err.count("\n") == 1 and "--path FILE" in err


@pytest.mark.parametrize("flag", ["--install", "--user", "--system"])
def test_systemd_only_flags_without_systemd_are_a_usage_error(flag: str) -> None:
    code, _, err = _invoke("init", flag)
    assert code == 2 and "go with --systemd" in err
    assert not _xdg_config().exists()


def test_a_first_run_on_the_fresh_config_names_the_file_the_key_and_what_to_do() -> None:
    """Right after `collect init` the secret variable is not set yet: the error says which
    config asked for which variable, and how to provide it."""
    _invoke("init")
    code, out, err = _invoke("doctor", env={"PVE_TOKEN_SECRET": ""})
    assert code == 2 and out == ""
    assert err == (
        f"collect: error: {_xdg_config()}: [[proxmox]] 'homelab' token_secret_env: environment "
        "variable PVE_TOKEN_SECRET is not set or empty; export PVE_TOKEN_SECRET with the secret "
        "in the shell that runs collect (a systemd service reads it from its EnvironmentFile=), "
        "or name a file with token_secret_file\n"
    )


def test_without_a_config_report_points_at_collect_init() -> None:
    code, _, err = _invoke("report")
    assert code == 2
    assert err == (
        f"collect: error: config file {_xdg_config()} does not exist; write one with collect "
        "init (the commented example), or pass --config FILE\n"
    )


def test_package_data_is_the_checkouts_one_copy() -> None:
    assert example_config() == EXAMPLE.read_text()
    data = ROOT / "collector" / "data"
    for name, target in {
        "config.example.toml": EXAMPLE,
        "demo-lab": ROOT / "fixtures" / "demo-lab",
        "contrib": ROOT / "contrib",
    }.items():
        assert (data / name).is_symlink(), f"{name} must link to the one copy, not duplicate it"
        assert (data / name).resolve() == target
    with demo_lab() as folder:
        assert folder.resolve() == ROOT / "fixtures" / "demo-lab"


def test_a_zipped_install_reads_the_demo_lab_through_a_temporary_copy(tmp_path: Path) -> None:
    source = ROOT / "fixtures" / "demo-lab"
    files = sorted(p for p in source.rglob("*") if p.is_file())
    archive = tmp_path / "lab.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in files:
            zipped.write(path, f"demo-lab/{path.relative_to(source)}")
    with (
        zipfile.ZipFile(archive) as zipped,
        materialised(zipfile.Path(zipped, "demo-lab/")) as copy,
    ):
        assert copy.name == "demo-lab" and copy != source
        copied = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
        assert copied == [p.relative_to(source) for p in files]
        assert all((copy / p).read_bytes() == (source / p).read_bytes() for p in copied)
    assert not copy.exists()  # removed after the block
