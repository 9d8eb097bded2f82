"""A PBS client that answers from a recording folder (``pbs/<name>/``) instead of the network.

It fails the way the live client fails (``errors.py``): a recorded error answer raises the same
error, and a call that was never recorded answers as PBS does for a path it does not know (404).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.common.recording import Malformed, read_answer, recording_file
from adapters.pbs import errors


class ReplayPbsApi:
    """``get(path, **params)`` like ``PbsClient``, from the files under ``root``."""

    def __init__(self, root: Path, source: str) -> None:
        self.root = root
        self.source = source

    def get(self, path: str, **params: Any) -> Any:
        path = path.strip("/")
        try:
            found, data = read_answer(recording_file(self.root, path, params))
        except Malformed:
            raise errors.malformed(self.source, path) from None
        if found:
            return data
        if not isinstance(data, dict):
            raise errors.http_error(self.source, path, 404, f"Path '/api2/json/{path}' not found.")
        status = data.get("status", 500)
        status = status if isinstance(status, int) and not isinstance(status, bool) else 500
        raise errors.http_error(self.source, path, status, str(data.get("message", "")))
