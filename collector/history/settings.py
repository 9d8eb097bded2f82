"""The ``[history]`` config table and where the database lives by default.

```toml
[history]
enabled = true                  # false: like --no-history on every run
path = "~/lab/history.sqlite3"  # default: $XDG_STATE_HOME/homelab-collector/history.sqlite3
keep_runs = 104                 # delete runs beyond the newest 104 ...
keep_days = 730                 # ... or older than 730 days (each limit applies when set;
                                # with neither set, keep_runs = 104)
lock_timeout = 60               # seconds a second run waits for the first, then exits 4
```

Pruning never deletes the newest run, the newest complete run, or the run the current report
compares to. A relative ``path`` is relative to the config file's folder, so a cron job finds the
same database whatever its working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_KEEP_RUNS = 104
DEFAULT_LOCK_TIMEOUT = 60.0


def default_history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME", "").strip()
    root = Path(base) if base else Path("~/.local/state").expanduser()
    return root / "homelab-collector" / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """The ``[history]`` table (checked by ``collector.config``)."""

    path: Path = field(default_factory=default_history_path)
    enabled: bool = True
    keep_runs: int | None = DEFAULT_KEEP_RUNS
    keep_days: int | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    path_configured: bool = False
    """True when the config names ``path`` (a replay then uses that history, see the CLI)."""

    @property
    def lock_path(self) -> Path:
        return lock_path_for(self.path)


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")
