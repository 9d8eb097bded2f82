"""The recording folder's file names, shared by the replay clients and the recorders.

An answer to ``GET path?k=v`` lives in ``<root>/<path>@k=v.json`` (parameters sorted, values
percent-encoded; no ``@`` part without parameters); an error answer in
``<root>/<path>[@...].error.json`` as ``{"status": 403, "message": "..."}``. See
``fixtures/README.md`` for the whole layout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from collector.errors import SourceError

Redact = Callable[[Any], Any]
"""Returns a redacted copy of a JSON value (a string: credentials inside URLs removed)."""
WriteJson = Callable[[Path, Any], None]
"""Writes one JSON value to a file atomically."""


def recording_file(root: Path, path: str, params: dict[str, Any] | None = None) -> Path:
    """Where the answer to ``GET path?params`` lives: ``<root>/<path>[@k=v&...]``, no suffix."""
    name = path.strip("/")
    if params:
        query = "&".join(
            f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()) if v is not None
        )
        if query:
            name = f"{name}@{query}"
    return root / name


class Malformed(Exception):
    """A recorded answer that is not valid JSON (replay reports it as the source would)."""


def read_answer(base: Path) -> tuple[bool, Any]:
    """(True, data) for a recorded answer, (False, {status, message}) for a recorded error,
    (False, None) when nothing was recorded; ``Malformed`` for a file that is not JSON."""
    for suffix, found in ((".json", True), (".error.json", False)):
        file = base.with_name(base.name + suffix)
        if file.is_file():
            try:
                return found, json.loads(file.read_text(encoding="utf-8"))
            except ValueError:
                raise Malformed(str(file)) from None
    return False, None


class Recorder:
    """Writes answers (redacted) and error answers where the replay clients will look."""

    def __init__(self, root: Path, redact: Redact, write_json: WriteJson) -> None:
        self.root = root
        self._redact = redact
        self._write_json = write_json

    def answer(self, base: Path, data: Any) -> None:
        # A retried call may have failed first: the last answer is the one a replay must give.
        base.with_name(base.name + ".error.json").unlink(missing_ok=True)
        self._write_json(base.with_name(base.name + ".json"), self._redact(data))

    def error(self, base: Path, status: int, message: str) -> None:
        base.with_name(base.name + ".json").unlink(missing_ok=True)
        error = {"status": status, "message": self._redact(message.strip())}
        self._write_json(base.with_name(base.name + ".error.json"), error)


class GetApi(Protocol):
    def get(self, path: str, **params: Any) -> Any: ...


class RecordingJsonApi:
    """A tee around a live ``get`` client (PVE, PBS) that records every answer where the replay
    client reads it. The answer is redacted before it is written and returned *unredacted*, so
    the live report of a ``collect record`` run is exactly a ``collect report``. An error answer
    (one with a status) is written as ``<name>.error.json`` and re-raised, so a replay fails the
    same way; a transport failure (refused, TLS, timeout) is no answer and writes nothing."""

    def __init__(self, api: GetApi, recorder: Recorder) -> None:
        self._api = api
        self._recorder = recorder

    def get(self, path: str, **params: Any) -> Any:
        base = recording_file(self._recorder.root, path, params)
        try:
            answer = self._api.get(path, **params)
        except SourceError as exc:
            if exc.status is not None:
                self._recorder.error(base, exc.status, exc.reason or "")
            raise
        self._recorder.answer(base, answer)
        return answer
