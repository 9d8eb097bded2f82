"""The joined inventory (``collector.correlation.inventory``): layers from ids, parents, and
what a rule may ask of it. The scenarios drive ``build_inventory`` end to end."""

from __future__ import annotations

import pytest

from collector.correlation.inventory import Inventory, layer_of, layer_of_id
from collector.model import (
    Cluster,
    Container,
    Engine,
    Form,
    Gap,
    Guest,
    Layer,
    Node,
    Placement,
    PlacementMethod,
    SourceKind,
    SourceStatus,
)


@pytest.mark.parametrize(
    ("item_id", "layer"),
    [
        ("pve:lab", Layer.CLUSTER),
        ("pve:lab/node/pve1", Layer.NODE),
        ("pve:lab/node/*", Layer.NODE),
        ("pve:lab/qemu/100", Layer.GUEST),
        ("pve:lab/lxc/20?", Layer.GUEST),
        ("pve:*/qemu/*", Layer.GUEST),
        ("docker:apps", Layer.ENGINE),
        ("docker:*", Layer.ENGINE),
        ("docker:apps/web", Layer.CONTAINER),
        ("docker:*/web", Layer.CONTAINER),
        ("docker:lab/*", Layer.CONTAINER),
        ("pbs:backup", Layer.BACKUP),
        ("pbs:backup/datastore/store1", Layer.BACKUP),
        ("pbs:*", Layer.BACKUP),
    ],
)
def test_the_layer_an_id_or_glob_names(item_id: str, layer: Layer) -> None:
    assert layer_of_id(item_id) is layer


NODE = Node("pve:lab/node/pve1", "lab", "pve1", True)
GUEST = Guest("pve:lab/qemu/100", "lab", "pve1", 100, "docker-host", Form.VM, "running")
TEMPLATE = Guest("pve:lab/qemu/9000", "lab", "pve1", 9000, "tpl", Form.VM, "stopped", template=True)
CONTAINER = Container(
    "docker:apps/web", "apps", "c" * 64, "web", "nginx", None, None, "running", None, "no", 0,
    "json-file", {}, {},
)  # fmt: skip
PLACED = Engine("docker:apps", "apps", "apps", "ssh://x", containers=(CONTAINER,))
UNPLACED = Engine("docker:edge", "edge", "edge", "ssh://y")
CLUSTER = Cluster("pve:lab", "lab", "lab", nodes=(NODE,), guests=(GUEST, TEMPLATE))


def _inventory() -> Inventory:
    """A fresh one per test: its cached properties must be computed with the code under test."""
    return Inventory(
        clusters=(CLUSTER,),
        engines=(PLACED, UNPLACED),
        sources=(
            SourceStatus(
                "lab", SourceKind.PROXMOX, True, gaps=(Gap("pve:lab/qemu/100", "agent", "x"),)
            ),
        ),
        placements={
            "docker:apps": Placement("docker:apps", GUEST.id, PlacementMethod.IP, "ip 10.0.0.50"),
            "docker:edge": Placement("docker:edge", None, PlacementMethod.NONE, "nothing matches"),
        },
    )


@pytest.mark.parametrize(
    ("item_id", "parent"),
    [
        ("pve:lab", None),
        ("pve:lab/node/pve1", "pve:lab"),
        ("pve:lab/qemu/100", "pve:lab/node/pve1"),
        ("docker:apps", "pve:lab/qemu/100"),
        ("docker:edge", None),
        ("docker:apps/web", "docker:apps"),
        ("pve:lab/qemu/404", None),
    ],
)
def test_parents(item_id: str, parent: str | None) -> None:
    assert _inventory().parent(item_id) == parent


def test_an_engine_without_any_placement_record_has_no_parent() -> None:
    bare = Inventory(clusters=(), engines=(UNPLACED,), sources=())
    assert bare.parent("docker:edge") is None


def test_layers_of_objects_workloads_and_gaps() -> None:
    assert [layer_of(x) for x in (CLUSTER, NODE, GUEST, PLACED, CONTAINER)] == [
        Layer.CLUSTER,
        Layer.NODE,
        Layer.GUEST,
        Layer.ENGINE,
        Layer.CONTAINER,
    ]
    inventory = _inventory()
    assert [w.id for w in inventory.workloads()] == ["pve:lab/qemu/100", "docker:apps/web"]
    assert inventory.engines_on == {"pve:lab/qemu/100": ("docker:apps",)}
    assert set(inventory.gaps) == {("pve:lab/qemu/100", "agent")}
    assert set(inventory.by_id) == {
        "pve:lab",
        "pve:lab/node/pve1",
        "pve:lab/qemu/100",
        "pve:lab/qemu/9000",
        "docker:apps",
        "docker:apps/web",
        "docker:edge",
    }
