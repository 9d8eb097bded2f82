"""Ansible renderer: the guests as an inventory for Ansible's ``yaml`` inventory plugin.

``collect report -o inventory.yml`` then ``ansible-inventory -i inventory.yml --list`` (or
``ansible -i inventory.yml docker_hosts -m ping``). Every guest that is not a template is a host,
under its name (``<name>-<vmid>`` when two guests share a name, ``<cluster>-<name>-<vmid>`` when
that still collides). Groups, each only when it has a member:

- ``cluster_<cluster>``, ``node_<node>``, ``pool_<pool>``, ``tag_<tag>``, ``role_<role>``,
  ``form_vm`` / ``form_lxc``;
- ``docker_hosts`` / ``podman_hosts``: guests that a Docker / Podman engine is placed on.

Group names are made valid the way Ansible's own inventory plugins do it
(``ansible.inventory.group.to_safe_group_name``: every character that may not appear in a
variable name, and a leading digit, becomes ``_``), so ``ansible-inventory`` warns about none.

Host variables carry the ``homelab_`` prefix (``tags`` and ``name`` are reserved words in
Ansible): ``homelab_id``, ``homelab_vmid``, ``homelab_node``, ``homelab_cluster``,
``homelab_form``, ``homelab_state``, ``homelab_tags``, ``homelab_pool``, ``homelab_owner``,
``homelab_role``, ``homelab_addresses``, ``homelab_engines`` and ``homelab_containers``.
``ansible_host`` is set only when the collector knows the one address to use (see
``ansible_host``); otherwise Ansible connects by the host name, as it would anyway.

The output is YAML in block style whose scalars are JSON strings and numbers (valid YAML), so
nothing the lab wrote can be read as YAML syntax.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from collector.correlation.inventory import Inventory
from collector.model import Engine, EngineProduct, Guest, PlacementMethod
from collector.report.build import Report
from collector.text import clean

# ansible.constants.INVALID_VARIABLE_NAMES, which to_safe_group_name substitutes with "_".
_INVALID_GROUP_CHARS = re.compile(r"^[\d\W]|[^\w]")

Value = str | int | bool | None | list[str]


def safe_group_name(name: str) -> str:
    """``name`` as Ansible's inventory plugins make a group name valid (``to_safe_group_name``)."""
    return _INVALID_GROUP_CHARS.sub("_", name)


def _usable(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return None
    return ip


def ansible_host(guest: Guest, engines: Iterable[tuple[Engine, PlacementMethod]]) -> str | None:
    """The address to reach ``guest`` at, or None when the collector cannot tell one.

    First the address an engine on the guest was reached at and placed by (the collector has
    just talked to it there); else the guest's only usable IPv4 address (guest agent, LXC
    interfaces or static config; loopback and link-local do not count), else its only usable
    IPv6 address. Several candidates are not narrowed down: that would be a guess.
    """
    own = set(guest.ips)
    for engine, method in engines:
        if method is PlacementMethod.IP:
            for address in engine.addresses:
                if address in own:
                    return address
    usable = [ip for ip in (_usable(a) for a in guest.ips) if ip is not None]
    for version in (4, 6):
        found = {str(ip) for ip in usable if ip.version == version}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


def host_names(guests: Iterable[Guest]) -> dict[str, str]:
    """Guest id → inventory host name: its name, made unique when names collide."""
    guests = list(guests)
    names = Counter(g.name for g in guests)
    first = {g.id: g.name if names[g.name] == 1 else f"{g.name}-{g.vmid}" for g in guests}
    again = Counter(first.values())
    return {
        g.id: first[g.id] if again[first[g.id]] == 1 else f"{g.cluster}-{g.name}-{g.vmid}"
        for g in guests
    }


def _engines_on(inventory: Inventory, guest: Guest) -> list[tuple[Engine, PlacementMethod]]:
    engines = {e.id: e for e in inventory.engines}
    found = []
    for engine_id in inventory.engines_on.get(guest.id, ()):
        placement = inventory.placements[engine_id]
        found.append((engines[engine_id], placement.method))
    return found


def _host_vars(inventory: Inventory, guest: Guest) -> dict[str, Value]:
    engines = _engines_on(inventory, guest)
    owner = inventory.owners.get(guest.id)
    role = inventory.roles.get(guest.id)
    values: dict[str, Value] = {}
    address = ansible_host(guest, engines)
    if address is not None:
        values["ansible_host"] = address
    values |= {
        "homelab_id": guest.id,
        "homelab_vmid": guest.vmid,
        "homelab_cluster": guest.cluster,
        "homelab_node": guest.node,
        "homelab_form": guest.form.value,
        "homelab_state": guest.status,
        "homelab_tags": list(guest.tags),
        "homelab_pool": guest.pool,
        "homelab_owner": owner.name if owner else None,
        "homelab_role": role.role.value if role else None,
        "homelab_addresses": list(guest.ips),
        "homelab_engines": [engine.name for engine, _ in engines],
        "homelab_containers": sorted(c.name for engine, _ in engines for c in engine.containers),
    }
    return values


def _groups(inventory: Inventory, guest: Guest) -> list[str]:
    role = inventory.roles.get(guest.id)
    groups = [f"cluster_{guest.cluster}", f"node_{guest.node}", f"form_{guest.form.value}"]
    if guest.pool:
        groups.append(f"pool_{guest.pool}")
    groups += [f"tag_{tag}" for tag in guest.tags]
    if role is not None:
        groups.append(f"role_{role.role.value}")
    for engine, _ in _engines_on(inventory, guest):
        groups.append("podman_hosts" if engine.product is EngineProduct.PODMAN else "docker_hosts")
    return [safe_group_name(g) for g in groups]


def _scalar(value: Value) -> str:
    if isinstance(value, str):
        return json.dumps(clean(value), ensure_ascii=False)
    if isinstance(value, list):
        return json.dumps([clean(v) for v in value], ensure_ascii=False)
    return json.dumps(value)


def _mapping(lines: list[str], values: Mapping[str, Value], indent: int) -> None:
    for key, value in values.items():  # keys are this module's own identifiers
        lines.append(f"{' ' * indent}{key}: {_scalar(value)}")


def render_ansible(report: Report) -> str:
    inventory = report.inventory
    guests = [g for g in inventory.guests() if not g.template]
    names = host_names(guests)
    members: dict[str, list[str]] = defaultdict(list)
    lines = [
        f"# Ansible inventory from homelab-collector, {report.generated_at}; "
        + ("complete" if report.complete else "INCOMPLETE: some sources could not be read"),
        "all:",
    ]
    if guests:
        lines.append("  hosts:")
    for guest in sorted(guests, key=lambda g: names[g.id]):
        host = names[guest.id]
        lines.append(f"    {_scalar(host)}:")
        _mapping(lines, _host_vars(inventory, guest), 6)
        for group in dict.fromkeys(_groups(inventory, guest)):
            members[group].append(host)
    if members:
        lines.append("  children:")
    for group in sorted(members):
        lines += [f"    {_scalar(group)}:", "      hosts:"]
        lines += [f"        {_scalar(host)}: {{}}" for host in sorted(members[group])]
    return "\n".join(lines) + "\n"
