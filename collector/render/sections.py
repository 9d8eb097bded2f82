"""The report's sections as rows of cells, shared by the table and Markdown renderers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from collector.correlation.inventory import Inventory
from collector.model import BackupVolume, Engine, Layer, Severity, VerifyState
from collector.report.backups import GuestBackups, guest_backups
from collector.report.build import Report
from collector.report.tree import datastore_state, walk
from collector.rules import RULES_BY_ID
from collector.text import clean, shorten

Table = tuple[list[str], list[list[str]]]


def percent(value: float | None) -> str:
    """A share as "42%"; "n/a" when there was nothing to judge (never a flattering 100%)."""
    return "n/a" if value is None else f"{value:.0%}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def compliance_text(report: Report) -> str:
    """``25/60 workloads comply (42%)``; "incomplete" when a source failed, so a figure over
    part of the lab is never read as the lab's; "n/a" when no workload was collected."""
    s = report.summary
    if not s.workloads:
        return "no workloads collected (compliance n/a)"
    partial = "" if s.complete else ", incomplete"
    return f"{s.compliant}/{s.workloads} workloads comply ({percent(s.compliance)}{partial})"


def severity_counts(report: Report) -> str:
    """``8 error, 79 warning, 54 info``: open findings, worst first, zeros left out."""
    counts = report.summary.findings_by_severity
    ranked = sorted(Severity, key=lambda s: -s.rank)
    return ", ".join(f"{counts[s.value]} {s.value}" for s in ranked if counts.get(s.value))


def headline(report: Report) -> str:
    s = report.summary
    open_findings = len(report.findings) - s.waived
    counts = severity_counts(report)
    sources = report.inventory.sources
    failed = sum(1 for source in sources if not source.complete)
    state = (
        "collection complete"
        if s.complete
        else f"collection INCOMPLETE ({failed} of {_plural(len(sources), 'source')})"
    )
    return (
        f"{compliance_text(report)}; {_plural(open_findings, 'open finding')}"
        + (f" ({counts})" if counts else "")
        + (f", {s.waived} waived" if s.waived else "")
        + f"; {state}"
    )


def report_time(report: Report) -> str:
    """When the run happened, as a person reads it: local time with its zone's name."""
    return report.moment.strftime("%Y-%m-%d %H:%M %Z")


_LAYER_FORMS = {
    "guest": ("vm", "vm template", "lxc", "lxc template"),
    "engine": ("docker-engine",),
    "container": ("docker-container",),
    "backup": ("pbs-server", "pbs-datastore"),
}


def summary_table(report: Report) -> Table:
    s = report.summary
    rows = []
    for layer, count in s.counts_by_layer.items():
        forms = [
            f"{form} {s.counts_by_form[form]}"
            for form in _LAYER_FORMS.get(layer, ())
            if s.counts_by_form.get(form) and len(_LAYER_FORMS[layer]) > 1
        ]
        rows.append([layer, str(count), ", ".join(forms)])
    partial = "" if s.complete else " (incomplete)"
    rows.append(
        ["workloads complying", f"{s.compliant}/{s.workloads}", percent(s.compliance) + partial]
    )
    findings = ", ".join(f"{sev} {n}" for sev, n in s.findings_by_severity.items())
    rows.append(["findings", str(sum(s.findings_by_severity.values())), findings])
    return ["what", "count", "detail"], rows


def gaps_table(report: Report) -> Table:
    """Everything a source could not read, so a reader knows what the checks could not see."""
    rows = [
        [g.subject, g.what, "yes" if g.incomplete else "no", g.reason]
        for source in report.inventory.sources
        for g in source.gaps
    ]
    return ["subject", "what", "makes run incomplete", "reason"], rows


def sources_table(report: Report) -> Table:
    rows = []
    for source in report.inventory.sources:
        problems = [source.error] if source.error else []
        problems += [f"{g.subject}: {g.what}: {g.reason}" for g in source.gaps if g.incomplete]
        coverage = sum(1 for g in source.gaps if not g.incomplete)
        note = "; ".join(problems) or "ok"
        if coverage:
            note += f" ({coverage} coverage gaps)"
        rows.append([source.name, source.kind.value, "yes" if source.complete else "NO", note])
    return ["source", "kind", "complete", "notes"], rows


