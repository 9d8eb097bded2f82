"""Reading a PVE source's secret: the token secret or password its config names.

Only a live source reads it (``collector.collection.wiring``), never a replay. The value never
appears in a message: only the variable or file name does.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from collector.config.sources import ProxmoxConfig
from collector.errors import ConfigError


def read_secret(source: ProxmoxConfig, *, warn: Callable[[str], None] | None = None) -> str:
    """Return the token secret or password named by the source's config.

    ``warn`` hears about a secret file that other users can read.
    """
    where = f"[[proxmox]] '{source.name}'"
    env_name = source.token_secret_env or source.password_env
    if env_name:
        value = os.environ.get(env_name, "")
        if not value.strip():
            raise ConfigError(
                f"{where}: environment variable {env_name} is not set or empty; "
                f"export it with the secret"
            )
        return value.strip()
    file_name = source.token_secret_file or source.password_file
    assert file_name is not None  # parse_config guarantees exactly one secret source
    path = Path(file_name).expanduser()
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read secret file {path}: {exc.strerror}") from None
    if warn is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"{where}: secret file {path} is readable by other users; run chmod 600 {path}")
    if not value:
        raise ConfigError(f"{where}: secret file {path} is empty")
    return value
