"""The demo lab (``fixtures/demo-lab/``) shows every rule at least once, and what it is meant to.

The clock is pinned to the generator's "now" (``fixtures/generate_demo_lab.py``), so backup ages
and waiver expiry do not drift with the real date.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.report.build import Report
from collector.rules import ALL_RULES

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def report() -> Report:
    config = load_config(DEMO / "config.toml")
    return run_report(config, replay_sources(config, DEMO), now=NOW)


def _by(report: Report, rule: str) -> dict[str, bool]:
    return {f.subject: f.waived for f in report.findings if f.rule == rule}


def test_every_rule_fires_at_least_once(report: Report) -> None:
    fired = Counter(f.rule for f in report.findings)
    silent = [rule.id for rule in ALL_RULES if not fired[rule.id]]
    assert not silent, f"rules the demo lab never shows: {silent}"


def test_placement_findings_it_was_designed_to_show(report: Report) -> None:
    assert _by(report, "docker-on-node") == {"docker:pve3": False}
    assert _by(report, "docker-in-lxc") == {"docker:media": False}
    assert set(_by(report, "engine-unplaced")) == {"docker:edge"}
    assert set(_by(report, "engine-ambiguous")) == {"docker:lab"}
    assert "pve:homelab/qemu/111" in _by(report, "service-in-vm")
    assert "pve:homelab/lxc/201" in _by(report, "platform-in-container")


def test_backup_findings(report: Report) -> None:
    guest = "pve:homelab/{}".format
    assert set(_by(report, "backup-missing")) == {
        guest("qemu/112"),  # only in a disabled job
        guest("qemu/116"),
        guest("lxc/210"),
    }  # templates 9000/9001 are in PVE's not-backed-up list but exempt
    # 202's age comes from PBS (PVE's token may not see the pbs storage), 302's from PVE.
    # lxc/209 scratch is in no job either, but its row in Architektur.md says Backup: nein
    assert set(_by(report, "backup-stale")) == {guest("lxc/202"), guest("lxc/302")}
    assert _by(report, "backup-partial") == {guest("qemu/106"): True}


def test_restore_evidence_from_the_pbs_source(report: Report) -> None:
    assert _by(report, "backup-verify-failed") == {"pve:homelab/qemu/101": False}
    assert _by(report, "backup-unverified") == {"pve:homelab/lxc/201": False}
    assert _by(report, "verify-job-missing") == {"pbs:pbs/datastore/usb-offsite": False}
    assert _by(report, "backup-job-failed") == {"pbs:pbs/verify/v-tank": False}
    assert _by(report, "datastore-corrupt-chunks") == {"pbs:pbs/datastore/usb-offsite": False}
    assert _by(report, "datastore-filling") == {"pbs:pbs/datastore/tank": False}


def test_pve_hides_the_pbs_storage_and_pbs_supplies_it(report: Report) -> None:
    gaps = [g for s in report.inventory.sources for g in s.gaps if g.what == "backup visibility"]
    assert [(g.subject, g.reason.rsplit("; ", 1)[-1]) for g in gaps] == [
        (
            "pve:homelab/storage/pbs",
            "their ages and verification come from pbs:pbs/tank/homelab instead",
        )
    ]
    stale = next(f for f in report.findings if f.subject == "pve:homelab/lxc/202")
    assert stale.message == (
        "last backup of CT 202 'postgres' is 45 days old (2026-10-12 on pbs, read from "
        "pbs:pbs/tank/homelab); limit 7 days, job(s) 'backup-6f1c2b3a-41d2'"
    )


def test_the_valid_waiver_is_shown_with_its_reason_and_the_expired_one_reported(
    report: Report,
) -> None:
    partial = next(f for f in report.findings if f.rule == "backup-partial")
    assert partial.waived and partial.waiver_reason and "PBS datastore" in partial.waiver_reason
    assert _by(report, "waiver-expired") == {"docker:lab/*": False}
    assert _by(report, "restart-policy-no")["docker:lab/pg-test"] is False  # counts again
    assert report.summary.waived == 1


def test_monitoring_findings(report: Report) -> None:
    assert set(_by(report, "agent-missing")) == {
        "pve:homelab/qemu/106",  # agent enabled, not running
        "pve:homelab/qemu/115",  # no agent configured
    }  # qemu/112 answers (with an error object): the agent is there
    assert set(_by(report, "container-unhealthy")) == {
        "docker:apps/paperless-webserver",
        "docker:pods/monitoring-prometheus-1",  # Podman: its healthcheck runs `false`
    }
    assert set(_by(report, "restart-loop")) == {
        "docker:pve3/watchtower",
        "docker:monitoring/alertmanager",
    }


def test_owners_are_inherited_and_overridden(report: Report) -> None:
    owners = report.inventory.owners
    engine = owners["docker:apps"]
    assert engine is not None and (engine.name, engine.inherited_from) == (
        "alice",
        "pve:homelab/qemu/110",
    )
    webserver = owners["docker:apps/paperless-webserver"]  # its project's row comes first
    assert webserver is not None and (webserver.name, webserver.source) == (
        "bob",
        "declared in Architektur.md:40",
    )
    runner = owners["docker:lab/code-server"]  # declared nowhere: its own label
    assert runner is not None and (runner.name, runner.source) == ("bob", "label homelab.owner")
    assert owners["pve:homelab/node/pve1"] is None


def test_json_carries_the_backup_servers_and_each_guests_backup_evidence(report: Report) -> None:
    import json

    from collector.render import Format, render

    doc = json.loads(render(report, Format.JSON))
    items = {item["id"]: item for item in doc["inventory"]}
    tank = items["pbs:pbs/datastore/tank"]
    assert (tank["form"], tank["parent"], tank["gc_still_bad"]) == ("pbs-datastore", "pbs:pbs", 0)
    assert tank["snapshots_by_namespace"] == {"": 0, "homelab": 83}
    server = items["pbs:pbs"]
    assert server["form"] == "pbs-server" and server["state"] is None
    assert [j["id"] for j in server["jobs"]["verify"] if j["failed"]] == ["pbs:pbs/verify/v-tank"]
    rows = {row["guest"]: row for row in doc["backups"]}
    assert rows["pve:homelab/lxc/201"]["newest"]["verification"] == "never"
    assert rows["pve:homelab/qemu/102"]["newest"]["origin"] == "pve:homelab"
    assert rows["pve:homelab/qemu/102"]["newest"]["verification"] is None  # vzdump: no such thing
    assert (
        rows["pve:homelab/lxc/209"]["jobs"] == [] and rows["pve:homelab/lxc/209"]["newest"] is None
    )
    assert doc["summary"]["counts_by_layer"]["backup"] == 3


def test_the_declaration_fires_every_declaration_rule_where_it_was_meant_to(
    report: Report,
) -> None:
    """fixtures/demo-lab/Architektur.md, the German systems table (see the generator)."""
    assert _by(report, "form-mismatch") == {"pve:homelab/lxc/210": False}  # unifi: VM → LXC
    assert _by(report, "declared-ambiguous") == {"declared:vm/docker-lab": False}
    assert _by(report, "owner-mismatch") == {"pve:homelab/lxc/208": False}  # wiki: alice / bob
    assert _by(report, "host-mismatch") == {"docker:apps/compose/vaultwarden": False}
    assert _by(report, "declared-missing") == {"declared:compose/gitea@apps": False}
    assert set(_by(report, "undeclared")) == {
        "pve:homelab/qemu/112",
        "docker:apps/it-tools",
        "docker:pve3/portainer_agent",
        "docker:lab/code-server",
        "docker:lab/compose/ci",
        "docker:pods/grafana",
        "docker:pods/vaultwarden",
        "docker:pods/compose/monitoring",
        "docker:pods/compose/paperless",
    }
    declared = report.inventory.declared
    assert declared is not None
    statuses = Counter(m.status.value for m in declared.matches)
    assert statuses == {"ok": 28, "mismatch": 3, "ambiguous": 1, "missing": 1}
    # paperless runs as a project on apps and on pods: its host picks the one on apps.
    paperless = next(m for m in declared.matches if m.system.name == "paperless")
    assert [r.id for r in paperless.found] == ["docker:apps/compose/paperless"]
    k3s = next(m for m in declared.matches if m.system.name == "k3s-*")
    assert [r.name for r in k3s.found] == ["k3s-cp-01", "k3s-worker-01", "k3s-worker-02"]
    # k3s has no Rolle in the table: the classify rule still decides; opnsense's row does.
    assert report.inventory.roles["pve:homelab/qemu/101"].reason.startswith("[[rules.classify]]")
    assert report.inventory.roles["pve:homelab/qemu/100"].reason == "declared in Architektur.md:17"
