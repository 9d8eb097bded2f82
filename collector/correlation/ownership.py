"""Who is responsible for each object, and where that answer came from.

An object's owner is, first match wins:

0. the declaration of the lab's systems (``collector.correlation.declared``): the owner written
   in the row or ``[[systems]]`` entry that matched the object. The declaration is the
   architecture as written, so it wins over every marker found on the object; where the
   object's own tag or label names someone else, the ``owner-mismatch`` rule says so;
1. its own marker: a PVE tag ``<prefix><name>`` on a guest (``owner-alice``), the label
   ``homelab.owner`` on a container (or on its Podman pod) or in an engine's daemon labels
   (key configurable);
2. an entry of ``owners`` in ``[rules.owner-missing]`` whose id glob matches the object
   (``"pve:homelab/node/*" = "alice"``) — the only way to give a cluster or node an owner;
3. for a guest, its pool: ``pool_owners`` maps a pool to an owner, and a pool named like an
   owner tag (``owner-alice``) names one itself;
4. inherited from the nearest ancestor that has one (cluster → node → guest → engine →
   container; an engine's parent is the guest or node it runs on). A closer declaration
   always overrides an inherited one.

Every answer carries its source, so a report can say *why* someone owns something.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from collector.model import BackupServer, Cluster, Container, Datastore, Engine, Guest, Node

Item = Cluster | Node | Guest | Engine | Container | BackupServer | Datastore

DEFAULT_TAG_PREFIX = "owner-"
DEFAULT_LABEL = "homelab.owner"


@dataclass(frozen=True, slots=True)
class OwnershipSettings:
    """Written in ``[rules.owner-missing]`` (``owner_tag_prefix``, ``owner_label``,
    ``pool_owners``, ``owners``); ``collector.config`` builds it from that table."""

    tag_prefix: str = DEFAULT_TAG_PREFIX
    label: str = DEFAULT_LABEL
    pool_owners: Mapping[str, str] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)
    """Id glob → owner, tried in the order written."""


@dataclass(frozen=True, slots=True)
class Owner:
    name: str
    source: str
    """How the declaring object got it: ``tag owner-alice``, ``label homelab.owner``,
    ``pool apps`` or ``config owners."pve:lab/node/*"``."""
    inherited_from: str | None = None
    """Id of the ancestor that declared the owner; None when the object declares it itself."""

    @property
    def origin(self) -> str:
        """Where the owner came from, in words: ``tag owner-alice`` or
        ``inherited from pve:lab/qemu/110 (tag owner-alice)``."""
        if self.inherited_from is None:
            return self.source
        return f"inherited from {self.inherited_from} ({self.source})"

    def describe(self) -> str:
        return f"{self.name}: {self.origin}"


def _tag_names(tags: tuple[str, ...], prefix: str) -> list[str]:
    return [t[len(prefix) :] for t in tags if t.startswith(prefix) and len(t) > len(prefix)]


def _from_tags(tags: tuple[str, ...], prefix: str) -> Owner | None:
    names = _tag_names(tags, prefix)
    if not names:
        return None
    return Owner(", ".join(names), "tag " + ", ".join(prefix + n for n in names))


def marked_owner(item: Item, settings: OwnershipSettings) -> Owner | None:
    """The owner the object's own marker names: a guest's owner tag(s), a container's label (or
    its Podman pod's) or an engine's daemon label; None without one."""
    if isinstance(item, Guest):
        return _from_tags(item.tags, settings.tag_prefix.lower())
    if isinstance(item, Container | Engine):
        value = (item.labels or {}).get(settings.label, "").strip()
        kind = "label" if isinstance(item, Container) else "daemon label"
        if not value and isinstance(item, Container) and item.pod:
            value = item.pod_labels.get(settings.label, "").strip()  # its Podman pod's label
            kind = f"pod {item.pod} label"
        return Owner(value, f"{kind} {settings.label}") if value else None
    return None


def marked_owner_names(item: Item, settings: OwnershipSettings) -> tuple[str, ...]:
    """Each name the object's own marker gives (two owner tags are two names)."""
    if isinstance(item, Guest):
        return tuple(_tag_names(item.tags, settings.tag_prefix.lower()))
    owner = marked_owner(item, settings)
    return (owner.name,) if owner is not None else ()


def own_owner(item: Item, settings: OwnershipSettings) -> Owner | None:
    """The owner an object declares itself, or that the config or its pool gives it."""
    declared = marked_owner(item, settings)
    if declared:
        return declared
    for pattern, name in settings.owners.items():
        if fnmatchcase(item.id, pattern):
            return Owner(name, f'config owners."{pattern}"')
    if isinstance(item, Guest) and item.pool:
        if item.pool in settings.pool_owners:
            return Owner(settings.pool_owners[item.pool], f"pool {item.pool}")
        prefix = settings.tag_prefix.lower()
        if item.pool.lower().startswith(prefix) and len(item.pool) > len(prefix):
            return Owner(item.pool[len(prefix) :], f"pool {item.pool}")
    return None


def resolve_owners(
    items: Mapping[str, Item],
    parent: Callable[[str], str | None],
    settings: OwnershipSettings,
    declared: Mapping[str, Owner] | None = None,
) -> dict[str, Owner | None]:
    """Owner of every object in ``items``: declared, else its own, else its nearest owning
    ancestor's. ``declared`` maps ids to the owner the declaration of systems gives them."""
    resolved: dict[str, Owner | None] = {}
    declared = declared or {}

    def owner_of(item_id: str, seen: frozenset[str]) -> Owner | None:
        if item_id in resolved:
            return resolved[item_id]
        item = items.get(item_id)
        result = declared.get(item_id)
        if result is None and item is not None:
            result = own_owner(item, settings)
        up = parent(item_id)
        if result is None and up is not None and up not in seen:
            inherited = owner_of(up, seen | {item_id})
            if inherited is not None:
                result = Owner(inherited.name, inherited.source, inherited.inherited_from or up)
        resolved[item_id] = result
        return result

    for item_id in items:
        owner_of(item_id, frozenset())
    return resolved
