"""A PVE client that answers from a recording folder instead of the network.

It fails the way the live client fails (``errors.py``): a recorded error answer raises the same
error, a call that was never recorded answers like a PVE that does not know the path (501).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.common.recording import Malformed, read_answer, recording_file
from adapters.proxmox import errors


class ReplayPveApi:
    """``get(path, **params)`` like ``PveClient``, from the files under ``root``."""

    def __init__(self, root: Path, source: str) -> None:
        self.root = root
        self.source = source

    def get(self, path: str, **params: Any) -> Any:
        path = path.strip("/")
        call = errors.call_label(path, params)
        try:
            found, data = read_answer(recording_file(self.root, path, params))
        except Malformed:
            raise errors.malformed(self.source, call) from None
        if found:
            return data
        if not isinstance(data, dict):
            raise errors.http_error(self.source, call, 501, f"Method 'GET /{path}' not implemented")
        status = data.get("status", 500)
        status = status if isinstance(status, int) and not isinstance(status, bool) else 500
        raise errors.http_error(self.source, call, status, str(data.get("message", "")))
