"""What a notification says: the headline, what changed, and where the report is.

Short on purpose (a phone screen): counts, then at most ``MAX_LISTED`` new and resolved findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector import __version__
from collector.render.changes import changes_line, since_text
from collector.render.declared import declared_change_lines
from collector.render.sections import headline
from collector.report.build import Report
from collector.report.diff import FindingChange, FindingStatus
from collector.text import clean

MAX_LISTED = 10


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    text: str
    document: dict[str, Any]
    """The generic webhook's JSON body."""
    urgent: bool
    """A new error-level finding or an incomplete run: ntfy/Gotify raise the priority."""


def changed(report: Report) -> bool:
    """Worth a ``when = "changes"`` notification: a change, a first run, or a failing source."""
    return report.changes is None or not report.changes.empty or not report.complete


def _finding(f: FindingChange) -> dict[str, Any]:
    return {"rule": f.rule, "subject": f.subject, "severity": f.severity, "message": f.message}


def _listed(title: str, findings: list[FindingChange]) -> list[str]:
    if not findings:
        return []
    lines = [f"{title}:"]
    lines += [
        clean(f"- [{f.severity}] {f.rule} {f.subject}: {f.message}") for f in findings[:MAX_LISTED]
    ]
    if len(findings) > MAX_LISTED:
        lines.append(f"- … and {len(findings) - MAX_LISTED} more")
    return lines


def build_notification(report: Report, title: str, location: str | None) -> Notification:
    changes = report.changes
    new = list(changes.findings_of(FindingStatus.NEW)) if changes else []
    resolved = list(changes.findings_of(FindingStatus.RESOLVED)) if changes else []
    lines = [headline(report), changes_line(changes)]
    lines += _listed("New findings", new)
    lines += _listed("Resolved findings", resolved)
    lines += declared_change_lines(changes)[:MAX_LISTED]
    if location:
        lines.append(f"Report: {location}")
    summary = report.summary
    document: dict[str, Any] = {
        "source": "homelab-collector",
        "version": __version__,
        "title": title,
        "generated_at": report.generated_at,
        "complete": report.complete,
        "headline": headline(report),
        "summary": {
            "workloads": summary.workloads,
            "compliant": summary.compliant,
            "findings_by_severity": dict(summary.findings_by_severity),
        },
        "changes": (
            {
                "since": since_text(changes),
                "base_run": changes.base_run,
                "counts": changes.counts(),
                "new_findings": [_finding(f) for f in new],
                "resolved_findings": [_finding(f) for f in resolved],
            }
            if changes
            else None
        ),
        "report": location,
        "text": "\n".join(lines),
    }
    urgent = not report.complete or any(f.severity == "error" for f in new)
    return Notification(title, "\n".join(lines), document, urgent)
