"""Prometheus renderer: the report as metrics in the text exposition format (version 0.0.4).

Written for node_exporter's textfile collector (``--output /var/lib/node_exporter/textfile/
homelab.prom``; the file is replaced atomically, as the collector's docs require) and for
anything that scrapes a file. Every family is a gauge (the file is a snapshot of one run), has
a ``# HELP`` and a ``# TYPE`` line and the ``homelab_`` prefix; names and labels are stable.
Samples carry no timestamps (the textfile collector refuses them): the run's time is the
``homelab_report_timestamp_seconds`` gauge.

Unknown is never a number: a layer's compliance ratio is left out when the layer has no judged
object or a source that feeds it is incomplete (a ratio over half the lab would flatter it), a
source's duration when it was not timed, and ``homelab_findings_new`` when there is no history
to compare with. Families are listed in ``FAMILIES``; docs/integrations.md shows alert rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from collector.correlation.declared import Status
from collector.correlation.inventory import Inventory, form_of, layer_of, layer_of_id
from collector.model import Layer, Severity, SourceKind
from collector.report.build import Report
from collector.report.diff import FindingStatus
from collector.text import clean

PREFIX = "homelab_"

FAMILIES: Mapping[str, str] = {
    "report_timestamp_seconds": "When the report was generated (Unix time).",
    "report_complete": "1 when every source was collected completely, else 0.",
    "layer_compliance_ratio": "Share of the judged objects of a layer with no open finding "
    "(absent when unknown: no judged object, or a source feeding the layer is incomplete).",
    "layer_objects_judged": "Objects of a layer that the rules judge (templates excluded).",
    "workloads": "Workloads (guests that are not templates, and containers).",
    "workloads_compliant": "Workloads that comply with the placement rules.",
    "objects": "Objects in the inventory by layer and form (template: a guest template).",
    "findings_open": "Open (unwaived) findings by rule, severity and layer.",
    "findings_waived": "Waived findings by rule, severity and layer.",
    "findings_open_by_severity": "Open findings per severity (every severity, zeros included).",
    "findings_new": "Findings new since the previous complete run, by rule, severity and layer "
    "(absent without a history).",
    "source_up": "1 when the source answered, 0 when it could not be read at all.",
    "source_complete": "1 when the source was read completely, else 0.",
    "source_duration_seconds": "Wall time spent collecting the source, connecting included.",
    "source_requests": "API requests made to the source during the run.",
    "source_gaps": "Things the source could not read (coverage gaps), incomplete ones included.",
    "engine_info": "Container engines: product (docker, podman) and version; always 1.",
    "declared_systems": "Declared systems by status: ok, missing, mismatch, ambiguous, unknown "
    "(absent when nothing is declared).",
    "undeclared_workloads": "Running workloads no declared system covers (absent when nothing "
    "is declared).",
}

_LAYER_KINDS = {
    Layer.CLUSTER: SourceKind.PROXMOX,
    Layer.NODE: SourceKind.PROXMOX,
    Layer.GUEST: SourceKind.PROXMOX,
    Layer.ENGINE: SourceKind.DOCKER,
    Layer.CONTAINER: SourceKind.DOCKER,
    Layer.BACKUP: SourceKind.PBS,
}

Labels = tuple[tuple[str, str], ...]


def escape_label_value(value: str) -> str:
    """Backslash, double quote and line feed escaped, as the exposition format requires."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _Exposition:
    """Collects samples per family and writes them in ``FAMILIES`` order."""

    def __init__(self) -> None:
        self._samples: dict[str, list[tuple[Labels, float]]] = {name: [] for name in FAMILIES}

    def add(self, family: str, value: float, **labels: str) -> None:
        self._samples[family].append((tuple(labels.items()), value))

    def text(self) -> str:
        lines: list[str] = []
        for family, help_text in FAMILIES.items():
            samples = self._samples[family]
            if not samples:
                continue
            name = PREFIX + family
            lines += [f"# HELP {name} {_escape_help(help_text)}", f"# TYPE {name} gauge"]
            for labels, value in sorted(samples, key=lambda s: s[0]):
                text = ",".join(f'{k}="{escape_label_value(clean(v))}"' for k, v in labels)
                series = f"{name}{{{text}}}" if text else name
                lines.append(f"{series} {_number(value)}")
        return "\n".join(lines) + "\n"


def _incomplete_kinds(inventory: Inventory) -> set[SourceKind]:
    return {s.kind for s in inventory.sources if not s.complete}


def _objects(inventory: Inventory) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for item in inventory.by_id.values():
        template = "true" if getattr(item, "template", False) else "false"
        counts[(layer_of(item).value, form_of(item).value, template)] += 1
    return counts


def _findings(out: _Exposition, family: str, keyed: Iterable[tuple[str, str, str]]) -> None:
    for (rule, severity, layer), n in sorted(Counter(keyed).items()):
        out.add(family, n, rule=rule, severity=severity, layer=layer)


def render_prometheus(report: Report) -> str:
    inventory, summary = report.inventory, report.summary
    out = _Exposition()
    moment = datetime.fromisoformat(report.generated_at.replace("Z", "+00:00"))
    out.add("report_timestamp_seconds", moment.timestamp())
    out.add("report_complete", 1 if report.complete else 0)
    incomplete = _incomplete_kinds(inventory)
    for name, layer in summary.layers.items():
        out.add("layer_objects_judged", layer.objects, layer=name)
        if layer.objects and _LAYER_KINDS[Layer(name)] not in incomplete:
            out.add("layer_compliance_ratio", layer.compliant / layer.objects, layer=name)
    out.add("workloads", summary.workloads)
    out.add("workloads_compliant", summary.compliant)
    for (layer_name, form, template), n in sorted(_objects(inventory).items()):
        out.add("objects", n, layer=layer_name, form=form, template=template)
    _findings(
        out,
        "findings_open",
        ((f.rule, f.severity.value, f.layer.value) for f in report.findings if not f.waived),
    )
    _findings(
        out,
        "findings_waived",
        ((f.rule, f.severity.value, f.layer.value) for f in report.findings if f.waived),
    )
    for severity in Severity:
        out.add(
            "findings_open_by_severity",
            summary.findings_by_severity.get(severity.value, 0),
            severity=severity.value,
        )
    if report.changes is not None:
        new = report.changes.findings_of(FindingStatus.NEW)
        _findings(
            out, "findings_new", ((f.rule, f.severity, layer_of_id(f.subject).value) for f in new)
        )
    for source in inventory.sources:
        labels = {"source": source.name, "kind": source.kind.value}
        out.add("source_up", 0 if source.error else 1, **labels)
        out.add("source_complete", 1 if source.complete else 0, **labels)
        if source.duration_seconds is not None:
            out.add("source_duration_seconds", round(source.duration_seconds, 3), **labels)
        out.add("source_requests", source.requests, **labels)
        out.add("source_gaps", len(source.gaps), **labels)
    for engine in inventory.engines:
        out.add(
            "engine_info",
            1,
            engine=engine.name,
            product=engine.product.value,
            version=engine.version or "",
        )
    if inventory.declared is not None:
        statuses = Counter(m.status for m in inventory.declared.matches)
        for status in Status:
            out.add("declared_systems", statuses[status], status=status.value)
        out.add("undeclared_workloads", len(inventory.declared.undeclared))
    return out.text()
