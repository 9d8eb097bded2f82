"""Guests: from the ``cluster/resources?type=vm`` listing, then completed from their config.

Pure functions (no I/O), fuzzed in ``tests/faults``. The listing makes a guest with what every
guest has (id, node, name, status, tags, pool, sizes); its config adds notes, onboot, agent,
NICs, features and disks. Until the config is read those are None, and a config value of the
wrong type stays None too: the caller gets its name (``Unread``) and makes it a gap, so "no
notes" or "onboot off" is only ever said when PVE said it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from adapters.common.unread import Unread, json_type
from adapters.proxmox import parse as p
from collector.model import Form, Guest

_KINDS = {"qemu": Form.VM, "lxc": Form.LXC}


def guests_from_resources(answer: list[Any], cluster: str, unread: Unread) -> list[Guest]:
    """Every guest of the listing; an item that cannot be one is dropped and noted."""
    found = (guest_from_resource(item, cluster, unread, i) for i, item in enumerate(answer))
    return [g for g in found if g is not None]


def guest_from_resource(item: Any, cluster: str, unread: Unread, index: int = 0) -> Guest | None:
    """A guest from one listing item; None (and a note in ``unread``) for an item that cannot
    be one. Unreadable values of a kept item are noted as ``<kind>/<vmid> <key>``."""
    if not isinstance(item, Mapping):
        unread.drop(f"item {index} ({json_type(item)})")
        return None
    kind = item.get("type")
    kind = kind if isinstance(kind, str) else None
    vmid = p.as_int(item.get("vmid"))
    node = p.as_str(item.get("node"))
    if kind not in _KINDS or vmid is None or not node:
        why = (
            f"type {json_type(item.get('type'))}"
            if kind not in _KINDS
            else f"vmid {json_type(item.get('vmid'))}"
            if vmid is None
            else f"node {json_type(item.get('node'))}"
        )
        unread.drop(f"item {index} (no usable {why})")
        return None
    key = f"{kind}/{vmid}"
    status = p.guest_status(item.get("status"))
    # An unknown word is recorded as "unknown" (an enum value PVE may add); a non-string is
    # not a status at all.
    unread(f"{key} status", item.get("status"), p.as_str(item.get("status")))
    uptime = unread(f"{key} uptime", item.get("uptime"), p.as_int(item.get("uptime")))
    return Guest(
        id=f"pve:{cluster}/{kind}/{vmid}",
        cluster=cluster,
        node=node,
        vmid=vmid,
        name=unread(f"{key} name", item.get("name"), p.as_str(item.get("name"))) or key,
        form=_KINDS[str(kind)],
        status=status,
        template=bool(unread(f"{key} template", item.get("template"), _flag(item, "template"))),
        tags=_tags(item.get("tags"), unread, f"{key} tags") or (),
        pool=unread(f"{key} pool", item.get("pool"), p.as_str(item.get("pool"))) or None,
        ha_state=unread(f"{key} hastate", item.get("hastate"), p.as_str(item.get("hastate"))),
        memory_bytes=unread(f"{key} maxmem", item.get("maxmem"), p.as_int(item.get("maxmem"))),
        cores=unread(f"{key} maxcpu", item.get("maxcpu"), p.as_int(item.get("maxcpu"))),
        # A node that is offline reports uptime 0 for its guests: that says nothing.
        uptime_seconds=None if status == "unknown" else uptime,
    )


def _flag(item: Mapping[str, Any], key: str) -> bool | None:
    """A 0/1 key that PVE omits when it is off; None when it is there but not a boolean."""
    value = item.get(key)
    return False if value is None else p.as_bool(value)


def _tags(value: Any, unread: Unread, name: str) -> tuple[str, ...] | None:
    if value is None:
        return ()
    return unread(name, value, p.parse_tags(value) if p.as_str(value) is not None else None)


def apply_config(guest: Guest, config: Mapping[str, Any], unread: Unread) -> Guest:
    """``guest`` completed from its config; values of the wrong type stay None (noted)."""
    lxc = guest.form is Form.LXC
    name_key = "hostname" if lxc else "name"
    raw_agent, raw_notes = config.get("agent"), config.get("description")
    agent = False if raw_agent is None else p.agent_enabled(raw_agent)
    notes = "" if raw_notes is None else p.as_str(raw_notes)
    unreadable: list[str] = []
    nics = p.parse_nics(config, lxc=lxc, unreadable=unreadable)
    disks = p.disks_without_backup(config, unreadable)
    for key in unreadable:
        unread.note(f"{key} ({json_type(config[key])})")
    memory = p.memory_bytes(config.get("memory"))
    cores = p.as_int(config.get("cores"))
    tags = _tags(config.get("tags"), unread, "tags")
    # Nothing to report: a guest that does not run, or a VM without an agent. None (the
    # default) means a report could exist and is read next (or could not be read).
    silent = not guest.running or (not lxc and agent is False)
    return replace(
        guest,
        name=unread(name_key, config.get(name_key), p.as_str(config.get(name_key))) or guest.name,
        tags=tags or guest.tags,
        description=unread("description", raw_notes, notes.rstrip() if notes else notes),
        onboot=unread("onboot", config.get("onboot"), _flag(config, "onboot")),
        agent_enabled=None if lxc else unread("agent", raw_agent, agent),
        ostype=unread("ostype", config.get("ostype"), p.as_str(config.get("ostype"))),
        nics=nics,
        features=_features(config, unread) if lxc else (),
        memory_bytes=unread("memory", config.get("memory"), memory) or guest.memory_bytes,
        cores=unread("cores", config.get("cores"), cores) or guest.cores,
        disks_without_backup=disks,
        template=guest.template
        or bool(unread("template", config.get("template"), _flag(config, "template"))),
        reported_ips=() if silent else None,
        reported_macs=() if silent else None,
    )


def _features(config: Mapping[str, Any], unread: Unread) -> tuple[str, ...] | None:
    value = config.get("features")
    if value is None:
        return ()
    features = p.lxc_features(value) if p.as_str(value) is not None else None
    return unread("features", value, features)
