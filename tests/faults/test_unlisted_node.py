"""Every object the summary counts is in every inventory output, with an honest parent.

The independent PVE's defect: guests on a node that ``cluster/status`` does not list (a node
removed from the cluster list, a partial answer) took a Docker engine placed on one of them and
all its containers out of the JSON, table and Markdown inventory, while the summary still counted
them and the run said complete.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from collector.cli import app
from collector.correlation.inventory import Inventory
from collector.model import (
    Cluster,
    Container,
    Engine,
    Form,
    Guest,
    Node,
    Placement,
    PlacementMethod,
)
from collector.report.tree import walk

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab"
LAYERS = {
    "cluster": "cluster",
    "node": "node",
    "vm": "guest",
    "lxc": "guest",
    "docker-engine": "engine",
    "docker-container": "container",
    "pbs-server": "backup",
    "pbs-datastore": "backup",
}


def _without_pve1(tmp_path: Path) -> Path:
    lab = tmp_path / "lab"
    shutil.copytree(DEMO, lab)
    status = lab / "pve/homelab/cluster/status.json"
    items = json.loads(status.read_text(encoding="utf-8"))
    status.write_text(json.dumps([i for i in items if i.get("name") != "pve1"]), encoding="utf-8")
    return lab


def _report(lab: Path, fmt: str) -> tuple[int, str]:
    extra = ["--inventory"] if fmt == "table" else []  # the terminal view's inventory tree
    result = CliRunner().invoke(
        app,
        ["report", "--replay", str(lab), "-f", fmt, "--no-history", *extra],
        env={"COLUMNS": "1000"},  # wide enough for every id, uncut
    )
    assert not isinstance(result.exception, Exception), result.output
    return result.exit_code, result.stdout


def test_engines_on_a_node_cluster_status_does_not_list_stay_in_every_output(
    tmp_path: Path,
) -> None:
    lab = _without_pve1(tmp_path)
    code, text = _report(lab, "json")
    doc = json.loads(text)
    counted = doc["summary"]["counts_by_layer"]
    listed = Counter(LAYERS[item["form"]] for item in doc["inventory"])
    assert dict(listed) == counted
    assert counted["engine"] == 7 and counted["node"] == 3
    items = {item["id"]: item for item in doc["inventory"]}
    node = items["pve:homelab/node/pve1"]
    assert (node["listed"], node["online"], node["state"]) == (False, None, "unknown")
    assert items["pve:homelab/qemu/110"]["parent"] == "pve:homelab/node/pve1"
    assert items["docker:apps"]["parent"] == "pve:homelab/qemu/110"
    # The run does not say complete: the node's state and address were not read.
    assert code == 3 and doc["summary"]["complete"] is False
    (gap,) = [g for s in doc["sources"] for g in s["gaps"] if g["subject"] == node["id"]]
    assert (
        gap["incomplete"] is True and "GET cluster/status does not list node pve1" in gap["reason"]
    )
    # Every id is in the terminal table and the Markdown page too.
    ids = set(items)
    for fmt in ("table", "markdown"):
        _, rendered = _report(lab, fmt)
        missing = {i for i in ids if i not in rendered}
        assert not missing, (fmt, sorted(missing)[:5])
    _, table = _report(lab, "table")
    (line,) = [x for x in table.splitlines() if x.rstrip().endswith(" pve:homelab/node/pve1")]
    assert "unknown (not in cluster/status)" in line


def test_the_tree_walk_yields_every_object_even_under_a_node_the_cluster_lacks() -> None:
    """A hand-built inventory (no adapter to add the unlisted node): the walk is still total."""
    guest = Guest("pve:c/qemu/1", "c", "gone", 1, "host", Form.VM, "running")
    container = Container(
        "docker:e/web", "e", "id", "web", "nginx:1", None, None, "running", None,
        "no", 0, "json-file", {}, {},
    )  # fmt: skip
    engine = Engine("docker:e", "e", "e", "ssh://h", containers=(container,))
    stray = Engine("docker:s", "s", "s", "ssh://s")
    cluster = Cluster("pve:c", "c", "c", nodes=(Node("pve:c/node/n1", "c", "n1", True),),
                      guests=(guest,))  # fmt: skip
    placements = {
        engine.id: Placement(engine.id, guest.id, PlacementMethod.CONFIG, "config"),
        stray.id: Placement(stray.id, "pve:c/qemu/404", PlacementMethod.CONFIG, "config"),
    }
    inventory = Inventory((cluster,), (engine, stray), (), placements=placements)
    walked = [row.id for row in walk(inventory)]
    assert sorted(walked) == sorted(inventory.by_id) and len(walked) == len(set(walked))
