"""The ``collect report`` command and its exit codes (other commands: ``collector.cli.tools``).

Exit codes:
  0  clean: no finding at or above --fail-on, every source complete
  1  findings at or above --fail-on
  2  usage or configuration error (nothing was collected), or the history database is unusable
     (when it fails after collecting, the report is still written)
  3  a source could not be fully collected; the report is still written and names what is missing
  4  another run holds the lock (see --lock-timeout); this run did nothing
  70 internal error (a bug: please report it with --verbose output)
  130 interrupted (Ctrl-C): no report file and no history row is left half-written
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from collector.cli.app import (
    ConfigOption,
    ExitCode,
    FailOn,
    HistoryDbOption,
    ReplayOption,
    VerboseOption,
    app,
    exit_code,
    fail,
    guarded,
    is_verbose,
    log,
    resolve_config,
)
from collector.cli.terminal import view_for
from collector.collection.progress import Progress, progress_for
from collector.config import Config
from collector.data import demo_lab
from collector.job import JobOptions, JobOutcome, run_job
from collector.model import Severity
from collector.output import output_files
from collector.recording.meta import recorded_at
from collector.render import Format
from collector.render.changes import changes_line
from collector.render.digest import quiet_digest
from collector.render.sections import headline


def _history_wanted(cfg: Config, replay: Path | None, history_db: Path | None) -> bool:
    """A replay (the demo lab, a bug report) never lands in the user's real history by accident:
    it uses a history only when one is named (--history-db, or history.path in its config)."""
    named = history_db is not None or cfg.history.path_configured
    return replay is None or named


def _progress(quiet: bool) -> Progress:
    """Progress on stderr (phase lines and one updating line while collecting), only for a
    person watching a terminal, or as log lines with --verbose: nothing in cron, in a pipe or
    with --quiet."""
    return progress_for(sys.stderr, quiet=quiet, verbose=is_verbose())


@app.command(
    short_help="Collect, check the rules, compare with the last run, print or write the report.",
    epilog="\b\nExample:\n  collect report --demo --min-severity warning",
)
def report(
    config: ConfigOption = None,
    replay: ReplayOption = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Report on the shipped demo lab (a recording of a 3-node cluster and its "
            "container engines): --replay on the copy installed with collect.",
        ),
    ] = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: from the --output extension: .md, .json, .prom "
            "(prometheus), .txt, .yml/.yaml (ansible); else table). With several --output, "
            "each file's extension decides.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to FILE instead of stdout ('-': stdout; atomically; folders "
            "are created). FILE may be a template: {date} (any strftime: {date:%G-W%V}), "
            "{format}, {ext}, filled in the local time zone; e.g. 'reports/{date:%G-W%V}.md' "
            "(a rerun in the same week replaces it). Give it several times for several files "
            "from one collection (-o wiki.md -o lab.prom).",
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
            "other than 0, a new finding, a history or notification failure), and then at "
            "most 5 lines; errors still go to stderr.",
        ),
    ] = False,
    no_notify: Annotated[
        bool, typer.Option("--no-notify", help="Do not send the notifications (config: notify).")
    ] = False,
    details: Annotated[
        bool,
        typer.Option(
            "--details",
            help="Table format: add the full sections (sources, summary, changes, every "
            "finding with its hint or waiver, coverage gaps).",
        ),
    ] = False,
    inventory: Annotated[
        bool,
        typer.Option("--inventory", help="Table format: add the inventory tree of every object."),
    ] = False,
    min_severity: Annotated[
        Severity,
        typer.Option(
            "--min-severity",
            help="Show only findings at least this severe (table and Markdown; the JSON, the "
            "history and the exit code still count every finding).",
            case_sensitive=False,
        ),
    ] = Severity.INFO,
    no_color: Annotated[
        bool,
        typer.Option(
            "--no-color",
            help="No colours (also: NO_COLOR set; never into a file or a pipe).",
        ),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Collect from every source, check the rules, compare with the last run, print the report.

    The terminal view leads with what to do: the headline, sources that failed, the open
    findings grouped by rule (worst first, each fix once), compliance per layer. It fits the
    terminal (COLUMNS, else the terminal's width, else 120 columns).
    """

    def job(replay: Path | None) -> JobOutcome:
        from collector.collection.wiring import live_sources, replay_sources

        outputs = output_files(output or (), fmt)  # checked before anything is collected
        cfg = resolve_config(config, replay)
        sources = (
            replay_sources(cfg, replay)
            if replay is not None
            else live_sources(cfg, warn=lambda m: log.warning("%s", m), progress=shown)
        )
        options = JobOptions(
            fmt=fmt if fmt is not None else Format.TABLE,
            outputs=outputs,
            # A replay is judged as of its recording, so backup ages and waivers do not drift.
            now=recorded_at(replay) if replay is not None else None,
            history=not no_history and _history_wanted(cfg, replay, history_db),
            history_db=history_db,
            lock_timeout=lock_timeout,
            notify=not no_notify,
            view=shown_as,
        )
        return run_job(cfg, sources, options, progress=shown)

    if demo and replay is not None:
        fail("--demo and --replay both name a recording; pick one", ExitCode.CONFIG)
    shown_as = view_for(
        to_stdout=not output or output == ["-"],
        details=details,
        inventory=inventory,
        min_severity=min_severity,
        no_color=no_color,
    )
    shown = _progress(quiet)
    try:
        with ExitStack() as stack:
            if demo:
                replay = guarded(lambda: stack.enter_context(demo_lab()))
            outcome = guarded(lambda: job(replay), on_interrupt=shown.close)
    finally:
        shown.close()  # erase the progress line before anything else is printed
    result = outcome.report
    code = exit_code(result, fail_on)
    speak = not quiet or outcome.needs_attention(code is not ExitCode.CLEAN)
    if quiet:
        if speak:
            for line in quiet_digest(result, outcome.files, shown_as.columns):
                typer.echo(line)
    elif not outcome.files:
        typer.echo(outcome.text, nl=False)
    else:
        typer.echo(f"wrote {', '.join(map(str, outcome.files))}: {headline(result)}")
        if result.changes is not None:
            typer.echo(changes_line(result.changes))
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
        fail(f"{outcome.history_error} (the report itself was written)", ExitCode.CONFIG)
    raise typer.Exit(int(code))
