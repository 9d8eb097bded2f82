"""Writing a recording: atomic files, the ``--out`` folder contract, publishing a staged folder.

A recording is collected into a hidden staging folder beside ``--out`` and moved into place only
when it is complete (and anonymised, if asked), so an interrupted run never leaves a half-written
or not-yet-anonymised recording where the user expects a shareable one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from collector.errors import ConfigError

#: The entries of a recording folder; ``--force`` replaces exactly these and nothing else.
RECORDING_ENTRIES = ("config.toml", "pve", "docker", "pbs")


def write_text_atomically(path: Path, text: str) -> None:
    """Temp file in the same folder + rename: readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """One recorded answer: the exact JSON value, keys sorted so recordings diff well."""
    write_text_atomically(
        path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )


def check_out_dir(out: Path, *, force: bool) -> None:
    """``--out`` must be new or empty; with ``force`` an existing recording in it is replaced."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ConfigError(
            f"--out {out} is not empty; choose a new folder or pass --force to replace the "
            "recording in it"
        )


def staging_dir(out: Path) -> Path:
    """A hidden folder beside ``out``: same file system, so publishing is a rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.recording-", dir=out.parent))


def publish(staged: Path, out: Path) -> None:
    """Move a finished recording into ``out`` (new, empty, or holding an older recording)."""
    if not out.exists():
        staged.rename(out)
        return
    for name in RECORDING_ENTRIES:
        old = out / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()
    for entry in sorted(staged.iterdir()):
        entry.rename(out / entry.name)
