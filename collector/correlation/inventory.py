"""The joined inventory: every source's results, engine placements and workload roles.

``build_inventory`` is the one place where the layers meet. It is linear in the lab size: every
lookup goes through a dict built once. Backups are joined here too (``backup_join``): PBS
snapshots become the volumes of the PVE storages that write to them, and the PVE sources get
a gap for every storage whose backups stay hidden (``backup_evidence``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from collector.correlation.backup_evidence import (
    BACKUP_CONTENT,
    ClusterBackups,
    cluster_backups,
    visibility_gaps,
)
from collector.correlation.backup_join import join_backups
from collector.correlation.classify import ClassifyRule, classify_container, classify_guest
from collector.correlation.declared import Declared, DeclaredSystem, match_declared
from collector.correlation.ownership import Owner, OwnershipSettings, resolve_owners
from collector.correlation.placement import PlacementHints, place_engines
from collector.correlation.running import running_systems
from collector.model import (
    BackupServer,
    Cluster,
    Container,
    Datastore,
    Engine,
    EngineProduct,
    Form,
    Gap,
    Guest,
    Layer,
    Node,
    Placement,
    RoleDecision,
    SourceKind,
    SourceResult,
    SourceStatus,
)


@dataclass(frozen=True)
class Inventory:
    clusters: tuple[Cluster, ...]
    engines: tuple[Engine, ...]
    sources: tuple[SourceStatus, ...]
    placements: Mapping[str, Placement] = field(default_factory=dict)
    roles: Mapping[str, RoleDecision] = field(default_factory=dict)
    ownership: OwnershipSettings = field(default_factory=OwnershipSettings)
    backup_servers: tuple[BackupServer, ...] = ()
    backup_supplied: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Cluster id → storage → the PBS namespace its backup volumes were read from."""
    declared: Declared | None = None
    """The declared systems matched to the lab; None when nothing is declared."""

    def nodes(self) -> Iterator[Node]:
        for cluster in self.clusters:
            yield from cluster.nodes

    def guests(self) -> Iterator[Guest]:
        for cluster in self.clusters:
            yield from cluster.guests

    def containers(self) -> Iterator[Container]:
        for engine in self.engines:
            yield from engine.containers

    def datastores(self) -> Iterator[Datastore]:
        for server in self.backup_servers:
            yield from server.datastores

    @cached_property
    def by_id(self) -> Mapping[str, Item]:
        items: dict[str, Item] = {}
        for cluster in self.clusters:
            items[cluster.id] = cluster
            items.update((n.id, n) for n in cluster.nodes)
            items.update((g.id, g) for g in cluster.guests)
        for engine in self.engines:
            items[engine.id] = engine
            items.update((c.id, c) for c in engine.containers)
        for server in self.backup_servers:
            items[server.id] = server
            items.update((d.id, d) for d in server.datastores)
        return items

    @cached_property
    def podman_engines(self) -> frozenset[str]:
        """Names of the engines that are Podman (hints and some rules differ for them)."""
        return frozenset(e.name for e in self.engines if e.product is EngineProduct.PODMAN)

    @cached_property
    def backups(self) -> Mapping[str, ClusterBackups]:
        """Cluster id → what is known of its backups (``backup_evidence``)."""
        gaps = list(self.gaps)
        return {
            c.id: cluster_backups(c, gaps, self.backup_supplied.get(c.id, {}))
            for c in self.clusters
        }

    @cached_property
    def engines_on(self) -> Mapping[str, tuple[str, ...]]:
        """Guest or node id → ids of the engines placed on it."""
        return engines_by_host(self.placements)

    def parent(self, item_id: str) -> str | None:
        item = self.by_id.get(item_id)
        if isinstance(item, Node):
            return f"pve:{item.cluster}"
        if isinstance(item, Guest):
            return f"pve:{item.cluster}/node/{item.node}"
        if isinstance(item, Engine):
            placement = self.placements.get(item.id)
            return placement.target if placement else None
        if isinstance(item, Container):
            return f"docker:{item.engine}"
        if isinstance(item, Datastore):
            return f"pbs:{item.server}"
        return None

    @cached_property
    def owners(self) -> Mapping[str, Owner | None]:
        """Id → owner (with where it came from), or None; see ``correlation.ownership``."""
        declared = self.declared.owners if self.declared is not None else None
        return resolve_owners(self.by_id, self.parent, self.ownership, declared)

    @cached_property
    def gaps(self) -> Mapping[tuple[str, str], Gap]:
        """(subject, what) → the gap: lets a rule ask "could the agent of X be read?"."""
        return {(g.subject, g.what): g for source in self.sources for g in source.gaps}

    def workloads(self) -> Iterator[Guest | Container]:
        """What the placement rule judges: guests that are not templates, and containers."""
        yield from (g for g in self.guests() if not g.template)
        yield from self.containers()


def engines_by_host(placements: Mapping[str, Placement]) -> dict[str, tuple[str, ...]]:
    """Guest or node id → ids of the engines placed on it, sorted."""
    hosted: dict[str, list[str]] = defaultdict(list)
    for placement in placements.values():
        if placement.target:
            hosted[placement.target].append(placement.engine)
    return {k: tuple(sorted(v)) for k, v in hosted.items()}


