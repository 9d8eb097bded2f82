"""The lab as collected: clusters, nodes, guests, storages, backup jobs; engines, containers,
pods. Frozen, with tuple fields; a value that was not read is ``None``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.model.backup import (
    BackupVisibility,
    BackupVolume,
    PbsTarget,
)
from collector.model.kinds import EngineProduct, Form


@dataclass(frozen=True, slots=True)
class Nic:
    """A guest network interface, from its config (static) or as the guest reports it."""

    name: str
    mac: str | None = None
    bridge: str | None = None
    vlan: int | None = None
    static_ips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    cluster: str
    name: str
    online: bool | None
    ip: str | None = None
    listed: bool = True
    """False for a node only known because guests name it: ``cluster/status`` did not list it
    (a partial answer, a node removed from the cluster), so its state and address are unknown."""


@dataclass(frozen=True, slots=True)
class Guest:
    id: str
    cluster: str
    node: str
    vmid: int
    name: str
    form: Form
    status: str
    template: bool = False
    tags: tuple[str, ...] = ()
    pool: str | None = None
    # From the guest's config: None until (unless) it was read.
    description: str | None = None
    """The notes; ``""`` when the config has none."""
    onboot: bool | None = None
    agent_enabled: bool | None = None
    ostype: str | None = None
    ha_state: str | None = None
    nics: tuple[Nic, ...] | None = None
    features: tuple[str, ...] | None = None
    disks_without_backup: tuple[str, ...] | None = None
    """Disk keys (``scsi1``, ``mp0``) configured with ``backup=0``."""
    # What the guest itself reports (agent, LXC interfaces): ``()`` when it cannot report
    # anything (not running, agent disabled), None when its report could not be read.
    reported_ips: tuple[str, ...] | None = None
    reported_macs: tuple[str, ...] | None = None
    memory_bytes: int | None = None
    cores: int | None = None
    uptime_seconds: int | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def ips(self) -> tuple[str, ...]:
        """Every address known for the guest: reported by agent/LXC first, then static config."""
        seen = dict.fromkeys(self.reported_ips or ())
        for nic in self.nics or ():
            seen.update(dict.fromkeys(nic.static_ips))
        return tuple(seen)

    @property
    def macs(self) -> tuple[str, ...]:
        seen = dict.fromkeys(m for m in (n.mac for n in self.nics or ()) if m)
        seen.update(dict.fromkeys(self.reported_macs or ()))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Storage:
    id: str
    name: str
    node: str
    plugintype: str
    content: tuple[str, ...] = ()
    shared: bool = False
    status: str | None = None


@dataclass(frozen=True, slots=True)
class BackupJob:
    id: str
    enabled: bool
    storage: str | None = None
    schedule: str | None = None
    all: bool = False
    vmids: tuple[int, ...] = ()
    pool: str | None = None
    exclude: tuple[int, ...] = ()
    node: str | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    name: str
    source: str
    version: str | None = None
    nodes: tuple[Node, ...] = ()
    guests: tuple[Guest, ...] = ()
    pools: Mapping[str, str] | None = field(default_factory=dict)
    """Pool id → comment; None when ``pools`` could not be read."""
    storages: tuple[Storage, ...] = ()
    backup_jobs: tuple[BackupJob, ...] | None = None
    """None when the jobs could not be read (then no backup rule may claim anything)."""
    backup_volumes: tuple[BackupVolume, ...] | None = None
    not_backed_up: tuple[int, ...] | None = None
    pbs_targets: tuple[PbsTarget, ...] | None = None
    """PBS storages' targets from ``/storage``; () without PBS storages, None when unread."""
    backup_visibility: tuple[BackupVisibility, ...] | None = None
    """Per backup storage; None when the token's permissions could not be read."""


@dataclass(frozen=True, slots=True)
class Mount:
    type: str
    source: str
    destination: str
    name: str | None = None
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class Port:
    container_port: int
    protocol: str
    host_ip: str | None = None
    host_port: int | None = None


@dataclass(frozen=True, slots=True)
class Container:
    id: str
    engine: str
    container_id: str
    name: str
    image: str | None
    """The image reference; None when neither the inspect nor the listing named one."""
    image_id: str | None
    image_digest: str | None
    state: str
    health: str | None
    # From the inspect only: None for a container known from the listing alone.
    restart_policy: str | None
    restart_count: int | None
    log_driver: str | None
    log_options: Mapping[str, str] | None
    labels: Mapping[str, str] | None
    """None when the answer's labels were not an object (then no rule reads a label of it)."""
    mounts: tuple[Mount, ...] = ()
    ports: tuple[Port, ...] = ()
    networks: tuple[str, ...] = ()
    network_ips: tuple[str, ...] = ()
    created_at: str | None = None
    started_at: str | None = None
    healthcheck: bool | None = None
    """A healthcheck is configured (container or image); None when the inspect was not read."""
    pod: str | None = None
    """Podman: the name of the pod the container belongs to."""
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    """Podman: the labels of its pod, which members inherit (role, owner)."""

    @property
    def compose_project(self) -> str | None:
        return (self.labels or {}).get("com.docker.compose.project")

    @property
    def systemd_unit(self) -> str | None:
        """The systemd unit that runs it (Quadlet, ``podman generate systemd``): Podman turns the
        unit's ``PODMAN_SYSTEMD_UNIT`` variable into a label. podman-compose sets it as well, on
        every container of a project: there the compose project is what manages it."""
        if self.compose_project:
            return None
        return (self.labels or {}).get(SYSTEMD_UNIT_LABEL) or None

    @property
    def compose_service(self) -> str | None:
        return (self.labels or {}).get("com.docker.compose.service")


SYSTEMD_UNIT_LABEL = "PODMAN_SYSTEMD_UNIT"


@dataclass(frozen=True, slots=True)
class Pod:
    """A Podman pod: containers sharing namespaces, with the labels its members inherit."""

    name: str
    pod_id: str
    status: str
    labels: Mapping[str, str] = field(default_factory=dict)
    containers: tuple[str, ...] = ()
    """Names of its member containers (the infra container excluded)."""


@dataclass(frozen=True, slots=True)
class Engine:
    id: str
    name: str
    source: str
    url: str
    product: EngineProduct = EngineProduct.DOCKER
    engine_id: str | None = None
    hostname: str | None = None
    version: str | None = None
    api_version: str | None = None
    os: str | None = None
    kernel: str | None = None
    addresses: tuple[str, ...] = ()
    """Network addresses the engine is known by (URL host, swarm address)."""
    containers: tuple[Container, ...] = ()
    labels: Mapping[str, str] | None = field(default_factory=dict)
    """Daemon labels (``/info`` ``Labels``, set in daemon.json; Podman has none); None when
    ``/info`` could not be read."""
    pods: tuple[Pod, ...] = ()
    """Podman pods; their infra containers are plumbing, not ``containers``."""

    @property
    def product_name(self) -> str:
        return "Podman" if self.product is EngineProduct.PODMAN else "Docker"

    @property
    def display_version(self) -> str:
        """``Docker 28.5.1`` / ``Podman 4.3.1``; the bare product name when the version is
        unknown."""
        return f"{self.product_name} {self.version}" if self.version else self.product_name
