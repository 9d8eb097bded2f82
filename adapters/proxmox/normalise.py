"""Pure normalisers for PVE answers: one function per endpoint, raw JSON in, model values out.

No I/O and no state, so ``tests/faults`` can fuzz them with arbitrary payloads; every function
accepts whatever the API might send and returns ``None``/empty for what it cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from adapters.common.verification import verification_of
from adapters.proxmox import parse as p
from collector.errors import SourceDeadlineError, SourceError, SourceResponseError
from collector.model import (
    BackupJob,
    BackupVolume,
    Form,
    Gap,
    Guest,
    Node,
    PbsTarget,
    Storage,
)


def nodes_from_status(status: Any, fallback_name: str) -> tuple[str, list[Node]]:
    if not isinstance(status, list):
        raise SourceResponseError(f"{fallback_name}: cluster/status did not return a list")
    name = fallback_name
    nodes: list[Node] = []
    for item in status:
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "cluster" and p.as_str(item.get("name")):
            name = str(item["name"])
        elif item.get("type") == "node" and p.as_str(item.get("name")):
            node_name = str(item["name"])
            nodes.append(
                Node(
                    id=f"pve:{fallback_name}/node/{node_name}",
                    cluster=fallback_name,
                    name=node_name,
                    online=p.as_bool(item.get("online")),
                    ip=p.as_str(item.get("ip")),
                )
            )
    return name, sorted(nodes, key=lambda n: n.name)


def guest_from_resource(item: Any, cluster: str) -> Guest | None:
    if not isinstance(item, Mapping) or item.get("type") not in ("qemu", "lxc"):
        return None
    vmid = p.as_int(item.get("vmid"))
    node = p.as_str(item.get("node"))
    if vmid is None or not node:
        return None
    kind = str(item["type"])
    form = Form.VM if kind == "qemu" else Form.LXC
    return Guest(
        id=f"pve:{cluster}/{kind}/{vmid}",
        cluster=cluster,
        node=node,
        vmid=vmid,
        name=p.as_str(item.get("name")) or f"{kind}-{vmid}",
        form=form,
        status=p.guest_status(item.get("status")),
        template=bool(p.as_bool(item.get("template"))),
        tags=p.parse_tags(item.get("tags")),
        pool=p.as_str(item.get("pool")) or None,
        ha_state=p.as_str(item.get("hastate")),
        memory_bytes=p.as_int(item.get("maxmem")),
        cores=p.as_int(item.get("maxcpu")),
        uptime_seconds=p.as_int(item.get("uptime")),
    )


def apply_config(guest: Guest, config: Mapping[str, Any]) -> Guest:
    lxc = guest.form is Form.LXC
    tags = p.parse_tags(config.get("tags")) or guest.tags
    description = p.as_str(config.get("description")) or ""
    return replace(
        guest,
        name=p.as_str(config.get("hostname" if lxc else "name")) or guest.name,
        tags=tags,
        description=description.rstrip(),
        onboot=p.as_bool(config.get("onboot")) or False,
        agent_enabled=None if lxc else bool(p.agent_enabled(config.get("agent"))),
        ostype=p.as_str(config.get("ostype")),
        nics=p.parse_nics(config, lxc=lxc),
        features=p.lxc_features(config.get("features")) if lxc else (),
        memory_bytes=p.memory_bytes(config.get("memory")) or guest.memory_bytes,
        cores=p.as_int(config.get("cores")) or guest.cores,
        disks_without_backup=p.disks_without_backup(config),
        template=guest.template or bool(p.as_bool(config.get("template"))),
    )


def coverage_gap(subject: str, what: str, exc: SourceError) -> Gap:
    """A coverage gap, except when the run deadline stopped the read: then the run is incomplete."""
    return Gap(subject, what, str(exc), incomplete=isinstance(exc, SourceDeadlineError))


def agent_privilege(version: str | None) -> str:
    """The privilege guest-agent reads need: PVE 9 split it out of VM.Monitor."""
    major = p.as_int((version or "").split(".", 1)[0])
    return "VM.Monitor" if major is not None and major < 9 else "VM.GuestAgent.Audit"


def agent_permission_gap(
    cluster_id: str, version: str | None, denied: list[tuple[str, str]]
) -> Gap:
    guests = sorted(g.removeprefix(cluster_id + "/") for g, _ in denied)
    shown = ", ".join(guests[:10]) + (f" and {len(guests) - 10} more" if len(guests) > 10 else "")
    return Gap(
        cluster_id,
        "agent-permission",
        f"guest agent reads refused (403) for {len(guests)} running VM(s) ({shown}): grant "
        f"{agent_privilege(version)} on /vms to the token (and its user); until then their "
        "addresses come only from static config, and placement by IP cannot use them",
    )


def invisible_guests_gap(cluster_id: str, node_count: int) -> Gap:
    return Gap(
        cluster_id,
        "guests",
        f"cluster/resources lists no guests although {node_count} node(s) exist: the token "
        "probably lacks VM.Audit (privilege-separated tokens need their own ACL on /vms)",
        incomplete=True,
    )


def version_of(answer: Any) -> str | None:
    return p.as_str(answer.get("version")) if isinstance(answer, Mapping) else None


def pools_of(answer: Any) -> dict[str, str]:
    if not isinstance(answer, list):
        return {}
    return {
        str(item["poolid"]): p.as_str(item.get("comment")) or ""
        for item in answer
        if isinstance(item, Mapping) and p.as_str(item.get("poolid"))
    }


def ha_states(answer: Any) -> dict[int, str]:
    states: dict[int, str] = {}
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping):
            continue
        _, _, vmid = str(item.get("sid", "")).partition(":")
        number = p.as_int(vmid)
        if number is not None:
            states[number] = p.as_str(item.get("state")) or "managed"
    return states


def storages_of(answer: Any) -> tuple[Storage, ...]:
    storages = []
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping) or item.get("type", "storage") != "storage":
            continue
        name, node = p.as_str(item.get("storage")), p.as_str(item.get("node"))
        if not name or not node:
            continue
        storages.append(
            Storage(
                id=p.as_str(item.get("id")) or f"storage/{node}/{name}",
                name=name,
                node=node,
                plugintype=p.as_str(item.get("plugintype")) or "unknown",
                content=tuple(sorted(c for c in str(item.get("content", "")).split(",") if c)),
                shared=bool(p.as_bool(item.get("shared"))),
                status=p.as_str(item.get("status")),
            )
        )
    return tuple(storages)


def id_list(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        items: list[Any] = value
    else:
        items = [v for v in str(value or "").replace(";", ",").split(",") if v.strip()]
    return tuple(sorted({n for n in (p.as_int(v) for v in items) if n is not None}))


def backup_jobs_of(answer: Any) -> tuple[BackupJob, ...] | None:
    if not isinstance(answer, list):
        return None
    jobs = []
    for item in answer:
        if not isinstance(item, Mapping):
            continue
        jobs.append(
            BackupJob(
                id=p.as_str(item.get("id")) or "unnamed",
                # A job without "enabled" is enabled: PVE only writes the key to disable one.
                enabled=p.as_bool(item.get("enabled", 1)) is not False,
                storage=p.as_str(item.get("storage")),
                schedule=p.as_str(item.get("schedule")),
                all=bool(p.as_bool(item.get("all"))),
                vmids=id_list(item.get("vmid")),
                pool=p.as_str(item.get("pool")),
                exclude=id_list(item.get("exclude")),
                node=p.as_str(item.get("node")),
            )
        )
    return tuple(jobs)


def not_backed_up_of(answer: Any) -> tuple[int, ...] | None:
    if not isinstance(answer, list):
        return None
    return id_list([i.get("vmid") for i in answer if isinstance(i, Mapping)])


def pbs_targets_of(answer: Any) -> tuple[PbsTarget, ...] | None:
    """The ``type: pbs`` entries of ``/storage``: which PBS datastore and namespace each uses."""
    if not isinstance(answer, list):
        return None
    targets = []
    for item in answer:
        if not isinstance(item, Mapping) or item.get("type") != "pbs":
            continue
        storage, server = p.as_str(item.get("storage")), p.as_str(item.get("server"))
        datastore = p.as_str(item.get("datastore"))
        if not storage or not server or not datastore:
            continue
        targets.append(
            PbsTarget(
                storage=storage,
                server=server,
                datastore=datastore,
                namespace=(p.as_str(item.get("namespace")) or "").strip("/"),
                port=p.as_int(item.get("port")) or 8007,
                fingerprint=p.as_str(item.get("fingerprint")),
                owner=p.as_str(item.get("username")),
            )
        )
    return tuple(sorted(targets, key=lambda t: t.storage))


def volumes_of(answer: Any, storage: str, origin: str | None = None) -> list[BackupVolume]:
    """A content listing's backups. On a PBS storage a volume without ``verification`` was
    never verified; elsewhere (vzdump archives) there is nothing to know."""
    volumes = []
    for item in answer if isinstance(answer, list) else ():
        if not isinstance(item, Mapping):
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
            continue
        fmt = p.as_str(item.get("format"))
        # PVE passes PBS's verification through; only PBS snapshots can have one.
        verification, verified_at = None, None
        if fmt in ("pbs-vm", "pbs-ct") or "verification" in item:
            verification, verified_at = verification_of(item.get("verification"))
        volumes.append(
            BackupVolume(
                volid=volid,
                storage=storage,
                vmid=vmid,
                ctime=ctime or (named.ctime if named else None) or 0,
                subtype=subtype or (named.kind if named else None),
                format=fmt,
                protected=bool(p.as_bool(item.get("protected"))),
                verification=verification,
                verified_at=verified_at,
                origin=origin,
            )
        )
    return volumes
