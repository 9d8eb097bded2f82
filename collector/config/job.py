"""How a run behaves: ``[collect]``, ``[history]``, ``[[notify]]`` and ``[record]``.

The settings types live with the code that uses them (``RunLimits`` in ``collector.contract``,
``HistorySettings`` in ``collector.history.settings``, ``NotifyTarget`` in
``collector.notify.settings``); only ``RecordSettings`` is defined here, as only the CLI's
wiring reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from collector.config.messages import TablePath
from collector.config.schema import Field, Kind, array_of_tables, check_table
from collector.contract import (
    DEFAULT_DEADLINE_S,
    DEFAULT_RETRIES,
    MAX_DEADLINE_S,
    MAX_RETRIES,
    RunLimits,
)
from collector.history.settings import (
    DEFAULT_KEEP_RUNS,
    DEFAULT_LOCK_TIMEOUT,
    HistorySettings,
    default_history_path,
)
from collector.notify.settings import NotifyKind, NotifyTarget, NotifyWhen
from collector.output import check_template


@dataclass(frozen=True, slots=True)
class RecordSettings:
    """The ``[record]`` table: what ``collect record`` blanks besides its own list."""

    redact_keys: tuple[str, ...] = ()
    """Extra key names, lower case; ``collector.recording.redact.redact_keys`` adds the defaults."""


COLLECT_FIELDS = (
    Field(
        "deadline_seconds",
        Kind.FLOAT,
        positive=True,
        maximum=MAX_DEADLINE_S,
        expect=f"a number of seconds between 0 and {MAX_DEADLINE_S:g}",
    ),
    Field(
        "retries",
        Kind.INT,
        minimum=0,
        maximum=MAX_RETRIES,
        expect=f"an integer from 0 to {MAX_RETRIES}",
    ),
)
HISTORY_FIELDS = (
    Field("enabled", Kind.BOOL),
    Field("path", Kind.STR),
    Field("keep_runs", Kind.INT, positive=True),
    Field("keep_days", Kind.INT, positive=True),
    Field("lock_timeout", Kind.FLOAT, positive=True),
)
NOTIFY_FIELDS = (
    Field("kind", Kind.STR, required=True, choices=tuple(k.value for k in NotifyKind)),
    Field("url", Kind.STR, secret=True),
    Field("url_env", Kind.STR),
    Field("token_env", Kind.STR),
    Field("when", Kind.STR, choices=tuple(w.value for w in NotifyWhen)),
    Field("timeout", Kind.FLOAT, positive=True),
    Field("title", Kind.STR),
    Field("link", Kind.STR),
)
RECORD_FIELDS = (Field("redact_keys", Kind.STRS, expect='a list of key names, e.g. ["notes"]'),)


def parse_collect(doc: Mapping[str, object], file: str) -> RunLimits:
    values = check_table(doc.get("collect", {}), COLLECT_FIELDS, TablePath.table(file, "collect"))
    return RunLimits(
        deadline_seconds=values.number("deadline_seconds", DEFAULT_DEADLINE_S),
        retries=values.integer("retries", DEFAULT_RETRIES),
    )


def parse_history(doc: Mapping[str, object], file: str, folder: Path | None) -> HistorySettings:
    """``[history]``; a relative ``path`` is relative to ``folder``, the config file's."""
    values = check_table(doc.get("history", {}), HISTORY_FIELDS, TablePath.table(file, "history"))
    named = values.opt_text("path")
    path = default_history_path()
    if named is not None:
        path = Path(named).expanduser()
        if not path.is_absolute() and folder is not None:
            path = folder / path
    keep_runs, keep_days = values.opt_integer("keep_runs"), values.opt_integer("keep_days")
    if keep_runs is None and keep_days is None:
        keep_runs = DEFAULT_KEEP_RUNS  # each limit applies when set; with neither, this one
    return HistorySettings(
        path=path,
        enabled=values.flag("enabled", True),
        keep_runs=keep_runs,
        keep_days=keep_days,
        lock_timeout=values.number("lock_timeout", DEFAULT_LOCK_TIMEOUT),
        path_configured=named is not None,
    )


_TARGET = NotifyTarget(index=0, kind=NotifyKind.WEBHOOK)  # the defaults of the optional keys


def parse_notify(doc: Mapping[str, object], file: str) -> tuple[NotifyTarget, ...]:
    return tuple(_target(raw, at) for at, raw in array_of_tables(doc, file, "notify"))


def _target(raw: Mapping[str, object], at: TablePath) -> NotifyTarget:
    values = check_table(raw, NOTIFY_FIELDS, at)
    kind = NotifyKind(values.text("kind"))
    if ("url" in values) == ("url_env" in values):
        raise at.error(f"{at} needs exactly one of url or url_env")
    url = values.opt_text("url")
    if url is not None and not url.startswith(("http://", "https://")):
        # The URL itself may be the secret (Slack's): it is not repeated here.
        raise at.error(f"{at.key('url')} must start with http:// or https://")
    if kind is NotifyKind.GOTIFY and "token_env" not in values:
        raise at.error(
            f"{at} (gotify) needs token_env: the name of the variable holding the application token"
        )
    if kind is NotifyKind.SLACK and "token_env" in values:
        raise at.error(
            f"{at.key('token_env')} is not used by slack webhooks; put the secret URL in "
            "an environment variable and name it with url_env"
        )
    link = values.opt_text("link")
    if link is not None:
        check_template(link, f"{at.file}: {at.key('link')}")
    return NotifyTarget(
        index=at.index or 0,
        kind=kind,
        url=url,
        url_env=values.opt_text("url_env"),
        token_env=values.opt_text("token_env"),
        when=NotifyWhen(values.opt_text("when") or NotifyWhen.CHANGES.value),
        timeout=values.number("timeout", _TARGET.timeout),
        title=values.opt_text("title") or _TARGET.title,
        link=link,
        file=at.file,
    )


def parse_record(doc: Mapping[str, object], file: str) -> RecordSettings:
    values = check_table(doc.get("record", {}), RECORD_FIELDS, TablePath.table(file, "record"))
    return RecordSettings(tuple(k.strip().lower() for k in values.texts("redact_keys")))
