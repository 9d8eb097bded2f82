"""The lab as it runs, written as a declaration: what ``collect declare`` prints.

Nobody types sixty rows: this writes one system per guest (not templates; its node as host),
per compose project and pod (its engine as host) and per container in neither, each with what
the report knows of it — the role when it is decided (for a group, when all its containers
agree), the owner (when it is one name), and for a guest whether an enabled backup job covers it
(left open when the jobs could not be read). The user then edits it to say what *should* be.
Read back unchanged, it matches the lab it was written from.
"""

from __future__ import annotations

from collector.correlation.backup_jobs import coverage
from collector.correlation.declared import DeclaredSystem
from collector.correlation.inventory import Inventory
from collector.correlation.running import SystemForm, group_of
from collector.model import Container, Role


def declare_lab(inventory: Inventory) -> tuple[DeclaredSystem, ...]:
    systems: list[DeclaredSystem] = []
    for cluster in inventory.clusters:
        for guest in sorted(cluster.guests, key=lambda g: g.vmid):
            if guest.template:
                continue
            jobs = cluster.backup_jobs
            systems.append(
                DeclaredSystem(
                    name=guest.name,
                    form=SystemForm(guest.form.value),
                    host=guest.node,
                    role=_role(inventory, [guest.id]),
                    owner=_owner(inventory, [guest.id]),
                    backup=coverage(guest, jobs).covered if jobs is not None else None,
                )
            )
    for engine in inventory.engines:
        groups: dict[tuple[SystemForm, str], list[Container]] = {}
        alone: list[Container] = []
        for container in engine.containers:
            group = group_of(container)
            if group is None:
                alone.append(container)
            else:
                groups.setdefault(group, []).append(container)
        named = [(form, name, [c.id for c in members]) for (form, name), members in groups.items()]
        named += [(SystemForm.CONTAINER, c.name, [c.id]) for c in alone]
        for form, name, ids in named:
            role, owner = _role(inventory, ids), _owner(inventory, ids)
            systems.append(DeclaredSystem(name, form, engine.name, role, owner))
    return _unique(systems)


def _role(inventory: Inventory, ids: list[str]) -> Role | None:
    roles = {inventory.roles[i].role for i in ids if i in inventory.roles}
    if len(roles) == 1 and Role.UNCLASSIFIED not in roles:
        return roles.pop()
    return None


def _owner(inventory: Inventory, ids: list[str]) -> str | None:
    owners = {o.name for i in ids if (o := inventory.owners.get(i)) is not None}
    if len(owners) != 1:
        return None
    owner = owners.pop()
    return None if ", " in owner else owner  # two owner tags: the user must pick one


def _unique(systems: list[DeclaredSystem]) -> tuple[DeclaredSystem, ...]:
    """Two guests of one name on one node are one row (the declaration would refuse twins)."""
    seen: dict[tuple[str, str, str], DeclaredSystem] = {}
    for system in systems:
        seen.setdefault(
            (system.name.lower(), system.form.value, (system.host or "").lower()), system
        )
    return tuple(seen.values())
