"""``collect init``: the first config, and the weekly systemd units for the installed program."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from collector.cli.app import (
    ExitCode,
    VerboseOption,
    app,
    default_config_path,
    fail,
    guarded,
)
from collector.onboarding.systemd import Scope, Units

SYSTEMD_NEXT = {
    Scope.SYSTEM: (
        "sudo systemctl daemon-reload",
        "sudo systemctl enable --now homelab-collector.timer",
        "sudo systemctl start homelab-collector.service   # one run now; then: "
        "journalctl -u homelab-collector.service",
    ),
    Scope.USER: (
        "systemctl --user daemon-reload",
        "systemctl --user enable --now homelab-collector.timer",
        'sudo loginctl enable-linger "$USER"   # so it also runs while you are logged out',
    ),
}


def _looked_up_config() -> Path:
    """The file a plain ``collect report`` reads: $COLLECT_CONFIG, else the XDG path."""
    named = os.environ.get("COLLECT_CONFIG", "").strip()
    return Path(named) if named else default_config_path()


def _write_config(path: Path) -> None:
    from collector.data import example_config
    from collector.onboarding.config_file import write_new_config

    write_new_config(path, example_config())
    flag = "" if path == _looked_up_config() else f" --config {path}"
    typer.echo(
        f"wrote {path} (mode 0600): the commented example config, every key explained.\n"
        "Edit its [[proxmox]] and [[docker]] tables for your lab (README: Point it at your "
        "lab), then:\n"
        f"  collect doctor{flag}    checks every source: reachable, TLS, login, privileges\n"
        f"  collect report{flag}    collects and prints the report"
    )


def _systemd(scope: Scope, config: Path | None, install: bool, unit_dir: Path | None) -> None:
    from collector.onboarding.systemd import (
        SYSTEM_CONFIG,
        default_unit_dir,
        install_units,
        installed_program,
        render_units,
        setup_gaps,
    )

    if config is None:
        config = SYSTEM_CONFIG if scope is Scope.SYSTEM else _looked_up_config()
    config = config.expanduser().absolute()
    program = installed_program()
    units = render_units(scope, program, config)
    folder = unit_dir if unit_dir is not None else default_unit_dir(scope)
    if not install:
        _print_units(units, folder)
    else:
        written = install_units(units, folder)
        names = ", ".join(str(p) for p in written) if written else "nothing (already installed)"
        typer.echo(f"wrote {names}\nNext:")
        for command in SYSTEMD_NEXT[scope]:
            typer.echo(f"  {command}")
    for gap in setup_gaps(units, program, config):
        typer.echo(f"collect: before the first run: {gap}", err=True)


def _print_units(units: Units, folder: Path) -> None:
    """Both files on stdout, each under a comment naming where it goes (comments are valid
    unit syntax, so each part can be saved as it is)."""
    for name, text in units.files().items():
        typer.echo(f"# {folder / name}\n{text}")


@app.command(
    "init",
    short_help="Write the first config, or the weekly systemd units.",
    epilog="\b\nExample:\n  collect init --systemd --user --install",
)
def init_command(
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            envvar="COLLECT_CONFIG",
            metavar="FILE",
            help="Where to write the config (default: $XDG_CONFIG_HOME/homelab-collector/"
            "config.toml, where collect looks). With --systemd: the config the service reads "
            "(default: that file for --user, /etc/homelab-collector/config.toml for --system).",
            show_default=False,
        ),
    ] = None,
    to_stdout: Annotated[
        bool, typer.Option("--print", help="Print the example config instead of writing it.")
    ] = False,
    systemd: Annotated[
        bool,
        typer.Option(
            "--systemd",
            help="Print the weekly service and timer for this installed collect instead.",
        ),
    ] = False,
    user: Annotated[
        bool | None,
        typer.Option(
            "--user/--system",
            help="With --systemd: units for your own systemd (systemctl --user) or for the "
            "machine's, run as the user homelab-collector (default: --system as root, else "
            "--user).",
            show_default=False,
        ),
    ] = None,
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="With --systemd: write the units (never over different ones) and print the "
            "systemctl commands that start the timer.",
        ),
    ] = False,
    unit_dir: Annotated[
        Path | None,
        typer.Option(
            "--unit-dir",
            metavar="DIR",
            help="With --install: the unit folder (default: /etc/systemd/system, or "
            "~/.config/systemd/user with --user).",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Write the commented example config where collect looks for it, then say what to run.

    The file is created with mode 0600 and never over an existing one. --print shows it
    instead; --systemd prints (with --install: writes) the weekly service and timer for this
    installed collect. Exit 0 when done, 2 when a file exists or cannot be written.
    """
    if not systemd and (install or unit_dir is not None or user is not None):
        fail("--install, --unit-dir, --user and --system go with --systemd", ExitCode.CONFIG)
    if unit_dir is not None and not install:
        fail("--unit-dir goes with --install", ExitCode.CONFIG)
    if systemd:
        from collector.onboarding.systemd import default_scope

        scope = default_scope() if user is None else (Scope.USER if user else Scope.SYSTEM)
        guarded(lambda: _systemd(scope, path, install, unit_dir))
        return
    if to_stdout:
        from collector.data import example_config

        typer.echo(guarded(example_config), nl=False)
        return
    target = path if path is not None else default_config_path()
    guarded(lambda: _write_config(target.expanduser()))
