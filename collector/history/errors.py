"""The history's errors, under the project's root ``CollectorError``.

``HistoryError`` (exit code 2): the database cannot be opened, is corrupt, is newer than this
program, or a run id does not exist. ``RunLocked`` (exit code 4): another run holds the lock.
"""

from __future__ import annotations

from collector.errors import CollectorError


class HistoryError(CollectorError):
    """The history database is unusable, or a requested run is not in it."""


class RunLocked(CollectorError):
    """Another run holds the lock and did not release it in time: exit code 4."""
