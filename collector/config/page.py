"""The systems table of an architecture wiki page, read with a real Markdown parser.

markdown-it-py (CommonMark with the GFM table extension, as wikis render it) parses the page; the
*first* table whose header has a name column and a form column is the systems table, wherever it
stands (under a heading, in a block quote). Other tables on the page are left alone. Header
names are matched case-insensitively, in English or German:

=========  ===============================================================
key        column headers
=========  ===============================================================
name       System, Name, Systemname
form       Form, Typ, Art, Type, Kind
host       Host, Wirt, Läuft auf, Runs on
role       Rolle, Role
owner      Owner, Verantwortlich, Verantwortlicher, Zuständig, Besitzer
backup     Backup, Sicherung, Datensicherung
link       Link, URL, Doku, Dokumentation, Docs, Documentation, Wiki
=========  ===============================================================

Other columns (notes, descriptions) are ignored. A cell's value is its plain text: `code`,
emphasis and links lose their markup; a link in the name cell is the system's link when the
row's link cell is empty or missing. An empty cell, ``-`` or ``—`` says nothing. Turning cells
into checked values is ``collector.config.declaration``'s job; this module only finds the
table and its rows, and refuses what would silently lose data: two columns for the same key,
and a row with more cells than the header (a ``|`` inside a cell must be written ``\\|``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_block.table import escapedSplit
from markdown_it.token import Token

from collector.errors import ConfigError

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("system", "name", "systemname"),
    "form": ("form", "typ", "art", "type", "kind"),
    "host": ("host", "wirt", "läuft auf", "runs on"),
    "role": ("rolle", "role"),
    "owner": ("owner", "verantwortlich", "verantwortlicher", "zuständig", "besitzer"),
    "backup": ("backup", "sicherung", "datensicherung"),
    "link": ("link", "url", "doku", "dokumentation", "docs", "documentation", "wiki"),
}
_KEY_OF = {header: key for key, headers in COLUMNS.items() for header in headers}
_NOTHING = ("", "-", "\u2013", "\u2014")  # nothing, and the dashes wikis write for it
_QUOTE_MARKS = re.compile(r"^\s*(?:>\s?)*")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    """1-based line of the page the row is on."""
    number: int
    """1-based position in the table's body."""
    cells: dict[str, str]
    """Key → cell text, for the recognised columns whose cell says something."""


@dataclass(frozen=True, slots=True)
class SystemsTable:
    line: int
    """1-based line of the header row."""
    columns: tuple[tuple[str, str], ...]
    """(key, header as the page writes it), in the page's order."""
    rows: tuple[Row, ...]


def read_systems_table(text: str, file: str) -> SystemsTable:
    """The page's systems table; a ``ConfigError`` naming the file and line if there is none or
    it is malformed."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    lines = text.splitlines()
    partial: tuple[int, list[str]] | None = None
    for table in _tables(tokens):
        (line, header), *body = _rows(table)
        keys = [_KEY_OF.get(_words(cell)) for cell, _ in header]
        if "name" not in keys or "form" not in keys:
            if partial is None and any(keys):
                partial = (line, [cell for (cell, _), key in zip(header, keys, strict=True) if key])
            continue
        columns = _columns(header, keys, file, line)
        rows = tuple(
            _row(at, cells, columns, lines, len(header), file, number)
            for number, (at, cells) in enumerate(body, 1)
        )
        return SystemsTable(line, tuple((k, h) for k, (h, _) in columns.items()), rows)
    names = "a name column (System, Name, Systemname) and a form column (Form, Typ, Art, Type)"
    if partial is not None:
        raise ConfigError(
            f"{file}:{partial[0]}: the first table with known columns ({', '.join(partial[1])}) "
            f"has no name or no form column; the systems table needs {names}"
        )
    raise ConfigError(f"{file}: no table with {names}; add the systems table (docs/rules.md)")


Cells = list[tuple[str, str | None]]
"""A row's cells: (plain text, first link target)."""


def _tables(tokens: Sequence[Token]) -> Iterator[list[Token]]:
    """Each table's tokens, ``table_open`` to ``table_close``."""
    current: list[Token] | None = None
    for token in tokens:
        if token.type == "table_open":
            current = []
        if current is not None:
            current.append(token)
        if token.type == "table_close" and current is not None:
            yield current
            current = None


def _rows(table: list[Token]) -> Iterator[tuple[int, Cells]]:
    """The header row, then the body rows: (1-based line, cells)."""
    row: Cells = []
    line = 0
    for token in table:
        if token.type == "tr_open":
            row, line = [], (token.map or [0])[0] + 1
        elif token.type == "inline":
            row.append(_text(token))
        elif token.type == "tr_close":
            yield line, row


def _text(inline: Token) -> tuple[str, str | None]:
    """The plain text of a cell, and the target of its first link."""
    parts: list[str] = []
    link: str | None = None
    for child in inline.children or ():
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "link_open" and link is None:
            href = child.attrs.get("href")
            link = str(href) if href else None
    return " ".join("".join(parts).split()), link


def _words(cell: str) -> str:
    return cell.strip().rstrip(":*").strip().lower()


def _columns(
    header: Cells, keys: list[str | None], file: str, line: int
) -> dict[str, tuple[str, int]]:
    """Key → (header as written, cell index); two headers for one key are an error."""
    columns: dict[str, tuple[str, int]] = {}
    for index, ((cell, _), key) in enumerate(zip(header, keys, strict=True)):
        if key is None:
            continue
        if key in columns:
            raise ConfigError(
                f"{file}:{line}: columns '{columns[key][0]}' and '{cell}' both give the "
                f"{key}; rename or remove one"
            )
        columns[key] = (cell, index)
    return columns


def _row(
    line: int,
    cells: Cells,
    columns: dict[str, tuple[str, int]],
    lines: list[str],
    width: int,
    file: str,
    number: int,
) -> Row:
    written = _cell_count(lines[line - 1])
    if written > width:
        raise ConfigError(
            f"{file}:{line}: table row {number} has {written} cells but the header has "
            f"{width}; write a '|' inside a cell as '\\|'"
        )
    found: dict[str, str] = {}
    links: dict[str, str] = {}
    for key, (_, index) in columns.items():
        text, link = cells[index]
        if text not in _NOTHING:
            found[key] = text
        if link:
            links[key] = link
    # A link column's target (or its text); else the link the name is written as.
    link = links.get("link") or found.get("link") or links.get("name")
    if link:
        found["link"] = link
    return Row(line, number, found)


def _cell_count(line: str) -> int:
    """Cells the row writes, split the way the table parser splits it (markdown-it drops
    cells beyond the header's count without a word)."""
    cells = escapedSplit(_QUOTE_MARKS.sub("", line).strip())
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return len(cells)
