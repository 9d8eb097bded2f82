"""The layered model: cluster → node → guest (VM/LXC) → container engine → container.

Adapters produce these values; correlation joins them; rules read them; renderers print them.
Every object carries a stable id that survives re-collection (it is how history and waivers
refer to things):

- ``pve:<cluster>``, ``pve:<cluster>/node/<name>``, ``pve:<cluster>/qemu/<vmid>``,
  ``pve:<cluster>/lxc/<vmid>``
- ``docker:<engine>``, ``docker:<engine>/<container name>``
- ``pbs:<server>``, ``pbs:<server>/datastore/<store>``; jobs (subjects of findings, not
  inventory objects) ``pbs:<server>/<verify|prune|sync>/<id>`` and ``pbs:<server>/gc/<store>``

Partial data is a value, never an absence: a source that failed is a ``SourceStatus`` with an error,
a guest whose agent did not answer has a ``Gap``. A value that was not read is ``None``, never
``""``, ``0``, ``False`` or empty: "no notes" and "notes not read" are different facts, and a rule
must be able to tell them apart. The backup types (backup volumes, PBS servers, datastores,
snapshots and jobs) are in ``collector.backup_model`` and re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from collector.backup_model import (
    BackupServer,
    BackupVisibility,
    BackupVolume,
    Datastore,
    JobKind,
    PbsJob,
    PbsSnapshot,
    PbsTarget,
    VerifyState,
)

__all__ = [  # the backup types live in collector.backup_model; they are part of the model
    "BackupServer",
    "BackupVisibility",
    "BackupVolume",
    "Datastore",
    "JobKind",
    "PbsJob",
    "PbsSnapshot",
    "PbsTarget",
    "VerifyState",
]


class Form(StrEnum):
    """What kind of thing an object is, as opposed to what it is *for* (its role)."""

    CLUSTER = "cluster"
    NODE = "node"
    VM = "vm"
    LXC = "lxc"
    ENGINE = "docker-engine"
    CONTAINER = "docker-container"
    BACKUP_SERVER = "pbs-server"
    DATASTORE = "pbs-datastore"


class Layer(StrEnum):
    CLUSTER = "cluster"
    NODE = "node"
    GUEST = "guest"
    ENGINE = "engine"
    CONTAINER = "container"
    BACKUP = "backup"
    """Backup servers and their datastores: where the other layers' backups live."""


class Role(StrEnum):
    PLATFORM = "platform"
    SERVICE = "service"
    UNCLASSIFIED = "unclassified"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class SourceKind(StrEnum):
    PROXMOX = "proxmox"
    DOCKER = "docker"
    PBS = "pbs"


class EngineProduct(StrEnum):
    """Which engine answers a ``[[docker]]`` source's Docker-compatible API."""

    DOCKER = "docker"
    PODMAN = "podman"


class Impact(StrEnum):
    """What a failed read costs the report: the one classification ``collect report`` (exit
    code, source completeness) and ``collect doctor`` (ready or not) both judge with.

    - ``FATAL``: the source cannot be read at all (its error; exit 3);
    - ``INCOMPLETE``: part of the inventory is missing (an incomplete gap; exit 3);
    - ``COVERAGE``: a check loses its input, the inventory is whole (a coverage gap; exit 0/1);
    - ``FINE``: nothing is lost.
    """

    FATAL = "fatal"
    INCOMPLETE = "incomplete"
    COVERAGE = "coverage"
    FINE = "fine"

    @property
    def incomplete(self) -> bool:
        """Whether the run is incomplete because of it (exit code 3, doctor: NOT READY)."""
        return self in (Impact.FATAL, Impact.INCOMPLETE)

    @property
    def rank(self) -> int:
        return _IMPACT_RANK[self]

    @staticmethod
    def worst(impacts: Iterable[Impact]) -> Impact:
        return max(impacts, key=lambda i: i.rank, default=Impact.FINE)


_IMPACT_RANK = {Impact.FINE: 0, Impact.COVERAGE: 1, Impact.INCOMPLETE: 2, Impact.FATAL: 3}


@dataclass(frozen=True, slots=True)
class Gap:
    """Something the collector could not read about one object; the rest of it is intact.

    ``incomplete`` gaps (a node offline, a guest config unreadable) make the run incomplete
    (exit code 3); the others (one guest agent silent) only narrow what checks can see.
    """

    subject: str
    what: str
    reason: str
    incomplete: bool = False

    @property
    def impact(self) -> Impact:
        return Impact.INCOMPLETE if self.incomplete else Impact.COVERAGE

    @classmethod
    def of(cls, subject: str, what: str, reason: str, impact: Impact) -> Gap:
        """A gap whose weight comes from the shared classification (``Impact``)."""
        return cls(subject, what, reason, incomplete=impact.incomplete)


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


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    kind: SourceKind
    complete: bool
    error: str | None = None
    gaps: tuple[Gap, ...] = ()
    requests: int = 0
    duration_seconds: float | None = None
    """Wall time the source took to collect, measured by the orchestrator (None: not timed)."""

    @property
    def impact(self) -> Impact:
        """How much of this source the report lacks (see ``Impact``)."""
        if self.error is not None:
            return Impact.FATAL
        return Impact.worst(g.impact for g in self.gaps)

    @classmethod
    def failed(cls, name: str, kind: SourceKind, error: str, requests: int = 0) -> SourceStatus:
        """The source could not be read at all (what it returned before failing is lost)."""
        return cls(name, kind, complete=False, error=error, requests=requests)

    @classmethod
    def finished(
        cls, name: str, kind: SourceKind, gaps: Iterable[Gap], requests: int
    ) -> SourceStatus:
        """The source answered; it is complete unless a gap says the run is not."""
        gaps = tuple(gaps)
        return cls(
            name, kind, complete=not any(g.incomplete for g in gaps), gaps=gaps, requests=requests
        )


@dataclass(frozen=True, slots=True)
class RoleDecision:
    role: Role
    reason: str


class PlacementMethod(StrEnum):
    CONFIG = "config"
    IP = "ip"
    MAC = "mac"
    HOSTNAME = "hostname"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a container engine runs: a guest, a node, or nowhere we can tell."""

    engine: str
    target: str | None
    method: PlacementMethod
    detail: str
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.target is None and len(self.candidates) > 1


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one subject. A waived finding stays in the report, marked."""

    rule: str
    severity: Severity
    subject: str
    layer: Layer
    message: str
    hint: str
    waived: bool = False
    waiver_reason: str | None = None
    waiver_expires: str | None = None
    """ISO date the waiver runs out (it still holds on that day)."""


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source returned: its status, and whatever it could read."""

    status: SourceStatus
    cluster: Cluster | None = None
    engine: Engine | None = None
    backup_server: BackupServer | None = None


class CheckState(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @classmethod
    def of(cls, impact: Impact) -> CheckState:
        """``collect doctor``'s verdict on a read with this impact: FAIL where ``collect report``
        would exit 3, WARN where it would report a coverage gap, OK where nothing is lost."""
        if impact.incomplete:
            return cls.FAIL
        return cls.WARN if impact is Impact.COVERAGE else cls.OK


@dataclass(frozen=True, slots=True)
class Check:
    """One line of ``collect doctor``: what was checked, how it went, and what to do."""

    name: str
    state: CheckState
    detail: str

    @classmethod
    def judged(cls, name: str, impact: Impact, detail: str) -> Check:
        return cls(name, CheckState.of(impact), detail)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Everything ``collect doctor`` found out about one source."""

    source: str
    kind: SourceKind
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.state is not CheckState.FAIL for c in self.checks)
