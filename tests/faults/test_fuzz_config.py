"""Config fuzzing: any TOML value for any key gives a clear one-line ``ConfigError``, never a
traceback. Every table is checked at load, and every one is exercised here (sources, classify
rules, ``[rules.<id>]``, waivers, ``[collect]``, ``[history]``, ``[[notify]]``, ``[record]``)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.config import Config, load_config, parse_config
from collector.config.job import COLLECT_FIELDS, HISTORY_FIELDS, NOTIFY_FIELDS, RECORD_FIELDS
from collector.config.rules import CLASSIFY_FIELDS, WAIVER_FIELDS
from collector.config.sources import DOCKER_FIELDS, PROXMOX_FIELDS
from collector.contract import RunLimits
from collector.errors import ConfigError
from collector.history.settings import HistorySettings
from collector.notify.settings import NotifyTarget
from collector.rules import ALL_RULES, RULES_BY_ID
from tests.support.hypothesis_profiles import examples

SCALARS = (
    st.text(max_size=30)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.dates()
    | st.sampled_from(["", " ", "https", "http", "tcp://127.0.0.1:2375", "error", "a@b", "x/y"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

BASE: dict[str, Any] = {
    "proxmox": [
        {
            "name": "lab",
            "host": "127.0.0.1",
            "user": "collector@pve",
            "token_name": "collector",
            "token_secret_env": "PVE_TOKEN",
        }
    ],
    "docker": [{"name": "apps", "url": "unix:///var/run/docker.sock"}],
    "rules": {"classify": [{"role": "platform", "name": "k3s-*"}]},
    "collect": {"deadline_seconds": 60},
    "history": {"enabled": True},
    "notify": [{"kind": "ntfy", "url": "https://ntfy.example/lab"}],
    "record": {"redact_keys": ["notes"]},
    "waivers": [
        {
            "subject": "pve:lab/qemu/1",
            "rule": ALL_RULES[0].id,
            "reason": "r",
            "expires": dt.date(2030, 1, 1),
        }
    ],
}
# (path to the table, key): every key of every table the config knows.
KEY_PATHS: list[tuple[tuple[Any, ...], str]] = (
    [(("proxmox", 0), k.name) for k in PROXMOX_FIELDS]
    + [(("docker", 0), k.name) for k in DOCKER_FIELDS]
    + [(("rules", "classify", 0), k.name) for k in CLASSIFY_FIELDS]
    + [(("collect",), k.name) for k in COLLECT_FIELDS]
    + [(("history",), k.name) for k in HISTORY_FIELDS]
    + [(("notify", 0), k.name) for k in NOTIFY_FIELDS]
    + [(("record",), k.name) for k in RECORD_FIELDS]
    + [(("waivers", 0), k.name) for k in WAIVER_FIELDS]
    + [
        (("rules", rule.id), key)
        for rule in ALL_RULES
        for key in ("enabled", "severity", *rule.defaults)
    ]
    + [
        ((), name)
        for name in (
            "proxmox",
            "docker",
            "rules",
            "collect",
            "history",
            "notify",
            "waivers",
            "record",
            "bogus",
        )
    ]
)


def validate_tables(config: Config) -> None:
    """Whatever loads is typed through and through: every table was checked at load."""
    assert set(config.rules) == set(RULES_BY_ID)
    assert isinstance(config.collect, RunLimits) and isinstance(config.history, HistorySettings)
    assert all(isinstance(target, NotifyTarget) for target in config.notify)


def validate(doc: dict[str, Any]) -> Config:
    config = parse_config(doc, "fuzz.toml")
    validate_tables(config)
    return config


def _one_line_config_error_or_ok(doc: dict[str, Any]) -> None:
    try:
        validate(doc)
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        assert "Traceback" not in message


def test_base_document_is_valid() -> None:
    validate(copy.deepcopy(BASE))


FUZZ = settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(KEY_PATHS), VALUES), min_size=1, max_size=3))
def test_any_value_for_any_key(changes: list[tuple[tuple[tuple[Any, ...], str], Any]]) -> None:
    doc = copy.deepcopy(BASE)
    for (path, key), value in changes:
        table: Any = doc
        for step in path:
            if isinstance(step, int):
                table = table[step] if isinstance(table, list) and table else {}
            else:
                table = table.setdefault(step, {}) if isinstance(table, dict) else {}
        if isinstance(table, dict):
            table[key] = value
    _one_line_config_error_or_ok(doc)


@FUZZ
@given(st.dictionaries(st.sampled_from([*BASE, "bogus"]) | st.text(max_size=6), VALUES, max_size=5))
def test_any_top_level_document(doc: dict[str, Any]) -> None:
    _one_line_config_error_or_ok(doc)


def _toml(value: Any) -> str:
    """A TOML inline value (enough of TOML 1.0 for what VALUES generates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int | dt.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"


@settings(max_examples=examples(100), deadline=None)
@given(st.sampled_from(KEY_PATHS[:-9]), VALUES, st.text(max_size=40))
def test_load_config_on_toml_text(
    tmp_path_factory: Any, key_path: tuple[tuple[Any, ...], str], value: Any, junk: str
) -> None:
    """Through the file: a bad value, or text that is not TOML at all, is a ConfigError."""
    folder = tmp_path_factory.mktemp("toml")
    path, key = key_path
    header = ".".join(str(p) for p in path if not isinstance(p, int))
    array = any(isinstance(p, int) for p in path)
    text = f"[[{header}]]\n" if array else f"[{header}]\n"
    for file_text in (text + f"{_toml(key)} = {_toml(value)}\n", junk):
        file = Path(folder) / "config.toml"
        file.write_text(file_text, encoding="utf-8")
        try:
            validate_tables(load_config(file))
        except ConfigError as exc:
            assert "\n" not in str(exc), str(exc)
