"""A TOML writer for the values a config holds: the standard library only reads TOML.

Used for a recording's ``config.toml`` (``collector.recording.config_out``) and for the
declaration ``collect declare`` prints (``collector.render.declaration``). Strings, numbers,
booleans, dates, lists, tables and arrays of tables; whatever it writes, the standard
library's TOML reader reads back to the same values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dumps_toml(doc: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _table(doc, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else _scalar(name)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date | dt.time):  # TOML dates and times are bare ISO 8601
        return value.isoformat()
    if isinstance(value, str):
        # JSON's escapes are valid TOML ones, except for surrogate pairs (hence not ASCII-only)
        # and DEL, which JSON leaves alone and a TOML basic string must escape.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(table: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    nested = {k: v for k, v in table.items() if isinstance(v, Mapping) or _is_table_array(v)}
    for key, value in table.items():
        if key not in nested:
            lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in nested.items():
        header = ".".join(_key(p) for p in [*path, key])
        if isinstance(value, Mapping):
            lines += ["", f"[{header}]"]
            _table(value, [*path, key], lines)
        else:
            for item in value:
                lines += ["", f"[[{header}]]"]
                _table(item, [*path, key], lines)
