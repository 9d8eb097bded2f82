"""One policy for the lab text every output shows, applied once, as the sources' results come in.

Names, labels, notes and messages are written by whoever runs the lab, and some of it is
secret, hostile or broken. Before anything is joined, judged or printed, ``safe_results``
returns the results with:

- secrets redacted (``collector/redaction.py``): container and engine labels and log options
  under a secret key (``my.db.password``, traefik's ``basicauth.users``, ``[record]
  redact_keys``), the notes when ``description`` or ``notes`` is such a key, and credentials
  inside URLs in any text (notes, error messages, gap reasons);
- control and bidi characters removed (``collector/text.py``; notes keep their line breaks);
- sizes bounded: ``NAME_LIMIT`` for names and other identifiers, ``TEXT_LIMIT`` for notes,
  label values, images and messages, so a 1 MB label costs no output more than a few KB.

Every output (terminal, Markdown, JSON, the history database, notifications, and any output
added later) reads the report built from these results, so none can forget the policy. The walk
is generic over the model's dataclasses, so a field added to the model is covered too. Ids made
from names are rebuilt from the cleaned names (``docker:<engine>/<name>``,
``pve:<cluster>/node/<name>``) and gap subjects follow them. An object with nothing to change
is returned as it is (no copy).
"""

from __future__ import annotations

import operator
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from operator import attrgetter
from typing import Any

from collector.model import Container, Gap, Node, SourceResult
from collector.redaction import REDACTED, RedactionPolicy, has_url_credentials, redact_text
from collector.text import clean, needs_cleaning, shorten

NAME_LIMIT = 253
"""The longest DNS name: names, hosts, ids, tags, keys."""
TEXT_LIMIT = 8192
"""PVE's own limit for a guest's notes: notes, label values, images, paths and messages."""
TEXT_FIELDS = frozenset(
    {
        "description",
        "image",
        "source",
        "destination",
        "volid",
        "reason",
        "error",
        "subject",
        "url",
        "detail",
    }
)
"""Fields that hold free text or paths (``TEXT_LIMIT``); every other string is a name."""
SECRET_MAPS = frozenset({"labels", "log_options"})
"""Mappings whose keys decide whether a value is secret."""
NOTES = ("description", "notes")


def safe_results(results: Iterable[SourceResult], policy: RedactionPolicy) -> list[SourceResult]:
    """``results`` with every piece of lab text redacted, cleaned and bounded (see above)."""
    return [_Safe(policy).result(r) for r in results]


@dataclass(frozen=True, slots=True)
class _Plan:
    """Where a model class keeps its text, so a clean object is recognised in one pass."""

    maps: tuple[str, ...]
    nested: tuple[str, ...]
    """Fields holding model records (one, or a tuple of them)."""
    get_strs: Any
    """The fields holding a string (or None), as a tuple."""
    get_tuples: Any
    """The fields holding a tuple of strings (or None)."""
    get_maps: Any


