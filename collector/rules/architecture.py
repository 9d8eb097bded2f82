"""The architecture rule: platforms run as VMs, services run as containers, containers in VMs."""

from __future__ import annotations

from collections.abc import Iterator

from collector.correlation.inventory import Inventory
from collector.model import Container, Form, Guest, Layer, Node, Role, Severity
from collector.rules.base import Hit, Rule, RuleContext


def service_in_vm(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for guest in inventory.guests():
        role = inventory.roles[guest.id]
        if guest.template or guest.form is not Form.VM or role.role is not Role.SERVICE:
            continue
        if inventory.engines_on.get(guest.id):
            continue
        yield Hit(
            guest.id,
            Layer.GUEST,
            f"VM '{guest.name}' is a service ({role.reason}) but runs as a whole VM",
            "move the service into a container on a Docker VM, or tag the VM 'platform' if it "
            "is infrastructure",
        )


def platform_in_container(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for guest in inventory.guests():
        role = inventory.roles[guest.id]
        if guest.template or guest.form is not Form.LXC or role.role is not Role.PLATFORM:
            continue
        if inventory.engines_on.get(guest.id):
            continue  # reported as docker-in-lxc instead: one problem, one finding
        yield Hit(
            guest.id,
            Layer.GUEST,
            f"LXC '{guest.name}' is a platform ({role.reason}) but runs as a container",
            "run platform components as VMs (isolation, live migration, own kernel)",
        )
    for container in inventory.containers():
        role = inventory.roles[container.id]
        if role.role is Role.PLATFORM:
            yield Hit(
                container.id,
                Layer.CONTAINER,
                f"container '{container.name}' ({container.image}) is a platform ({role.reason}) "
                "but runs as a Docker container",
                "run platform components as VMs, or classify it as a service if it is one",
            )


def docker_in_lxc(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for engine in inventory.engines:
        placement = inventory.placements.get(engine.id)
        target = inventory.by_id.get(placement.target or "") if placement else None
        if isinstance(target, Guest) and target.form is Form.LXC:
            yield Hit(
                engine.id,
                Layer.ENGINE,
                f"{engine.product_name} engine '{engine.name}' runs inside LXC '{target.name}' "
                f"({len(engine.containers)} containers)",
                "move the engine into a VM: Docker in LXC needs nesting/keyctl and breaks on "
                "kernel or AppArmor updates",
            )


def docker_on_node(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for engine in inventory.engines:
        placement = inventory.placements.get(engine.id)
        target = inventory.by_id.get(placement.target or "") if placement else None
        if isinstance(target, Node):
            yield Hit(
                engine.id,
                Layer.ENGINE,
                f"{engine.product_name} engine '{engine.name}' runs directly on hypervisor node "
                f"'{target.name}' ({len(engine.containers)} containers)",
                "move the containers into a VM; keep the hypervisor free of workloads",
            )


def unclassified(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for workload in inventory.workloads():
        role = inventory.roles[workload.id]
        if isinstance(workload, Container) and (workload.labels is None or workload.image is None):
            continue  # its role label, or the image a classify rule matches, was not read
        if role.role is Role.UNCLASSIFIED:
            layer = Layer.CONTAINER if workload.id.startswith("docker:") else Layer.GUEST
            yield Hit(
                workload.id,
                layer,
                f"'{workload.name}' has no role: {role.reason}",
                "tag it 'platform' or 'service' (Docker: label homelab.role), or add a "
                "[[rules.classify]] entry",
            )


def engine_unplaced(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for engine in inventory.engines:
        placement = inventory.placements.get(engine.id)
        if placement and placement.target is None and not placement.ambiguous:
            yield Hit(
                engine.id,
                Layer.ENGINE,
                f"cannot tell where {engine.product_name} engine '{engine.name}' runs: "
                f"{placement.detail}",
                'set guest = "<cluster>/qemu/<vmid>" in its [[docker]] entry, or make its '
                "address match a guest IP (enable the QEMU guest agent)",
            )


def engine_ambiguous(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for engine in inventory.engines:
        placement = inventory.placements.get(engine.id)
        if placement and placement.ambiguous:
            yield Hit(
                engine.id,
                Layer.ENGINE,
                f"{engine.product_name} engine '{engine.name}' could run on any of "
                f"{', '.join(placement.candidates)} ({placement.detail})",
                'set guest = "..." in its [[docker]] entry to say which one',
            )


RULES = (
    Rule(
        "service-in-vm",
        Severity.WARNING,
        "a service runs as a whole VM",
        service_in_vm,
        "placement",
    ),
    Rule(
        "platform-in-container",
        Severity.WARNING,
        "a platform component runs as an LXC or Docker container",
        platform_in_container,
        "placement",
    ),
    Rule(
        "docker-in-lxc",
        Severity.WARNING,
        "a container engine runs inside an LXC guest",
        docker_in_lxc,
        "placement",
    ),
    Rule(
        "docker-on-node",
        Severity.ERROR,
        "a container engine runs on a hypervisor node",
        docker_on_node,
        "placement",
    ),
    Rule(
        "unclassified",
        Severity.INFO,
        "a workload's role could not be decided",
        unclassified,
        "placement",
    ),
    Rule(
        "engine-unplaced",
        Severity.WARNING,
        "a container engine matches no guest or node",
        engine_unplaced,
        "placement",
    ),
    Rule(
        "engine-ambiguous",
        Severity.WARNING,
        "a container engine matches several guests",
        engine_ambiguous,
        "placement",
    ),
)
