"""A PVE client that answers from a recording folder instead of the network.

It fails the way the live client fails (``errors.py``): a recorded error answer raises the same
error, a call that was never recorded answers like a PVE that does not know the path (501).
"""

from __future__ import annotations

from pathlib import Path

from adapters.common.http import ReplayJsonApi
from adapters.proxmox import errors


class ReplayPveApi(ReplayJsonApi):
    """``get(path, **params)`` like the live PVE client, from the files under ``root``."""

    def __init__(self, root: Path, source: str) -> None:
        super().__init__(root, source, errors.WORDING)
