"""Documentation, responsibility and lifecycle: can someone else understand, own and rebuild it?

Owners are resolved in the inventory (``collector.correlation.ownership``) so every report
shows them; the ``owner-missing`` rule only reports the objects left without one. Its
parameters configure that resolution too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from collector.correlation.inventory import Inventory, layer_of
from collector.correlation.ownership import DEFAULT_LABEL, DEFAULT_TAG_PREFIX
from collector.correlation.weak_placements import hosts_unknown
from collector.model import Cluster, Container, Engine, Guest, Layer, Node, Severity
from collector.rules.base import Hit, Rule, RuleContext

OCI_DESCRIPTION = "org.opencontainers.image.description"
_IMAGE_ID = re.compile(r"(sha256:)?[0-9a-f]{64}")


def undocumented(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    for guest in inventory.guests():
        # None: the notes were not read (config unreadable, node offline): nothing to claim
        if not guest.template and guest.description is not None and not guest.description.strip():
            yield Hit(
                guest.id,
                Layer.GUEST,
                f"guest '{guest.name}' has no notes: nobody can tell what it is for",
                "write what it is, who uses it and how to rebuild it in its Notes (Summary > "
                "Notes)",
            )
    labels = (OCI_DESCRIPTION, ctx.params["description_label"])
    for container in inventory.containers():
        if container.labels is None:
            continue  # not read: a description label may be there
        if container.compose_project or any(container.labels.get(k, "").strip() for k in labels):
            continue
        if container.systemd_unit:
            continue  # a Quadlet / systemd unit file records how it runs
        run_from = (
            "a compose file or a Quadlet unit (/etc/containers/systemd/<name>.container)"
            if container.engine in inventory.podman_engines
            else "a compose file"
        )
        yield Hit(
            container.id,
            Layer.CONTAINER,
            f"container '{container.name}' has no description and is not part of a compose "
            "project: nothing records why it runs or how it was started",
            f"run it from {run_from}, or set the label {labels[1]} (or use an image with "
            f"{OCI_DESCRIPTION})",
        )


def owner_missing(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    layers = set(ctx.params["layers"])
    items: list[Cluster | Node | Guest | Engine | Container] = [
        *inventory.clusters,
        *inventory.nodes(),
        *(g for g in inventory.guests() if not g.template),
        *inventory.engines,
        *inventory.containers(),
    ]
    prefix, label = ctx.params["owner_tag_prefix"], ctx.params["owner_label"]
    hints = {
        Layer.CLUSTER: 'add owners = { "<cluster id>" = "<name>" } to [rules.owner-missing]',
        Layer.NODE: 'add owners = { "<node id or glob>" = "<name>" } to [rules.owner-missing]',
        Layer.GUEST: f"tag it {prefix}<name>, put it in a pool listed in pool_owners, or give "
        "its node an owner",
        Layer.ENGINE: f'set "labels": ["{label}=<name>"] in the engine\'s daemon.json, or let '
        "it inherit from the guest it runs on",
        Layer.CONTAINER: f"set the label {label}=<name>, or let it inherit from its engine",
    }
    podman_engine = (
        'add owners = { "<engine id>" = "<name>" } to [rules.owner-missing] (Podman has no '
        "daemon labels), or let it inherit from the guest it runs on"
    )
    # Labels that could not be read may hold the owner, and an engine that matched no host
    # while the hosts are not all known (a PVE source failed or is incomplete), or whose own
    # hostname is unknown, may inherit one from the host it runs on: their objects (and the
    # containers below such an engine) are not claimed to have none.
    hosts_missing = hosts_unknown(inventory)
    unknown = {
        e.id
        for e in inventory.engines
        if e.labels is None
        or (
            (hosts_missing or e.hostname is None)
            and not getattr(inventory.placements.get(e.id), "target", None)
        )
    }
    unknown |= {
        c.id for c in inventory.containers() if c.labels is None or f"docker:{c.engine}" in unknown
    }
    for item in items:
        layer = layer_of(item)
        if layer.value not in layers or inventory.owners.get(item.id) is not None:
            continue
        if item.id in unknown:
            continue
        hint = hints[layer]
        if isinstance(item, Engine) and item.name in inventory.podman_engines:
            hint = podman_engine
        elif isinstance(item, Container) and item.engine in inventory.podman_engines:
            hint = f"set the label {label}=<name> (or on its pod), or let it inherit from its "
            hint += "engine"
        yield Hit(
            item.id,
            layer,
            f"{layer.value} '{item.name}' has no owner, neither its own nor inherited",
            hint,
        )


def onboot_off(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for guest in inventory.guests():
        if guest.template or not guest.running or guest.onboot is not False:
            continue
        if guest.ha_state in ("started", "managed"):
            continue  # the HA manager starts it; onboot is ignored for HA resources
        yield Hit(
            guest.id,
            Layer.GUEST,
            f"guest '{guest.name}' runs but does not start on boot: after a node reboot it "
            "stays off",
            "set Options > Start at boot (onboot=1), or stop it if it is not needed",
        )


PODMAN_RESTART_HINT = (
    "Podman has no daemon that starts containers at boot: run it as a Quadlet unit "
    "(/etc/containers/systemd/<name>.container, systemd restarts it), or set --restart always "
    "and enable podman-restart.service (it starts only restart-policy=always containers; "
    "rootless: systemctl --user enable podman-restart.service and loginctl enable-linger)"
)


def restart_policy_no(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for container in inventory.containers():
        if container.restart_policy not in ("no", "") or container.labels is None:
            continue  # another policy, or not read (the listing alone does not say)
        if container.labels.get("com.docker.compose.oneoff", "").lower() == "true":
            continue  # `docker compose run`: a one-off task, not a service
        if container.systemd_unit:
            continue  # Quadlet / systemd: the unit's Restart= is the policy, none is set on purpose
        hint = (
            PODMAN_RESTART_HINT
            if container.engine in inventory.podman_engines
            else "set restart: unless-stopped (or always), or remove the container if it is a "
            "leftover"
        )
        yield Hit(
            container.id,
            Layer.CONTAINER,
            f"container '{container.name}' has restart policy 'no': after a crash or a "
            f"reboot it stays down (now {container.state})",
            hint,
        )


def image_reference(image: str) -> tuple[str | None, str | None]:
    """(tag, digest) of an image reference; a ``host:port/`` registry part is not a tag."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else None
    return tag or None, digest or None


