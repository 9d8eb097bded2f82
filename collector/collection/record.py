"""One ``collect record`` run: collect live through tee clients, then publish the recording.

The sources are the live ones with their clients wrapped in recorders (``adapters/*/record.py``,
built by ``collector.wiring.recording_sources``), so recording runs exactly the code path of
``collect report``. Answers land in a staging folder; if ``--anonymise`` is given the staged
answers are rewritten into a second folder and the raw ones deleted; the config is written last
and the result is moved into ``--out`` in one step (see ``store``).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from collector.collection.orchestrate import run_report
from collector.config import Config
from collector.contract import Source
from collector.errors import ConfigError
from collector.recording.config_out import recorded_config
from collector.recording.declaration_out import anonymised_patterns, declaration_files
from collector.recording.meta import META_FILE, meta_text
from collector.recording.pseudonym import Pseudonymiser
from collector.recording.store import check_out_dir, publish, staging_dir, write_text_atomically
from collector.report.build import Report


class RecordingAnonymiser(Protocol):
    """Rewrites the recording under ``src`` into ``dst`` (``collector.recording.anonymise``)."""

    def __call__(self, src: Path, dst: Path, pseudo: Pseudonymiser) -> None: ...


@dataclass(frozen=True, slots=True)
class RecordOptions:
    out: Path
    force: bool = False
    anonymiser: RecordingAnonymiser | None = None
    """None: a faithful (redacted) recording; otherwise how to anonymise it."""
    salt: bytes | None = None
    """Fixed salt for ``--anonymise`` (same salt, same pseudonyms); None: a random one."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot copy {path} into the recording: {exc}") from None


def record_lab(
    config: Config,
    options: RecordOptions,
    make_sources: Callable[[Path], Iterable[Source]],
    *,
    now: datetime | None = None,
) -> Report:
    """Record every source into ``options.out``; returns the report of the live run.

    A source that fails is recorded as far as it answered and the report says so (the caller
    turns that into exit code 3); the recording is published either way.
    """
    check_out_dir(options.out, force=options.force)
    staging = staging_dir(options.out)
    try:
        raw = staging / "raw"
        raw.mkdir()
        report = run_report(config, make_sources(raw), now=now)
        final, pseudo = raw, None
        if options.anonymiser is not None:
            names = [rule.name for rule in config.classify if rule.name]
            names += anonymised_patterns(config)
            pseudo = Pseudonymiser(options.salt or secrets.token_bytes(32), names)
            final = staging / "anonymised"
            options.anonymiser(raw, final, pseudo)
            shutil.rmtree(raw)  # the originals must not outlive the run, even on a crash later
        moment = datetime.fromisoformat(report.generated_at.replace("Z", "+00:00"))
        write_text_atomically(final / META_FILE, meta_text(moment))
        write_text_atomically(final / "config.toml", recorded_config(config, pseudo))
        if pseudo is None:  # the declaration as written, so a replay reads the same lines
            for name, path in declaration_files(config).items():
                write_text_atomically(final / name, _read(path))
        publish(final, options.out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report
