"""Backup listings: one content listing per backup storage, and the volumes they hold.

Shared storages (PBS, NFS) are listed once, from one node; local ones once per online node.
The listings start before the guests' configs (they are few, and a large PBS datastore should
not wait behind every guest) and are read at the end. A listing that fails, is not a list or
drops items is a ``backup content`` gap on that storage: the backup rules then treat the storage
as unreadable and claim nothing about what it may hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from adapters.common.unread import Unread, unread_gap
from adapters.proxmox.calls import BACKUP_CONTENT
from adapters.proxmox.normalise import coverage_gap, not_a_list, volumes_of
from collector.errors import SourceError
from collector.model import BackupVolume, Gap, Storage

Listings = Mapping[str, tuple[Storage, "Future[Any]"]]
Try = Callable[[str, Mapping[str, Any]], Any]
"""``ProxmoxAdapter._try``: the answer of a GET, or the ``SourceError`` it raised."""


def _path(storage: Storage) -> str:
    return f"nodes/{storage.node}/storage/{storage.name}/content"


def start_listings(
    pool: ThreadPoolExecutor, get: Try, storages: tuple[Storage, ...], offline: set[str]
) -> dict[str, tuple[Storage, Future[Any]]]:
    """Start one listing per backup storage: shared ones from a single node."""
    targets: dict[str, Storage] = {}
    for storage in storages:
        if "backup" not in storage.content or storage.node in offline:
            continue
        key = storage.name if storage.shared else f"{storage.node}/{storage.name}"
        targets.setdefault(key, storage)
    return {
        key: (s, pool.submit(get, _path(s), BACKUP_CONTENT.params))
        for key, s in sorted(targets.items())
    }


def backup_volumes(
    source: str, listings: Listings, gaps: list[Gap]
) -> tuple[BackupVolume, ...] | None:
    """Every listed backup; ``()`` when there is no backup storage, None when not one listing
    could be read."""
    if not listings:
        return ()
    volumes: dict[str, BackupVolume] = {}
    read_any = False
    for key, (storage, listing) in listings.items():
        answer = listing.result()
        subject = f"pve:{source}/storage/{key}"
        if isinstance(answer, SourceError):
            gaps.append(coverage_gap(subject, BACKUP_CONTENT.key, answer))
            continue
        unread = Unread()
        found = volumes_of(answer, storage.name, unread, f"pve:{source}")
        where = f"{source}: GET {_path(storage)}?content=backup"
        if found is None:
            gaps.append(Gap(subject, BACKUP_CONTENT.key, not_a_list(where, answer)))
            continue
        if unread:
            gaps.append(unread_gap(subject, BACKUP_CONTENT.key, where, unread))
        read_any = True
        for volume in found:
            volumes.setdefault(volume.volid, volume)
    return tuple(volumes.values()) if read_any else None
