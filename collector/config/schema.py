"""The one validation layer every config table goes through: field specs in, typed values out.

A table is described by a tuple of ``Field``s; ``check_table`` checks a raw TOML table against
them and returns ``Values``, whose accessors hand out typed values (``values.text("url")``,
``values.number("timeout", 10.0)``). Everything a table needs beyond one key at a time (exactly
one secret, tls_cert with tls_key, ...) is checked by the table's own parser afterwards.

Every problem is one ``ConfigError`` line (worded by ``collector.config.messages``): the file,
the exact key path (``[[docker]][2].url``, ``[rules.backup-stale].max_age_days``), what was
expected, what was found (never the value of a ``secret`` key) and what to do. A misspelt key,
table name or rule id gets a "did you mean"::

    config.toml: unknown key [[docker]][0].tls_cacert (did you mean 'tls_ca'?); fix the spelling
    or remove key 'tls_cacert' (known: name, url, tls_ca, ...)

Strict on purpose: an unknown key is an error, because a misspelt key would silently switch a
check off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from collector.config.messages import (
    TablePath,
    describe,
    did_you_mean,
    show_key,
    squash,
    unknown,
)
from collector.errors import ConfigError

_T = TypeVar("_T")


class Kind(StrEnum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    STRS = "list of str"
    TABLE = "table of str"


_KIND_WORDS = {
    Kind.STR: "a string",
    Kind.INT: "an integer",
    Kind.FLOAT: "a number",
    Kind.BOOL: "true or false",
    Kind.DATE: "a TOML date such as 2027-01-31 (no quotes)",
    Kind.STRS: "an array of strings",
    Kind.TABLE: "a table of strings",
}

Value = str | int | float | bool | date | tuple[str, ...] | Mapping[str, str]
"""What a checked key holds: ``Kind.STRS`` gives a tuple, ``Kind.TABLE`` a dict of strings."""


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a table: its kind and what a valid value is."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    """Allowed values of a string, or of each item of a list of strings."""
    positive: bool = False
    minimum: float | None = None
    maximum: float | None = None
    secret: bool = False
    """Never echo the value: a secret pasted under this key must not land in a log."""
    expect: str | None = None
    """How messages say what a valid value is, instead of the words for its kind and bounds."""
    about: str | None = None
    """What the key holds, in a few words: said when it is missing or wrong."""
    aliases: tuple[str, ...] = ()
    """Other tools' names for the key (docker's ``tlscacert``): "did you mean" knows them."""

    @property
    def expected(self) -> str:
        words = self.expect or _KIND_WORDS[self.kind]
        return f"{words} ({self.about})" if self.about else words


@dataclass(frozen=True, slots=True)
class Values:
    """The checked keys of one table; absent keys are simply not in ``found``."""

    at: TablePath
    found: Mapping[str, Value]

    def __contains__(self, name: str) -> bool:
        return name in self.found

    def _get(self, name: str, kind: type[_T]) -> _T | None:
        value = self.found.get(name)
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{self.at.key(name)} was checked as {type(value).__name__}")
        return value

    def text(self, name: str) -> str:
        """A required string (``check_table`` already refused the table without it)."""
        value = self._get(name, str)
        if value is None:
            raise KeyError(name)
        return value

    def opt_text(self, name: str) -> str | None:
        return self._get(name, str)

    def integer(self, name: str, default: int) -> int:
        value = self._get(name, int)
        return default if value is None else value

    def opt_integer(self, name: str) -> int | None:
        return self._get(name, int)

    def number(self, name: str, default: float) -> float:
        value = self._get(name, float)
        return default if value is None else value

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name, bool)
        return default if value is None else value

    def day(self, name: str) -> date | None:
        return self._get(name, date)

    def texts(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(name, tuple)
        return default if value is None else tuple(str(v) for v in value)

    def mapping(self, name: str) -> dict[str, str]:
        value = self._get(name, dict)
        return {} if value is None else {str(k): str(v) for k, v in value.items()}


def as_table(raw: object, at: TablePath) -> Mapping[str, object]:
    if not isinstance(raw, dict):
        raise at.error(
            f"{at} must be a table, got {describe(raw)}; write {at.header} with its keys on the "
            "lines below"
        )
    return raw


def array_of_tables(
    parent: Mapping[str, object], file: str, *names: str
) -> list[tuple[TablePath, Mapping[str, object]]]:
    """The entries of ``[[a.b]]`` (``names`` = its dotted name), each with its path."""
    raw = parent.get(names[-1], [])
    dotted = ".".join(show_key(n) for n in names)
    if not isinstance(raw, list):
        raise ConfigError(f"{file}: '{dotted}' must be an array of tables: write [[{dotted}]]")
    paths = [TablePath.array(file, i, *names) for i in range(len(raw))]
    return [(at, as_table(item, at)) for at, item in zip(paths, raw, strict=True)]


def check_table(raw: object, fields: Sequence[Field], at: TablePath) -> Values:
    """Check every key of ``raw`` against ``fields``; unknown keys and bad values are errors."""
    table = as_table(raw, at)
    known = [f.name for f in fields]
    aliases = {squash(alias): f.name for f in fields for alias in f.aliases}
    for name in table:
        if name not in known:
            raise unknown(
                at.file, "key", at.key(name), name, known, remove=f"key '{name}'", aliases=aliases
            )
    found: dict[str, Value] = {}
    for spec in fields:
        if spec.name in table:
            found[spec.name] = check_value(spec, table[spec.name], at)
        elif spec.required and at.column(spec.name) is not None:
            raise at.error(f"{at.key(spec.name)} is empty; write {spec.expected} there")
        elif spec.required and spec.about:
            raise at.error(f"{at} is missing '{spec.name}' ({spec.about})")
        elif spec.required:
            raise at.error(f"{at} is missing required key '{spec.name}'; add it")
    return Values(at, found)


def check_value(spec: Field, value: object, at: TablePath) -> Value:
    """One key's value, checked and converted (a float key gives a float, a list a tuple)."""
    if spec.kind is Kind.STR:
        if not isinstance(value, str):
            raise _wrong(spec, value, at)
        if not value.strip():
            raise _wrong(spec, value, at, empty=True)
        if spec.choices and value not in spec.choices:
            if spec.expect:
                raise _wrong(spec, value, at)
            raise at.error(
                f"{at.key(spec.name)} = {value!r} is not one of {', '.join(spec.choices)}"
                + did_you_mean(value, spec.choices)
            )
        return value
    if spec.kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise _wrong(spec, value, at)
        return value
    if spec.kind in (Kind.INT, Kind.FLOAT):
        return _number(spec, value, at)
    if spec.kind is Kind.DATE:
        day = value.date() if isinstance(value, datetime) else value
        if not isinstance(day, date):
            raise _wrong(spec, value, at)
        return day
    if spec.kind is Kind.STRS:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise _wrong(spec, value, at)
        for item in value:
            if spec.choices and item not in spec.choices:
                raise at.error(
                    f"{at.key(spec.name)}: {item!r} is not one of {', '.join(spec.choices)}"
                    + did_you_mean(item, spec.choices)
                )
        return tuple(value)
    if not isinstance(value, dict) or not all(
        isinstance(v, str) and v.strip() for v in value.values()
    ):
        raise _wrong(spec, value, at)
    return {str(k): v for k, v in value.items()}


def _number(spec: Field, value: object, at: TablePath) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(spec, value, at)
    if spec.kind is Kind.INT and not isinstance(value, int):
        raise _wrong(spec, value, at)
    if not math.isfinite(value):
        raise _wrong(spec, value, at, "a finite number")
    if spec.positive and value <= 0:
        raise _wrong(spec, value, at, "positive")
    if spec.minimum is not None and value < spec.minimum:
        raise _wrong(spec, value, at, f"at least {spec.minimum:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise _wrong(spec, value, at, f"at most {spec.maximum:g}")
    return float(value) if spec.kind is Kind.FLOAT else value


def _wrong(
    spec: Field, value: object, at: TablePath, bound: str | None = None, empty: bool = False
) -> ConfigError:
    """``<path> must be <expected>, got <found>``; ``bound`` names the limit that was crossed
    (``positive``, ``at most 65535``), unless the field says in its own words what it expects."""
    path = at.key(spec.name)
    if empty and not spec.expect:
        return at.error(f"{path} must not be empty")
    words = spec.expected if spec.expect or bound is None else bound
    return at.error(f"{path} must be {words}, got {describe(value, spec.secret)}")
