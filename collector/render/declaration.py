"""A declaration of systems as text: ``[[systems]]`` TOML, or a Markdown table for the wiki.

What ``collect declare`` prints (``collector.correlation.bootstrap`` builds the systems). The
Markdown table uses English or German headers and words, exactly as the config reads them back
(``collector.config.page``): cells are escaped like every lab text on a page
(``collector.render.mdtext``), so a name with ``|``, ``*`` or a backtick stays text, and an
unknown value is an empty cell.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from collector.correlation.declared import DeclaredSystem
from collector.model import Role
from collector.render import mdtext
from collector.toml_writer import dumps_toml


class DeclarationFormat(StrEnum):
    TOML = "toml"
    MARKDOWN = "markdown"


class Language(StrEnum):
    EN = "en"
    DE = "de"


_HEADERS = {
    Language.EN: ("System", "Form", "Host", "Role", "Owner", "Backup", "Link"),
    Language.DE: ("System", "Typ", "Wirt", "Rolle", "Verantwortlich", "Backup", "Doku"),
}
_ROLES = {
    Language.EN: {Role.PLATFORM: "platform", Role.SERVICE: "service"},
    Language.DE: {Role.PLATFORM: "Plattform", Role.SERVICE: "Dienst"},
}
_YES_NO = {Language.EN: ("yes", "no"), Language.DE: ("ja", "nein")}
_NO_LIMIT = 100_000
"""A declaration is data the page is read back from: nothing is shortened."""


def render_declaration(
    systems: tuple[DeclaredSystem, ...], fmt: DeclarationFormat, language: Language = Language.EN
) -> str:
    if fmt is DeclarationFormat.TOML:
        return declaration_toml(systems)
    return declaration_markdown(systems, language)


def declaration_toml(systems: tuple[DeclaredSystem, ...]) -> str:
    """``[[systems]]`` entries, for the config or the file ``[architecture] file`` names."""
    head = (
        "# The lab's systems as they run now (collect declare). Edit them to say what should\n"
        "# run; keys: name (a glob allowed), form, host, role, owner, backup, link.\n\n"
    )
    return (
        head + dumps_toml({"systems": [declaration_entry(s) for s in systems]}) if systems else head
    )


def declaration_entry(system: DeclaredSystem) -> dict[str, Any]:
    """One ``[[systems]]`` entry: the keys that say something."""
    entry: dict[str, Any] = {"name": system.name, "form": system.form.value}
    values = {
        "host": system.host,
        "role": system.role.value if system.role is not None else None,
        "owner": system.owner,
        "backup": system.backup,
        "link": system.link,
    }
    entry.update((key, value) for key, value in values.items() if value is not None)
    return entry


def declaration_markdown(systems: tuple[DeclaredSystem, ...], language: Language) -> str:
    """The systems table, ready to paste into the architecture page."""
    yes, no = _YES_NO[language]
    rows = []
    for s in systems:
        backup = "" if s.backup is None else yes if s.backup else no
        role = _ROLES[language][s.role] if s.role is not None else ""
        cells = [s.name, s.form.value, s.host or "", role, s.owner or "", backup, s.link or ""]
        rows.append([mdtext.text(cell, _NO_LIMIT) for cell in cells])
    return mdtext.table(_HEADERS[language], rows)
