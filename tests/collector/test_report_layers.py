"""Findings grouped by layer and rule, per-layer compliance, and waived findings in every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.cli import FailOn, exit_code
from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import Config, load_config
from collector.correlation.inventory import Inventory
from collector.model import Cluster, Finding, Form, Guest, Layer, Node, Severity
from collector.render import Format, render
from collector.render.view import View
from collector.report.build import Report, build_report
from collector.report.compliance import layer_summaries

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def _guest(vmid: int, template: bool = False) -> Guest:
    return Guest(
        f"pve:lab/qemu/{vmid}", "lab", "pve1", vmid, f"g{vmid}", Form.VM, "running",
        template=template,
    )  # fmt: skip


def _finding(rule: str, subject: str, layer: Layer, waived: bool = False) -> Finding:
    return Finding(rule, Severity.ERROR, subject, layer, "m", "h", waived=waived)


def test_compliance_counts_objects_without_an_open_finding() -> None:
    guests = (_guest(1), _guest(2), _guest(3), _guest(9000, template=True))
    cluster = Cluster(
        "pve:lab",
        "lab",
        "lab",
        nodes=(Node("pve:lab/node/pve1", "lab", "pve1", True),),
        guests=guests,
    )
    inventory = Inventory(clusters=(cluster,), engines=(), sources=())
    findings = [
        _finding("backup-missing", "pve:lab/qemu/1", Layer.GUEST),
        _finding("onboot-off", "pve:lab/qemu/1", Layer.GUEST),
        _finding("backup-missing", "pve:lab/qemu/2", Layer.GUEST, waived=True),
        _finding("owner-missing", "pve:lab/node/pve1", Layer.NODE),
        _finding("waiver-expired", "pve:lab/qemu/*", Layer.GUEST),
    ]
    layers = layer_summaries(inventory, findings)
    guest = layers["guest"]
    assert (guest.objects, guest.compliant, guest.findings, guest.waived) == (3, 2, 3, 1)
    assert guest.compliance == pytest.approx(2 / 3)
    assert {r: (c.findings, c.waived) for r, c in guest.rules.items()} == {
        "backup-missing": (1, 1),
        "onboot-off": (1, 0),
        "waiver-expired": (1, 0),
    }
    assert (layers["node"].objects, layers["node"].compliant) == (1, 0)
    assert (layers["cluster"].objects, layers["cluster"].compliant) == (1, 1)
    assert layers["container"].objects == 0 and layers["container"].compliance is None


def test_waived_findings_do_not_count_for_severity_totals_or_exit_code() -> None:
    inventory = Inventory(clusters=(), engines=(), sources=())
    report = build_report(
        inventory,
        [_finding("backup-missing", "pve:lab/qemu/1", Layer.GUEST, waived=True)],
        generated_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    assert report.summary.findings_by_severity["error"] == 0
    assert report.summary.waived == 1
    assert report.worst_severity() is None
    assert exit_code(report, FailOn.INFO) == 0


@pytest.fixture(scope="module")
def waivers_report() -> Report:
    folder = SCENARIOS / "waivers"
    config: Config = load_config(folder / "config.toml")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    return run_report(config, replay_sources(config, folder), now=now)


def test_json_marks_waived_findings_and_gives_layers_and_owners(waivers_report: Report) -> None:
    doc = json.loads(render(waivers_report, Format.JSON))
    waived = [f for f in doc["findings"] if f["waived"]]
    assert {(f["rule"], f["subject"]) for f in waived} == {
        ("backup-missing", "pve:lab/qemu/600"),
        ("agent-missing", "pve:lab/qemu/602"),
        ("agent-missing", "pve:lab/qemu/603"),
    }
    backup = next(f for f in waived if f["rule"] == "backup-missing")
    assert backup["waiver_reason"] == "scratch VM, rebuilt from a script"
    assert backup["waiver_expires"] == "2027-01-31"
    assert all(f["waiver_reason"] is None for f in doc["findings"] if not f["waived"])
    summary = doc["summary"]
    assert summary["waived"] == 3
    guest = summary["layers"]["guest"]
    assert guest["objects"] == 5 and guest["waived"] == 3
    assert guest["rules"]["backup-missing"] == {"findings": 0, "waived": 1}
    assert set(summary["layers"]) == {"cluster", "node", "guest", "engine", "container"}
    item = next(i for i in doc["inventory"] if i["id"] == "pve:lab/qemu/600")
    assert item["owner"] is None and item["owner_source"] is None
    assert {"schema_version", "generated_at", "sources", "summary", "findings", "inventory"} <= set(
        doc
    )


def test_terminal_details_show_layers_waivers_and_owners(waivers_report: Report) -> None:
    default = render(waivers_report, Format.TABLE)
    assert "3 waived, accepted until their waiver ends." in default
    assert "waived (error)" not in default  # the full table only on request
    text = render(waivers_report, Format.TABLE, View(details=True, inventory=True))
    assert "Findings by layer and rule" in text
    assert "waived (error)" in text
    assert "waived until 2027-01-31: scratch" in text  # the cell wraps after that
    assert "owner (from)" in text


def test_markdown_shows_layers_waivers_and_owners(waivers_report: Report) -> None:
    text = render(waivers_report, Format.MARKDOWN)
    assert "### Findings by layer and rule" in text
    waived = text[text.index("### Waived") :]
    assert (
        "| `pve:lab/qemu/600` | backup-missing | error | 2027-01-31 "
        "| scratch VM, rebuilt from a script |"
    ) in waived
    assert "3 waived" in text
    assert "owner (from)" in text
