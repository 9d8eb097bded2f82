"""The declared systems in a recording: the files they are written in, or the entries themselves.

A faithful recording keeps the declaration as the user wrote it: the architecture page and the
systems file are copied beside the recording's ``config.toml`` (``record_lab`` copies what
``declaration_files`` names) and ``[architecture]`` names the copies, so a replay reads the same
rows at the same lines and reproduces the live report. An anonymised recording cannot copy a
page written in free text: every system is written as a ``[[systems]]`` entry instead, its guest
and host names through the same pseudonymiser as the answers (so the matches still hold);
container, compose and pod names are kept like the answers keep them, links are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collector.config import Config
from collector.correlation.declared import DeclaredSystem
from collector.model import SourceKind
from collector.recording.pseudonym import Pseudonymiser
from collector.render.declaration import declaration_entry

_TAKEN = ("config.toml", "recording.json")


def declaration_files(config: Config) -> dict[str, Path]:
    """File name in the recording → the page or systems file it is copied from."""
    architecture = config.architecture
    files: dict[str, Path] = {}
    for path in (architecture.page, architecture.file):
        if path is not None:
            name = path.name if path.name not in (*_TAKEN, *files) else f"declared-{path.name}"
            files[name] = path
    return files


def recorded_declaration(config: Config, pseudo: Pseudonymiser | None) -> dict[str, Any]:
    """The ``[architecture]`` table and ``[[systems]]`` entries of the recording's config."""
    architecture = config.architecture
    if architecture.systems is None:
        return {}
    if pseudo is not None:
        engines = {d.name for d in config.docker}
        return {"systems": [_anonymised(s, pseudo, engines) for s in architecture.systems]}
    doc: dict[str, Any] = {}
    copies = {path: name for name, path in declaration_files(config).items()}
    named = {
        key: copies[path]
        for key, path in (("page", architecture.page), ("file", architecture.file))
        if path is not None
    }
    if named:
        doc["architecture"] = named
    if architecture.own or not named:  # "systems = []" alone still declares (nothing)
        doc["systems"] = [declaration_entry(s) for s in architecture.own]
    return doc


def _anonymised(system: DeclaredSystem, pseudo: Pseudonymiser, engines: set[str]) -> dict[str, Any]:
    entry = declaration_entry(system)
    entry.pop("link", None)
    if system.form.kind is SourceKind.PROXMOX and not system.is_glob:
        entry["name"] = pseudo.host(system.name)
    guest_like = system.form.kind is SourceKind.PROXMOX or system.host not in engines
    if system.host and guest_like:  # a node or guest name; an engine's name is kept
        entry["host"] = pseudo.host(system.host)
    return entry


def anonymised_patterns(config: Config) -> list[str]:
    """Declared guest globs: pseudonyms keep matching them (like classify name globs)."""
    systems = config.architecture.systems or ()
    return [s.name for s in systems if s.is_glob and s.form.kind is SourceKind.PROXMOX]
