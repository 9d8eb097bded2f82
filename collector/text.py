"""Text that came from the lab, made safe to print: control characters out, length bounded.

Names, labels, notes and images are written by whoever runs the lab, and some of it is hostile
or broken: a NUL, an ANSI escape that recolours a terminal, a right-to-left override (U+202E)
that makes ``exe.txt`` read as ``txt.exe``, a newline inside a name, a 1 MB label. Every output
format passes lab text through ``clean`` (and, where a cell must stay small, ``shorten``);
format-specific escaping (Markdown, Prometheus label values) comes on top, in the renderers.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, except tab and newline (handled by ``keep_newlines``); the
# Unicode line/paragraph separators; and the bidirectional controls (embeddings, overrides,
# isolates, marks) that reorder what a reader sees.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_NEWLINES = re.compile(r"\r\n|[\r\n]")
ELLIPSIS = "…"


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without control characters; line breaks become spaces unless kept (as ``\\n``)."""
    text = _CONTROLS.sub("", text)
    return _NEWLINES.sub("\n" if keep_newlines else " ", text)


def needs_cleaning(text: str) -> bool:
    """Whether ``clean`` would change ``text`` (a quick test over many values joined by tabs)."""
    return _CONTROLS.search(text) is not None or _NEWLINES.search(text) is not None


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS
