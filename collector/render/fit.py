"""Tables (tabulate) and lines that fit a terminal width.

A table's columns start at their natural width; when the total is too wide, the widest columns
give up width first (never below their header), and their cells wrap onto more lines — or, for
columns asked to stay on one line, are shortened with "…". tabulate still lays the table out;
this only decides how wide each column may be, so the result is never wider than asked.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence

from tabulate import MIN_PADDING, tabulate

from collector.text import clean, shorten

GAP = 2
"""tabulate's ``simple`` and ``plain`` formats put two spaces between columns."""
CELL_LIMIT = 2000
"""No cell needs more than this to be read in a terminal; the JSON keeps the full value."""

Style = Callable[[str], str]


def _allot(natural: list[int], floors: list[int], budget: int) -> list[int]:
    """Column widths: natural ones if they fit, else capped at the largest equal share."""
    if sum(natural) <= budget:
        return natural
    low, high = 0, max(natural)
    while low < high:  # the largest cap at which the capped widths still fit the budget
        cap = (low + high + 1) // 2
        if sum(max(f, min(n, cap)) for n, f in zip(natural, floors, strict=True)) <= budget:
            low = cap
        else:
            high = cap - 1
    widths = [max(f, min(n, low)) for n, f in zip(natural, floors, strict=True)]
    spare = budget - sum(widths)
    for i, n in enumerate(natural):  # hand out what rounding left, left to right
        if spare <= 0:
            break
        extra = min(spare, n - widths[i])
        if extra > 0:
            widths[i] += extra
            spare -= extra
    return widths


def _fit_cell(cell: str, width: int, one_line: bool) -> str:
    if len(cell) <= width:
        return cell
    if one_line:
        return shorten(cell, width)
    return "\n".join(textwrap.wrap(cell, width, break_on_hyphens=False)) or cell


def fit_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    right: frozenset[str] = frozenset(),
    one_line: frozenset[str] = frozenset(),
    floors: Mapping[str, int] | None = None,
    styles: Mapping[str, Callable[[str], Style | None]] | None = None,
    tablefmt: str = "simple",
) -> str:
    """``rows`` as a tabulate table at most ``width`` columns wide.

    ``right``: right-aligned columns; ``one_line``: shortened instead of wrapped; ``floors``:
    a column's minimum width (default: its header's longest word, plus tabulate's padding);
    ``styles``: per column, a function of the plain cell text that returns how to colour it
    (or None), applied after the layout.
    """
    cells = [[shorten(clean(str(c)), CELL_LIMIT) for c in row] for row in rows]
    floor_of = floors or {}
    # tabulate makes a column at least its header plus MIN_PADDING wide; a header wraps at
    # its spaces when its column must be narrower.
    head = [len(h) + MIN_PADDING for h in headers]
    word = [max(len(w) for w in h.split() or [""]) + MIN_PADDING for h in headers]
    natural = [max([head[i], *(len(row[i]) for row in cells)]) for i in range(len(headers))]
    floor = [min(natural[i], max(word[i], floor_of.get(h, 0))) for i, h in enumerate(headers)]
    budget = width - GAP * (len(headers) - 1)
    if sum(floor) > budget:  # a very narrow terminal: even the headers break mid-word
        floor = [min(n, MIN_PADDING + 1) for n in natural]
    widths = _allot(natural, floor, budget)
    fitted = [
        [_fit_cell(c, w, h in one_line) for c, w, h in zip(row, widths, headers, strict=True)]
        for row in cells
    ]
    if styles:
        for row in fitted:
            for i, h in enumerate(headers):
                chooser = styles.get(h)
                style = chooser(row[i]) if chooser else None
                if style is not None:
                    row[i] = "\n".join(style(line) for line in row[i].split("\n"))
    align = ["right" if h in right else "left" for h in headers]
    titles = [_fit_cell(h, w - MIN_PADDING, False) for h, w in zip(headers, widths, strict=True)]
    return tabulate(
        fitted, headers=titles, tablefmt=tablefmt, disable_numparse=True, colalign=align
    )


def wrap(text: str, width: int, *, indent: str = "", hang: str | None = None) -> list[str]:
    """``text`` (cleaned) wrapped to ``width``: the first line after ``indent``, the others
    after ``hang`` (default: ``indent``)."""
    rest = indent if hang is None else hang
    return textwrap.wrap(
        clean(text),
        max(1, width),
        initial_indent=indent,
        subsequent_indent=rest,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def one_line(text: str, width: int) -> str:
    """``text`` (cleaned) on one line, shortened with "…" to ``width``."""
    return shorten(clean(text), max(1, width))
