"""Progress on a terminal: one self-rewriting stderr line while the sources are being read.

    collecting: homelab 340/1000 guests, apps 50/50 containers

Only for a person watching: the CLI builds a ``ProgressLine`` when stderr is a TTY and
``--quiet`` is not given, and a no-op otherwise (cron, pipes, tests), so nothing is ever written
into a log unless asked: with ``--verbose`` and no terminal, ``LoggedProgress`` logs the phases
and each source's finished count instead. Adapters see just a callback ``(done, total)`` per
source (``ProgressLine.source``), called from their worker threads; the line is redrawn at
most every ``interval_s`` so that a thousand guests cost a few dozen writes, not a thousand.

Phase messages ("writing report.md") go through the same object (it is callable), so a message
never lands in the middle of the progress line: the line is cleared, the message printed, and
the line comes back on the next update.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from typing import Protocol, TextIO

SourceProgress = Callable[[int, int], None]
"""What an adapter calls: ``(done, total)`` in its own unit (guests, containers)."""


class Progress(Protocol):
    def __call__(self, message: str) -> None: ...

    def source(self, name: str, unit: str) -> SourceProgress: ...

    def close(self) -> None: ...


class NoProgress:
    """Says nothing: for cron, pipes and ``--quiet``."""

    def __call__(self, message: str) -> None:
        return

    def source(self, name: str, unit: str) -> SourceProgress:
        return _ignore

    def close(self) -> None:
        return


def _ignore(done: int, total: int) -> None:
    return


class ProgressLine:
    """The single updating line. Thread-safe; ``close()`` erases it."""

    def __init__(self, stream: TextIO, *, interval_s: float = 0.1, prefix: str = "collect") -> None:
        self._stream = stream
        self._interval = interval_s
        self._prefix = prefix
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int, str]] = {}  # source -> (done, total, unit)
        self._drawn = 0  # width of the line currently on screen
        self._last = 0.0

    def __call__(self, message: str) -> None:
        with self._lock:
            self._erase()
            self._stream.write(f"{self._prefix}: {message}...\n")
            self._stream.flush()

    def source(self, name: str, unit: str) -> SourceProgress:
        def update(done: int, total: int) -> None:
            self._update(name, done, total, unit)

        return update

    def _update(self, name: str, done: int, total: int, unit: str) -> None:
        now = time.monotonic()
        with self._lock:
            previous = self._counts.get(name)
            if previous is not None and previous[1] == total:
                # Worker threads report in any order; a count never goes back.
                done = max(done, previous[0])
            self._counts[name] = (done, total, unit)
            finished = done >= total
            if now - self._last < self._interval and not finished:
                return
            self._last = now
            self._draw()

    def render(self, width: int = 0) -> str:
        """The line: sources still busy in full, finished ones only counted; cut to ``width``."""
        busy = [f"{n} {d}/{t} {unit}" for n, (d, t, unit) in self._counts.items() if d < t]
        finished = sum(1 for d, t, _ in self._counts.values() if d >= t)
        if finished:
            busy.append(f"{finished}/{len(self._counts)} sources done")
        text = "collecting: " + ", ".join(busy)
        # A line longer than the terminal wraps, and "\r" then only rewinds its last row.
        if width and len(text) >= width:
            text = text[: max(0, width - 4)] + "..."
        return text

    def _draw(self) -> None:
        text = self.render(shutil.get_terminal_size().columns)
        # Pad over the previous, possibly longer, text instead of relying on ANSI codes.
        padding = " " * max(0, self._drawn - len(text))
        self._stream.write(f"\r{text}{padding}")
        self._stream.flush()
        self._drawn = len(text)

    def _erase(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def close(self) -> None:
        with self._lock:
            self._erase()
            self._stream.flush()


class LoggedProgress:
    """Phases and finished sources as log lines (``--verbose`` in cron or a pipe)."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log

    def __call__(self, message: str) -> None:
        self._log.info("%s", message)

    def source(self, name: str, unit: str) -> SourceProgress:
        def done(count: int, total: int) -> None:
            if count == total:  # once a source has read everything, not per guest
                self._log.info("%s: %d/%d %s read", name, count, total, unit)

        return done

    def close(self) -> None:
        return


def progress_for(stream: TextIO, *, quiet: bool, verbose: bool = False) -> Progress:
    """A ``ProgressLine`` on a terminal; log lines with ``verbose`` and no terminal;
    ``NoProgress`` for cron, pipes and ``--quiet``."""
    if quiet:
        return NoProgress()
    if stream.isatty():
        return ProgressLine(stream)
    return LoggedProgress(logging.getLogger("collector")) if verbose else NoProgress()