def build_inventory(
    results: Iterable[SourceResult],
    *,
    docker: Iterable[PlacementHints] = (),
    classify: Sequence[ClassifyRule] = (),
    ownership: OwnershipSettings | None = None,
    systems: Sequence[DeclaredSystem] | None = None,
) -> Inventory:
    """Join the sources' results. ``docker`` are the ``[[docker]]`` sources' settings (explicit
    placements), ``classify`` the ``[[rules.classify]]`` entries, ``systems`` the declared
    systems (None: nothing declared; an empty declaration makes every workload undeclared)."""
    results = list(results)
    ownership = ownership or OwnershipSettings()
    servers = tuple(r.backup_server for r in results if r.backup_server is not None)
    joined = join_backups(tuple(r.cluster for r in results if r.cluster is not None), servers)
    clusters = joined.clusters
    engines = tuple(r.engine for r in results if r.engine is not None)
    sources = _with_backup_notes(results, clusters, joined.notes, joined.supplied, servers)
    placements = place_engines(engines, {d.name: d for d in docker}, clusters)
    declared = None
    if systems is not None:
        running = running_systems(clusters, engines, placements, ownership)
        declared = match_declared(systems, running, sources)
    said = declared.roles if declared is not None else {}
    hosted = engines_by_host(placements)
    roles: dict[str, RoleDecision] = {}
    for cluster in clusters:
        for guest in cluster.guests:
            hosting = hosted.get(guest.id, ())
            roles[guest.id] = classify_guest(guest, classify, hosting, said.get(guest.id))
    for engine in engines:
        for container in engine.containers:
            roles[container.id] = classify_container(container, classify, said.get(container.id))
    return Inventory(
        clusters=clusters,
        engines=engines,
        sources=sources,
        placements=placements,
        roles=roles,
        ownership=ownership,
        backup_servers=servers,
        backup_supplied=joined.supplied,
        declared=declared,
    )


def _with_backup_notes(
    results: list[SourceResult],
    clusters: tuple[Cluster, ...],
    notes: Mapping[str, tuple[Gap, ...]],
    supplied: Mapping[str, Mapping[str, str]],
    servers: tuple[BackupServer, ...],
) -> tuple[SourceStatus, ...]:
    """Each PVE source's status with the gaps the backup join found for its cluster."""
    by_source = {c.source: c for c in clusters}
    failed_pbs = tuple(
        r.status.name
        for r in results
        if r.status.kind is SourceKind.PBS and r.backup_server is None
    )
    statuses = []
    for result in results:
        status = result.status
        cluster = by_source.get(status.name) if result.cluster is not None else None
        if cluster is not None:
            failed = {g.subject.rsplit("/", 1)[-1] for g in status.gaps if g.what == BACKUP_CONTENT}
            extra = [
                *notes.get(status.name, ()),
                *visibility_gaps(
                    cluster, supplied.get(cluster.id, {}), servers, failed, failed_pbs
                ),
            ]
            if extra:
                status = replace(status, gaps=(*status.gaps, *extra))
        statuses.append(status)
    return tuple(statuses)


Item = Cluster | Node | Guest | Engine | Container | BackupServer | Datastore
"""Anything with an id in the inventory."""


def form_of(item: object) -> Form:
    if isinstance(item, BackupServer):
        return Form.BACKUP_SERVER
    if isinstance(item, Datastore):
        return Form.DATASTORE
    if isinstance(item, Guest):
        return item.form
    if isinstance(item, Container):
        return Form.CONTAINER
    if isinstance(item, Engine):
        return Form.ENGINE
    if isinstance(item, Node):
        return Form.NODE
    return Form.CLUSTER


_FORM_LAYERS = {
    Form.CLUSTER: Layer.CLUSTER,
    Form.NODE: Layer.NODE,
    Form.VM: Layer.GUEST,
    Form.LXC: Layer.GUEST,
    Form.ENGINE: Layer.ENGINE,
    Form.CONTAINER: Layer.CONTAINER,
    Form.BACKUP_SERVER: Layer.BACKUP,
    Form.DATASTORE: Layer.BACKUP,
}


def layer_of(item: object) -> Layer:
    return _FORM_LAYERS[form_of(item)]


def layer_of_id(item_id: str) -> Layer:
    """The layer an id (or an id glob such as ``docker:*/web``) names, from its shape alone;
    ``declared:<form>/<name>`` (a declared system) by its form."""
    kind, _, rest = item_id.partition(":")
    parts = rest.split("/")
    if kind == "pbs":
        return Layer.BACKUP
    if kind == "declared":  # declared:<form>/<name>: a guest's form, or a container's
        return Layer.GUEST if parts[0] in ("vm", "lxc") else Layer.CONTAINER
    if kind == "docker":
        return Layer.CONTAINER if len(parts) > 1 else Layer.ENGINE
    if len(parts) == 1:
        return Layer.CLUSTER
    return Layer.NODE if parts[1] == "node" else Layer.GUEST
