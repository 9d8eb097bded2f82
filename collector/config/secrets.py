"""Reading a source's secret: the token secret or password its config names.

Only a live source reads it (``collector.collection.wiring``), never a replay. The value never
appears in a message: only the variable or file name does, with the config file and key that
asked for it, so a first run that lacks the secret says where to look.

A secret file may be a systemd credential: ``token_secret_file =
"$CREDENTIALS_DIRECTORY/pve-token"`` reads the copy systemd hands to a service started with
``LoadCredential=pve-token:<file>`` (``contrib/homelab-collector.service``). That variable is
the only one expanded in a path (``sources.CREDENTIAL_PATH``; the config check refuses any
other ``$``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from collector.config.pbs import PbsConfig
from collector.config.sources import CREDENTIAL_PATH, ProxmoxConfig
from collector.errors import ConfigError

CREDENTIALS_VARIABLE = "CREDENTIALS_DIRECTORY"


def _keys(source: ProxmoxConfig | PbsConfig) -> tuple[str, str | None, str, str | None]:
    """(env key, variable, file key, file): exactly one of variable and file is set (at load)."""
    if isinstance(source, PbsConfig):
        return (
            "token_secret_env",
            source.token_secret_env,
            "token_secret_file",
            (source.token_secret_file),
        )
    return (
        "token_secret_env" if source.token_secret_env else "password_env",
        source.token_secret_env or source.password_env,
        "token_secret_file" if source.token_secret_file else "password_file",
        source.token_secret_file or source.password_file,
    )


def read_secret(
    source: ProxmoxConfig | PbsConfig,
    *,
    origin: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> str:
    """Return the token secret or password named by the source's config.

    ``origin`` is the config file (named in every message); ``warn`` hears about a secret
    file that other users can read.
    """
    table = "pbs" if isinstance(source, PbsConfig) else "proxmox"
    where = f"{origin or 'config'}: [[{table}]] '{source.name}'"
    env_key, env_name, file_key, file_name = _keys(source)
    if env_name:
        value = os.environ.get(env_name, "")
        if not value.strip():
            raise ConfigError(
                f"{where} {env_key}: environment variable {env_name} is not set or empty; "
                f"export {env_name} with the secret in the shell that runs collect (a systemd "
                "service reads it from its EnvironmentFile=), or name a file with "
                f"{env_key.replace('_env', '_file')}"
            )
        return value.strip()
    assert file_name is not None  # parse_config guarantees exactly one secret source
    path = secret_path(file_name, f"{where} {file_key}")
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"{where} {file_key}: cannot read secret file {path}: {exc.strerror}; "
            "create it (mode 0600) holding the secret, or fix the path"
        ) from None
    if warn is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"{where}: secret file {path} is readable by other users; run chmod 600 {path}")
    if not value:
        raise ConfigError(f"{where} {file_key}: secret file {path} is empty; put the secret in it")
    return value


def secret_path(written: str, where: str) -> Path:
    """The file a ``*_file`` key names: ``~`` expanded, ``$CREDENTIALS_DIRECTORY/<name>``
    resolved in the systemd service that sets it."""
    credential = CREDENTIAL_PATH.match(written)
    if credential is None:
        return Path(written).expanduser()
    folder = os.environ.get(CREDENTIALS_VARIABLE, "").strip()
    if not folder:
        name = credential["name"]
        raise ConfigError(
            f'{where} = "{written}": ${CREDENTIALS_VARIABLE} is not set; systemd sets it only '
            f"for a service with LoadCredential={name}:<file> (collect init --systemd). Outside "
            "it, name the file itself, or run through systemd-run (docs/weekly.md)"
        )
    return Path(folder) / credential["name"]
