"""Where a report goes: ``--output`` templates, and files written so a crash never halves one.

A template is a path with placeholders, filled from the run's own time (local time zone)::

    reports/{date:%G-W%V}.md       → reports/2026-W48.md   (ISO week: a rerun replaces it)
    reports/{date}.{ext}           → reports/2026-11-26.md
    out/{format}/{date:%Y}/{date}  → out/markdown/2026/2026-11-26

``{date}`` takes any ``strftime`` spec (default ``%Y-%m-%d``); ``{format}`` is the format name
(``table``, ``markdown``, ``json``) and ``{ext}`` its file extension (``txt``, ``md``, ``json``).
Write ``{{`` and ``}}`` for literal braces.
"""

from __future__ import annotations

import os
import string
import tempfile
from datetime import datetime
from pathlib import Path

from collector.errors import ConfigError
from collector.render import Format

EXTENSIONS = {Format.TABLE: "txt", Format.MARKDOWN: "md", Format.JSON: "json"}
PLACEHOLDERS = ("date", "format", "ext")


class _Date:
    """A datetime whose empty format spec means ``%Y-%m-%d`` rather than ``str()``."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def __format__(self, spec: str) -> str:
        return self._moment.strftime(spec or "%Y-%m-%d")


def format_for(template: str | None) -> Format:
    """The format an ``--output`` name implies by its extension (``.md``, ``.json``), else table."""
    suffix = Path(template).suffix.lower() if template else ""
    return {".md": Format.MARKDOWN, ".markdown": Format.MARKDOWN, ".json": Format.JSON}.get(
        suffix, Format.TABLE
    )


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
