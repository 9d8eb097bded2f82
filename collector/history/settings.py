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
from dataclasses import dataclass
from pathlib import Path

from collector.config import Config, _Key, _validate

DEFAULT_KEEP_RUNS = 104
DEFAULT_LOCK_TIMEOUT = 60.0

_KEYS = (
    _Key("enabled", "bool"),
    _Key("path", "str"),
    _Key("keep_runs", "int"),
    _Key("keep_days", "int"),
    _Key("lock_timeout", "float"),
)


def default_history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME", "").strip()
    root = Path(base) if base else Path("~/.local/state").expanduser()
    return root / "homelab-collector" / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class HistorySettings:
    path: Path
    enabled: bool = True
    keep_runs: int | None = DEFAULT_KEEP_RUNS
    keep_days: int | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT

    @property
    def lock_path(self) -> Path:
        return lock_path_for(self.path)


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def history_settings(config: Config) -> HistorySettings:
    """Validate ``[history]``; every problem is a ``ConfigError`` naming the file and key."""
    file = str(config.path) if config.path is not None else "config"
    values = _validate(config.extra.get("history", {}), _KEYS, "[history]", file)
    path = default_history_path()
    if "path" in values:
        path = Path(values["path"]).expanduser()
        if not path.is_absolute() and config.path is not None:
            path = config.path.parent / path
    return HistorySettings(
        path=path,
        enabled=values.get("enabled", True),
        keep_runs=values.get("keep_runs", None if "keep_days" in values else DEFAULT_KEEP_RUNS),
        keep_days=values.get("keep_days"),
        lock_timeout=values.get("lock_timeout", DEFAULT_LOCK_TIMEOUT),
    )
