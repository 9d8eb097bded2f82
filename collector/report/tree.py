"""Walk the inventory as a tree (cluster → node → guest → engine → container) for renderers.

Engines placed on a guest or node appear under it; engines whose placement is unknown appear
after the clusters, under no parent. The walk is total: every object the inventory holds (and
the summary counts) is yielded exactly once, whatever the tree looks like. A guest on a node the
cluster does not list is yielded under its cluster, with the engines it hosts (the PVE adapter
normally adds such a node as an unlisted ``Node``), and an engine placed on something the walk
did not reach is yielded with the unplaced ones, never lost. Backup servers come last, each with
its datastores.
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
            if not item.listed:
                return "unknown (not in cluster/status)"
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


def _engine_rows(
    engines: dict[str, Engine], engine_ids: tuple[str, ...], depth: int
) -> Iterator[Row]:
    """The engines (and their containers), each taken out of ``engines`` once yielded."""
    for engine_id in engine_ids:
        engine = engines.pop(engine_id, None)
        if engine is None:
            continue
        yield Row(depth, engine)
        for container in engine.containers:
            yield Row(depth + 1, container)


def walk(inventory: Inventory) -> Iterator[Row]:
    hosted = inventory.engines_on
    engines = {e.id: e for e in inventory.engines}  # not yet yielded
    for cluster in inventory.clusters:
        yield Row(0, cluster)
        guests_by_node: dict[str, list[Guest]] = {}
        for guest in cluster.guests:
            guests_by_node.setdefault(guest.node, []).append(guest)
        for node in cluster.nodes:
            yield Row(1, node)
            for guest in sorted(guests_by_node.pop(node.name, []), key=lambda g: g.vmid):
                yield Row(2, guest)
                yield from _engine_rows(engines, hosted.get(guest.id, ()), 3)
            yield from _engine_rows(engines, hosted.get(node.id, ()), 2)
        for orphans in guests_by_node.values():  # guests on a node the cluster does not hold
            for guest in sorted(orphans, key=lambda g: g.vmid):
                yield Row(1, guest)
                yield from _engine_rows(engines, hosted.get(guest.id, ()), 2)
    # Unplaced engines, then any engine whose placement target the walk did not reach.
    placements = inventory.placements
    unplaced = tuple(e for e in engines if e not in placements or not placements[e].target)
    yield from _engine_rows(engines, unplaced, 0)
    yield from _engine_rows(engines, tuple(engines), 0)
    for server in inventory.backup_servers:
        yield Row(0, server)
        for store in server.datastores:
            yield Row(1, store)
