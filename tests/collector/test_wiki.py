"""The Markdown report as a wiki page: front matter, and a Mermaid diagram that stays readable."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.render.markdown import render_markdown
from collector.render.wiki import front_matter, layers_diagram
from collector.report.build import Report
from tests.history.lab import write_lab

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo-lab"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def report_of(recording: Path) -> Report:
    config = load_config(recording / "config.toml")
    return run_report(config, replay_sources(config, recording), now=NOW)


@pytest.fixture(scope="module")
def demo() -> Report:
    if not (DEMO / "config.toml").is_file():
        pytest.fail("fixtures/demo-lab is missing: regenerate it (fixtures/generate_demo_lab.py)")
    return report_of(DEMO)


def _front(report: Report) -> dict[str, str]:
    lines = front_matter(report).splitlines()
    assert lines[0] == lines[-1] == "---"
    return dict(line.split(": ", 1) for line in lines[1:-1])


def test_front_matter_is_flat_yaml_with_title_and_date(
    demo: Report, time_zone: Callable[[str], None]
) -> None:
    time_zone("UTC")
    keys = _front(demo)
    assert keys["title"] == '"Homelab report 2026-11-26 (2026-W48)"'
    assert keys["date"] == "2026-11-26T12:00:00+00:00"
    assert (keys["status"], keys["complete"]) == ("complete", "true")
    assert (keys["workloads"], keys["compliance"]) == ("69", "0.4783")
    assert keys["findings"] == "{info: 72, warning: 89, error: 12}"
    assert "changes" not in keys  # no history in this report


def mermaid_lines(report: Report) -> list[str]:
    text = layers_diagram(report)
    assert text.startswith("```mermaid\nflowchart LR\n") and text.endswith("```\n")
    return text.splitlines()[2:-1]


def test_diagram_is_well_formed(demo: Report) -> None:
    boxes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in mermaid_lines(demo):
        line = line.strip()
        if box := re.fullmatch(r'(\w+)\["([^"]*)"\]', line):
            assert box.group(1) not in boxes, f"box defined twice: {line}"
            boxes[box.group(1)] = box.group(2)
        elif edge := re.fullmatch(r"(\w+) (-->|-\.->) (\w+)", line):
            edges.append((edge.group(1), edge.group(3)))
        else:
            assert re.fullmatch(r"(classDef|class) [\w,]+ .+", line), f"unexpected line: {line}"
    for start, end in edges:
        assert start in boxes and end in boxes, (start, end)
    assert all(len(box) < 120 for box in boxes.values())


def test_diagram_shows_layers_with_counts_but_not_every_guest(demo: Report) -> None:
    lines = "\n".join(mermaid_lines(demo))
    inv = demo.inventory
    for engine in inv.engines:
        assert f"{engine.name}<br/>Docker engine<br/>{len(engine.containers)} container" in lines
    for node in inv.nodes():
        assert f'["node {node.name}' in lines
    hosting = {
        target for target in inv.engines_on if target.startswith("pve:") and "/node/" not in target
    }
    guest_boxes = re.findall(r'\n  g\d+\["', "\n" + lines)
    assert len(guest_boxes) == len(hosting) < sum(1 for _ in inv.guests())
    assert sum(1 for _ in inv.guests()) >= 25  # a lab big enough for this to matter


def test_objects_with_placement_findings_are_outlined(demo: Report) -> None:
    lines = mermaid_lines(demo)
    flagged = next(line for line in lines if line.strip().endswith(" finding") and "class " in line)
    on_node = next(e for e in demo.inventory.engines if e.name == "pve3")
    keys = dict(re.findall(r'(\w+)\["([^<"]*)', "\n".join(lines)))
    (key,) = [k for k, name in keys.items() if name == on_node.name and k.startswith("e")]
    assert key in flagged.split()[1].split(",")


def test_labels_cannot_break_the_diagram(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    (lab / "pve" / "lab" / "cluster" / "status.json").write_text(
        (lab / "pve" / "lab" / "cluster" / "status.json")
        .read_text()
        .replace('"pve1"', '"pve\\"1<b>"')
    )
    text = layers_diagram(report_of(lab))
    assert "pve#quot;1#lt;b#gt;" in text and '"1<b>' not in text


def test_empty_inventory_still_draws_something(tmp_path: Path) -> None:
    lab = write_lab(tmp_path / "lab", this_week=False)
    report = report_of(lab)
    empty = replace(report, inventory=replace(report.inventory, clusters=(), engines=()))
    assert 'empty["nothing collected"]' in layers_diagram(empty)


def test_page_sections_in_wiki_order(demo: Report) -> None:
    page = render_markdown(demo)
    order = ["---\ntitle:", "\n# Homelab report", "```mermaid", "\n## Summary\n", "\n## Changes\n"]
    order += ["\n## Findings\n", "\n## Inventory\n"]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    changes = page[page.index("\n## Changes\n") : page.index("\n## Findings\n")]
    assert "Nothing to compare with" in changes


def _finding_class(report: Report) -> set[str]:
    line = next((x for x in mermaid_lines(report) if x.strip().endswith(" finding")), "")
    return set(line.strip().removeprefix("class ").removesuffix(" finding").split(",")) - {""}


def test_a_waived_placement_finding_is_not_flagged_in_the_diagram(demo: Report) -> None:
    flagged = _finding_class(demo)
    on_node = next(f for f in demo.findings if f.rule == "docker-on-node")
    assert flagged, "the demo lab has placement findings to flag"
    waived = replace(
        demo,
        findings=tuple(replace(f, waived=True) if f is on_node else f for f in demo.findings),
    )
    assert len(_finding_class(waived)) == len(flagged) - 1