def image_unpinned(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for container in inventory.containers():
        if container.image is None or _IMAGE_ID.fullmatch(container.image):
            continue  # not read, or started from an image id: as pinned as it gets
        tag, digest = image_reference(container.image)
        if digest or (tag and tag != "latest"):
            continue
        what = "'latest'" if tag else "no tag (so 'latest')"
        yield Hit(
            container.id,
            Layer.CONTAINER,
            f"container '{container.name}' uses image {container.image} with {what}: a "
            "re-create may pull something else",
            "pin a version tag (image: name:1.2.3) or a digest (name@sha256:...)",
        )


RULES = (
    Rule(
        "undocumented",
        Severity.INFO,
        "a guest has no notes, or a container has no description and no compose project",
        undocumented,
        "documentation",
        {"description_label": "homelab.description"},
    ),
    Rule(
        "owner-missing",
        Severity.WARNING,
        "an object has no owner, neither its own nor inherited",
        owner_missing,
        "responsibility",
        {
            "owner_tag_prefix": DEFAULT_TAG_PREFIX,
            "owner_label": DEFAULT_LABEL,
            "pool_owners": {},
            "owners": {},
            "layers": ["node", "guest", "engine", "container"],
        },
        {"layers": ("cluster", "node", "guest", "engine", "container")},
    ),
    Rule(
        "onboot-off",
        Severity.WARNING,
        "a running guest does not start on boot",
        onboot_off,
        "lifecycle",
    ),
    Rule(
        "restart-policy-no",
        Severity.WARNING,
        "a container has restart policy 'no'",
        restart_policy_no,
        "lifecycle",
    ),
    Rule(
        "image-unpinned",
        Severity.WARNING,
        "a container's image is 'latest' or has neither tag nor digest",
        image_unpinned,
        "lifecycle",
    ),
)
