"""The parts that make the Markdown report a wiki page: YAML front matter and a Mermaid diagram.

The diagram shows the layers (cluster → node → guest → engine) without drowning in a big lab:
a node shows how many guests it runs, and only the guests that host a container engine are drawn,
each engine with its container count. Engines whose host is unknown hang off an "unplaced" box.
Objects that a placement finding is about are outlined, so the picture points at the problems.
"""

from __future__ import annotations

import json
from collections import Counter

from collector import __version__
from collector.correlation.inventory import Inventory
from collector.model import Engine, Form, Guest, Severity
from collector.report.build import PLACEMENT_RULE_IDS, Report
from collector.text import clean, shorten

LABEL_LIMIT = 60
"""A box's line longer than this is shortened with "…": the diagram is an overview."""
_ENTITIES = {"#": "#35;", "&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;"}


def _label(*lines: str) -> str:
    """A quoted Mermaid label that cannot leave its box or the fence: control characters and
    line breaks go (no line can start inside it, so no fence can close), and ``#`` (entities'
    own marker) first, then quotes, angle brackets, ``&`` and backticks (Mermaid's Markdown
    strings) become Mermaid entity codes."""
    escaped = [
        "".join(_ENTITIES.get(ch, ch) for ch in shorten(clean(line), LABEL_LIMIT)) for line in lines
    ]
    return '["' + "<br/>".join(escaped) + '"]'


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def report_title(report: Report) -> str:
    """``Homelab report 2026-11-30 (2026-W49)``: date and ISO week in the local time zone, the
    same clock and zone as the report's file name (``{date:%G-W%V}``)."""
    moment = report.moment
    year, week, _ = moment.isocalendar()
    title = f"Homelab report {moment.date().isoformat()} ({year}-W{week:02d})"
    return title if report.complete else f"{title}, incomplete"


def _compliance(report: Report) -> list[str]:
    """``compliance`` is what a graph plots, so it is a number only when it is the whole lab's:
    null with no workloads, and null when a source failed (the figure over what was collected
    is ``compliance_of_collected``)."""
    share = report.summary.compliance
    value = "null" if share is None else str(round(share, 4))
    if report.complete:
        return [f"compliance: {value}"]
    return ["compliance: null", f"compliance_of_collected: {value}"]


def front_matter(report: Report) -> str:
    """YAML front matter (JSON-quoted strings are valid YAML) for Hugo, Jekyll, Wiki.js, …

    ``date`` is the local time with its offset (see ``report_title``)."""
    s = report.summary
    findings = ", ".join(
        f"{sev.value}: {s.findings_by_severity.get(sev.value, 0)}" for sev in Severity
    )
    lines = [
        "---",
        f"title: {json.dumps(report_title(report))}",
        f"date: {report.moment.isoformat(timespec='seconds')}",
        f"generator: {json.dumps(f'homelab-collector {__version__}')}",
        f"status: {'complete' if s.complete else 'incomplete'}",
        f"complete: {'true' if s.complete else 'false'}",
        f"workloads: {s.workloads}",
        *_compliance(report),
        f"findings: {{{findings}}}",
    ]
    if report.changes is not None:
        counts = ", ".join(f"{k}: {v}" for k, v in report.changes.counts().items())
        lines.append(f"changes: {{{counts}}}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _engine_box(engine: Engine, key: str) -> str:
    containers = _plural(len(engine.containers), "container")
    return f"  {key}{_label(engine.name, 'Docker engine', containers)}"


def layers_diagram(report: Report) -> str:
    """A fenced ``mermaid`` flowchart of the layers."""
    inv: Inventory = report.inventory
    # Waived findings are accepted: like the summary, the diagram does not flag them.
    flagged = {f.subject for f in report.findings if f.rule in PLACEMENT_RULE_IDS and not f.waived}
    hosted = inv.engines_on
    engines = {e.id: e for e in inv.engines}
    lines = ["```mermaid", "flowchart LR"]
    keys: dict[str, str] = {}

    def key(item_id: str, prefix: str) -> str:
        return keys.setdefault(item_id, f"{prefix}{len(keys)}")

    def engines_under(parent_key: str, parent_id: str) -> None:
        for engine_id in hosted.get(parent_id, ()):
            if engine_id in engines:
                lines.append(_engine_box(engines[engine_id], key(engine_id, "e")))
                lines.append(f"  {parent_key} --> {keys[engine_id]}")

    for cluster in inv.clusters:
        c = key(cluster.id, "c")
        version = f"PVE {cluster.version}" if cluster.version else "Proxmox VE"
        lines.append(f"  {c}{_label(cluster.name, 'cluster', version)}")
        guests_by_node: dict[str, list[Guest]] = {}
        for guest in cluster.guests:
            guests_by_node.setdefault(guest.node, []).append(guest)
        for node in cluster.nodes:
            n = key(node.id, "n")
            guests = guests_by_node.get(node.name, [])
            running = sum(1 for g in guests if g.running)
            forms = Counter(g.form for g in guests if not g.template)
            counts = ", ".join(
                f"{forms[form]} {label}"
                for form, label in ((Form.VM, "VM"), (Form.LXC, "LXC"))
                if forms[form]
            )
            state = "" if node.online is not False else " (offline)"
            summary = (counts, f"{running} running") if counts else ("no guests",)
            lines.append(f"  {n}{_label(f'node {node.name}{state}', *summary)}")
            lines.append(f"  {c} --> {n}")
            for guest in sorted(guests, key=lambda g: g.vmid):
                if hosted.get(guest.id):
                    g = key(guest.id, "g")
                    lines.append(f"  {g}{_label(guest.name, f'{guest.form.value} {guest.vmid}')}")
                    lines.append(f"  {n} --> {g}")
                    engines_under(g, guest.id)
            engines_under(n, node.id)
    unplaced = [e for e in inv.engines if e.id not in keys]
    if unplaced:
        lines.append(f"  unplaced{_label('host unknown')}")
        for engine in unplaced:
            lines.append(_engine_box(engine, key(engine.id, "e")))
            lines.append(f"  unplaced -.-> {keys[engine.id]}")
    if len(lines) == 2:
        lines.append(f"  empty{_label('nothing collected')}")
    lines += [
        "  classDef cluster fill:#eef3fb,stroke:#5b7db1",
        "  classDef engine fill:#eefbf1,stroke:#4c9a62",
        "  classDef finding stroke:#c0392b,stroke-width:3px",
    ]
    cluster_keys = [k for i, k in keys.items() if k.startswith("c")]
    engine_keys = [k for i, k in keys.items() if k.startswith("e")]
    flagged_keys = [k for i, k in keys.items() if i in flagged]
    for cls, members in (
        ("cluster", cluster_keys),
        ("engine", engine_keys),
        ("finding", flagged_keys),
    ):
        if members:
            lines.append(f"  class {','.join(members)} {cls}")
    lines.append("```")
    return "\n".join(lines) + "\n"
