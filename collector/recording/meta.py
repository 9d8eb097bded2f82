"""``recording.json``: when a recording was made, so a replay judges ages as of that moment.

It also holds ``format_version``: ``RECORDING_FORMAT_VERSION`` of the release that wrote it (the
folder layout of fixtures/README.md; a recording without the key is format 1). It changes only
when an older release could not replay a new recording, which it then refuses by name.

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
RECORDING_FORMAT_VERSION = 1


def meta_text(recorded_at: datetime) -> str:
    moment = recorded_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    meta = {
        "recorded_at": moment,
        "collector_version": __version__,
        "format_version": RECORDING_FORMAT_VERSION,
    }
    return json.dumps(meta, indent=2) + "\n"


def recorded_at(recording: Path) -> datetime | None:
    """The recording's time, or None for a recording without ``recording.json``."""
    path = recording / META_FILE
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        moment = datetime.fromisoformat(str(meta["recorded_at"]).replace("Z", "+00:00"))
        version = int(meta.get("format_version", 1))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            f'{path}: not a valid recording.json (needs "recorded_at": an ISO 8601 time); '
            "fix or delete it"
        ) from None
    if version > RECORDING_FORMAT_VERSION:
        raise ConfigError(
            f"{path}: recording format {version} is newer than this collect understands "
            f"({RECORDING_FORMAT_VERSION}); upgrade homelab-collector"
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
