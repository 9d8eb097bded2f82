"""One ``collect report`` run end to end: lock, collect, compare, write, store, notify.

The order is what makes the unattended job safe:

1. Validate everything first (``[history]``, ``[[notify]]``, the ``--output`` template), so a bad
   config fails with exit 2 before anything is collected.
2. Take the run lock (a second run waits, then gives up with exit 4), open the history.
3. Collect and judge; compare with the previous complete run; render.
4. Write the report files atomically, *then* store the run in one transaction. A run killed
   between the two leaves the previous history intact and the next run compares correctly; the
   other order could store a run whose report was never written. The report is always
   written: a history that cannot be opened (damaged, another program's file), read or stored
   is reported (exit 2, the file left as it is), never fatal.
   Several ``--output`` files (Markdown, JSON, metrics, ...) come from the same collection, one
   history row and one notification; the history and the notification name the *primary*
   file, the first whose name is dated (else the first).
5. Release the lock, then notify: a slow or dead notification target delays no other run and
   never costs the report, the history or the exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from collector.collection.orchestrate import run_report
from collector.config import Config
from collector.contract import Source
from collector.errors import ConfigError
from collector.history.errors import HistoryError
from collector.history.lock import run_lock
from collector.history.settings import HistorySettings, lock_path_for
from collector.history.store import HistoryStore
from collector.history.timeline import with_first_seen
from collector.notify.send import Delivery, notify_all
from collector.output import OutputFile, dated, output_path, write_atomically
from collector.render import Format, render
from collector.render.view import View
from collector.report.build import Report
from collector.report.diff import FindingChange, FindingStatus, diff
from collector.report.snapshot import snapshot_from_report


@dataclass(frozen=True, slots=True)
class JobOptions:
    fmt: Format = Format.TABLE
    """The format the CLI prints when no file is written."""
    outputs: tuple[OutputFile, ...] = ()
    """The files to write (``collector.output.output_files``); none: the CLI prints the report."""
    history: bool = True
    history_db: Path | None = None
    lock_timeout: float | None = None
    notify: bool = True
    now: datetime | None = None
    view: View = field(default_factory=View)
    """How the table and Markdown formats show the report (width, colour, sections, severities)."""


@dataclass(frozen=True, slots=True)
class JobOutcome:
    report: Report
    text: str
    """The report in the primary output's format (``JobOptions.fmt`` without outputs)."""
    files: tuple[Path, ...] = ()
    """Every file written, in ``--output`` order."""
    run_id: int | None = None
    history_error: str | None = None
    """Set when the report was written but the run could not be stored."""
    deliveries: tuple[Delivery, ...] = ()
    primary: Path | None = None
    """The file the history and the notifications name (see the module docstring)."""

    @property
    def output(self) -> Path | None:
        """The primary file written, or None when the report went to the terminal."""
        return self.primary

    def new_findings(self) -> tuple[FindingChange, ...]:
        changes = self.report.changes
        return changes.findings_of(FindingStatus.NEW) if changes is not None else ()

    def needs_attention(self, failing_exit: bool) -> bool:
        """What ``--quiet`` still prints for: a failing exit, a new finding, a failed save/send."""
        failed_send = any(not d.sent for d in self.deliveries)
        return failing_exit or bool(self.new_findings()) or failed_send or bool(self.history_error)


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _write(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def _primary(outputs: tuple[OutputFile, ...]) -> OutputFile | None:
    """The output the history and notifications name: the first dated one, else the first."""
    return next((o for o in outputs if dated(o.template)), outputs[0] if outputs else None)


@dataclass(frozen=True, slots=True)
class _Files:
    """Where this run's outputs go, filled in for the run's moment."""

    paths: tuple[tuple[Path, Format], ...]
    primary: Path | None
    primary_fmt: Format

    @classmethod
    def plan(cls, options: JobOptions, moment: datetime) -> _Files:
        paths = tuple((output_path(o.template, moment, o.fmt), o.fmt) for o in options.outputs)
        main = _primary(options.outputs)
        primary = output_path(main.template, moment, main.fmt) if main is not None else None
        return cls(paths, primary, main.fmt if main is not None else options.fmt)

    def write(self, report: Report, view: View, progress: Progress) -> str:
        """Render each format once, write every file; returns the primary format's text."""
        formats = {self.primary_fmt, *(fmt for _, fmt in self.paths)}
        texts = {fmt: render(report, fmt, view) for fmt in formats}
        for path, fmt in self.paths:
            progress(f"writing {path}")
            _write(path, texts[fmt])
        return texts[self.primary_fmt]


def history_location(config: Config, override: Path | None) -> HistorySettings:
    settings = config.history
    return replace(settings, path=override) if override is not None else settings


def run_job(
    config: Config,
    sources: Iterable[Source],
    options: JobOptions,
    progress: Progress = _quiet,
) -> JobOutcome:
    settings = history_location(config, options.history_db)
    targets = config.notify if options.notify else ()
    if options.history and settings.enabled:
        timeout = (
            options.lock_timeout if options.lock_timeout is not None else settings.lock_timeout
        )
        with run_lock(lock_path_for(settings.path), timeout):
            outcome = _with_history(config, sources, options, settings, progress)
    else:
        progress("collecting")
        report = run_report(config, sources, now=options.now)
        files = _Files.plan(options, report.moment)
        text = files.write(report, options.view, progress)
        outcome = _outcome(report, text, files)
    if targets:
        progress(f"notifying {len(targets)} target(s)")
        main = _primary(options.outputs)
        deliveries = notify_all(
            targets,
            outcome.report,
            report_path=str(outcome.primary) if outcome.primary else None,
            fmt=main.fmt if main is not None else options.fmt,
            history=options.history and settings.enabled,
        )
        outcome = replace(outcome, deliveries=tuple(deliveries))
    return outcome


def _outcome(
    report: Report,
    text: str,
    files: _Files,
    *,
    run_id: int | None = None,
    history_error: str | None = None,
) -> JobOutcome:
    return JobOutcome(
        report,
        text,
        tuple(path for path, _ in files.paths),
        run_id=run_id,
        history_error=history_error,
        primary=files.primary,
    )


def _with_history(
    config: Config,
    sources: Iterable[Source],
    options: JobOptions,
    settings: HistorySettings,
    progress: Progress,
) -> JobOutcome:
    try:
        opened = HistoryStore.open(settings.path)
    except HistoryError as exc:  # the report is still collected and written, without history
        progress("collecting")
        report = run_report(config, sources, now=options.now)
        files = _Files.plan(options, report.moment)
        text = files.write(report, options.view, progress)
        return _outcome(report, text, files, history_error=str(exc))
    with opened as store:
        progress("collecting")
        report = run_report(config, sources, now=options.now)
        files = _Files.plan(options, report.moment)
        main = _primary(options.outputs)
        # From here on the report is never lost: a history that fails is reported, not fatal.
        try:
            current = with_first_seen(store, snapshot_from_report(report))
            dated_file = main is not None and dated(main.template)
            base = store.comparison_base(replacing=files.primary if dated_file else None)
        except HistoryError as exc:
            text = files.write(report, options.view, progress)
            return _outcome(report, text, files, history_error=str(exc))
        report = replace(report, changes=diff(base, current))
        text = files.write(report, options.view, progress)
        progress(f"storing the run in {settings.path}")
        try:
            run_id = store.save(
                current,
                report_path=files.primary,
                keep_runs=settings.keep_runs,
                keep_days=settings.keep_days,
                protect={base.run_id} if base is not None and base.run_id is not None else set(),
            )
        except HistoryError as exc:
            return _outcome(report, text, files, history_error=str(exc))
    return _outcome(report, text, files, run_id=run_id)
