"""A tee around a live PBS client that records every answer where ``ReplayPbsApi`` reads it.

As for PVE (``adapters/proxmox/record.py``): the answer is redacted before it is written and
returned unredacted; an error answer is written as ``<name>.error.json`` and re-raised; a
transport failure writes nothing.
"""

from __future__ import annotations

from typing import Any

from adapters.common.recording import Recorder, recording_file
from adapters.pbs.adapter import PbsApi
from collector.errors import SourceError


class RecordingPbsApi:
    def __init__(self, api: PbsApi, recorder: Recorder) -> None:
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
