"""A PBS client that answers from a recording folder (``pbs/<name>/``) instead of the network.

It fails the way the live client fails (``errors.py``): a recorded error answer raises the same
error, and a call that was never recorded answers as PBS does for a path it does not know (404).
"""

from __future__ import annotations

from pathlib import Path

from adapters.common.http import ReplayJsonApi
from adapters.pbs import errors


class ReplayPbsApi(ReplayJsonApi):
    """``get(path, **params)`` like the live PBS client, from the files under ``root``."""

    def __init__(self, root: Path, source: str) -> None:
        super().__init__(root, source, errors.wording(pinned=False))
