"""The ``collect`` command line. The only place that prints errors or chooses exit codes.

Exit codes:
  0  clean: no finding at or above --fail-on, every source complete
  1  findings at or above --fail-on
  2  usage or configuration error (nothing was collected)
  3  a source could not be fully collected; the report is still written and names what is missing
  70 internal error (a bug: please report it with --verbose output)
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from collector import __version__
from collector.collect import run_report
from collector.config import DEFAULT_CONFIG_PATH, Config, load_config
from collector.errors import CollectorError, ConfigError
from collector.model import Severity
from collector.render import Format, render
from collector.render.sections import headline
from collector.report import Report

log = logging.getLogger("collector")


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    CONFIG = 2
    INCOMPLETE = 3
    INTERNAL = 70


class FailOn(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


app = typer.Typer(
    name="collect",
    help="Collect what really runs in a Proxmox/Docker homelab and check it against the "
    "architecture: platforms as VMs, services as containers, containers inside VMs.\n\n"
    "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/config error, "
    "3 a source could not be fully collected (report still written), 70 internal error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"verbose": False}
T = TypeVar("T")


def _fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"collect: error: {message}", err=True)
    raise typer.Exit(int(code))


def guarded(action: Callable[[], T]) -> T:
    """Run ``action``; turn every error into one line and an exit code (traceback if verbose)."""
    try:
        return action()
    except typer.Exit:
        raise
    except CollectorError as exc:
        if _state["verbose"]:
            traceback.print_exc()
        _fail(str(exc), ExitCode.CONFIG)
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected bug is reported
        if _state["verbose"]:
            traceback.print_exc()
        _fail(
            f"internal error: {type(exc).__name__}: {exc} (run with --verbose and report it)",
            ExitCode.INTERNAL,
        )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"collect (homelab-collector) {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress and show tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """homelab-collector."""
    _state["verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="collect: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    if base:
        return Path(base) / "homelab-collector" / "config.toml"
    return DEFAULT_CONFIG_PATH.expanduser()


def resolve_config(config_path: Path | None, replay: Path | None) -> Config:
    if config_path is not None:
        return load_config(config_path)
    if replay is not None:
        recorded = replay / "config.toml"
        if not replay.is_dir():
            raise ConfigError(f"replay folder {replay} does not exist or is not a folder")
        if not recorded.is_file():
            raise ConfigError(f"{recorded} is missing: pass --config with the lab's config")
        return load_config(recorded)
    return load_config(default_config_path())


def write_atomically(path: Path, text: str) -> None:
    """Temp file in the same folder + rename: a crash never leaves a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def exit_code(report: Report, fail_on: FailOn) -> ExitCode:
    if not report.complete:
        return ExitCode.INCOMPLETE
    threshold = Severity(fail_on.value).rank
    if any(f.severity.rank >= threshold for f in report.findings):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="COLLECT_CONFIG",
        help="Config file (default: $XDG_CONFIG_HOME/homelab-collector/config.toml; "
        "with --replay: the recording's config.toml).",
        show_default=False,
    ),
]
ReplayOption = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        help="Read a recording folder instead of the live lab (e.g. fixtures/demo-lab).",
        show_default=False,
    ),
]


@app.command()
def report(
    config: ConfigOption = None,
    replay: ReplayOption = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = Format.TABLE,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to FILE instead of stdout."),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe."),
    ] = FailOn.ERROR,
) -> None:
    """Collect from every source, check the architecture rules, and print the report."""

    def build() -> Report:
        from collector.wiring import live_sources, replay_sources

        cfg = resolve_config(config, replay)
        sources = (
            replay_sources(cfg, replay)
            if replay is not None
            else live_sources(cfg, warn=lambda m: log.warning("%s", m))
        )
        return run_report(cfg, sources)

    result = guarded(build)
    text = render(result, fmt)
    if output is not None:
        guarded(lambda: write_atomically(output, text))
        typer.echo(f"wrote {output}: {headline(result)}")
    else:
        typer.echo(text, nl=False)
    for source in result.inventory.sources:
        if source.error:
            typer.echo(f"collect: warning: {source.error}", err=True)
    raise typer.Exit(int(exit_code(result, fail_on)))
