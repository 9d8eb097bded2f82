"""A PBS snapshot's verification, as PBS answers it and as PVE's content listing passes it on.

``verification`` is ``{"upid": ..., "state": "ok"|"failed"}`` (pbs-api-types
``SnapshotVerifyState``), absent when the snapshot was never verified. The verify task's UPID is
the only record of *when*; task ids (UPIDs) of both products:

- PBS: ``UPID:<node>:<pid>:<pstart>:<task id>:<start>:<type>:<id>:<auth id>:`` (proxmox-schema
  ``upid.rs``; hex numbers, the id escaped so it holds no ``:``);
- PVE: ``UPID:<node>:<pid>:<pstart>:<start>:<type>:<id>:<user>:`` (one field fewer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.model import VerifyState

_PBS_FIELDS = 10  # "UPID" + 8 fields + the empty string after the final ':'
_PVE_FIELDS = 9


def upid_start(upid: Any) -> int | None:
    """The task's start time (epoch seconds), or None for anything that is not a UPID."""
    if not isinstance(upid, str):
        return None
    parts = upid.split(":")
    if parts[0] != "UPID" or len(parts) not in (_PBS_FIELDS, _PVE_FIELDS):
        return None
    start = parts[5] if len(parts) == _PBS_FIELDS else parts[4]
    try:
        value = int(start, 16)
    except ValueError:
        return None
    return value if value > 0 else None


def verification_of(value: Any) -> tuple[VerifyState | None, int | None]:
    """State and verify time of a ``verification`` object: ``(NEVER, None)`` when it is absent
    (``None``), ``(None, None)`` when it is there but unreadable."""
    if value is None:
        return VerifyState.NEVER, None
    if not isinstance(value, Mapping):
        return None, None
    state = {"ok": VerifyState.OK, "failed": VerifyState.FAILED}.get(str(value.get("state")))
    return state, upid_start(value.get("upid")) if state else None
