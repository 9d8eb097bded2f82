"""What an adapter could not read in an answer: values of the wrong type, items it had to drop.

An answer of the wrong shape is never read as "absent", "false" or "empty". The value becomes
None in the model and its name is noted here; the adapter turns the notes into one gap per call
(``gap``), so the report says what it could not read and the rules that need the value stay
silent. JSON ``null`` counts as absent, not as unreadable: Go's encoding/json writes a nil map or
slice as ``null`` (Docker), and PVE omits a key rather than sending ``null``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from collector.model import Gap, Impact

T = TypeVar("T")
SHOWN = 8
"""Notes named in a gap's reason; the rest are counted."""


def json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words: a reason names the type, never the value (which
    could be huge, hostile or a secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


class Unread:
    """Collects the names of values present in an answer that could not be read."""

    __slots__ = ("dropped", "notes")

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.dropped = False
        """Whether a whole item was dropped (not only a value of a kept one)."""

    def __call__(self, name: str, raw: Any, value: T | None) -> T | None:
        """``value`` (what ``raw`` was read as), noting ``name`` when ``raw`` was there but
        could not be read."""
        if value is None and raw is not None:
            self.notes.append(f"{name} ({json_type(raw)})")
        return value

    def note(self, text: str) -> None:
        self.notes.append(text)

    def drop(self, text: str) -> None:
        """An item of a listing that could not be read at all, so it is not in the model."""
        self.notes.append(text)
        self.dropped = True

    def __bool__(self) -> bool:
        return bool(self.notes)

    def summary(self) -> str:
        shown = ", ".join(self.notes[:SHOWN])
        more = len(self.notes) - SHOWN
        return shown + (f" and {more} more" if more > 0 else "")


def unread_gap(
    subject: str, what: str, where: str, unread: Unread, impact: Impact = Impact.COVERAGE
) -> Gap:
    """One gap for everything ``unread`` noted in the answer of ``where`` (``lab: GET path``).

    ``impact`` is what a dropped item costs; unreadable values of kept items only narrow the
    checks (the rules that need them stay silent), so they alone are a coverage gap."""
    told = "not read" if unread.dropped else "unreadable value(s), the checks that need them skip"
    weight = impact if unread.dropped else Impact.COVERAGE
    return Gap.of(subject, what, f"{where}: {told}: {unread.summary()}", weight)
