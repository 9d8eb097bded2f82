"""The model's vocabulary: forms, layers, roles, severities, source kinds, impacts."""

from __future__ import annotations

from collections.abc import Iterable
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