def _kinds(hint: Any) -> set[Any]:
    """The concrete types a field's annotation allows, tuples and Optional unwrapped."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_kinds(h) for h in typing.get_args(hint)))
    if origin is tuple:
        return _kinds(typing.get_args(hint)[0])
    if origin is not None:
        return {origin}
    return {hint}


def _getter(names: tuple[str, ...]) -> Any:
    if not names:
        return lambda _item: ()
    get = attrgetter(*names)
    return (lambda item: (get(item),)) if len(names) == 1 else get


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    hints = typing.get_type_hints(cls)
    strs: list[str] = []
    tuples: list[str] = []
    maps: list[str] = []
    nested: list[str] = []
    for f in fields(cls):
        kinds = _kinds(hints[f.name])
        if str in kinds:
            (
                tuples
                if typing.get_origin(hints[f.name]) is tuple or _tuple(hints[f.name])
                else strs
            ).append(f.name)
        elif any(k in (Mapping, dict) for k in kinds):
            maps.append(f.name)
        elif any(is_dataclass(k) for k in kinds):
            nested.append(f.name)
    return _Plan(
        tuple(maps),
        tuple(nested),
        _getter(tuple(strs)),
        _getter(tuple(tuples)),
        _getter(tuple(maps)),
    )


def _tuple(hint: Any) -> bool:
    """Whether an annotation is a tuple, possibly Optional."""
    return any(typing.get_origin(h) is tuple for h in typing.get_args(hint))


class _Safe:
    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.notes_secret = any(policy.secret_key(k) for k in NOTES)
        self.renamed: dict[str, str] = {}
        """Old id → new id, for the objects whose id holds a name that changed."""

    def result(self, result: SourceResult) -> SourceResult:
        # What the source read first (cluster, engine, backup server...), so that the ids it
        # renames are known when the status's gap subjects follow them.
        changes = {
            f.name: new
            for f in fields(result)
            if f.name != "status"
            and (new := self.walk(getattr(result, f.name), f.name)) is not getattr(result, f.name)
        }
        status = self.walk(result.status)
        if self.renamed and status.gaps:
            gaps = tuple(
                replace(g, subject=self.renamed[g.subject]) if g.subject in self.renamed else g
                for g in status.gaps
            )
            status = replace(status, gaps=gaps)
        if status is not result.status:
            changes["status"] = status
        return replace(result, **changes) if changes else result

    def walk(self, value: Any, field: str = "") -> Any:
        if isinstance(value, str):
            return self.text(value, field)
        if isinstance(value, tuple):
            items = tuple(self.walk(v, field) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if isinstance(value, Mapping):
            return self.mapping(value, field)
        if is_dataclass(value) and not isinstance(value, type):
            return self.record(value)
        return value  # numbers, booleans, enums, None

    def records(self, items: tuple[Any, ...]) -> tuple[Any, ...]:
        done = [self.record(item) for item in items]
        return items if all(map(operator.is_, done, items)) else tuple(done)

    def clean_as_is(self, item: Any, plan: _Plan) -> bool:
        """Whether none of the item's own text needs a change (one regex pass over it all)."""
        strings = list(filter(None, plan.get_strs(item)))
        for values in plan.get_tuples(item):
            if values:
                strings.extend(values)
        for name, values in zip(plan.maps, plan.get_maps(item), strict=True):
            if not values:
                continue
            if name in SECRET_MAPS and any(map(self.policy.secret_key, values)):
                return False
            strings.extend(values)
            strings.extend(v for v in values.values() if isinstance(v, str))
        if self.notes_secret and getattr(item, "description", None):
            return False
        blob = " ".join(strings)
        return not (
            # isprintable() runs in C and is False for every control, bidi and line break
            # character (and for a few harmless ones, which the exact test then clears).
            (not blob.isprintable() and needs_cleaning(blob))
            or has_url_credentials(blob)
            or max(map(len, strings), default=0) > NAME_LIMIT
        )

    def record(self, item: Any) -> Any:
        plan = _PLANS.get(type(item)) or _PLANS.setdefault(type(item), _plan(type(item)))
        changes: dict[str, Any] = {}
        if self.clean_as_is(item, plan):  # the usual case: only nested records may change
            for name in plan.nested:
                old = getattr(item, name)
                new = self.records(old) if isinstance(old, tuple) else self.walk(old, name)
                if new is not old:
                    changes[name] = new
            return replace(item, **changes) if changes else item
        for f in fields(item):
            old = getattr(item, f.name)
            new = self.walk(old, f.name)
            if new is not old:
                changes[f.name] = new
        if not changes:
            return item
        if isinstance(item, Container) and "name" in changes:
            changes["id"] = f"docker:{item.engine}/{changes['name']}"
        elif isinstance(item, Node) and "name" in changes:
            changes["id"] = f"pve:{item.cluster}/node/{changes['name']}"
        if "id" in changes and not isinstance(item, Gap):
            self.renamed[str(item.id)] = str(changes["id"])
        return replace(item, **changes)

    def text(self, value: str, field: str) -> str:
        if field == "description" and self.notes_secret and value:
            return REDACTED
        notes = field == "description"
        limit = TEXT_LIMIT if field in TEXT_FIELDS else NAME_LIMIT
        new = shorten(clean(redact_text(value), keep_newlines=notes), limit)
        return value if new == value else new

    def mapping(self, values: Mapping[str, Any], field: str) -> Mapping[str, Any]:
        secret = field in SECRET_MAPS
        out: dict[str, Any] = {}
        changed = False
        for key, value in values.items():
            new_key = self.text(key, "key")
            if secret and self.policy.secret_key(key):
                new_value: Any = REDACTED
            else:
                new_value = self.text(value, "detail") if isinstance(value, str) else value
            changed = changed or new_key is not key or new_value is not value
            out[new_key] = new_value
        return out if changed else values
