"""The Prometheus output, read back with the official parser (``prometheus_client``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.correlation.inventory import Inventory
from collector.model import (
    Cluster,
    Container,
    Engine,
    EngineProduct,
    Form,
    Guest,
    Node,
    SourceKind,
    SourceStatus,
)
from collector.recording.meta import recorded_at
from collector.render import Format, render
from collector.render.prometheus import FAMILIES, escape_label_value, render_prometheus
from collector.report.build import build_report

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo-lab"
SCENARIOS = ROOT / "fixtures" / "scenarios"


def _replay(folder: Path) -> tuple[str, dict[str, object]]:
    config = load_config(folder / "config.toml")
    now = recorded_at(folder) if (folder / "recording.json").exists() else None
    report = run_report(config, replay_sources(config, folder), now=now)
    return render(report, Format.PROMETHEUS), json.loads(render(report, Format.JSON))


def _samples(text: str) -> dict[str, list[Sample]]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _value(samples: list[Sample], **labels: str) -> float:
    (found,) = [s.value for s in samples if s.labels == labels]
    return found


def test_demo_lab_parses_and_every_family_has_help_type_and_prefix() -> None:
    text, _ = _replay(DEMO)
    families = list(text_string_to_metric_families(text))
    names = [f.name for f in families]
    # Without a history nothing is "new"; every other family is present.
    assert names == [f"homelab_{n}" for n in FAMILIES if n != "findings_new"]
    for family in families:
        assert family.type == "gauge"
        assert family.documentation == FAMILIES[family.name.removeprefix("homelab_")]
        assert f"# HELP {family.name} " in text and f"# TYPE {family.name} gauge" in text


def test_demo_lab_figures_match_the_json_report() -> None:
    text, doc = _replay(DEMO)
    samples = _samples(text)
    summary = doc["summary"]
    assert isinstance(summary, dict)
    assert (
        _value(samples["homelab_report_timestamp_seconds"])
        == datetime(2026, 11, 26, 9, 30, tzinfo=UTC).timestamp()
    )
    assert _value(samples["homelab_report_complete"]) == 1
    for layer, figures in summary["layers"].items():
        ratio = figures["compliant"] / figures["objects"]
        assert _value(samples["homelab_layer_compliance_ratio"], layer=layer) == ratio
        assert _value(samples["homelab_layer_objects_judged"], layer=layer) == figures["objects"]
    assert _value(samples["homelab_workloads"]) == 69
    assert _value(samples["homelab_workloads_compliant"]) == 33  # declared roles decide 3 more
    by_severity = samples["homelab_findings_open_by_severity"]
    assert {s.labels["severity"]: s.value for s in by_severity} == {
        "error": 12,
        "warning": 89,
        "info": 72,
    }
    open_findings = samples["homelab_findings_open"]
    assert _value(open_findings, rule="docker-on-node", severity="error", layer="engine") == 1
    assert _value(open_findings, rule="owner-missing", severity="warning", layer="guest") == 13
    assert sum(s.value for s in open_findings) == 173
    restore = ("datastore-corrupt-chunks", "error", "backup")
    assert _value(open_findings, rule=restore[0], severity=restore[1], layer=restore[2]) == 1
    declared = {s.labels["status"]: s.value for s in samples["homelab_declared_systems"]}
    assert declared == {"ok": 28, "missing": 1, "mismatch": 3, "ambiguous": 1, "unknown": 0}
    assert declared == {k: v for k, v in doc["declared"]["counts"].items() if k != "undeclared"}
    assert (
        _value(samples["homelab_undeclared_workloads"]) == doc["declared"]["counts"]["undeclared"]
    )
    waived = samples["homelab_findings_waived"]
    assert [(s.labels, s.value) for s in waived] == [
        ({"rule": "backup-partial", "severity": "warning", "layer": "guest"}, 1)
    ]
    objects = samples["homelab_objects"]
    assert _value(objects, layer="guest", form="vm", template="true") == 2
    assert _value(objects, layer="guest", form="lxc", template="false") == 12
    assert _value(objects, layer="container", form="docker-container", template="false") == 41
    assert _value(objects, layer="backup", form="pbs-datastore", template="false") == 2
    engines = {s.labels["engine"]: s.labels for s in samples["homelab_engine_info"]}
    assert engines["pods"] == {"engine": "pods", "product": "podman", "version": "4.3.1"}
    assert engines["apps"]["product"] == "docker"
    for source in doc["sources"]:  # type: ignore[union-attr]
        labels = {"source": source["name"], "kind": source["kind"]}
        assert _value(samples["homelab_source_up"], **labels) == 1
        assert _value(samples["homelab_source_complete"], **labels) == 1
        assert _value(samples["homelab_source_requests"], **labels) == source["requests"]
        assert _value(samples["homelab_source_gaps"], **labels) == len(source["gaps"])
        assert 0 <= _value(samples["homelab_source_duration_seconds"], **labels) < 30


def test_a_failed_source_is_down_and_its_layers_have_no_ratio() -> None:
    text, doc = _replay(SCENARIOS / "failing-source-keeps-others")
    samples = _samples(text)
    failed = [s for s in doc["sources"] if s["error"]]  # type: ignore[union-attr]
    assert failed, "the scenario has a failing source"
    for source in failed:
        labels = {"source": source["name"], "kind": source["kind"]}
        assert _value(samples["homelab_source_up"], **labels) == 0
        assert _value(samples["homelab_source_complete"], **labels) == 0
    assert _value(samples["homelab_report_complete"]) == 0
    kinds = {s["kind"] for s in failed}
    incomplete_layers = set()
    if "docker" in kinds:
        incomplete_layers |= {"engine", "container"}
    if "proxmox" in kinds:
        incomplete_layers |= {"cluster", "node", "guest"}
    ratios = {s.labels["layer"] for s in samples["homelab_layer_compliance_ratio"]}
    assert ratios.isdisjoint(incomplete_layers)  # unknown: absent, never a flattering 1


def _lab(*, engines: tuple[Engine, ...] = (), sources: tuple[SourceStatus, ...] = ()) -> Inventory:
    guest = Guest("pve:lab/qemu/100", "lab", "pve1", 100, "vm1", Form.VM, "running")
    cluster = Cluster(
        "pve:lab", "lab", "lab", nodes=(Node("pve:lab/node/pve1", "lab", "pve1", True),),
        guests=(guest,),
    )  # fmt: skip
    return Inventory(clusters=(cluster,), engines=engines, sources=sources)


def test_a_layer_without_objects_has_no_ratio() -> None:
    pve = SourceStatus.finished("lab", SourceKind.PROXMOX, (), 8)
    text = render_prometheus(build_report(_lab(sources=(pve,)), []))
    samples = _samples(text)
    ratios = {s.labels["layer"]: s.value for s in samples["homelab_layer_compliance_ratio"]}
    assert ratios == {"cluster": 1.0, "node": 1.0, "guest": 1.0}  # no engine, no container
    assert "homelab_source_duration_seconds" not in samples  # not timed outside the orchestrator


def test_label_values_are_escaped_and_read_back_unchanged() -> None:
    hostile = 'v1 "quoted" back\\slash\nnext'
    container = Container(
        "docker:e/c", "e", "c1", "c", "img:1", None, None, "running", None, "always", 0,
        "json-file", {}, {},
    )  # fmt: skip
    engine = Engine(
        "docker:e", "e", "e", "unix:///x", product=EngineProduct.PODMAN, version=hostile,
        containers=(container,),
    )  # fmt: skip
    text = render_prometheus(build_report(_lab(engines=(engine,)), []))
    assert 'version="v1 \\"quoted\\" back\\\\slash next"' in text
    (sample,) = _samples(text)["homelab_engine_info"]
    # The line break became a space (lab text is cleaned for every output); the rest is intact.
    assert sample.labels == {
        "engine": "e",
        "product": "podman",
        "version": 'v1 "quoted" back\\slash next',
    }


def test_escape_label_value() -> None:
    assert escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def test_new_findings_come_from_the_history(tmp_path: Path) -> None:
    from collector.job import JobOptions, run_job
    from collector.output import OutputFile

    folder = SCENARIOS / "docker-on-node"
    muted = tmp_path / "muted.toml"  # the same lab, with the docker-on-node rule switched off
    muted.write_text(
        (folder / "config.toml").read_text() + "\n[rules.docker-on-node]\nenabled = false\n"
    )
    out = tmp_path / "lab.prom"
    options = JobOptions(
        outputs=(OutputFile(str(out), Format.PROMETHEUS),),
        history_db=tmp_path / "h.sqlite3",
        notify=False,
    )

    def run(config_file: Path) -> dict[str, list[Sample]]:
        config = load_config(config_file)
        run_job(config, replay_sources(config, folder), options)
        return _samples(out.read_text())

    # No previous run: nothing to compare with, so "new" is unknown and absent.
    assert "homelab_findings_new" not in run(muted)
    second = run(folder / "config.toml")
    new = second["homelab_findings_new"]
    assert [(s.labels, s.value) for s in new] == [
        ({"rule": "docker-on-node", "severity": "error", "layer": "engine"}, 1)
    ]
    # Unchanged since: the family is empty (no series), so an alert on it resolves.
    assert "homelab_findings_new" not in run(folder / "config.toml")
