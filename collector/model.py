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
a guest whose agent did not answer has a ``Gap``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


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
    description: str = ""
    onboot: bool | None = None
    agent_enabled: bool | None = None
    ostype: str | None = None
    ha_state: str | None = None
    nics: tuple[Nic, ...] = ()
    reported_ips: tuple[str, ...] = ()
    reported_macs: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    memory_bytes: int | None = None
    cores: int | None = None
    uptime_seconds: int | None = None
    disks_without_backup: tuple[str, ...] = ()
    """Disk keys (``scsi1``, ``mp0``) configured with ``backup=0``."""

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def ips(self) -> tuple[str, ...]:
        """Every address known for the guest: reported by agent/LXC first, then static config."""
        seen = dict.fromkeys(self.reported_ips)
        for nic in self.nics:
            seen.update(dict.fromkeys(nic.static_ips))
        return tuple(seen)

    @property
    def macs(self) -> tuple[str, ...]:
        seen = dict.fromkeys(m for m in (n.mac for n in self.nics) if m)
        seen.update(dict.fromkeys(self.reported_macs))
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


class VerifyState(StrEnum):
    """The last verification of a PBS snapshot, as PBS records it in the snapshot's manifest."""

    OK = "ok"
    FAILED = "failed"
    NEVER = "never"
    """PBS has no verification for it (the ``verification`` key is absent)."""


@dataclass(frozen=True, slots=True)
class BackupVolume:
    """One backup of one guest on one PVE storage, whichever source said so.

    PVE's content listing and a Proxmox Backup Server's snapshot list both become these, so the
    rules read one model; ``origin`` says where the fact came from.
    """

    volid: str
    storage: str
    vmid: int
    ctime: int
    subtype: str | None = None
    format: str | None = None
    protected: bool = False
    verification: VerifyState | None = None
    """None where no verification exists to know of (vzdump archives) or it was not read."""
    verified_at: int | None = None
    """Start of the last verify task (from its UPID), when there was one."""
    origin: str | None = None
    """``pve:<cluster>`` (PVE's content listing) or ``pbs:<server>/<store>[/<namespace>]``."""


@dataclass(frozen=True, slots=True)
class PbsTarget:
    """Where a PVE storage of type ``pbs`` writes (its entry in PVE's ``/storage``)."""

    storage: str
    server: str
    datastore: str
    namespace: str = ""
    """``""`` is the datastore's root namespace."""
    port: int = 8007
    fingerprint: str | None = None
    owner: str | None = None
    """The PBS auth id PVE writes with (``username``): it owns the groups PVE creates."""


@dataclass(frozen=True, slots=True)
class BackupVisibility:
    """Which backup volumes PVE's content listing of one storage shows the collector's token.

    pve-storage lists a backup volume only with ``Datastore.Allocate`` on the storage, or
    ``Datastore.AllocateSpace`` on it *and* ``VM.Backup`` on the guest; other volumes are left
    out silently. Worked out from ``/access/permissions`` by the adapter.
    """

    storage: str
    allocate: bool
    allocate_space: bool
    hidden_vmids: tuple[int, ...] = ()
    """Guests of the cluster whose backups on this storage the listing leaves out."""

    @property
    def hides_all(self) -> bool:
        return not (self.allocate or self.allocate_space)


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    name: str
    source: str
    version: str | None = None
    nodes: tuple[Node, ...] = ()
    guests: tuple[Guest, ...] = ()
    pools: Mapping[str, str] = field(default_factory=dict)
    """Pool id → comment."""
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
    image: str
    image_id: str | None
    image_digest: str | None
    state: str
    health: str | None
    restart_policy: str
    restart_count: int
    log_driver: str
    log_options: Mapping[str, str]
    labels: Mapping[str, str]
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
        return self.labels.get("com.docker.compose.project")

    @property
    def systemd_unit(self) -> str | None:
        """The systemd unit that runs it (Quadlet, ``podman generate systemd``): Podman turns the
        unit's ``PODMAN_SYSTEMD_UNIT`` variable into a label. podman-compose sets it as well, on
        every container of a project: there the compose project is what manages it."""
        if self.compose_project:
            return None
        return self.labels.get(SYSTEMD_UNIT_LABEL) or None

    @property
    def compose_service(self) -> str | None:
        return self.labels.get("com.docker.compose.service")


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
    labels: Mapping[str, str] = field(default_factory=dict)
    """Daemon labels (``/info`` ``Labels``, set in daemon.json; Podman has none)."""
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
class PbsSnapshot:
    """One backup snapshot in a PBS datastore (``/admin/datastore/{store}/snapshots``)."""

    store: str
    namespace: str
    backup_type: str
    """``vm``, ``ct`` or ``host``."""
    backup_id: str
    time: int
    verification: VerifyState | None = VerifyState.NEVER
    """None for a snapshot without a readable manifest (still being written, or damaged)."""
    verified_at: int | None = None
    protected: bool = False
    size_bytes: int | None = None
    owner: str | None = None