def findings_table(report: Report) -> Table:
    """Open findings, then waived ones: marked, with the waiver's reason instead of the hint."""
    rows = [
        [
            f"waived ({f.severity.value})" if f.waived else f.severity.value,
            f.rule,
            f.subject,
            f.message,
            f"waived until {f.waiver_expires}: {f.waiver_reason}" if f.waived else f.hint,
        ]
        for f in report.findings
    ]
    return ["severity", "rule", "subject", "message", "hint"], rows


def layers_table(report: Report) -> Table:
    """Findings grouped by layer and rule, with each layer's compliance (objects without an
    open finding)."""
    severities = {f.rule: f.severity.value for f in report.findings}
    rows = []
    for layer in Layer:
        summary = report.summary.layers.get(layer.value)
        if summary is None or not (summary.objects or summary.rules):
            continue
        complying = f"{summary.compliant}/{summary.objects} ({percent(summary.compliance)})"
        rows.append(
            [layer.value, complying, "(all)", "", str(summary.findings), str(summary.waived), ""]
        )
        for rule_id, count in summary.rules.items():
            rule = RULES_BY_ID.get(rule_id)
            rows.append(
                [
                    "",
                    "",
                    rule_id,
                    severities.get(rule_id, ""),
                    str(count.findings),
                    str(count.waived),
                    rule.summary if rule else "",
                ]
            )
    return ["layer", "complying", "rule", "severity", "open", "waived", "what it checks"], rows


def _placement_note(inventory: Inventory, engine: Engine) -> str:
    placement = inventory.placements.get(engine.id)
    if placement is None:
        return ""
    if placement.target:
        return f"on {placement.target} (by {placement.method.value})"
    return "ambiguous" if placement.ambiguous else "unplaced"


def tree_prefixes(depths: list[int], space: str = " ") -> list[str]:
    """The tree glyphs (``├─ ``, ``└─ ``, ``│  ``) in front of each row of a depth-first walk;
    ``space`` is what fills the gaps (a no-break space where a renderer would collapse spaces)."""
    last = [True] * len(depths)
    sibling_follows: dict[int, bool] = {}
    for i in reversed(range(len(depths))):
        depth = depths[i]
        last[i] = not sibling_follows.get(depth, False)
        sibling_follows = {d: v for d, v in sibling_follows.items() if d < depth}
        sibling_follows[depth] = True
    prefixes = []
    open_levels: list[bool] = []  # per depth: the ancestor there has siblings still to come
    for depth, is_last in zip(depths, last, strict=True):
        open_levels = (open_levels + [False] * depth)[:depth]
        lines = "".join(("│" + space * 2) if open_levels[k] else space * 3 for k in range(1, depth))
        prefixes.append("" if depth == 0 else lines + ("└─" if is_last else "├─") + space)
        open_levels.append(not is_last)
    return prefixes


def layer_compliance_table(report: Report) -> Table:
    """Per layer in one line: objects complying, open and waived findings, and which rules
    fired how often (most first)."""
    rows = []
    for layer in Layer:
        summary = report.summary.layers.get(layer.value)
        if summary is None or not (summary.objects or summary.rules):
            continue
        fired = sorted(
            ((rule, n.findings) for rule, n in summary.rules.items() if n.findings),
            key=lambda item: (-item[1], item[0]),
        )
        rows.append(
            [
                layer.value,
                f"{summary.compliant}/{summary.objects} ({percent(summary.compliance)})",
                str(summary.findings),
                str(summary.waived),
                ", ".join(f"{rule} {n}" for rule, n in fired),
            ]
        )
    return ["layer", "complying", "open", "waived", "rules with open findings"], rows


NAME_COLUMN = 48
"""Widest name the inventory table shows: the id column beside it has the whole name."""


