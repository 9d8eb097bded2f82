"""``recording.json``: when a recording was made, so a replay judges ages as of that moment.

Without it a replayed lab would age: its newest backup would become "stale" and its waivers
"expired" a week after it was recorded, and the shipped demo lab would change its findings with
the calendar.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from collector import __version__
from collector.errors import ConfigError

META_FILE = "recording.json"


def meta_text(recorded_at: datetime) -> str:
    moment = recorded_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return json.dumps({"recorded_at": moment, "collector_version": __version__}, indent=2) + "\n"


def recorded_at(recording: Path) -> datetime | None:
    """The recording's time, or None for a recording without ``recording.json``."""
    path = recording / META_FILE
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))["recorded_at"]
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(
            f'{path}: not a valid recording.json (needs "recorded_at": an ISO 8601 time); '
            "fix or delete it"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
