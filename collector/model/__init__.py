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
must be able to tell them apart.

- ``kinds``   the vocabulary: forms, layers, roles, severities, source kinds, impacts
- ``lab``     the lab as collected: clusters, nodes, guests, engines, containers, pods
- ``backup``  backups of guests and Proxmox Backup Servers
- ``results`` gaps, source statuses and results, placements, findings, doctor's checks

Everything is imported from here (``from collector.model import Guest``).
"""

from __future__ import annotations

from collector.model.backup import (
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
from collector.model.kinds import EngineProduct, Form, Impact, Layer, Role, Severity, SourceKind
from collector.model.lab import (
    SYSTEMD_UNIT_LABEL,
    BackupJob,
    Cluster,
    Container,
    Engine,
    Guest,
    Mount,
    Nic,
    Node,
    Pod,
    Port,
    Storage,
)
from collector.model.results import (
    Check,
    CheckState,
    Diagnosis,
    Finding,
    Gap,
    Placement,
    PlacementMethod,
    RoleDecision,
    SourceResult,
    SourceStatus,
)

__all__ = [
    "SYSTEMD_UNIT_LABEL",
    "BackupJob",
    "BackupServer",
    "BackupVisibility",
    "BackupVolume",
    "Check",
    "CheckState",
    "Cluster",
    "Container",
    "Datastore",
    "Diagnosis",
    "Engine",
    "EngineProduct",
    "Finding",
    "Form",
    "Gap",
    "Guest",
    "Impact",
    "JobKind",
    "Layer",
    "Mount",
    "Nic",
    "Node",
    "PbsJob",
    "PbsSnapshot",
    "PbsTarget",
    "Placement",
    "PlacementMethod",
    "Pod",
    "Port",
    "Role",
    "RoleDecision",
    "Severity",
    "SourceKind",
    "SourceResult",
    "SourceStatus",
    "Storage",
    "VerifyState",
]
