"""The request budget: how many API calls a collection may make, as a formula over the lab.

Per PVE cluster (``adapters/proxmox/adapter.py``)::

    8                                   version, cluster/status, cluster/resources (vm, storage),
                                        pools, cluster/ha/resources, cluster/backup,
                                        cluster/backup-info/not-backed-up
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

The functions compute that budget from what a collection returned, so a test (and the
benchmark) can compare it with what the server actually saw. Retries (``adapters/common/retry.py``)
are extra attempts of these same calls, made only after a transient failure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from collector.model import Cluster, Engine, Form


@dataclass(frozen=True, slots=True)
class PveBudget:
    qemu_configs: int
    lxc_configs: int
    agent_calls: int
    lxc_interfaces: int
    backup_storages: int

    @property
    def total(self) -> int:
        return (
            PVE_FIXED
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
    )


def docker_budget(engine: Engine) -> int:
    """Upper bound for one engine: 3 + containers + distinct images (digest lookups)."""
    images = {c.image_id for c in engine.containers if c.image_id}
    return 3 + len(engine.containers) + len(images)
