"""The wiki page rendered by a real CommonMark/GFM renderer (markdown-it-py), with a hostile lab.

Names, images, labels and notes carry HTML, Markdown, backticks, a newline plus a fence, pipes,
control characters and a 100 KB value. The page must render as written: no tag from the lab,
every placeholder of a hint visible, the diagram inside its fence, every table row as wide as
its header, and a page that does not grow with the longest label.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from collector.collection.orchestrate import run_report
from collector.collection.safe_text import TEXT_LIMIT
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.render.json import render_json
from collector.render.markdown import render_markdown
from collector.render.sections import tree_prefixes
from collector.report.build import Report
from collector.report.tree import walk
from collector.text import clean
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
BIG = "B" * 100_000
FENCE_BREAK = "\n```\n# injected heading\n<img src=x onerror=alert(1)>\n```\n"
CLUSTER = "lab" + FENCE_BREAK + "<script>alert('cluster')</script>"
HOST = 'docker-host"]\n```\n<iframe src=//evil>' + "\x00\x07\x1b[31m\u202eexe"
SERVICE = "wiki <b>bold</b> *x* [[Home]] `tick` | pipe & &amp; %%hide%% ==mark== $x$ {{ site }}"
CONTAINER = "web<img src=x onerror=alert(2)>|pipe``two`"
IMAGE = "evil/<svg onload=alert(3)>:latest"
OWNER = "<img src=x onerror=alert(4)>"
NOTES = "<script>alert('notes')</script>" + FENCE_BREAK
ALLOWED_TAGS = {
    "h1", "h2", "h3", "p", "strong", "em", "code", "pre", "blockquote", "details", "summary",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def hostile_lab(root: Path, owner: str = OWNER) -> Path:
    lab = RecordingBuilder(root)
    lab.cluster("lab", {"pve1": "10.0.0.11"})
    lab.guest("lab", GuestSpec(100, HOST, "pve1", tags="platform", ips=["10.0.0.50"]))
    lab.guest(
        "lab",
        GuestSpec(
            101, SERVICE, "pve1", tags="service;owner-<b>boss</b>", config={"description": NOTES}
        ),
    )
    labels = {"homelab.role": "service", "homelab.owner": owner, "big.note": BIG}
    lab.engine(
        "apps",
        hostname="docker-host",
        url="tcp://10.0.0.50:2376",
        containers=[
            ContainerSpec(CONTAINER, image=IMAGE, labels=labels),
            ContainerSpec("db" + FENCE_BREAK, image="postgres:16", restart="no"),
        ],
    )
    lab.write()
    status = root / "pve" / "lab" / "cluster" / "status.json"
    entries = json.loads(status.read_text())
    entries[0]["name"] = CLUSTER
    status.write_text(json.dumps(entries))
    return root


def report_of(lab: Path) -> Report:
    config = load_config(lab / "config.toml")
    return run_report(config, replay_sources(config, lab), now=NOW)


def without_front_matter(page: str) -> str:
    assert page.startswith("---\n")
    return page.split("\n---\n", 1)[1]


def to_html(page: str) -> str:
    # CommonMark with raw HTML switched on (as GitHub, Wiki.js and Obsidian accept it) plus
    # GFM tables: if the page let any lab HTML through, it would come out as a tag here.
    return (
        MarkdownIt("commonmark", {"html": True}).enable("table").render(without_front_matter(page))
    )


@dataclass
class Parsed(HTMLParser):
    tags: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    pre: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, str]]] = field(default_factory=list)
    """Per table row: each cell's tag (th or td) and text, in order."""
    em: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self.rows[-1].append((tag, ""))
        elif tag == "pre":
            self.pre.append("")
        elif tag == "em":
            self.em.append("")

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "pre" in self.stack:
            self.pre[-1] += data
        if "em" in self.stack:
            self.em[-1] += data
        if "th" in self.stack or "td" in self.stack:
            tag, text = self.rows[-1][-1]
            self.rows[-1][-1] = (tag, text + data)


def parse(html: str) -> Parsed:
    parsed = Parsed()
    parsed.feed(html)
    parsed.close()
    return parsed


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, str]:
    report = report_of(hostile_lab(tmp_path_factory.mktemp("hostile")))
    return report, render_markdown(report)


def test_no_tag_from_lab_data_survives(hostile: tuple[Report, str]) -> None:
    _, page = hostile
    parsed = parse(to_html(page))
    assert set(parsed.tags) <= ALLOWED_TAGS, set(parsed.tags) - ALLOWED_TAGS
    text = " ".join(parsed.text)
    for shown in (OWNER, "<b>boss</b>", "evil/<svg onload=alert(3)>:latest"):
        assert shown in text  # printed as text, not swallowed as a tag


def test_markdown_in_lab_data_stays_literal(hostile: tuple[Report, str]) -> None:
    _, page = hostile
    parsed = parse(to_html(page))
    text = " ".join(parsed.text)
    assert SERVICE in text  # emphasis, wikilink, code, pipe, entity, highlight, math, Liquid
    assert not any(em.strip() == "x" for em in parsed.em)  # *x* did not become italics
    assert all(not em.startswith(("wiki", "B")) for em in parsed.em)
    # Obsidian reads the source: no unescaped [[ outside code spans, no == or %% pair.
    prose = re.sub(r"(`+).*?\1", "", without_front_matter(page))
    assert not re.search(r"(?<!\\)\[\[", prose)
    assert not re.search(r"(?<!\\)==|(?<!\\)%%", prose)
    assert "web<img src=x onerror=alert(2)>|pipe``two`" in text  # the id, in a code span


