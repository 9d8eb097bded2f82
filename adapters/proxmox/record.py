"""A tee around a live PVE client that records every answer where ``ReplayPveApi`` reads it.

The answer is redacted before it is written and returned *unredacted* to the adapter, so the
live report of a ``collect record`` run is exactly a ``collect report``. An error answer (one
with a status) is written as ``<name>.error.json`` and re-raised, so a replay fails the same
way; a transport failure (refused, TLS, timeout) is no answer and writes nothing.
"""

from __future__ import annotations

from typing import Any

from adapters.common.recording import Recorder, recording_file
from adapters.proxmox.adapter import PveApi
from collector.errors import SourceError


class RecordingPveApi:
    def __init__(self, api: PveApi, recorder: Recorder) -> None:
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
