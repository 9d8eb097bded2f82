"""The ``collect`` command line. The only place that prints errors or chooses exit codes.

Exit codes:
  0  clean: no finding at or above --fail-on, every source complete
  1  findings at or above --fail-on
  2  usage or configuration error (nothing was collected), or the history database is unusable
     (when it fails after collecting, the report is still written)
  3  a source could not be fully collected; the report is still written and names what is missing
  4  another run holds the lock (see --lock-timeout); this run did nothing
  70 internal error (a bug: please report it with --verbose output)
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from collector import __version__
from collector.config import DEFAULT_CONFIG_PATH, Config, load_config
from collector.errors import CollectorError, ConfigError
from collector.history.commands import diff_text, history_text
from collector.history.errors import RunLocked
from collector.job import JobOptions, JobOutcome, run_job
from collector.model import Diagnosis, Severity
from collector.output import format_for
from collector.progress import Progress, progress_for
from collector.recording.meta import recorded_at
from collector.render import Format
from collector.render.changes import changes_line
from collector.render.history import ListFormat
from collector.render.sections import headline
from collector.report import Report

log = logging.getLogger("collector")


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    CONFIG = 2
    INCOMPLETE = 3
    LOCKED = 4
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
    "3 a source could not be fully collected (report still written), "
    "4 another run holds the lock, 70 internal error.",
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
    except RunLocked as exc:
        _fail(str(exc), ExitCode.LOCKED)
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


def _history_wanted(cfg: Config, replay: Path | None, history_db: Path | None) -> bool:
    """A replay (the demo lab, a bug report) never lands in the user's real history by accident:
    it uses a history only when one is named (--history-db, or history.path in its config)."""
    table = cfg.extra.get("history")
    named = history_db is not None or (isinstance(table, dict) and "path" in table)
    return replay is None or named


def _progress(quiet: bool) -> Progress:
    """Progress on stderr (phase lines and one updating line while collecting), only for a
    person watching a terminal: nothing in cron, in a pipe or with --quiet."""
    return progress_for(sys.stderr, quiet=quiet)


@app.command()
def report(
    config: ConfigOption = None,
    replay: ReplayOption = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: from the --output extension, .md or .json; else table).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to FILE instead of stdout (atomically; folders are created). "
            "FILE may be a template: {date} (any strftime: {date:%G-W%V}), {format}, {ext}; "
            "e.g. 'reports/{date:%G-W%V}.md' (a rerun in the same week replaces it).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe."),
    ] = FailOn.ERROR,
    no_history: Annotated[
        bool,
        typer.Option(
            "--no-history",
            help="Neither read nor store the run history (no Changes section). A --replay run "
            "uses a history only when --history-db or the config's history.path names one.",
        ),
    ] = False,
    history_db: HistoryDbOption = None,
    lock_timeout: Annotated[
        float | None,
        typer.Option(
            "--lock-timeout",
            min=0,
            metavar="SECONDS",
            help="Wait at most this long for another run to finish, then exit 4 "
            "(default: history.lock_timeout from the config, else 60).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="For cron: print nothing unless something needs attention (an exit code "
            "other than 0, a new finding, a history or notification failure).",
        ),
    ] = False,
    no_notify: Annotated[
        bool, typer.Option("--no-notify", help="Do not send the notifications (config: notify).")
    ] = False,
) -> None:
    """Collect from every source, check the rules, compare with the last run, print the report."""

    def job() -> JobOutcome:
        from collector.wiring import live_sources, replay_sources

        cfg = resolve_config(config, replay)
        sources = (
            replay_sources(cfg, replay)
            if replay is not None
            else live_sources(cfg, warn=lambda m: log.warning("%s", m), progress=shown)
        )
        options = JobOptions(
            fmt=fmt if fmt is not None else format_for(output),
            output=output,
            # A replay is judged as of its recording, so backup ages and waivers do not drift.
            now=recorded_at(replay) if replay is not None else None,
            history=not no_history and _history_wanted(cfg, replay, history_db),
            history_db=history_db,
            lock_timeout=lock_timeout,
            notify=not no_notify,
        )
        return run_job(cfg, sources, options, progress=shown)

    shown = _progress(quiet)
    try:
        outcome = guarded(job)
    finally:
        shown.close()  # erase the progress line before anything else is printed
    result = outcome.report
    code = exit_code(result, fail_on)
    speak = not quiet or outcome.needs_attention(code is not ExitCode.CLEAN)
    if outcome.output is None:
        if speak:
            typer.echo(outcome.text, nl=False)
    elif speak:
        typer.echo(f"wrote {outcome.output}: {headline(result)}")
        if result.changes is not None:
            typer.echo(changes_line(result.changes))
        if quiet:
            for f in outcome.new_findings():
                typer.echo(f"new: [{f.severity}] {f.rule} {f.subject}: {f.message}")
    for source in result.inventory.sources:
        if source.error:
            typer.echo(f"collect: warning: {source.error}", err=True)
    for delivery in outcome.deliveries:
        if not delivery.sent:
            typer.echo(
                f"collect: warning: {delivery.target}: notification failed ({delivery.detail}); "
                "the report and the history are saved",
                err=True,
            )
    if outcome.history_error is not None:
        _fail(f"{outcome.history_error} (the report itself was written)", ExitCode.CONFIG)
    raise typer.Exit(int(code))


@app.command("record")
def record_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Folder to write the recording into; must be new or empty (see --force).",
            show_default=False,
        ),
    ],
    config: ConfigOption = None,
    anonymise: Annotated[
        bool,
        typer.Option(
            "--anonymise",
            "--anonymize",
            help="Replace host and guest names, IP and MAC addresses by consistent pseudonyms "
            "and blank descriptions, so the recording can be attached to a bug report.",
        ),
    ] = False,
    salt: Annotated[
        str | None,
        typer.Option(
            "--salt",
            envvar="COLLECT_RECORD_SALT",
            help="With --anonymise: derive pseudonyms from this secret instead of a random "
            "one, so recordings of the same lab share pseudonyms. Never share it.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the recording (config.toml, pve/, docker/) in a non-empty DIR."
        ),
    ] = False,
) -> None:
    """Collect live and save every answer, so 'collect report --replay DIR' reproduces the report.

    Never written: tokens, passwords, tickets, cookies, container environments and command
    lines, and any key listed in [record] redact_keys. Exit 0 when every source was recorded
    completely, 3 when one was not (what it answered is still written), 2 for config errors.
    """

    def run() -> Report:
        from collector.recording.record import RecordOptions, record_lab
        from collector.wiring import anonymise_recording, recording_sources

        if salt is not None and not anonymise:
            raise ConfigError("--salt (or COLLECT_RECORD_SALT) only makes sense with --anonymise")
        cfg = resolve_config(config, None)
        options = RecordOptions(
            out=out,
            force=force,
            anonymiser=anonymise_recording if anonymise else None,
            salt=salt.encode() if salt else None,
        )
        return record_lab(
            cfg,
            options,
            lambda root: recording_sources(cfg, root, warn=lambda m: log.warning("%s", m)),
        )

    result = guarded(run)
    what = "an anonymised recording" if anonymise else "a recording"
    typer.echo(
        f"wrote {what} of {len(result.inventory.sources)} source(s) to {out}: {headline(result)}"
    )
    for source in result.inventory.sources:
        if source.error:
            typer.echo(f"collect: warning: {source.error}", err=True)
    raise typer.Exit(int(ExitCode.CLEAN if result.complete else ExitCode.INCOMPLETE))


def _history_path(config_path: Path | None, override: Path | None) -> Path:
    from collector.history.settings import default_history_path, history_settings

    if override is not None:
        return override
    if config_path is not None:
        return history_settings(load_config(config_path)).path
    default = default_config_path()
    if default.is_file():
        return history_settings(load_config(default)).path
    return default_history_path()


ListFormatOption = Annotated[
    ListFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


@app.command("history")
def history_command(
    config: ConfigOption = None,
    history_db: HistoryDbOption = None,
    fmt: ListFormatOption = ListFormat.TABLE,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N runs.")] = 20,
) -> None:
    """List the stored runs, newest first: time, completeness, sources, counts, report file."""
    text = guarded(lambda: history_text(_history_path(config, history_db), fmt, limit))
    typer.echo(text, nl=False)


@app.command("diff")
def diff_command(
    older: Annotated[
        str,
        typer.Argument(
            help="Run to compare from: an id (see 'collect history'), 'previous' or 'latest'."
        ),
    ] = "previous",
    newer: Annotated[str, typer.Argument(help="Run to compare to (same forms).")] = "latest",
    config: ConfigOption = None,
    history_db: HistoryDbOption = None,
    fmt: ListFormatOption = ListFormat.TABLE,
) -> None:
    """Show what changed between two stored runs (default: the last two)."""
    text = guarded(lambda: diff_text(_history_path(config, history_db), older, newer, fmt))
    typer.echo(text, nl=False)


@app.command("doctor")
def doctor_command(config: ConfigOption = None) -> None:
    """Connect to every source and check reachability, TLS, login, version and privileges.

    Sends a handful of GETs per source (version, own permissions, one of each Docker read) and
    writes nothing. Exit 0 when every source is ready, 3 when something is missing or
    unreachable, 2 for configuration errors.
    """
    from collector.doctor import all_ready, render_doctor, run_doctor
    from collector.wiring import doctor_probes

    def diagnose() -> list[Diagnosis]:
        cfg = resolve_config(config, None)
        return run_doctor(doctor_probes(cfg, warn=lambda m: log.warning("%s", m)))

    diagnoses = guarded(diagnose)
    typer.echo(render_doctor(diagnoses), nl=False)
    raise typer.Exit(int(ExitCode.CLEAN if all_ready(diagnoses) else ExitCode.INCOMPLETE))
