"""Check that a model value really has the types its dataclass declares, all the way down.

The normaliser's promise is not only "no exception" but "no garbage": a number that arrived as
``"2048"`` must be an ``int`` in the model, an unreadable one ``None``, never the raw string.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def problems(value: Any, hint: Any = None, where: str = "value") -> list[str]:
    """Every place where ``value`` does not match ``hint`` (its dataclass when hint is None)."""
    if hint is None:
        hint = type(value)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if any(not problems(value, option, where) for option in options):
            return []
        return [f"{where}: {value!r:.80} is none of {hint}"]
    if hint is type(None):
        return [] if value is None else [f"{where}: {value!r:.80} is not None"]
    if origin is tuple:
        if not isinstance(value, tuple):
            return [f"{where}: {type(value).__name__} is not a tuple"]
        item = typing.get_args(hint)[0]
        return [p for i, v in enumerate(value) for p in problems(v, item, f"{where}[{i}]")]
    if origin in (Mapping, dict) or hint is Mapping:
        if not isinstance(value, Mapping):
            return [f"{where}: {type(value).__name__} is not a mapping"]
        key_hint, value_hint = typing.get_args(hint) or (Any, Any)
        found = []
        for k, v in value.items():
            found += problems(k, key_hint, f"{where} key")
            found += problems(v, value_hint, f"{where}[{k!r:.40}]")
        return found
    if hint is Any:
        return []
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            return [f"{where}: {type(value).__name__} is not {hint.__name__}"]
        return [
            p
            for name, field_hint in _hints(hint).items()
            for p in problems(getattr(value, name), field_hint, f"{where}.{name}")
        ]
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return [] if isinstance(value, hint) else [f"{where}: {value!r:.80} is not {hint}"]
        if hint is int and isinstance(value, bool):
            return [f"{where}: bool where int expected"]
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return []
        return [] if isinstance(value, hint) else [f"{where}: {value!r:.80} is not {hint.__name__}"]
    return []
