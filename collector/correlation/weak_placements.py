"""What a missing privilege cost: placements decided with less evidence than a full read had.

When a PVE token may not read guest agents (``agent-permission`` gap: VM.GuestAgent.Audit on
PVE 9, VM.Monitor before), running VMs with the agent enabled show no reported addresses. An
engine that was then placed by hostname only, or not at all, or ambiguously, might have been
placed by IP with the agents' answers. Each such placement gets a ``placement`` gap on the PVE
source that lacks the privilege, naming the engine and the VMs that could not answer, so the
reader knows which placements to trust less. Gaps only: no finding is invented or suppressed.
"""

from __future__ import annotations

from dataclasses import replace

from collector.correlation.inventory import Inventory
from collector.model import Form, Gap, Placement, PlacementMethod, SourceKind, SourceStatus

AGENT_PERMISSION = "agent-permission"
"""``Gap.what`` of the once-per-source gap an adapter writes when agent reads are refused."""


def hosts_unknown(inventory: Inventory) -> bool:
    """Whether the hosts an engine could run on are not all known: a PVE source failed, or
    its inventory is incomplete (a node, a guest listing, a guest config not read). An engine
    that matched nothing may then run on what is missing, and inherit its owner from it."""
    return any(s.kind is SourceKind.PROXMOX and not s.complete for s in inventory.sources)


def _weak(placement: Placement) -> bool:
    return placement.method in (PlacementMethod.HOSTNAME, PlacementMethod.NONE) or (
        placement.ambiguous and placement.method is not PlacementMethod.CONFIG
    )


def _how(placement: Placement) -> str:
    if placement.ambiguous:
        return f"ambiguous ({placement.detail})"
    if placement.method is PlacementMethod.NONE:
        return f"unplaced ({placement.detail})"
    return f"placed by hostname only ({placement.detail})"


def note_weakened_placements(inventory: Inventory) -> Inventory:
    """Return ``inventory`` with a ``placement`` gap per weakened engine placement."""
    denied = {g.subject for s in inventory.sources for g in s.gaps if g.what == AGENT_PERMISSION}
    if not denied:
        return inventory
    blind: dict[str, list[str]] = {}  # source name -> VMs whose addresses are unknown
    for cluster in inventory.clusters:
        if cluster.id not in denied:
            continue
        blind[cluster.source] = [
            g.id.removeprefix(cluster.id + "/")
            for g in cluster.guests
            if g.form is Form.VM and g.running and g.agent_enabled and not g.reported_ips
        ]
    weak = [p for _, p in sorted(inventory.placements.items()) if _weak(p)]
    if not weak or not any(blind.values()):
        return inventory
    sources: list[SourceStatus] = []
    for status in inventory.sources:
        vms = blind.get(status.name)
        if not vms:
            sources.append(status)
            continue
        shown = ", ".join(vms[:10]) + (f" and {len(vms) - 10} more" if len(vms) > 10 else "")
        notes = tuple(
            Gap(
                p.engine,
                "placement",
                f"{_how(p)}: weakened by the missing agent privilege on '{status.name}'; "
                f"the addresses of {shown} were not readable and might have placed it by IP",
            )
            for p in weak
        )
        sources.append(replace(status, gaps=(*status.gaps, *notes)))
    return replace(inventory, sources=tuple(sources))
