"""Every call the PVE adapter makes: its path, the privilege PVE checks, what its failure costs.

One table serves ``collect report`` and ``collect doctor``, so the two cannot disagree: the
adapter reads from it whether a failed call fails the whole source, leaves the inventory
incomplete or only narrows a check (``Impact``); the doctor judges a missing privilege by the
worst impact among the calls that need it. Privileges and ACL paths are the API schema's
permission checks (PVE 9.1; ``/work/shared/reference/proxmox-api``):

=====================  ========  ============================================================
privilege              ACL path  calls
=====================  ========  ============================================================
Sys.Audit              /         cluster/status (fatal), cluster/ha/resources, cluster/backup,
                                 cluster/backup-info/not-backed-up
VM.Audit               /vms      qemu/lxc config (incomplete), lxc interfaces; cluster/resources
                                 silently lists no guest without it (incomplete)
Datastore.Audit        /storage  storage content (or Datastore.AllocateSpace); cluster/resources
                                 lists no storage without it
Pool.Audit             /pool     pools (filtered, not refused)
VM.GuestAgent.Audit    /vms      PVE >= 9: agent/network-get-interfaces (or ...Unrestricted)
VM.Monitor             /vms      PVE < 9: the same agent call
=====================  ========  ============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adapters.common.http import call_label
from adapters.proxmox.parse import as_int
from collector.model import Impact

AGENT_PRIVILEGE_PVE9 = "VM.GuestAgent.Audit"
AGENT_PRIVILEGE_BEFORE_9 = "VM.Monitor"
AGENT = "guest agent"
"""The privilege slot of the agent call: which privilege fills it depends on the version."""


@dataclass(frozen=True, slots=True)
class Call:
    key: str
    path: str
    impact: Impact
    """What the report lacks when the call fails."""
    privilege: str | None = None
    """What PVE checks; None: every user may call it (the answer is filtered instead)."""
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``cluster/resources?type=storage``: how messages and gaps name the call."""
        return call_label(self.path, self.params)


CLUSTER_CALLS = (
    Call("version", "version", Impact.COVERAGE),
    Call("status", "cluster/status", Impact.FATAL, "Sys.Audit"),
    Call("guests", "cluster/resources", Impact.FATAL, params={"type": "vm"}),
    Call("storages", "cluster/resources", Impact.COVERAGE, params={"type": "storage"}),
    Call("pools", "pools", Impact.COVERAGE),
    Call("ha", "cluster/ha/resources", Impact.COVERAGE, "Sys.Audit"),
    Call("backup_jobs", "cluster/backup", Impact.COVERAGE, "Sys.Audit"),
    Call("not_backed_up", "cluster/backup-info/not-backed-up", Impact.COVERAGE, "Sys.Audit"),
    Call("permissions", "access/permissions", Impact.COVERAGE),
)
"""The cluster-wide GETs, made once per run whatever the lab's size."""
CALLS = {c.key: c for c in CLUSTER_CALLS}

GUEST_CONFIG = Call("config", "nodes/{node}/{kind}/{vmid}/config", Impact.INCOMPLETE, "VM.Audit")
LXC_INTERFACES = Call(
    "interfaces", "nodes/{node}/lxc/{vmid}/interfaces", Impact.COVERAGE, "VM.Audit"
)
GUEST_AGENT = Call(
    "agent", "nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", Impact.COVERAGE, AGENT
)
BACKUP_CONTENT = Call(
    "backup content",
    "nodes/{node}/storage/{storage}/content",
    Impact.COVERAGE,
    "Datastore.Audit",
    {"content": "backup"},
)
STORAGE_CONFIG = Call("storage", "storage", Impact.COVERAGE)
"""``GET /storage``: asked only when a storage is of type ``pbs`` (its PBS target is there);
filtered by Datastore.Audit on each storage, not refused."""
ALL_CALLS = (
    *CLUSTER_CALLS,
    GUEST_CONFIG,
    LXC_INTERFACES,
    GUEST_AGENT,
    BACKUP_CONTENT,
    STORAGE_CONFIG,
)

FILTERED = {
    "VM.Audit": Impact.INCOMPLETE,
    "Datastore.Audit": Impact.COVERAGE,
    "Pool.Audit": Impact.COVERAGE,
}
"""What a privilege costs through the calls that filter instead of refusing: without VM.Audit
``cluster/resources`` lists no guest (the ``guests`` gap), without Datastore.Audit no storage,
and ``pools`` lists no pool without Pool.Audit."""


def privilege_impact(privilege: str) -> Impact:
    """What lacking ``privilege`` (or ``AGENT``) costs the report: its calls' worst impact."""
    impacts = [c.impact for c in ALL_CALLS if c.privilege == privilege]
    return Impact.worst([*impacts, FILTERED.get(privilege, Impact.FINE)])


def agent_privilege(version: str | None) -> str | None:
    """The privilege guest-agent reads need: PVE 9 split it out of VM.Monitor. None when the
    version is unknown (``GET version`` failed or said nothing usable)."""
    major = as_int((version or "").split(".", 1)[0]) if version else None
    if major is None:
        return None
    return AGENT_PRIVILEGE_BEFORE_9 if major < 9 else AGENT_PRIVILEGE_PVE9


def agent_advice(version: str | None) -> str:
    """What to grant for agent reads, said honestly when the version is unknown."""
    privilege = agent_privilege(version)
    if privilege is not None:
        return f"grant {privilege} on /vms"
    return (
        f"the PVE version is unknown (GET version gave none), so the privilege is too: grant "
        f"{AGENT_PRIVILEGE_PVE9} on /vms on PVE 9, {AGENT_PRIVILEGE_BEFORE_9} on PVE 8 and older"
    )
