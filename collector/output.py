"""Where a report goes: ``--output`` templates, and files written so a crash never halves one.

A template is a path with placeholders, filled from the run's own time (local time zone)::

    reports/{date:%G-W%V}.md       → reports/2026-W48.md   (ISO week: a rerun replaces it)
    reports/{date}.{ext}           → reports/2026-11-26.md
    out/{format}/{date:%Y}/{date}  → out/markdown/2026/2026-11-26

``{date}`` takes any ``strftime`` spec (default ``%Y-%m-%d``); ``{format}`` is the format name
(``table``, ``markdown``, ``json``, ``prometheus``, ``ansible``) and ``{ext}`` its file extension
(``txt``, ``md``, ``json``, ``prom``, ``yml``). Write ``{{`` and ``}}`` for literal braces.

One run may write several files (``--output`` given more than once): each file's format follows
its extension (``output_files``), and each is written atomically on its own.
"""

from __future__ import annotations

import os
import string
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from collector.errors import ConfigError
from collector.render import Format

EXTENSIONS = {
    Format.TABLE: "txt",
    Format.MARKDOWN: "md",
    Format.JSON: "json",
    Format.PROMETHEUS: "prom",
    Format.ANSIBLE: "yml",
}
FORMAT_BY_SUFFIX = {
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".json": Format.JSON,
    ".prom": Format.PROMETHEUS,
    ".txt": Format.TABLE,
    ".yml": Format.ANSIBLE,
    ".yaml": Format.ANSIBLE,
}
PLACEHOLDERS = ("date", "format", "ext")


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One ``--output``: a path or template, and the format written there."""

    template: str
    fmt: Format


class _Date:
    """A datetime whose empty format spec means ``%Y-%m-%d`` rather than ``str()``."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def __format__(self, spec: str) -> str:
        return self._moment.strftime(spec or "%Y-%m-%d")


def format_for(template: str | None) -> Format:
    """The format an ``--output`` name implies by its extension (``FORMAT_BY_SUFFIX``), else
    table."""
    suffix = Path(template).suffix.lower() if template else ""
    return FORMAT_BY_SUFFIX.get(suffix, Format.TABLE)


def output_files(templates: Sequence[str], fmt: Format | None = None) -> tuple[OutputFile, ...]:
    """The files one run writes. ``fmt`` (``--format``) may only name the format of a single
    output; with several, each extension must say its format. ``-`` alone is stdout: no file."""
    if list(templates) == ["-"]:
        return ()
    if "-" in templates:
        raise ConfigError("--output - (stdout) cannot be combined with files; pipe it to tee")
    known = ", ".join(FORMAT_BY_SUFFIX)
    if fmt is not None and len(templates) > 1:
        raise ConfigError(
            f"--format applies to a single --output; with {len(templates)} outputs each "
            f"file's format follows its extension ({known})"
        )
    files = []
    for template in templates:
        check_template(template)
        suffix = Path(template).suffix.lower()
        if fmt is None and len(templates) > 1 and suffix not in FORMAT_BY_SUFFIX:
            raise ConfigError(
                f"--output {template!r}: with several outputs the extension names the format; "
                f"use one of {known}"
            )
        files.append(OutputFile(template, fmt or format_for(template)))
    if len({f.template for f in files}) != len(files):
        raise ConfigError("--output names the same file twice")
    return tuple(files)


def check_template(template: str, option: str = "--output") -> None:
    """Reject unknown placeholders and broken braces before anything is collected."""
    where = f"{option} {template!r}"
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}; write {{{{ and }}}} for literal braces") from None
    for _, name, _, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or conversion:
            raise ConfigError(
                f"{where}: unknown placeholder {{{name}}} (known: "
                + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                + ")"
            )
    if not template.strip():
        raise ConfigError(f"{option} must not be empty")


def dated(template: str) -> bool:
    """Whether the file name changes with the date: then a rerun with the same name replaces
    that period's report (and must not be compared with the run it replaces)."""
    return any(name == "date" for _, name, _, _ in string.Formatter().parse(template))


def fill_template(template: str, moment: datetime, fmt: Format) -> str:
    """Fill the placeholders for a run at ``moment`` (shown in the local time zone)."""
    check_template(template)
    fields = {"date": _Date(moment.astimezone()), "format": fmt.value, "ext": EXTENSIONS[fmt]}
    return template.format_map(fields)


def output_path(template: str, moment: datetime, fmt: Format) -> Path:
    """The report file for a run at ``moment``, made absolute."""
    return Path(fill_template(template, moment, fmt)).expanduser().absolute()


def write_atomically(path: Path, text: str) -> None:
    """Temp file in the same folder + fsync + rename: a crash never leaves a half-written report.

    The rename replaces the old file in one step, so a reader (or a run killed half-way) sees
    either the whole previous report or the whole new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _mode_for(path: Path) -> int:
    """Keep a replaced report's permissions; a new one gets the umask's (mkstemp says 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after must not undo it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
