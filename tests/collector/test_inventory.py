"""The joined inventory (``collector.correlation.inventory``): layers from ids, parents, and
what a rule may ask of it. The scenarios drive ``build_inventory`` end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from collector.collection.orchestrate import collect_all
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.correlation.inventory import Inventory, build_inventory, layer_of, layer_of_id
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
    SourceResult,
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
        ("declared:vm/docker-host", Layer.GUEST),
        ("declared:lxc/unifi", Layer.GUEST),
        ("declared:compose/vaultwarden@apps", Layer.CONTAINER),
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


# -- the backup notes the join adds to each PVE source (what the Sources table shows) ----------

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
_HIDDEN = (
    "PVE's content listing hides every backup on '{s}' from this token: PVE lists a backup only "
    "with Datastore.Allocate on /storage/{s}, or Datastore.AllocateSpace on it and VM.Backup on "
    "the guest; "
)
_GRANT = (
    "backup ages there are unknown (backup-stale stays silent, backup-missing still works); "
    "grant Datastore.AllocateSpace on /storage/{s} and VM.Backup on /vms (they also let the token "
    "start backups of those guests and allocate space on the storage)"
)


def _backup_gaps(
    name: str, extra: tuple[SourceResult, ...] = (), *, folder: Path | None = None
) -> dict[str, list[tuple[str, ...]]]:
    folder = folder or SCENARIOS / name
    config = load_config(folder / "config.toml")
    results = collect_all(replay_sources(config, folder))
    inventory = build_inventory([*results, *extra])
    return {
        f"{s.kind.value}:{s.name}": [
            (g.subject, g.what, g.reason) for g in s.gaps if g.what.startswith("backup")
        ]
        for s in inventory.sources
    }


def test_a_storage_whose_listing_failed_is_not_also_called_empty() -> None:
    """pbs2's listing failed: its gap is the failure, not "lists no backup at all"."""
    assert _backup_gaps("backup-age-and-volume-names")["proxmox:lab"] == [
        (
            "pve:lab/storage/pbs2",
            "backup content",
            "lab: GET nodes/pve1/storage/pbs2/content?content=backup: 500 pbs2: timeout",
        )
    ]


def test_an_empty_listing_that_jobs_write_to_is_noted() -> None:
    assert _backup_gaps("backup-listing-empty-although-jobs-write-there")["proxmox:lab"] == [
        (
            "pve:lab/storage/nas",
            "backup listing",
            "lists no backup at all although enabled job(s) to-nas back up 2 guest(s) to it: if "
            "the jobs ran, the token cannot see the volumes (PVE hides them without "
            "Datastore.AllocateSpace on /storage/nas and VM.Backup on the guests); their backup "
            "ages are treated as unknown",
        )
    ]


def test_hidden_backups_say_how_to_see_them_or_where_they_come_from() -> None:
    blind = _backup_gaps("backups-hidden-from-the-token")
    assert blind["proxmox:lab"] == [
        (
            "pve:lab/storage/nas",
            "backup visibility",
            _HIDDEN.format(s="nas") + _GRANT.format(s="nas"),
        ),
        (
            "pve:lab/storage/pbs",
            "backup visibility",
            _HIDDEN.format(s="pbs")
            + _GRANT.format(s="pbs")
            + "; or read them from the Proxmox Backup Server itself: a [[pbs]] source for "
            "10.0.0.15:8007 with a read-only token (DatastoreAudit on /datastore)",
        ),
    ]
    read = _backup_gaps("backups-hidden-read-from-pbs")["proxmox:lab"]
    assert read[1] == (
        "pve:lab/storage/pbs",
        "backup visibility",
        _HIDDEN.format(s="pbs")
        + "their ages and verification come from pbs:pbs/backup/lab instead",
    )


def test_a_docker_source_named_like_a_cluster_gets_none_of_its_backup_notes() -> None:
    """Source names are unique per kind only: docker 'lab' is not PVE 'lab'."""
    engine = Engine("docker:lab", "lab", "lab", "ssh://x")
    docker_lab = SourceResult(SourceStatus("lab", SourceKind.DOCKER, True), engine=engine)
    gaps = _backup_gaps("backups-hidden-from-the-token", (docker_lab,))
    assert (len(gaps["proxmox:lab"]), gaps["docker:lab"]) == (2, [])


def _hidden_pbs_gap(tmp_path: Path, change: str) -> str:
    """The pbs storage's visibility note when the [[pbs]] source that could read it failed
    (``change="failed"``) or reads another server (``change="other-host"``)."""
    lab = tmp_path / "lab"
    shutil.copytree(SCENARIOS / "backups-hidden-read-from-pbs", lab)
    if change == "failed":
        shutil.rmtree(lab / "pbs")  # the source is "not in recording": it fails
    else:
        config = (lab / "config.toml").read_text()
        (lab / "config.toml").write_text(config.replace('"10.0.0.15"', '"10.0.0.99"'))
    gaps = _backup_gaps("", folder=lab)["proxmox:lab"]
    (reason,) = [r for subject, _, r in gaps if subject == "pve:lab/storage/pbs"]
    return reason


def test_hidden_backups_name_the_pbs_source_that_failed(tmp_path: Path) -> None:
    assert _hidden_pbs_gap(tmp_path, "failed") == (
        _HIDDEN.format(s="pbs")
        + _GRANT.format(s="pbs")
        + "; the [[pbs]] source 'pbs' that could read them did not answer (see Sources)"
    )


def test_hidden_backups_say_which_pbs_source_would_read_them(tmp_path: Path) -> None:
    assert _hidden_pbs_gap(tmp_path, "other-host") == (
        _HIDDEN.format(s="pbs")
        + _GRANT.format(s="pbs")
        + "; or read them from PBS: no [[pbs]] source reads 10.0.0.15:8007 datastore 'backup' "
        "(set its host to 10.0.0.15, or pin the same fingerprint)"
    )


def test_what_the_backup_join_notes_reaches_that_clusters_source() -> None:
    """Two clusters writing to one PBS namespace as one owner cannot be told apart: the join's
    note lands on each PVE source it concerns, naming the other, and not on the PBS source."""
    from collector.model import BackupServer, Datastore, PbsSnapshot, PbsTarget, VerifyState

    def cluster(name: str) -> SourceResult:
        target = PbsTarget("pbs", "pbs.lan", "backup", "shared", owner="pve@pbs!x")
        found = Cluster(f"pve:{name}", name, name, pbs_targets=(target,))
        return SourceResult(SourceStatus(name, SourceKind.PROXMOX, True), cluster=found)

    snapshot = PbsSnapshot(
        "backup", "shared", "vm", "100", 1_795_000_000, VerifyState.OK, None, owner="pve@pbs!x"
    )
    store = Datastore("pbs:p/datastore/backup", "backup", "p", namespaces={"shared": (snapshot,)})
    server = BackupServer("pbs:p", "p", "p", "pbs.lan", datastores=(store,))
    pbs = SourceResult(SourceStatus("p", SourceKind.PBS, True), backup_server=server)
    inventory = build_inventory([cluster("lab"), cluster("edge"), pbs])
    notes = {s.name: [g.reason for g in s.gaps] for s in inventory.sources}

    def note(other: str) -> str:
        return (
            f"writes into pbs:p/backup/shared like storage 'pbs' of pve:{other}: they cannot be "
            "told apart (same or unknown owner), so backups of equal VMIDs mix; give each cluster "
            "its own namespace (PVE storage option namespace)"
        )

    assert notes == {"lab": [note("edge")], "edge": [note("lab")], "p": []}
