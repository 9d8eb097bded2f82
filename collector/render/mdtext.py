"""Lab text and rule text placed in Markdown so that it renders as written, and nothing more.

Every string from the lab (names, images, labels, messages that quote them) and every rule text
(hints say ``<name>``, ``[[docker]]``, ``*traefik*``) goes through ``text`` or ``code`` before it
reaches the page:

- ``text`` cleans control characters and line breaks (``collector.text``), shortens to a limit,
  then backslash-escapes every ASCII punctuation character that CommonMark, GFM or a common wiki
  dialect gives a meaning: HTML and autolinks (``<``), entities (``&``), emphasis (``*``, ``_``),
  code (`````), links and wikilinks (``[``, ``]``), table cells (``|``), strikethrough (``~``),
  math (``$``), tags in Obsidian (``#``), Liquid/Hugo templates (``{``, ``}``), footnotes and
  block ids (``^``); and ``=`` and ``%`` where doubled (Obsidian's ``==highlight==`` and
  ``%%comment%%``). CommonMark lets any ASCII punctuation be escaped, so the rendered text is
  exactly the input.
- ``code`` makes a code span whose fence is longer than any run of backticks inside, so it
  cannot be closed early; in a table cell its pipes are escaped, which GFM allows inside code.

Line breaks never survive, so lab text cannot start a line: no heading, list, fence or HTML block
can begin inside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from collector.text import clean, shorten

CELL_LIMIT = 200
"""A table cell longer than this is shortened with "…" (the JSON keeps the full value)."""

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&$^]|([%=])(?=\2))")
_BACKTICKS = re.compile(r"`+")


def text(value: str, limit: int = CELL_LIMIT) -> str:
    """``value`` as literal Markdown text: cleaned, at most ``limit`` characters, escaped."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(1), shorten(clean(value), limit))


def code(value: str, limit: int = CELL_LIMIT, *, in_table: bool = True) -> str:
    """``value`` as a code span that nothing inside can close (empty value: empty string)."""
    body = shorten(clean(value), limit)
    if not body:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`") or (body[0] == " " and body[-1] == " "):
        body = f" {body} "  # CommonMark strips one space on each side of such a span
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GFM pipe table of cells that are already Markdown (made by ``text`` or ``code``).

    No padding: a long cell would otherwise widen every row of its column.
    """
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def details(summary: str, body: str) -> str:
    """``body`` folded under ``summary`` (HTML ``<details>``; the blank lines let the Markdown
    inside render). ``summary`` must be plain text without lab data."""
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n</details>\n"
