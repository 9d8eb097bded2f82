"""Pure normalisers for PVE's cluster-wide answers: one function per endpoint, raw JSON in.

No I/O and no state, so ``tests/faults`` can fuzz them with arbitrary payloads. A function
returns None for an answer of the wrong shape (the adapter makes that a gap naming the call)
and notes every item it drops and every value it cannot read in an ``Unread``, which the adapter
turns into one gap per call: nothing is dropped silently. Guests are in ``guests.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.common.unread import Unread, json_type
from adapters.common.verification import verification_of
from adapters.proxmox import parse as p
from adapters.proxmox.calls import GUEST_AGENT, agent_advice
from collector.errors import SourceDeadlineError, SourceError, SourceResponseError
from collector.model import (
    BackupJob,
    BackupVolume,
    Gap,
    Guest,
    Node,
    PbsTarget,
    Storage,
)


def not_a_list(where: str, answer: Any) -> str:
    return f"{where}: did not return a list ({json_type(answer)})"


def nodes_from_status(status: Any, source: str, unread: Unread) -> tuple[str, list[Node]]:
    """The cluster's name and its nodes; a ``cluster/status`` that is not a list fails the
    source (nothing can be placed without nodes)."""
    if not isinstance(status, list):
        raise SourceResponseError(not_a_list(f"{source}: GET cluster/status", status))
    name = source
    nodes: list[Node] = []
    for index, item in enumerate(status):
        if not isinstance(item, Mapping):
            unread.drop(f"item {index} ({json_type(item)})")
            continue
        kind, item_name = item.get("type"), p.as_str(item.get("name"))
        if kind == "cluster" and item_name:
            name = item_name
        elif kind == "node" and item_name:
            where = f"node {item_name}"
            nodes.append(
                Node(
                    id=f"pve:{source}/node/{item_name}",
                    cluster=source,
                    name=item_name,
                    online=unread(f"{where} online", item.get("online"), _bool(item, "online")),
                    ip=unread(f"{where} ip", item.get("ip"), p.as_str(item.get("ip"))),
                )
            )
        elif kind == "node":
            unread.drop(f"item {index}: a node with name {json_type(item.get('name'))}")
    return name, sorted(nodes, key=lambda n: n.name)


def _bool(item: Mapping[str, Any], key: str) -> bool | None:
    value = item.get(key)
    return None if value is None else p.as_bool(value)


def unlisted_nodes(
    source: str, nodes: list[Node], guests: list[Guest], gaps: list[Gap]
) -> list[Node]:
    """Nodes the guest listing names but ``cluster/status`` does not: kept as nodes whose
    state is unknown (``listed=False``), so their guests and what runs on them stay in every
    report; each one an incomplete gap."""
    listed = {n.name for n in nodes}
    counts: dict[str, int] = {}
    for guest in guests:
        if guest.node not in listed:
            counts[guest.node] = counts.get(guest.node, 0) + 1
    unlisted = []
    for name, count in sorted(counts.items()):
        node = Node(f"pve:{source}/node/{name}", source, name, None, listed=False)
        unlisted.append(node)
        reason = (
            f"{source}: GET cluster/status does not list node {name}, although GET "
            f"cluster/resources?type=vm places {count} guest(s) on it: its state and address "
            "are unknown"
        )
        gaps.append(Gap(node.id, "node", reason, incomplete=True))
    return unlisted


def version_gap(source: str, answer: Any) -> Gap:
    """``GET version`` answered without a version: the privilege advice cannot tell PVE 8
    from 9 (a coverage gap: nothing else depends on it)."""
    return Gap(
        f"pve:{source}",
        "version",
        f"{source}: GET version: answered without a version string ({json_type(answer)}); the "
        "privilege advice cannot tell PVE 8 from PVE 9",
    )


def version_of(answer: Any) -> str | None:
    if not isinstance(answer, Mapping):
        return None
    return p.as_str(answer.get("version")) or None


def invisible_guests_gap(cluster_id: str, node_count: int) -> Gap:
    return Gap(
        cluster_id,
        "guests",
        f"GET cluster/resources?type=vm lists no guests although {node_count} node(s) exist: "
        "the token probably lacks VM.Audit (privilege-separated tokens need their own ACL on "
        "/vms)",
        incomplete=True,
    )


def coverage_gap(subject: str, what: str, exc: SourceError) -> Gap:
    """A coverage gap, except when the run deadline stopped the read: then the run is incomplete."""
    return Gap(subject, what, str(exc), incomplete=isinstance(exc, SourceDeadlineError))


def agent_permission_gap(
    cluster_id: str, version: str | None, denied: list[tuple[str, str]]
) -> Gap:
    guests = sorted(g.removeprefix(cluster_id + "/") for g, _ in denied)
    shown = ", ".join(guests[:10]) + (f" and {len(guests) - 10} more" if len(guests) > 10 else "")
    return Gap(
        cluster_id,
        "agent-permission",
        f"GET {GUEST_AGENT.path} refused (403) for {len(guests)} running VM(s) ({shown}): "
        f"{agent_advice(version)} to the token (and its user); until then their addresses "
        "come only from static config, and placement by IP cannot use them",
    )


def pools_of(answer: Any, unread: Unread) -> dict[str, str] | None:
    if not isinstance(answer, list):
        return None
    pools: dict[str, str] = {}
    for index, item in enumerate(answer):
        poolid = p.as_str(item.get("poolid")) if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or not poolid:
            unread.drop(f"item {index} (no pool id)")
            continue
        comment = item.get("comment")
        text = "" if comment is None else p.as_str(comment)
        pools[poolid] = unread(f"{poolid} comment", comment, text) or ""
    return pools


def ha_states(answer: Any, unread: Unread) -> dict[int, str] | None:
    if not isinstance(answer, list):
        return None
    states: dict[int, str] = {}
    for index, item in enumerate(answer):
        sid = p.as_str(item.get("sid")) if isinstance(item, Mapping) else None
        number = p.as_int(sid.partition(":")[2]) if sid else None
        if not isinstance(item, Mapping) or number is None:
            unread.drop(f"item {index} (no vm:<vmid> sid)")
            continue
        state = item.get("state")
        text = "managed" if state is None else p.as_str(state)
        states[number] = unread(f"{sid} state", state, text) or "managed"
    return states


def storages_of(answer: Any, unread: Unread) -> tuple[Storage, ...] | None:
    if not isinstance(answer, list):
        return None
    storages = []
    for index, item in enumerate(answer):
        if not isinstance(item, Mapping):
            unread.drop(f"item {index} ({json_type(item)})")
            continue
        kind = item.get("type", "storage")
        if kind != "storage":
            if not isinstance(kind, str):
                unread.drop(f"item {index} (type {json_type(kind)})")
            continue  # another resource type: not asked for, not a storage
        name, node = p.as_str(item.get("storage")), p.as_str(item.get("node"))
        if not name or not node:
            unread.drop(f"item {index} (no storage or node name)")
            continue
        content = item.get("content")
        kinds = unread(f"{name} content", content, "" if content is None else p.as_str(content))
        text = _texts(item, ("id", "plugintype", "status"), unread, name)
        storages.append(
            Storage(
                id=text["id"] or f"storage/{node}/{name}",
                name=name,
                node=node,
                plugintype=text["plugintype"] or "unknown",
                content=tuple(sorted(c for c in (kinds or "").split(",") if c)),
                shared=bool(unread(f"{name} shared", item.get("shared"), _flag(item, "shared"))),
                status=text["status"],
            )
        )
    return tuple(storages)


def _texts(
    item: Mapping[str, Any], keys: tuple[str, ...], unread: Unread, where: str
) -> dict[str, str | None]:
    """String values of ``keys`` (None when absent; noted when of another type)."""
    return {k: unread(f"{where} {k}", item.get(k), p.as_str(item.get(k))) for k in keys}


def _flag(item: Mapping[str, Any], key: str) -> bool | None:
    value = item.get(key)
    return False if value is None else p.as_bool(value)


def id_list(value: Any) -> tuple[int, ...] | None:
    """VMIDs from ``"100,101"`` (or ``;``-joined, or one number); None if that is not what it
    is (a list, an object, a word among the numbers)."""
    if value is None:
        return ()
    text = p.as_str(value)
    if text is None:
        return None
    numbers = [p.as_int(v) for v in text.replace(";", ",").split(",") if v.strip()]
    if any(n is None for n in numbers):
        return None
    return tuple(sorted({n for n in numbers if n is not None}))


def backup_jobs_of(answer: Any, unread: Unread) -> tuple[BackupJob, ...] | None:
    """The backup jobs; None when any job could not be read whole: which guests a job covers
    is a claim about every guest, so a job read by halves would make false ones."""
    if not isinstance(answer, list):
        return None
    jobs = []
    for index, item in enumerate(answer):
        if not isinstance(item, Mapping):
            unread.drop(f"item {index} ({json_type(item)})")
            continue
        job = unread(f"item {index} id", item.get("id"), p.as_str(item.get("id")))
        job = job or f"item {index}"
        text = _texts(item, ("storage", "schedule", "pool", "node"), unread, job)
        vmids, exclude = id_list(item.get("vmid")), id_list(item.get("exclude"))
        # A job without "enabled" is enabled: PVE only writes the key to disable one.
        raw = item.get("enabled")
        enabled = True if raw is None else unread(f"{job} enabled", raw, p.as_bool(raw))
        jobs.append(
            BackupJob(
                id=job,
                enabled=enabled is not False,
                storage=text["storage"],
                schedule=text["schedule"],
                all=bool(unread(f"{job} all", item.get("all"), _flag(item, "all"))),
                vmids=unread(f"{job} vmid", item.get("vmid"), vmids) or (),
                pool=text["pool"],
                exclude=unread(f"{job} exclude", item.get("exclude"), exclude) or (),
                node=text["node"],
            )
        )
    return None if unread else tuple(jobs)


def not_backed_up_of(answer: Any, unread: Unread) -> tuple[int, ...] | None:
    """The VMIDs PVE lists as in no backup job."""
    if not isinstance(answer, list):
        return None
    vmids = []
    for index, item in enumerate(answer):
        vmid = p.as_int(item.get("vmid")) if isinstance(item, Mapping) else None
        if vmid is None:
            unread.drop(f"item {index} (no vmid)")
            continue
        vmids.append(vmid)
    return tuple(sorted(set(vmids)))


def pbs_targets_of(answer: Any, unread: Unread) -> tuple[PbsTarget, ...] | None:
    """The ``type: pbs`` entries of ``/storage``: which PBS datastore and namespace each uses."""
    if not isinstance(answer, list):
        return None
    targets = []
    for index, item in enumerate(answer):
        if not isinstance(item, Mapping):
            unread.drop(f"item {index} ({json_type(item)})")
            continue
        kind = item.get("type")
        if not isinstance(kind, str):
            unread.drop(f"item {index} (type {json_type(kind)})")
            continue
        if kind != "pbs":
            continue
        storage, server = p.as_str(item.get("storage")), p.as_str(item.get("server"))
        datastore = p.as_str(item.get("datastore"))
        if not storage or not server or not datastore:
            unread.drop(f"item {index} (no storage, server or datastore)")
            continue
        text = _texts(item, ("namespace", "fingerprint", "username"), unread, storage)
        port = unread(f"{storage} port", item.get("port"), p.as_int(item.get("port")))
        targets.append(
            PbsTarget(
                storage=storage,
                server=server,
                datastore=datastore,
                namespace=(text["namespace"] or "").strip("/"),
                port=port or 8007,
                fingerprint=text["fingerprint"],
                owner=text["username"],
            )
        )
    return tuple(sorted(targets, key=lambda t: t.storage))


def volumes_of(
    answer: Any, storage: str, unread: Unread, origin: str | None = None
) -> list[BackupVolume] | None:
    """Backup volumes of one storage listing; None if the answer is not a list. On a PBS
    storage a volume without ``verification`` was never verified; elsewhere (vzdump archives)
    there is nothing to know."""
    if not isinstance(answer, list):
        return None
    volumes = []
    for index, item in enumerate(answer):
        if not isinstance(item, Mapping):
            unread.drop(f"item {index} ({json_type(item)})")
            continue
        volid = p.as_str(item.get("volid"))
        vmid = p.as_int(item.get("vmid"))
        ctime, subtype = p.as_int(item.get("ctime")), p.as_str(item.get("subtype"))
        # The name is only a fallback; parsing its timestamp costs more than the rest of the
        # item, and a PBS datastore lists every snapshot of every guest.
        complete = vmid is not None and ctime and subtype
        named = None if complete else p.backup_volid(volid)
        vmid = vmid if vmid is not None else named.vmid if named else None
        if not volid or vmid is None:
            unread.drop(f"item {index} (no volid or vmid)")
            continue
        text = _texts(item, ("format", "subtype"), unread, volid)
        for key in ("vmid", "ctime"):
            unread(f"{volid} {key}", item.get(key), p.as_int(item.get(key)))
        fmt = text["format"]
        # PVE passes PBS's verification through; only PBS snapshots can have one.
        verification, verified_at = None, None
        if fmt in ("pbs-vm", "pbs-ct") or "verification" in item:
            verification, verified_at = verification_of(item.get("verification"))
            unread(f"{volid} verification", item.get("verification"), verification)
        volumes.append(
            BackupVolume(
                volid=volid,
                storage=storage,
                vmid=vmid,
                ctime=ctime or (named.ctime if named else None),
                subtype=subtype or (named.kind if named else None),
                format=fmt,
                protected=bool(
                    unread(f"{volid} protected", item.get("protected"), _flag(item, "protected"))
                ),
                verification=verification,
                verified_at=verified_at,
                origin=origin,
            )
        )
    return volumes
