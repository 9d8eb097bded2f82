"""How a person wants the report shown: how wide, in colour or not, which parts, which severities.

The terminal view reads all of it; the Markdown page reads ``min_severity`` (a wiki page has no
width and keeps every section, folded); JSON ignores it, since scripts get everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from collector.model import Finding, Severity

DEFAULT_WIDTH = 120
"""The width when neither the terminal nor ``COLUMNS`` says (cron mail, a pipe, a file)."""
MIN_WIDTH = 40
"""Below this nothing readable fits; a narrower terminal wraps what is longer."""
_SGR = {"error": "1;31", "warning": "33", "info": "36"}
"""Bold red, yellow, cyan: readable on dark and light backgrounds."""


@dataclass(frozen=True, slots=True)
class View:
    width: int = DEFAULT_WIDTH
    color: bool = False
    """ANSI colours for severities: only for a person at a terminal (never a file or a pipe)."""
    details: bool = False
    """Terminal: add the full sections (sources, summary, changes, every finding, gaps)."""
    inventory: bool = False
    """Terminal: add the inventory tree."""
    min_severity: Severity = Severity.INFO
    """Findings below this are not shown (they are still stored, counted and in the JSON)."""

    @property
    def columns(self) -> int:
        return max(MIN_WIDTH, self.width)

    def shows(self, finding: Finding) -> bool:
        return finding.severity.rank >= self.min_severity.rank

    def paint(self, text: str, severity: Severity | str) -> str:
        """``text`` in its severity's colour when colour is on (else unchanged)."""
        code = _SGR.get(str(severity))
        if not self.color or code is None:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"

    def severity_style(self, cell: str) -> Callable[[str], str] | None:
        """For ``fit_table``: colour a severity cell (``error``, ``waived (error)``) by its word."""
        word = cell.split()[-1].strip("()") if cell.strip() else ""
        if not self.color or word not in _SGR:
            return None
        return lambda line: self.paint(line, word)
