"""The "Declared vs running" section in every format, read back with each format's own parser.

The demo lab declares its systems in a German wiki table (``fixtures/demo-lab/Architektur.md``);
JSON is read with ``json``, the Markdown page with markdown-it (the parser the config reads
pages with, as a wiki renders them), the terminal table as text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.config.declaration import Architecture
from collector.render import Format, render
from collector.render.view import View
from collector.report.build import Report

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SUMMARY = "33 declared: 28 ok, 1 missing, 3 mismatch, 1 ambiguous; 9 running workload(s) undeclared"


@pytest.fixture(scope="module")
def report() -> Report:
    config = load_config(DEMO / "config.toml")
    return run_report(config, replay_sources(config, DEMO), now=NOW)


@pytest.fixture(scope="module")
def undeclared_report() -> Report:
    """The demo lab without its page: nothing declared."""
    config = load_config(DEMO / "config.toml")
    bare = replace(config, architecture=Architecture())
    return run_report(bare, replay_sources(config, DEMO), now=NOW)


def test_json_holds_each_declared_system_and_the_undeclared(report: Report) -> None:
    declared = json.loads(render(report, Format.JSON))["declared"]
    assert declared["counts"] == {
        "ok": 28,
        "missing": 1,
        "mismatch": 3,
        "ambiguous": 1,
        "unknown": 0,
        "undeclared": 9,
    }
    systems = {s["name"]: s for s in declared["systems"]}
    assert systems["unifi"] | {"found": None} == {
        "subject": "declared:vm/unifi@pve2",
        "name": "unifi",
        "form": "vm",
        "host": "pve2",
        "role": None,
        "owner": "bob",
        "backup": True,
        "link": None,
        "origin": "Architektur.md:24",
        "status": "mismatch",
        "detail": "",
        "found": None,
        "mismatches": [
            {"kind": "form", "subject": "pve:homelab/lxc/210", "declared": "vm", "found": "lxc"}
        ],
    }
    assert systems["unifi"]["found"] == [
        {
            "id": "pve:homelab/lxc/210",
            "name": "unifi",
            "form": "lxc",
            "where": "node pve2",
            "running": True,
            "members": ["pve:homelab/lxc/210"],
        }
    ]
    assert systems["opnsense"]["link"] == "https://wiki.home.lan/opnsense"
    assert (systems["gitea"]["status"], systems["gitea"]["found"]) == ("missing", [])
    assert [f["id"] for f in systems["docker-lab"]["found"]] == [
        "pve:homelab/qemu/116",
        "pve:homelab/qemu/117",
    ]
    assert [u["id"] for u in declared["undeclared"]] == [
        "docker:apps/it-tools",
        "docker:lab/code-server",
        "docker:lab/compose/ci",
        "docker:pods/compose/monitoring",
        "docker:pods/compose/paperless",
        "docker:pods/grafana",
        "docker:pods/vaultwarden",
        "docker:pve3/portainer_agent",
        "pve:homelab/qemu/112",
    ]
    # The Podman pod and the Quadlet container match by the names the user wrote.
    assert [f["id"] for f in systems["whoami"]["found"]] == ["docker:pods/systemd-whoami"]
    assert declared["systems"][-2]["found"][0]["members"] == [
        "docker:pods/nextcloud-app",
        "docker:pods/nextcloud-db",
    ]


def _tables_after(markdown: str, heading: str) -> list[list[list[str]]]:
    """The tables between ``heading`` and the next level-2 heading, as rows of cell texts (as a
    reader sees them: escapes undone)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    inside, tables, row = False, [], []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            inside = tokens[i + 1].content == heading
        elif inside and token.type == "table_open":
            tables.append([])
        elif inside and token.type == "tr_open":
            row = []
        elif (
            inside
            and token.type == "inline"
            and tables
            and tokens[i - 1].type in ("th_open", "td_open")
        ):
            row.append("".join(c.content for c in token.children or ()))  # text, unescaped
        elif inside and token.type == "tr_close":
            tables[-1].append(row)
    return tables


def test_markdown_has_the_section_as_wiki_tables(report: Report) -> None:
    page = render(report, Format.MARKDOWN)
    assert f"## Declared vs running\n\n{SUMMARY}\n" in page
    systems, undeclared = _tables_after(page, "Declared vs running")
    assert systems[0] == ["system", "form", "host", "status", "found", "runs on", "what differs",
                          "backup", "declared in"]  # fmt: skip
    rows = {r[0]: r for r in systems[1:]}
    assert rows["vaultwarden"] == [
        "vaultwarden", "compose", "docker-lab", "mismatch", "docker:apps/compose/vaultwarden",
        "engine apps on docker-apps (pve1)",
        "host: docker-lab → engine apps on docker-apps (pve1)", "-", "Architektur.md:39",
    ]  # fmt: skip
    assert rows["paperless"][2:5] == ["apps", "ok", "docker:apps/compose/paperless"]
    assert rows["k3s-*"][4] == "pve:homelab/qemu/101, pve:homelab/qemu/102, pve:homelab/qemu/103"
    assert len(systems) == 1 + 33
    assert undeclared[1] == ["it-tools", "container", "engine apps on docker-apps (pve1)",
                             "docker:apps/it-tools"]  # fmt: skip


def test_the_terminal_view_leads_with_what_is_not_as_declared(report: Report) -> None:
    text = render(report, Format.TABLE, View(width=200))
    block = text[text.index("Declared vs running: ") :].split("\n\n")[0].splitlines()
    assert block == [
        f"Declared vs running: {SUMMARY}",
        "  mismatch   vm unifi: form: vm → lxc",
        "  ambiguous  vm docker-lab: 2 systems match; a host picks one",
        "  mismatch   lxc wiki: owner: alice → bob",
        "  mismatch   compose vaultwarden: host: docker-lab → engine apps on docker-apps (pve1)",
        "  missing    compose gitea: no system named gitea",
    ]
    assert text.index("Compliance by layer") < text.index("Declared vs running: ")


def test_the_terminal_details_have_the_full_section(report: Report) -> None:
    text = render(report, Format.TABLE, View(width=200, details=True))
    assert f"Declared vs running\n===================\n{SUMMARY}\n" in text
    assert "\nUndeclared (running, no declared system covers it)\n" in text
    systems = text[text.index("Declared systems\n================") :]
    assert "k3s-*" in systems and "Architektur.md:18" in systems


@pytest.mark.parametrize("fmt", [Format.TABLE, Format.MARKDOWN, Format.JSON])
def test_without_a_declaration_every_report_format_says_so(
    undeclared_report: Report, fmt: Format
) -> None:
    text = render(undeclared_report, fmt, View(details=True))
    assert "Declared vs running: " not in render(undeclared_report, Format.TABLE)
    if fmt is Format.JSON:
        assert json.loads(text)["declared"] is None
    else:
        assert "nothing declared: name the architecture page" in text
        assert "Undeclared" not in text


def test_without_a_declaration_no_declared_metric_claims_anything(
    undeclared_report: Report, report: Report
) -> None:
    """Unknown is not zero: without a declaration the families are absent, not 0."""
    assert "homelab_declared_systems" not in render(undeclared_report, Format.PROMETHEUS)
    assert 'homelab_declared_systems{status="missing"} 1\n' in render(report, Format.PROMETHEUS)
