"""Monitoring and logging: can anyone see that a system is alive, and read what it did?

Only running things are judged for liveness (a stopped VM has no agent to ask). An agent the
collector was not allowed to query, or a container whose inspect failed, is unknown, not missing.
"""

from __future__ import annotations

from collections.abc import Iterator

from collector.correlation.inventory import Inventory
from collector.model import Form, Layer, Severity
from collector.rules.base import Hit, Rule, RuleContext

_AGENT_HINT = (
    "install qemu-guest-agent in the VM and enable Options > QEMU Guest Agent: PVE then sees its "
    "addresses, shuts it down cleanly and freezes its filesystems for consistent backups"
)


def agent_missing(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for guest in inventory.guests():
        if guest.form is not Form.VM or guest.template or not guest.running:
            continue
        name = f"running VM {guest.vmid} '{guest.name}'"
        if guest.agent_enabled is False:
            yield Hit(
                guest.id, Layer.GUEST, f"{name} has the QEMU guest agent disabled", _AGENT_HINT
            )
            continue
        gap = inventory.gaps.get((guest.id, "agent"))
        if guest.agent_enabled and gap is not None:
            yield Hit(
                guest.id,
                Layer.GUEST,
                f"{name} has the guest agent enabled but it does not answer: {gap.reason}",
                "start qemu-guest-agent inside the VM (systemctl enable --now "
                "qemu-guest-agent) and check the VM has the virtio-serial device",
            )


def healthcheck_missing(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for container in inventory.containers():
        if container.state == "running" and container.healthcheck is False:
            hint = (
                "add a healthcheck (podman run --health-cmd ...; Quadlet: HealthCmd=; compose: "
                "healthcheck:) that exercises the service; Podman runs it from a systemd timer, "
                "so the host needs systemd"
                if container.engine in inventory.podman_engines
                else "add a healthcheck (compose: healthcheck: test: [...]) that exercises the "
                "service, so Docker and monitoring see when it stops working"
            )
            yield Hit(
                container.id,
                Layer.CONTAINER,
                f"running container '{container.name}' ({container.image}) has no healthcheck: "
                "'running' is all anyone can tell about it",
                hint,
            )


def _cli(inventory: Inventory, engine: str) -> str:
    return "podman" if engine in inventory.podman_engines else "docker"


def container_unhealthy(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for container in inventory.containers():
        if container.health == "unhealthy":
            cli = _cli(inventory, container.engine)
            yield Hit(
                container.id,
                Layer.CONTAINER,
                f"container '{container.name}' is unhealthy: its healthcheck fails",
                f"read the failing check: {cli} inspect --format '{{{{json .State.Health}}}}' "
                f"{container.name}",
            )


def restart_loop(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    limit = ctx.params["restart_loop_count"]
    for container in inventory.containers():
        count = container.restart_count
        if container.state == "restarting":
            times = f" (restarted {count} times)" if count is not None else ""
            state = f"is restarting{times}"
        elif count is not None and count >= limit:
            state = f"was restarted {count} times by its restart policy and is {container.state}"
        else:
            continue
        yield Hit(
            container.id,
            Layer.CONTAINER,
            f"container '{container.name}' {state}: it keeps crashing",
            f"read why it exits: {_cli(inventory, container.engine)} logs --tail 50 "
            f"{container.name}",
        )


def log_none(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for container in inventory.containers():
        if container.log_driver == "none":
            yield Hit(
                container.id,
                Layer.CONTAINER,
                f"container '{container.name}' uses log driver 'none': its output is discarded",
                "use journald (Podman's default on systemd hosts) or k8s-file with max-size"
                if container.engine in inventory.podman_engines
                else "use json-file or local with max-size/max-file, or journald",
            )


PODMAN_LOG_HINT = (
    "set a size limit: podman run --log-opt max-size=10m (compose: logging: options: max-size; "
    "Quadlet: LogOpt=max-size=10m), or for the whole engine log_size_max in the [containers] "
    "table of /etc/containers/containers.conf (Podman has no daemon.json); or use journald"
)


def log_unbounded(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    drivers = set(ctx.params["drivers"])
    for container in inventory.containers():
        driver = container.log_driver
        if driver not in drivers or container.log_options is None:
            continue  # another driver, or not read
        if "max-size" in container.log_options:
            continue
        default = (
            " (the driver's own default of 5 x 20 MB applies, but nobody chose it)"
            if driver == "local"
            else ": the log grows until the disk is full"
        )
        yield Hit(
            container.id,
            Layer.CONTAINER,
            f"container '{container.name}' logs with '{driver}' without max-size{default}",
            PODMAN_LOG_HINT
            if container.engine in inventory.podman_engines
            else "set log options max-size and max-file (compose: logging: options: max-size: "
            '"10m") or daemon-wide in /etc/docker/daemon.json "log-opts"',
        )


RULES = (
    Rule(
        "agent-missing",
        Severity.WARNING,
        "a running VM's QEMU guest agent is disabled or does not answer",
        agent_missing,
        "monitoring",
    ),
    Rule(
        "healthcheck-missing",
        Severity.INFO,
        "a running container has no healthcheck",
        healthcheck_missing,
        "monitoring",
    ),
    Rule(
        "container-unhealthy",
        Severity.ERROR,
        "a container's healthcheck fails",
        container_unhealthy,
        "monitoring",
    ),
    Rule(
        "restart-loop",
        Severity.ERROR,
        "a container is restarting, or was restarted restart_loop_count times or more",
        restart_loop,
        "monitoring",
        {"restart_loop_count": 5},
    ),
    Rule(
        "log-none",
        Severity.WARNING,
        "a container's log driver is 'none'",
        log_none,
        "logging",
    ),
    Rule(
        "log-unbounded",
        Severity.WARNING,
        "a container logs with a file driver (json-file, local, Podman's k8s-file) without "
        "max-size",
        log_unbounded,
        "logging",
        {"drivers": ["json-file", "local", "k8s-file"]},
    ),
)
