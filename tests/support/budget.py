"""The request budget: how many API calls a collection may make, as a formula over the lab.

Per PVE cluster (``adapters/proxmox/adapter.py``)::

    9                                   version, cluster/status, cluster/resources (vm, storage),
                                        pools, cluster/ha/resources, cluster/backup,
                                        cluster/backup-info/not-backed-up, access/permissions
    + 1 if a storage is of type pbs     /storage (where each pbs storage writes)
    + G                                 one config per guest on an online node
    + running QEMU guests with the agent enabled    one agent/network-get-interfaces each
    + running LXC guests                one /interfaces each
    + backup storages                   one content listing each: a shared storage once, a
                                        local one once per online node that has it

No per-node guest listing ever (``/cluster/resources`` lists every guest of every node), no
per-guest status or snapshot call, no storage listing per guest, and only GETs.

Per Docker engine (``adapters/docker/adapter.py``)::

    3 + C + I                           /version, /info, /containers/json?all=1, one inspect per
                                        container, one image inspect per distinct image whose
                                        reference in the listing pins no digest (asked for
                                        alongside the inspects, not after them)

Per Proxmox Backup Server (``adapters/pbs/adapter.py``)::

    8 + D + N                           version, access/permissions, admin/datastore,
                                        status/datastore-usage, admin/gc, admin/verify,
                                        admin/prune, admin/sync?sync-direction=all; one
                                        namespace list per datastore, one snapshot list per
                                        namespace (+1 admin/sync on PBS < 3.3)

The functions compute that budget from what a collection returned, so a test (and the
benchmark) can compare it with what the server actually saw. Retries (``adapters/common/retry.py``)
are extra attempts of these same calls, made only after a transient failure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from collector.model import BackupServer, Cluster, Engine, Form


@dataclass(frozen=True, slots=True)
class PveBudget:
    qemu_configs: int
    lxc_configs: int
    agent_calls: int
    lxc_interfaces: int
    backup_storages: int
    storage_config: int
    """1 when a storage is of type ``pbs`` (``GET /storage``), else 0."""

    @property
    def total(self) -> int:
        return (
            PVE_FIXED
            + self.storage_config
            + self.qemu_configs
            + self.lxc_configs
            + self.agent_calls
            + self.lxc_interfaces
            + self.backup_storages
        )

    def by_endpoint(self) -> Counter[str]:
        """Expected requests per endpoint template (``tests/support/pve_server.py`` naming)."""
        counts = Counter(dict.fromkeys(FIXED_ENDPOINTS, 1))
        counts.update(
            {
                "storage": self.storage_config,
                "nodes/{node}/qemu/{vmid}/config": self.qemu_configs,
                "nodes/{node}/lxc/{vmid}/config": self.lxc_configs,
                "nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": self.agent_calls,
                "nodes/{node}/lxc/{vmid}/interfaces": self.lxc_interfaces,
                "nodes/{node}/storage/{storage}/content@content=backup": self.backup_storages,
            }
        )
        return +counts  # without the zero entries


FIXED_ENDPOINTS = (
    "version",
    "cluster/status",
    "cluster/resources@type=vm",
    "cluster/resources@type=storage",
    "pools",
    "cluster/ha/resources",
    "cluster/backup",
    "cluster/backup-info/not-backed-up",
    "access/permissions",
)
PVE_FIXED = len(FIXED_ENDPOINTS)


def pve_budget(cluster: Cluster) -> PveBudget:
    """The budget for ``cluster`` as collected: the formula applied to what it holds."""
    offline = {n.name for n in cluster.nodes if n.online is False}
    online = [g for g in cluster.guests if g.node not in offline]
    backup_storages = {
        s.name if s.shared else f"{s.node}/{s.name}"
        for s in cluster.storages
        if "backup" in s.content and s.node not in offline
    }
    return PveBudget(
        qemu_configs=sum(1 for g in online if g.form is Form.VM),
        lxc_configs=sum(1 for g in online if g.form is Form.LXC),
        agent_calls=sum(1 for g in online if g.form is Form.VM and g.running and g.agent_enabled),
        lxc_interfaces=sum(1 for g in online if g.form is Form.LXC and g.running),
        backup_storages=len(backup_storages),
        storage_config=int(any(s.plugintype == "pbs" for s in cluster.storages)),
    )


PBS_FIXED_ENDPOINTS = (
    "version",
    "access/permissions",
    "admin/datastore",
    "status/datastore-usage",
    "admin/gc",
    "admin/verify",
    "admin/prune",
    "admin/sync@sync-direction=all",
)


def pbs_budget(server: BackupServer) -> int:
    """8 + datastores + namespaces, for a server whose every namespace list was read."""
    namespaces = sum(len(store.namespaces or {}) for store in server.datastores)
    return len(PBS_FIXED_ENDPOINTS) + len(server.datastores) + namespaces


def docker_budget(engine: Engine) -> int:
    """Exactly ``3 + C + I`` for one engine: C containers, I distinct image ids among them whose
    reference pins no digest (a digest-pinned reference needs no lookup). A container removed
    between the listing and its inspect costs its inspect but is not in ``engine``: count it."""
    images = {
        c.image_id for c in engine.containers if c.image_id and "@sha256:" not in (c.image or "")
    }
    return 3 + len(engine.containers) + len(images)
