"""Owner resolution: own marker, config glob, pool, then inherited; the source always told."""

from __future__ import annotations

from collections.abc import Mapping

from collector.config import parse_config
from collector.correlation.ownership import (
    Item,
    Owner,
    OwnershipSettings,
    own_owner,
    resolve_owners,
)
from collector.model import Cluster, Container, Engine, Form, Guest, Node


def _guest(vmid: int, tags: tuple[str, ...] = (), pool: str | None = None) -> Guest:
    return Guest(
        f"pve:lab/qemu/{vmid}", "lab", "pve1", vmid, f"g{vmid}", Form.VM, "running", tags=tags,
        pool=pool,
    )  # fmt: skip


def _container(name: str, labels: Mapping[str, str] | None = None) -> Container:
    return Container(
        f"docker:apps/{name}", "apps", name, name, "img:1", None, None, "running", None,
        "always", 0, "json-file", {}, dict(labels or {}),
    )  # fmt: skip


CLUSTER = Cluster("pve:lab", "lab", "lab")
NODE = Node("pve:lab/node/pve1", "lab", "pve1", True)
ENGINE = Engine("docker:apps", "apps", "apps", "ssh://x")
PARENTS = {
    NODE.id: CLUSTER.id,
    "pve:lab/qemu/100": NODE.id,
    "pve:lab/qemu/101": NODE.id,
    ENGINE.id: "pve:lab/qemu/100",
    "docker:apps/web": ENGINE.id,
    "docker:apps/db": ENGINE.id,
}


def _resolve(settings: OwnershipSettings, *items: Item) -> dict[str, Owner | None]:
    everything: dict[str, Item] = {i.id: i for i in (CLUSTER, NODE, ENGINE, *items)}
    return resolve_owners(everything, PARENTS.get, settings)


def test_inherited_down_the_tree_and_overridden_on_the_way() -> None:
    settings = OwnershipSettings(owners={"pve:lab/node/*": "ops"})
    owners = _resolve(
        settings,
        _guest(100, tags=("owner-alice", "platform")),
        _guest(101),
        _container("web"),
        _container("db", {"homelab.owner": "dave"}),
    )
    assert owners[CLUSTER.id] is None
    assert owners[NODE.id] == Owner("ops", 'config owners."pve:lab/node/*"')
    assert owners["pve:lab/qemu/101"] == Owner("ops", 'config owners."pve:lab/node/*"', NODE.id)
    assert owners["pve:lab/qemu/100"] == Owner("alice", "tag owner-alice")
    assert owners[ENGINE.id] == Owner("alice", "tag owner-alice", "pve:lab/qemu/100")
    web = owners["docker:apps/web"]
    assert web == Owner("alice", "tag owner-alice", "pve:lab/qemu/100")
    assert web is not None and web.origin == "inherited from pve:lab/qemu/100 (tag owner-alice)"
    assert owners["docker:apps/db"] == Owner("dave", "label homelab.owner")


def test_own_marker_beats_config_glob_beats_pool() -> None:
    settings = OwnershipSettings(owners={"pve:lab/qemu/*": "cfg"}, pool_owners={"apps": "bob"})
    assert own_owner(_guest(1, tags=("owner-ann",), pool="apps"), settings) == Owner(
        "ann", "tag owner-ann"
    )
    assert own_owner(_guest(1, pool="apps"), settings) == Owner(
        "cfg", 'config owners."pve:lab/qemu/*"'
    )
    assert own_owner(_guest(1, pool="apps"), OwnershipSettings(pool_owners={"apps": "bob"})) == (
        Owner("bob", "pool apps")
    )


def test_pool_named_like_an_owner_tag_names_the_owner() -> None:
    assert own_owner(_guest(1, pool="owner-carol"), OwnershipSettings()) == Owner(
        "carol", "pool owner-carol"
    )
    assert own_owner(_guest(1, pool="owner-"), OwnershipSettings()) is None


def test_configured_prefix_and_label() -> None:
    settings = OwnershipSettings(tag_prefix="team-", label="org.example.team")
    assert own_owner(_guest(1, tags=("owner-x", "team-infra")), settings) == Owner(
        "infra", "tag team-infra"
    )
    assert own_owner(_container("c", {"homelab.owner": "x"}), settings) is None
    assert own_owner(_container("c", {"org.example.team": "web"}), settings) == Owner(
        "web", "label org.example.team"
    )


def test_several_owner_tags_are_all_kept_and_blank_labels_ignored() -> None:
    owner = own_owner(_guest(1, tags=("owner-a", "owner-b")), OwnershipSettings())
    assert owner == Owner("a, b", "tag owner-a, owner-b")
    assert own_owner(_container("c", {"homelab.owner": "  "}), OwnershipSettings()) is None


def test_engine_daemon_label() -> None:
    engine = Engine("docker:e", "e", "e", "ssh://e", labels={"homelab.owner": "erin"})
    assert own_owner(engine, OwnershipSettings()) == Owner("erin", "daemon label homelab.owner")


def test_settings_from_rule_params() -> None:
    table = {"owner_tag_prefix": "o-", "owner_label": "l", "pool_owners": {"p": "x"}, "owners": {}}
    settings = parse_config({"rules": {"owner-missing": table}}, "t.toml").ownership
    assert settings == OwnershipSettings("o-", "l", {"p": "x"}, {})
