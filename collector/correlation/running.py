"""What runs, as systems a declaration can name: guests, containers, compose projects and pods.

A declared system (``collector.correlation.declared``) is matched against these. Each running
system has the id a report uses for it — a guest's or a container's own id, and for a group of
containers ``docker:<engine>/compose/<project>`` or ``docker:<engine>/pod/<name>`` — the form a
declaration would give it, the names of what it runs on (its *hosts*: a guest's node; a
container's engine, the engine's host name, the guest the engine was placed on and that guest's
node) and the owners its own tags or labels name.

Groups: a compose project is read from the label ``com.docker.compose.project``, a Podman pod
from the container's pod (the libpod API; a compose label wins, as podman-compose puts a
project's containers in a pod ``pod_<project>``). Other names: a container run by a systemd unit
(Quadlet, ``podman generate systemd``) is also known by the unit's name (``immich.service`` →
``immich``), and a pod named ``systemd-<name>`` (Quadlet's default) by ``<name>``, so the names a
user wrote in the unit files match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from collector.correlation.ownership import OwnershipSettings, marked_owner_names
from collector.model import Cluster, Container, Engine, Form, Layer, Placement, SourceKind

QUADLET_PREFIX = "systemd-"
"""What Quadlet puts before a unit's name when it names the pod or container it runs."""


class SystemForm(StrEnum):
    """The forms a declaration names."""

    VM = "vm"
    LXC = "lxc"
    CONTAINER = "container"
    COMPOSE = "compose"
    """A compose project: the containers that share ``com.docker.compose.project``."""
    POD = "pod"
    """A Podman pod or Quadlet unit."""

    @property
    def kind(self) -> SourceKind:
        """The kind of source that holds systems of this form."""
        return SourceKind.PROXMOX if self in (SystemForm.VM, SystemForm.LXC) else SourceKind.DOCKER

    @property
    def layer(self) -> Layer:
        return Layer.GUEST if self.kind is SourceKind.PROXMOX else Layer.CONTAINER

    @property
    def words(self) -> str:
        """How a message names the form: ``a VM``, ``a compose project``."""
        return _WORDS[self]


_WORDS = {
    SystemForm.VM: "a VM",
    SystemForm.LXC: "an LXC container",
    SystemForm.CONTAINER: "a container",
    SystemForm.COMPOSE: "a compose project",
    SystemForm.POD: "a pod",
}
GROUP_FORMS = (SystemForm.COMPOSE, SystemForm.POD)


@dataclass(frozen=True, slots=True)
class Running:
    """One live system a declaration can match."""

    id: str
    name: str
    form: SystemForm
    source: str
    """The name of the source that read it (a ``[[proxmox]]`` or ``[[docker]]`` name)."""
    hosts: tuple[str, ...]
    """Names of what it runs on, nearest first (see the module docstring)."""
    host_known: bool
    """False when the engine's placement is unknown: ``hosts`` is then not the whole story."""
    where: str
    """Where it runs, in words: ``node pve2``, ``engine apps on docker-apps (pve1)``."""
    members: tuple[str, ...]
    """Inventory ids it stands for: itself, or a group's containers."""
    owners: tuple[str, ...] = ()
    """Owners named by its own tags or labels (a group: its containers')."""
    running: bool = False
    template: bool = False
    aliases: tuple[str, ...] = ()
    """Other names it is known by: a container's systemd unit, a Quadlet pod's unit name."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def kind(self) -> SourceKind:
        return self.form.kind


def running_systems(
    clusters: Iterable[Cluster],
    engines: Iterable[Engine],
    placements: Mapping[str, Placement],
    ownership: OwnershipSettings,
) -> tuple[Running, ...]:
    """Every guest and container, and every compose project and pod, as a ``Running``."""
    clusters = tuple(clusters)
    names: dict[str, tuple[str, ...]] = {}  # guest or node id → its name (and a guest's node)
    result: list[Running] = []
    for cluster in clusters:
        for node in cluster.nodes:
            names[node.id] = (node.name,)
        for guest in cluster.guests:
            names[guest.id] = (guest.name, guest.node)
            result.append(
                Running(
                    id=guest.id,
                    name=guest.name,
                    form=SystemForm.VM if guest.form is Form.VM else SystemForm.LXC,
                    source=cluster.source,
                    hosts=(guest.node,),
                    host_known=True,
                    where=f"node {guest.node}",
                    members=(guest.id,),
                    owners=marked_owner_names(guest, ownership),
                    running=guest.running,
                    template=guest.template,
                )
            )
    for engine in engines:
        placement = placements.get(engine.id)
        target = names.get(placement.target or "", ()) if placement else ()
        hosts = tuple(dict.fromkeys(h for h in (engine.name, engine.hostname, *target) if h))
        where = f"engine {engine.name}"
        if len(target) > 1:  # a guest, and its node
            where += f" on {target[0]} ({target[1]})"
        elif target:
            where += f" on node {target[0]}"
        else:
            where += " (not placed)"
        base = Running(engine.id, engine.name, SystemForm.CONTAINER, engine.name, hosts,
                       bool(target), where, ())  # fmt: skip
        result += _containers(engine, base, ownership)
    return tuple(result)


def group_of(container: Container) -> tuple[SystemForm, str] | None:
    """The compose project or Podman pod a container belongs to, if any."""
    if container.compose_project:
        return SystemForm.COMPOSE, container.compose_project
    if container.pod:
        return SystemForm.POD, container.pod
    return None


def _aliases(form: SystemForm, name: str, container: Container | None = None) -> tuple[str, ...]:
    unit = container.systemd_unit if container is not None else None
    found = [unit.strip().removesuffix(".service")] if unit and unit.strip() else []
    if form is SystemForm.POD and name.startswith(QUADLET_PREFIX):
        found.append(name.removeprefix(QUADLET_PREFIX))
    return tuple(a for a in dict.fromkeys(found) if a and a != name)


def _containers(engine: Engine, base: Running, ownership: OwnershipSettings) -> list[Running]:
    """The engine's containers, then its groups; ``base`` carries what they share."""
    out: list[Running] = []
    groups: dict[tuple[SystemForm, str], list[Running]] = {}
    for container in engine.containers:
        item = Running(
            id=container.id,
            name=container.name,
            form=SystemForm.CONTAINER,
            source=base.source,
            hosts=base.hosts,
            host_known=base.host_known,
            where=base.where,
            members=(container.id,),
            owners=marked_owner_names(container, ownership),
            running=container.state == "running",
            aliases=_aliases(SystemForm.CONTAINER, container.name, container),
        )
        out.append(item)
        group = group_of(container)
        if group is not None:
            groups.setdefault(group, []).append(item)
    for (form, name), items in groups.items():
        out.append(
            Running(
                id=f"{engine.id}/{form.value}/{name}",
                name=name,
                form=form,
                source=base.source,
                hosts=base.hosts,
                host_known=base.host_known,
                where=base.where,
                members=tuple(i.id for i in items),
                owners=tuple(dict.fromkeys(o for i in items for o in i.owners)),
                running=any(i.running for i in items),
                aliases=_aliases(form, name),
            )
        )
    return out
