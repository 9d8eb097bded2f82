"""The first config file: the shipped example, written where ``collect`` will look for it.

The file is created with ``O_EXCL``, so an existing config (or a symlink in its place) is never
overwritten, not even by a second ``collect init`` racing the first; mode 0600 because the
config names where the secrets are, and the folder is created private (0700) if it is new.
"""

from __future__ import annotations

import os
from pathlib import Path

from collector.errors import ConfigError

CONFIG_MODE = 0o600
FOLDER_MODE = 0o700


def write_new_config(path: Path, text: str) -> None:
    """Create ``path`` holding ``text``; refuse when anything already exists there."""
    if path.exists() or path.is_symlink():
        raise ConfigError(
            f"{path} already exists; collect init never overwrites a config: edit it, "
            "or write a new one elsewhere with --path FILE"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    except OSError as exc:
        raise ConfigError(
            f"cannot create {path}: {exc.strerror} ({exc.filename}); "
            "pass --path FILE to write it elsewhere"
        ) from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CONFIG_MODE)
    except FileExistsError:  # created between the check and here
        raise ConfigError(f"{path} already exists; collect init never overwrites it") from None
    except OSError as exc:
        raise ConfigError(
            f"cannot create {path}: {exc.strerror}; pass --path FILE to write it elsewhere"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), CONFIG_MODE)  # whatever the umask allowed, 0600
        out.write(text)
