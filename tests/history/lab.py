"""A small lab written twice: "last week" and "this week", with known changes in between.

Between the weeks: guest 120 (old-wiki) is removed, guest 130 (gitea, tagged service) is added
(a new service-in-vm finding), guest 110 (nextcloud) is retagged from service to platform (its
service-in-vm finding is fixed, its role changes) and container ``web`` moves from nginx:1.25 to
nginx:1.27. Guest 140 (legacy, tagged service) keeps its finding: it persists.

Only the placement rules run, so the expected findings do not depend on the other rule groups.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from collector.report.build import PLACEMENT_RULE_IDS
from collector.rules import ALL_RULES
from tests.support.recording import RECORDED_AT, ContainerSpec, GuestSpec, RecordingBuilder

NODES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12"}
PLACEMENT_ONLY = "".join(
    f"\n[rules.{rule.id}]\nenabled = false\n"
    for rule in ALL_RULES
    if rule.id not in PLACEMENT_RULE_IDS
)


def service(name: str, **kw: Any) -> ContainerSpec:
    return ContainerSpec(name, labels={"homelab.role": "service"}, **kw)


def write_lab(
    root: Path,
    *,
    this_week: bool,
    extra_config: str = "",
    drop_docker: bool = False,
    new_finding: bool | None = None,
) -> Path:
    """Write the lab as it was last week (``this_week=False``) or is now.

    ``drop_docker``: the engine's recording is missing, so the docker source fails (incomplete run).
    ``new_finding``: override whether gitea (the new service-in-vm finding) exists.
    Last week's recording is dated seven days before this week's (both in ISO weeks of 2026).
    """
    lab = RecordingBuilder(root, recorded_at=RECORDED_AT - timedelta(days=0 if this_week else 7))
    lab.cluster("lab", NODES)
    lab.guest("lab", GuestSpec(100, "docker-host", "pve1", tags="platform", ips=["10.0.0.50"]))
    lab.guest("lab", GuestSpec(101, "opnsense", "pve2", tags="platform"))
    lab.guest(
        "lab", GuestSpec(110, "nextcloud", "pve1", tags="platform" if this_week else "service")
    )
    lab.guest("lab", GuestSpec(140, "legacy", "pve2", tags="service"))
    if not this_week:
        lab.guest("lab", GuestSpec(120, "old-wiki", "pve2", tags="platform"))
    if new_finding if new_finding is not None else this_week:
        lab.guest("lab", GuestSpec(130, "gitea", "pve2", tags="service"))
    lab.engine(
        "apps",
        hostname="docker-host",
        url="tcp://10.0.0.50:2376",
        containers=[
            service("web", image="nginx:1.27" if this_week else "nginx:1.25"),
            service("db", image="postgres:16"),
        ],
    )
    lab.extra_config = PLACEMENT_ONLY + extra_config
    lab.write()
    if drop_docker:
        shutil.rmtree(root / "docker" / "apps")
    return root


def quiet_lab(root: Path, *, broken: bool = False, extra_config: str = "") -> Path:
    """A lab with no finding at all (exit 0); ``broken`` adds one warning (a service VM)."""
    lab = RecordingBuilder(root)
    lab.cluster("lab", NODES)
    lab.guest("lab", GuestSpec(100, "docker-host", "pve1", tags="platform", ips=["10.0.0.50"]))
    if broken:
        lab.guest("lab", GuestSpec(110, "nextcloud", "pve1", tags="service"))
    lab.engine(
        "apps", hostname="docker-host", url="tcp://10.0.0.50:2376", containers=[service("web")]
    )
    lab.extra_config = PLACEMENT_ONLY + extra_config
    return lab.write()