def inventory_table(report: Report, space: str = " ", name: Callable[[str], str] = clean) -> Table:
    """Every object in tree order, the name column drawn as a tree: ``space`` fills the tree's
    gaps, ``name`` makes a name fit to print (the Markdown page escapes it)."""
    inv = report.inventory
    walked = list(walk(inv))
    prefixes = tree_prefixes([row.depth for row in walked], space)
    rows = []
    for row, prefix in zip(walked, prefixes, strict=True):
        role = inv.roles.get(row.id)
        role_text = f"{role.role.value}: {role.reason}" if role else ""
        if isinstance(row.item, Engine):
            role_text = _placement_note(inv, row.item)
        owner = inv.owners.get(row.id)
        rows.append(
            [
                prefix + name(shorten(row.name, NAME_COLUMN)),
                row.form,
                row.state,
                role_text,
                owner.describe() if owner else "-",
                row.id,
            ]
        )
    return ["name", "form", "state", "role (why) / placement", "owner (from)", "id"], rows


def _date(epoch: int, tz: tzinfo | None = UTC) -> str:
    """In the report's own zone (``Report.moment``), as its title and headline are."""
    return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M")


def _origin(volume: BackupVolume) -> str:
    origin = volume.origin or ""
    return "PVE listing" if origin.startswith("pve:") else origin or "?"


def _verified(volume: BackupVolume | None, tz: tzinfo | None) -> str:
    if volume is None or volume.verification is None:
        return "-"
    if volume.verification is VerifyState.NEVER:
        return "never"
    when = f" {_date(volume.verified_at, tz)[:10]}" if volume.verified_at else ""
    return f"{volume.verification.value}{when}"


def _backup_note(row: GuestBackups) -> str:
    notes = []
    if row.unknown_on:
        notes.append(f"unknown on {', '.join(row.unknown_on)}")
    if row.jobs_known and not row.jobs:
        notes.append("in no backup job")
    if not row.jobs_known:
        notes.append("jobs unknown")
    if row.newest is None and not row.unknown_on:
        notes.append("no backup found")
    return "; ".join(notes)


def backups_table(report: Report) -> Table:
    """Per guest: its newest backup, where that fact came from, and its newest verification."""
    now, tz = report.moment.timestamp(), report.moment.tzinfo
    rows = []
    for row in guest_backups(report.inventory):
        newest = row.newest
        ctime = newest.ctime if newest else None  # backups_of keeps dated backups only
        age = f"({int((now - ctime) // 86400)} d)" if ctime is not None else ""
        when = f"{_date(ctime, tz)} {age}" if ctime is not None else "-"
        rows.append(
            [
                row.guest.id,
                when,
                newest.storage if newest else "-",
                _origin(newest) if newest else "-",
                _verified(row.newest_verifiable, tz),
                _backup_note(row),
            ]
        )
    return ["guest", "newest backup (age)", "storage", "from", "verified", "notes"], rows


def backup_servers_table(report: Report) -> Table:
    """Every PBS datastore and job, with the figures the backup rules read."""
    now, tz = report.moment.timestamp(), report.moment.tzinfo
    rows = []
    for server in report.inventory.backup_servers:
        for store in server.datastores:
            full = store.estimated_full
            filling = (
                "full by ?"  # PBS had too little usage history to estimate
                if full is None
                else f"full by {_date(full, tz)[:10]}"
                if full > now
                else "not filling"
            )
            bad = "?" if store.gc_still_bad is None else store.gc_still_bad
            detail = [filling, f"GC still-bad {bad}"]
            if store.namespaces is not None:
                count = sum(len(s) for s in store.namespaces.values())
                detail.append(f"{count} snapshots in {len(store.namespaces)} namespace(s)")
            rows.append([store.id, "datastore", datastore_state(store) or "?", "; ".join(detail)])
        for job in server.jobs:
            state = {None: "not run", True: "FAILED", False: "ok"}[job.failed]
            when = f"last run {_date(job.last_end, tz)}" if job.last_end else "no finished run"
            text = f"{when}: {job.last_state}" if job.last_state else when
            rows.append([job.id, f"{job.kind.value} job", state, text])
    return ["object", "what", "state", "detail"], rows
