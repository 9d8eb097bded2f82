"""Walk the inventory as a tree (cluster → node → guest → engine → container) for renderers.

Engines placed on a guest or node appear under it; engines whose placement is unknown appear
after the clusters, under no parent, so nothing collected is ever left out of a report. Backup
servers come last, each with its datastores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from collector.correlation.inventory import Inventory, Item, form_of
from collector.model import BackupServer, Container, Datastore, Engine, Guest, Node


@dataclass(frozen=True, slots=True)
class Row:
    depth: int
    item: Item

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def form(self) -> str:
        if isinstance(self.item, Guest) and self.item.template:
            return f"{self.item.form.value} template"
        return form_of(self.item).value

    @property
    def state(self) -> str:
        item = self.item
        if isinstance(item, Node):
            return {True: "online", False: "offline", None: "unknown"}[item.online]
        if isinstance(item, Guest):
            return item.status
        if isinstance(item, Container):
            return f"{item.state} ({item.health})" if item.health else item.state
        if isinstance(item, Engine):
            return item.display_version if item.version else ""
        if isinstance(item, BackupServer):
            return f"PBS {item.version}" if item.version else ""
        if isinstance(item, Datastore):
            return datastore_state(item)
        return f"PVE {item.version}" if item.version else ""


def datastore_state(store: Datastore) -> str:
    """``74% used`` (or nothing when the usage is unknown)."""
    if store.total_bytes and store.used_bytes is not None:
        return f"{store.used_bytes / store.total_bytes:.0%} used"
    return ""


def _engine_rows(inventory: Inventory, engine_ids: tuple[str, ...], depth: int) -> Iterator[Row]:
    engines = {e.id: e for e in inventory.engines}
    for engine_id in engine_ids:
        engine = engines[engine_id]
        yield Row(depth, engine)
        for container in engine.containers:
            yield Row(depth + 1, container)


def walk(inventory: Inventory) -> Iterator[Row]:
    hosted = inventory.engines_on
    for cluster in inventory.clusters:
        yield Row(0, cluster)
        guests_by_node: dict[str, list[Guest]] = {}
        for guest in cluster.guests:
            guests_by_node.setdefault(guest.node, []).append(guest)
        for node in cluster.nodes:
            yield Row(1, node)
            for guest in sorted(guests_by_node.pop(node.name, []), key=lambda g: g.vmid):
                yield Row(2, guest)
                yield from _engine_rows(inventory, hosted.get(guest.id, ()), 3)
            yield from _engine_rows(inventory, hosted.get(node.id, ()), 2)
        for orphans in guests_by_node.values():  # guests on a node cluster/status did not list
            for guest in sorted(orphans, key=lambda g: g.vmid):
                yield Row(1, guest)
    placements = inventory.placements
    unplaced = tuple(
        e.id for e in inventory.engines if e.id not in placements or not placements[e.id].target
    )
    yield from _engine_rows(inventory, unplaced, 0)
    for server in inventory.backup_servers:
        yield Row(0, server)
        for store in server.datastores:
            yield Row(1, store)
