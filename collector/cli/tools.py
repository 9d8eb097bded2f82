"""The ``collect`` commands beside ``report``: record, history, diff, doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collector.cli.app import (
    ConfigOption,
    ExitCode,
    HistoryDbOption,
    VerboseOption,
    app,
    default_config_path,
    guarded,
    log,
    resolve_config,
)
from collector.config import load_config
from collector.errors import ConfigError
from collector.model import Diagnosis
from collector.render.history import ListFormat
from collector.render.sections import headline
from collector.report.build import Report


@app.command(
    "record",
    short_help="Save every answer of the live lab, to replay it offline.",
    epilog="\b\nExample:\n  collect record -c config.toml -o my-lab --anonymise",
)
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
    verbose: VerboseOption = False,
) -> None:
    """Collect live and save every answer, so 'collect report --replay DIR' reproduces the report.

    Never written: tokens, passwords, tickets, cookies, container environments and command
    lines, and any key listed in [record] redact_keys. Exit 0 when every source was recorded
    completely, 3 when one was not (what it answered is still written), 2 for config errors.
    """

    def run() -> Report:
        from collector.collection.record import RecordOptions, record_lab
        from collector.collection.wiring import recording_sources
        from collector.recording.anonymise import anonymise_recording

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
    from collector.history.settings import default_history_path

    if override is not None:
        return override
    if config_path is not None:
        return load_config(config_path).history.path
    default = default_config_path()
    if default.is_file():
        return load_config(default).history.path
    return default_history_path()


def _history_text(db: Path, fmt: ListFormat, limit: int) -> str:
    from collector.history.store import HistoryStore
    from collector.history.timeline import list_runs
    from collector.render.history import render_runs

    with HistoryStore.open(db, create=False) as store:
        return render_runs(list_runs(store, limit), fmt)


def _diff_text(db: Path, older: str, newer: str, fmt: ListFormat) -> str:
    """Compare two stored runs named by id, ``latest`` or ``previous``."""
    from collector.history.store import HistoryStore
    from collector.render.history import render_diff
    from collector.report.diff import diff

    with HistoryStore.open(db, create=False) as store:
        a, b = store.resolve(older), store.resolve(newer)
        changes = diff(store.load(a), store.load(b))
        assert changes is not None  # diff returns None only when there is no base
        return render_diff(changes, b, fmt)


ListFormatOption = Annotated[
    ListFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


@app.command(
    "history",
    short_help="List the stored runs, newest first.",
    epilog="\b\nExample:\n  collect history --limit 5",
)
def history_command(
    config: ConfigOption = None,
    history_db: HistoryDbOption = None,
    fmt: ListFormatOption = ListFormat.TABLE,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, metavar="N", help="Show at most N runs.")
    ] = 20,
    verbose: VerboseOption = False,
) -> None:
    """List the stored runs, newest first: time, completeness, sources, counts, report file."""
    text = guarded(lambda: _history_text(_history_path(config, history_db), fmt, limit))
    typer.echo(text, nl=False)


@app.command(
    "diff",
    short_help="Show what changed between two stored runs.",
    epilog="\b\nExample:\n  collect diff previous latest",
)
def diff_command(
    older: Annotated[
        str,
        typer.Argument(
            metavar="OLDER",
            help="Run to compare from: an id (see 'collect history'), 'previous' or 'latest'.",
        ),
    ] = "previous",
    newer: Annotated[
        str, typer.Argument(metavar="NEWER", help="Run to compare to (same forms).")
    ] = "latest",
    config: ConfigOption = None,
    history_db: HistoryDbOption = None,
    fmt: ListFormatOption = ListFormat.TABLE,
    verbose: VerboseOption = False,
) -> None:
    """Show what changed between two stored runs (default: the last two)."""
    text = guarded(lambda: _diff_text(_history_path(config, history_db), older, newer, fmt))
    typer.echo(text, nl=False)


@app.command(
    "doctor",
    short_help="Check that every source is reachable and readable.",
    epilog="\b\nExample:\n  collect doctor -c /etc/homelab-collector/config.toml",
)
def doctor_command(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Connect to every source and check reachability, TLS, login, version and privileges.

    Sends a handful of GETs per source (version, own permissions, one of each Docker read) and
    writes nothing. Exit 0 when every source is ready, 3 when something is missing or
    unreachable, 2 for configuration errors.
    """
    from collector.collection.doctor import all_ready, render_doctor, run_doctor
    from collector.collection.wiring import doctor_probes

    def diagnose() -> list[Diagnosis]:
        cfg = resolve_config(config, None)
        return run_doctor(doctor_probes(cfg, warn=lambda m: log.warning("%s", m)))

    diagnoses = guarded(diagnose)
    typer.echo(render_doctor(diagnoses), nl=False)
    raise typer.Exit(int(ExitCode.CLEAN if all_ready(diagnoses) else ExitCode.INCOMPLETE))
