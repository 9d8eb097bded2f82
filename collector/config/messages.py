"""How a config error is worded: the key path, what was found, and "did you mean".

Every message is one line that starts with the file and names the exact key path as the file
spells it (``[[docker]][2].url``, ``[rules.backup-stale].max_age_days``); a secret's value is never
shown, only its type. ``collector.config.schema`` words its errors with these helpers, and so do
the table parsers for what they check themselves.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time

from collector.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TablePath:
    """Where a table stands in the file, as messages spell it: ``[history]``, ``[[docker]][2]``,
    or a row of a Markdown table: ``Architektur.md:14: table row 3, column 'Typ'``."""

    file: str
    header: str
    """How the table is written: ``[history]``, ``[[docker]]``, ``[rules.backup-stale]``."""
    index: int | None = None
    line: int | None = None
    """The line of ``file`` it is on (a Markdown table row): every message names it."""
    columns: tuple[tuple[str, str], ...] = ()
    """(key, column header as the file spells it): messages name a key by its column."""

    @classmethod
    def table(cls, file: str, *names: str) -> TablePath:
        return cls(file, "[" + ".".join(show_key(n) for n in names) + "]")

    @classmethod
    def array(cls, file: str, index: int, *names: str) -> TablePath:
        return cls(file, "[[" + ".".join(show_key(n) for n in names) + "]]", index)

    def __str__(self) -> str:
        return self.header if self.index is None else f"{self.header}[{self.index}]"

    def key(self, name: str) -> str:
        """The key's full path: ``[[docker]][2].url``, or ``table row 3, column 'Typ'``."""
        column = self.column(name)
        return f"{self}, column '{column}'" if column is not None else f"{self}.{show_key(name)}"

    def column(self, name: str) -> str | None:
        return next((spelled for key, spelled in self.columns if key == name), None)

    def error(self, text: str) -> ConfigError:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return ConfigError(f"{where}: {text}")


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def show_key(name: str) -> str:
    """A key as TOML writes it: bare when it can be, quoted otherwise."""
    return name if _BARE_KEY.fullmatch(name) else repr(name)


def did_you_mean(name: str, known: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """`` (did you mean 'tls_ca'?)`` for the closest known name, or ``""`` if none is close.

    ``aliases`` maps other spellings to a known name; one of them, written with or without
    ``_`` and ``-`` in any case, wins over a merely similar name.
    """
    alias = (aliases or {}).get(squash(name))
    if alias is not None:
        return f" (did you mean '{alias}'?)"
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""


def squash(name: str) -> str:
    """``TLS-CA-Cert`` → ``tlscacert``: how aliases are compared."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def unknown(
    file: str,
    what: str,
    shown: str,
    name: str,
    known: Sequence[str],
    remove: str = "it",
    aliases: Mapping[str, str] | None = None,
) -> ConfigError:
    """``unknown <what> <shown> (did you mean ...?); fix ... or remove <remove> (known: ...)``."""
    return ConfigError(
        f"{file}: unknown {what} {shown}{did_you_mean(name, known, aliases)}; fix the spelling "
        f"or remove {remove} (known: {', '.join(known)})"
    )


def describe(value: object, secret: bool = False) -> str:
    """What was found, for a message: ``0``, ``True``, ``str '7'``, ``time 10:00:00``.

    Numbers and booleans speak for themselves; anything else is preceded by its type, and a
    secret is only named by its type.
    """
    kind = type(value).__name__
    if secret:
        return kind
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, date | time):
        return f"{kind} {value.isoformat()}"
    text = repr(value)
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"
