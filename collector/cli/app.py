"""What every ``collect`` command shares: the app, exit codes, error handling, config lookup.

Commands live in ``collector.cli`` (report) and ``collector.cli.tools`` (record, history, diff,
doctor); they register on ``app`` defined here.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum, StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from collector import __version__
from collector.config import DEFAULT_CONFIG_PATH, Config, load_config
from collector.errors import CollectorError, ConfigError
from collector.history.errors import RunLocked
from collector.model import Severity
from collector.report.build import Report

log = logging.getLogger("collector")


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    CONFIG = 2
    INCOMPLETE = 3
    LOCKED = 4
    INTERNAL = 70
    INTERRUPTED = 130


class FailOn(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


app = typer.Typer(
    name="collect",
    help="Collect what really runs in a Proxmox/Docker homelab and check it against the "
    "architecture: platforms as VMs, services as containers, containers inside VMs.\n\n"
    "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/config error, "
    "3 a source could not be fully collected (report still written), "
    "4 another run holds the lock, 70 internal error, 130 interrupted (Ctrl-C).",
    no_args_is_help=True,
    # Plain click help: rich markup would eat "[record]" and hard-wrap docstrings; click
    # re-flows paragraphs to the terminal (at most 80 columns) and keeps "\b" blocks as written.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

_state = {"verbose": False}
T = TypeVar("T")


def fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"collect: error: {message}", err=True)
    raise typer.Exit(int(code))


def interrupted(before: Callable[[], None] | None = None) -> NoReturn:
    """Ctrl-C: say so and end the process now, with exit code 130 (128 + SIGINT).

    By the time this runs, the interrupted code has unwound: a report being written lost only
    its temp file (``output.write_atomically``), a history transaction was rolled back, the
    run lock released. What may still run are worker threads blocked in a read of a server
    that does not answer; a thread cannot be stopped, and a normal exit would wait for each
    one's timeout (Python joins them at exit). ``os._exit`` ends them with the process.
    """
    if before is not None:
        before()
    sys.stdout.flush()
    sys.stderr.write("collect: interrupted\n")
    sys.stderr.flush()
    os._exit(int(ExitCode.INTERRUPTED))


def guarded(action: Callable[[], T], on_interrupt: Callable[[], None] | None = None) -> T:
    """Run ``action``; turn every error into one line and an exit code (traceback if verbose).

    Ctrl-C ends the process at once with exit code 130 (``interrupted``), after
    ``on_interrupt`` (e.g. erasing the progress line)."""
    try:
        return action()
    except KeyboardInterrupt:
        interrupted(on_interrupt)
    except typer.Exit:
        raise
    except RunLocked as exc:
        fail(str(exc), ExitCode.LOCKED)
    except CollectorError as exc:
        if _state["verbose"]:
            traceback.print_exc()
        fail(str(exc), ExitCode.CONFIG)
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected bug is reported
        if _state["verbose"]:
            traceback.print_exc()
        fail(
            f"internal error: {type(exc).__name__}: {exc} (run with --verbose and report it)",
            ExitCode.INTERNAL,
        )


def version_text() -> str:
    """This release, the SDK versions it runs with, and the versions of what it writes."""
    from collector.history.schema import DB_SCHEMA_VERSION
    from collector.recording.meta import RECORDING_FORMAT_VERSION
    from collector.report.document import JSON_SCHEMA_VERSION

    return (
        f"collect (homelab-collector) {__version__}\n"
        f"  proxmoxer {_installed('proxmoxer')}, docker SDK {_installed('docker')}, "
        f"Python {platform.python_version()}\n"
        f"  JSON report schema {JSON_SCHEMA_VERSION}, history database schema "
        f"{DB_SCHEMA_VERSION}, recording format {RECORDING_FORMAT_VERSION}"
    )


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def is_verbose() -> bool:
    """Whether ``-v/--verbose`` was given (before or after the command)."""
    return _state["verbose"]


def _verbose(value: bool) -> None:
    """``-v/--verbose`` before or after the command: both land here."""
    if value:
        _state["verbose"] = True
        # The collector's own progress, not every library's (markdown-it, urllib3 and paramiko
        # log each step at DEBUG): those stay at WARNING.
        log.setLevel(logging.DEBUG)


VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        callback=_verbose,
        expose_value=False,
        help="Log progress and show tracebacks.",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit()


@app.callback(epilog="\b\nExample:\n  collect report --demo")
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress and show tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the version, the proxmoxer and docker SDK versions it runs with, and "
            "the JSON, history and recording format versions.",
        ),
    ] = False,
) -> None:
    """homelab-collector."""
    _state["verbose"] = verbose
    logging.basicConfig(format="collect: %(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger().setLevel(logging.WARNING)
    log.setLevel(logging.DEBUG if verbose else logging.WARNING)


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    if base:
        return Path(base) / "homelab-collector" / "config.toml"
    return DEFAULT_CONFIG_PATH.expanduser()


def resolve_config(config_path: Path | None, replay: Path | None) -> Config:
    """The config of this run; for a live run with ``[[docker]] context`` entries resolved."""
    if replay is None:
        from collector.collection.wiring import with_docker_contexts

        return with_docker_contexts(load_config(config_path or default_config_path()))
    if config_path is not None:
        return load_config(config_path)
    recorded = replay / "config.toml"
    if not replay.is_dir():
        raise ConfigError(f"replay folder {replay} does not exist or is not a folder")
    if not recorded.is_file():
        raise ConfigError(f"{recorded} is missing: pass --config with the lab's config")
    return load_config(recorded)


def exit_code(report: Report, fail_on: FailOn) -> ExitCode:
    if not report.complete:
        return ExitCode.INCOMPLETE
    threshold = Severity(fail_on.value).rank
    if any(f.severity.rank >= threshold and not f.waived for f in report.findings):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="COLLECT_CONFIG",
        metavar="FILE",
        help="Config file (default: $XDG_CONFIG_HOME/homelab-collector/config.toml; "
        "with --replay: the recording's config.toml).",
        show_default=False,
    ),
]
ReplayOption = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        metavar="DIR",
        help="Read a recording folder instead of the live lab (e.g. fixtures/demo-lab).",
        show_default=False,
    ),
]


HistoryDbOption = Annotated[
    Path | None,
    typer.Option(
        "--history-db",
        envvar="COLLECT_HISTORY_DB",
        metavar="FILE",
        help="History database (default: history.path from the config, else "
        "$XDG_STATE_HOME/homelab-collector/history.sqlite3).",
        show_default=False,
    ),
]
