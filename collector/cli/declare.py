"""``collect declare``: the lab as it runs, written as a declaration of its systems.

Collects like ``collect report`` (live, or ``--replay``; a declaration in the config is left
out, so roles and owners are what the lab itself says), then prints every guest, compose
project, pod and lone container as ``[[systems]]`` TOML or as a Markdown table with English or
German headers, ready to paste into the architecture page. Exit 0; 3 when a source could not be
read completely (its systems are missing from what is printed, and stderr says which); 2 for
configuration errors.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from collector.cli.app import (
    ConfigOption,
    ExitCode,
    ReplayOption,
    app,
    fail,
    guarded,
    log,
    resolve_config,
)
from collector.config.declaration import Architecture
from collector.correlation.bootstrap import declare_lab
from collector.data import demo_lab
from collector.errors import ConfigError
from collector.recording.meta import recorded_at
from collector.render.declaration import DeclarationFormat, Language, render_declaration
from collector.report.build import Report


@app.command(
    "declare", epilog="\b\nExample:\n  collect declare --demo --format markdown --language de"
)
def declare_command(
    config: ConfigOption = None,
    replay: ReplayOption = None,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Declare the shipped demo lab (--replay on its copy)."),
    ] = False,
    fmt: Annotated[
        DeclarationFormat,
        typer.Option(
            "--format",
            "-f",
            help="[[systems]] TOML (for the config or [architecture] file), or a Markdown table "
            "for the architecture page ([architecture] page).",
            case_sensitive=False,
        ),
    ] = DeclarationFormat.TOML,
    language: Annotated[
        Language,
        typer.Option(
            "--language",
            "-l",
            help="Headers and words of the Markdown table: en (System, Form, Host, ...) or de "
            "(System, Typ, Wirt, ...).",
            case_sensitive=False,
        ),
    ] = Language.EN,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (atomically) instead of stdout.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the lab as it runs as a declaration of its systems, to edit into what should run."""

    def collect(recording: Path | None) -> Report:
        from collector.collection.orchestrate import run_report
        from collector.collection.wiring import live_sources, replay_sources

        # The lab as it is: an existing declaration must not colour the roles and owners.
        cfg = replace(resolve_config(config, recording), architecture=Architecture())
        sources = (
            replay_sources(cfg, recording)
            if recording is not None
            else live_sources(cfg, warn=lambda m: log.warning("%s", m))
        )
        now = recorded_at(recording) if recording is not None else None
        return run_report(cfg, sources, now=now)

    if demo and replay is not None:
        fail("--demo and --replay both name a recording; pick one", ExitCode.CONFIG)
    with ExitStack() as stack:
        if demo:
            replay = guarded(lambda: stack.enter_context(demo_lab()))
        report = guarded(lambda: collect(replay))
    systems = declare_lab(report.inventory)
    text = render_declaration(systems, fmt, language)
    if output is None:
        typer.echo(text, nl=False)
    else:
        guarded(lambda: _write(output, text))
        typer.echo(f"wrote {len(systems)} system(s) to {output}")
    for source in report.inventory.sources:
        if not source.complete:
            typer.echo(
                f"collect: warning: {source.name} was not read completely; systems it holds may "
                f"be missing from the declaration ({source.error or 'see collect report'})",
                err=True,
            )
    raise typer.Exit(int(ExitCode.CLEAN if report.complete else ExitCode.INCOMPLETE))


def _write(path: Path, text: str) -> None:
    from collector.output import write_atomically

    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the declaration to {path}: {exc.strerror or exc}"
        ) from None