def test_control_characters_never_reach_the_page(hostile: tuple[Report, str]) -> None:
    _, page = hostile
    for char in ("\x00", "\x07", "\x1b", "\u202e"):
        assert char not in page
    assert "docker-host" in page and "[31mexe" in page  # the rest of the name is kept


def test_the_diagram_stays_inside_its_fence(hostile: tuple[Report, str]) -> None:
    _, page = hostile
    parsed = parse(to_html(page))
    (diagram,) = parsed.pre  # one code block: nothing closed the fence early
    lines = diagram.strip().splitlines()
    assert lines[0] == "flowchart LR" and lines[-1].startswith("  class ")
    for line in lines[1:]:
        assert re.fullmatch(r'  (\w+\["[^"`\n]*"\]|\w+ -(->|\.->) \w+|classDef .+|class .+)', line)
    assert "# injected heading" not in [h for h in parsed.text if h.startswith("#")]
    assert parsed.tags.count("h1") == 1  # the title; the injected heading is text


def test_a_pipe_in_lab_data_does_not_split_a_cell(hostile: tuple[Report, str]) -> None:
    report, page = hostile
    rows = [[text for _, text in row] for row in parse(to_html(page)).rows]
    messages = {f.subject: f.message for f in report.findings if f.rule == "service-in-vm"}
    assert "|" in messages["pve:lab/qemu/101"]
    # GFM drops the cells beyond the header's count, so a split cell would lose text.
    assert ["pve:lab/qemu/101", messages["pve:lab/qemu/101"]] in rows
    web = f"docker:apps/{CONTAINER}"
    assert any(row[0] == web for row in rows if row)


def test_every_placeholder_of_a_hint_is_visible(hostile: tuple[Report, str]) -> None:
    report, page = hostile
    text = " ".join(parse(to_html(page)).text)
    hints = {f.hint for f in report.findings if not f.waived}
    assert any("<name>" in hint for hint in hints)
    for hint in hints:
        assert hint in text


def test_a_100_kb_label_does_not_blow_the_page_up(
    hostile: tuple[Report, str], tmp_path: Path
) -> None:
    _, page = hostile
    big = report_of(hostile_lab(tmp_path / "big", owner=BIG))
    big_page = render_markdown(big)
    assert len(big_page) - len(page) < 2_000  # one shortened cell, not every row padded
    assert "B" * 150 in big_page and "B" * 1_000 not in big_page
    assert "…" in big_page
    doc = json.loads(render_json(big))
    (web,) = [i for i in doc["inventory"] if i["name"] == CONTAINER]
    # Lab text is bounded once, as the results come in (collector/collection/safe_text.py):
    # the JSON keeps the first TEXT_LIMIT characters, marked as cut.
    assert web["labels"]["homelab.owner"] == BIG[: TEXT_LIMIT - 1] + "…"


def test_demo_lab_hints_and_rule_texts_render_as_written() -> None:
    report = report_of(ROOT / "fixtures" / "demo-lab")
    page = render_markdown(report)
    parsed = parse(to_html(page))
    text = " ".join(parsed.text)
    for hint in {f.hint for f in report.findings if not f.waived}:
        assert hint in text
    assert text.count("<name>") >= 4  # owner-missing's hints, once per distinct hint
    assert "[[rules.classify]][0] image=*traefik*" in text
    assert "a [[waivers]] entry is past its expires date" in text
    assert not any("traefik" in em for em in parsed.em)


def test_the_inventory_keeps_its_tree() -> None:
    report = report_of(ROOT / "fixtures" / "demo-lab")
    html = to_html(render_markdown(report))
    rows = list(walk(report.inventory))
    inventory = html[html.index(f"<summary>{len(rows)} objects, as a tree</summary>") :]
    cells = re.findall(r"<tr>\n<td>([^<]*)</td>", inventory)
    prefixes = tree_prefixes([row.depth for row in rows], "\u00a0")
    assert cells == [p + r.name for p, r in zip(prefixes, rows, strict=True)]
    container = next(i for i, r in enumerate(rows) if r.id == "docker:apps/hello")
    # under pve1 and docker-apps (more siblings follow: │) and apps (the last one: blank)
    assert cells[container].replace("\u00a0", " ") == "│  │     ├─ hello"


def test_long_sections_fold(hostile: tuple[Report, str]) -> None:
    report = report_of(ROOT / "fixtures" / "demo-lab")
    html = to_html(render_markdown(report))
    summaries = re.findall(r"<summary>([^<]*)</summary>", html)
    assert f"{len(list(walk(report.inventory)))} objects, as a tree" in summaries
    assert "13 subjects" in summaries  # owner-missing on guests: 13 rows fold
    assert "4 subjects" not in summaries  # short tables stay open


def test_json_keeps_lab_text_escaped_and_without_controls(hostile: tuple[Report, str]) -> None:
    report, _ = hostile
    text = render_json(report)
    for char in ("\x00", "\x07", "\x1b", "\u202e", "\n```"):
        assert char not in text  # inert on a terminal
    names = {item["name"] for item in json.loads(text)["inventory"]}
    # Control and bidi characters are removed once, as the results come in (safe_text.py), a
    # line break becomes a space; everything else (Markdown, HTML) stays, escaped by JSON.
    assert clean(HOST) in names and clean(CLUSTER) in names
