"""The declared systems: ``[[systems]]``, ``[architecture]`` and the files it names.

The lab's systems (what should exist, in which form, where, owned by whom) can be declared in
three places, which may be combined:

- ``[[systems]]`` entries in the config;
- a TOML file of ``[[systems]]`` entries: ``[architecture] file = "systems.toml"``;
- the systems table of the architecture wiki page: ``[architecture] page = "Architektur.md"``
  (``collector.config.page`` finds the table and its rows).

Relative paths are relative to the config file's folder. Every entry and every row goes through
the one validation layer (``collector.config.schema``): a bad one is a one-line error naming
the file and key (``systems.toml: [[systems]][2].form ...``) or the page and line
(``Architektur.md:14: table row 3, column 'Typ' ...``). The same system — name, form and host —
declared twice is an error too. Cells are written by people, so a row's form, role and backup
accept a few spellings (``VM``, ``Plattform``, ``ja``); TOML entries take the exact values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from collector.config.messages import TablePath, unknown
from collector.config.page import read_systems_table
from collector.config.schema import Field, Kind, Values, array_of_tables, check_table
from collector.correlation.declared import DeclaredSystem
from collector.correlation.running import SystemForm
from collector.errors import ConfigError
from collector.model import Role

FORMS = tuple(f.value for f in SystemForm)
SYSTEM_FIELDS = (
    Field("name", Kind.STR, required=True,
          about="the system's name; a glob such as k3s-* declares every system it matches"),
    Field("form", Kind.STR, required=True, choices=FORMS, about=", ".join(FORMS)),
    Field("host", Kind.STR, about="the node, guest or engine it runs on"),
    Field("role", Kind.STR, choices=(Role.PLATFORM.value, Role.SERVICE.value)),
    Field("owner", Kind.STR),
    Field("backup", Kind.BOOL),
    Field("link", Kind.STR),
)  # fmt: skip
ROW_FIELDS = tuple(
    replace(f, expect="yes or no (ja, nein, x, ✓)") if f.name == "backup" else f
    for f in SYSTEM_FIELDS
)
ARCHITECTURE_FIELDS = (
    Field("page", Kind.STR, about="a Markdown page whose systems table declares the lab"),
    Field("file", Kind.STR, about="a TOML file of [[systems]] entries"),
)
# What a person writes in a table cell → the value a TOML entry would hold.
_CELL_WORDS = {
    "form": {"qemu": "vm", "kvm": "vm", "ct": "lxc", "docker": "container", "stack": "compose",
             "quadlet": "pod", **{f: f for f in FORMS}},
    "role": {"plattform": "platform", "infrastruktur": "platform", "infrastructure": "platform",
             "dienst": "service", "anwendung": "service", "platform": "platform",
             "service": "service"},
}  # fmt: skip
_YES = ("yes", "ja", "y", "j", "x", "✓", "✔", "true", "wahr", "1")
_NO = ("no", "nein", "n", "✗", "✘", "false", "falsch", "0")


@dataclass(frozen=True, slots=True)
class Architecture:
    """The declared systems, and where they were read from."""

    systems: tuple[DeclaredSystem, ...] | None = None
    """Every declared system; None when nothing is declared (the declaration rules are then
    silent)."""
    page: Path | None = None
    file: Path | None = None
    own: tuple[DeclaredSystem, ...] = ()
    """The config's own ``[[systems]]`` entries (the others come from ``page`` and ``file``)."""


def parse_architecture(doc: Mapping[str, object], file: str, base: Path | None) -> Architecture:
    """``[architecture]`` and the config's own ``[[systems]]``, with the files they name."""
    at = TablePath.table(file, "architecture")
    values = check_table(doc.get("architecture", {}), ARCHITECTURE_FIELDS, at)
    page = _path(values, "page", base)
    extra = _path(values, "file", base)
    own = _entries(doc, file, "")
    systems = list(own)
    if extra is not None:
        systems += _entries(_toml(extra, at.key("file")), str(extra), f"{extra.name} ")
    if page is not None:
        systems += _rows(page, at.key("page"))
    if "systems" not in doc and page is None and extra is None:
        return Architecture()
    _no_twins(systems, file)
    return Architecture(tuple(systems), page, extra, tuple(own))


def _path(values: Values, key: str, base: Path | None) -> Path | None:
    text = values.opt_text(key)
    if text is None:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() or base is None else base / path


def _read(path: Path, key: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{key}: {path} does not exist; fix the path (relative paths start "
                          "at the config file's folder)") from None  # fmt: skip
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc}") from None


def _toml(path: Path, key: str) -> Mapping[str, object]:
    try:
        doc = tomllib.loads(_read(path, key))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for name in doc:
        if name != "systems":
            raise unknown(str(path), "top-level key", f"'{name}'", name, ["systems"])
    return doc


def _entries(doc: Mapping[str, object], file: str, origin: str) -> list[DeclaredSystem]:
    """``[[systems]]`` of a TOML document; ``origin`` prefixes where each is written."""
    return [
        _system(check_table(raw, SYSTEM_FIELDS, at), f"{origin}{at}")
        for at, raw in array_of_tables(doc, file, "systems")
    ]


def _rows(page: Path, key: str) -> list[DeclaredSystem]:
    table = read_systems_table(_read(page, key), str(page))
    systems = []
    for row in table.rows:
        if not row.cells:
            continue  # an empty row (a spacer) declares nothing
        at = TablePath(str(page), f"table row {row.number}", line=row.line, columns=table.columns)
        raw: dict[str, object] = {k: _cell(k, v) for k, v in row.cells.items()}
        systems.append(_system(check_table(raw, ROW_FIELDS, at), f"{page.name}:{row.line}"))
    return systems


def _cell(key: str, text: str) -> object:
    """A cell as the TOML value it stands for; an unknown word stays text and is refused by
    the field check, with its spelling."""
    if key == "backup":
        word = text.lower()
        return True if word in _YES else False if word in _NO else text
    return _CELL_WORDS.get(key, {}).get(text.lower(), text)


def _system(values: Values, origin: str) -> DeclaredSystem:
    role = values.opt_text("role")
    backup = values.found.get("backup")
    link = _stripped(values.opt_text("link"))
    if link is not None and _has_password(link):
        # The link is printed in the JSON report: a password in it would leak there.
        raise values.at.error(
            f"{values.at.key('link')} holds a user name and password; link without them"
        )
    return DeclaredSystem(
        name=values.text("name").strip(),
        form=SystemForm(values.text("form")),
        host=_stripped(values.opt_text("host")),
        role=Role(role) if role is not None else None,
        owner=_stripped(values.opt_text("owner")),
        backup=backup if isinstance(backup, bool) else None,
        link=link,
        origin=origin,
    )


def _has_password(link: str) -> bool:
    try:
        return urlsplit(link).password is not None
    except ValueError:  # not a URL a browser would open either; the text is kept as written
        return False


def _stripped(text: str | None) -> str | None:
    return text.strip() if text is not None else None


def _no_twins(systems: list[DeclaredSystem], file: str) -> None:
    """The same name, form and host twice would be matched twice: refuse it."""
    seen: dict[tuple[str, str, str], DeclaredSystem] = {}
    for system in systems:
        key = (system.name.lower(), system.form.value, (system.host or "").lower())
        first = seen.setdefault(key, system)
        if first is not system:
            raise ConfigError(
                f"{file}: {system.form.value} '{system.name}' is declared twice, at "
                f"{first.origin} and at {system.origin}; remove one, or give each its host"
            )