class JobKind(StrEnum):
    VERIFY = "verify"
    PRUNE = "prune"
    SYNC = "sync"
    GC = "gc"


@dataclass(frozen=True, slots=True)
class PbsJob:
    """A scheduled PBS job and how its last run ended (``last-run-state``)."""

    id: str
    kind: JobKind
    name: str
    """The job id; for garbage collection, the datastore."""
    store: str
    namespace: str | None = None
    max_depth: int | None = None
    schedule: str | None = None
    last_state: str | None = None
    """PBS's text: ``OK``, ``WARNINGS: n``, ``unknown`` or the bare error; None: never ran, or
    running now."""
    last_end: int | None = None
    remote: str | None = None
    """A sync job's remote (None: a local sync); push or pull in ``detail``."""
    detail: str | None = None
    enabled: bool = True

    @property
    def failed(self) -> bool | None:
        """None when it has no finished run; ``OK`` and ``WARNINGS: n`` are not failures."""
        if self.last_state is None:
            return None
        return not (self.last_state == "OK" or self.last_state.startswith("WARNINGS"))


@dataclass(frozen=True, slots=True)
class Datastore:
    id: str
    name: str
    server: str
    comment: str | None = None
    total_bytes: int | None = None
    used_bytes: int | None = None
    estimated_full: int | None = None
    """PBS's ``estimated-full-date`` (epoch); one in the past (or 0) means usage is flat or
    falling; None: PBS had too little history, or it was not read."""
    gc_still_bad: int | None = None
    """Chunks still marked bad after the last garbage collection: corruption."""
    gc_removed_bad: int | None = None
    namespaces: Mapping[str, tuple[PbsSnapshot, ...]] | None = None
    """Snapshots per namespace (``""`` the root) for every namespace that could be read; None
    when the namespace list itself could not be."""


@dataclass(frozen=True, slots=True)
class BackupServer:
    """A Proxmox Backup Server: its datastores and jobs. A job list is None when unread."""

    id: str
    name: str
    source: str
    host: str
    port: int = 8007
    fingerprint: str | None = None
    """The certificate fingerprint the config pins (PVE's storages pin the same one)."""
    version: str | None = None
    datastores: tuple[Datastore, ...] = ()
    verify_jobs: tuple[PbsJob, ...] | None = None
    prune_jobs: tuple[PbsJob, ...] | None = None
    sync_jobs: tuple[PbsJob, ...] | None = None
    gc_jobs: tuple[PbsJob, ...] | None = None

    @property
    def jobs(self) -> tuple[PbsJob, ...]:
        lists = (self.verify_jobs, self.prune_jobs, self.sync_jobs, self.gc_jobs)
        return tuple(job for jobs in lists for job in jobs or ())


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


@dataclass(frozen=True, slots=True)
class Check:
    """One line of ``collect doctor``: what was checked, how it went, and what to do."""

    name: str
    state: CheckState
    detail: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Everything ``collect doctor`` found out about one source."""

    source: str
    kind: SourceKind
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.state is not CheckState.FAIL for c in self.checks)
