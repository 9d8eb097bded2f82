"""Turn a report into the snapshot the history keeps, through the public JSON document.

Reading ``report_document`` (the versioned JSON contract) rather than the model means the history
keeps exactly what users' scripts see, and that a key added to the JSON by a later layer (such as
``owner``) reaches the history without touching this module again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.report.build import Report
from collector.report.declared_changes import DeclaredRecord
from collector.report.diff import (
    FindingRecord,
    ObjectRecord,
    Snapshot,
    SourceRecord,
    dedupe_findings,
)
from collector.report.document import report_document


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _object(item: Mapping[str, Any]) -> ObjectRecord:
    form = str(item.get("form") or "unknown")
    if item.get("template"):
        form += " template"
    return ObjectRecord(
        id=str(item["id"]),
        form=form,
        name=str(item.get("name") or item["id"]),
        parent=_text(item.get("parent")),
        state=_text(item.get("state")),
        image=_text(item.get("image")),
        # The image id changes whenever the image content does; the repo digest is missing
        # for locally built images, so it is only the fallback.
        digest=_text(item.get("image_id")) or _text(item.get("image_digest")),
        role=_text(item.get("role")),
        owner=_text(item.get("owner")),
    )


def _declared(doc: Mapping[str, Any]) -> tuple[DeclaredRecord, ...]:
    declared = doc.get("declared") or {}
    return tuple(
        DeclaredRecord(
            subject=str(d["subject"]),
            name=str(d["name"]),
            form=str(d["form"]),
            status=str(d["status"]),
            found=", ".join(str(r["id"]) for r in d.get("found", ())) or None,
        )
        for d in declared.get("systems", ())
    )


def snapshot_from_document(doc: Mapping[str, Any]) -> Snapshot:
    summary = doc.get("summary") or {}
    return Snapshot(
        generated_at=str(doc["generated_at"]),
        sources=tuple(
            SourceRecord(
                name=str(s["name"]),
                kind=str(s["kind"]),
                complete=bool(s["complete"]),
                error=_text(s.get("error")),
            )
            for s in doc.get("sources", ())
        ),
        objects=tuple(
            _object(item) for item in doc.get("inventory", ()) if item.get("form") != "cluster"
        ),
        findings=dedupe_findings(
            FindingRecord(
                rule=str(f["rule"]),
                subject=str(f["subject"]),
                severity=str(f["severity"]),
                message=str(f.get("message") or ""),
                waived=bool(f.get("waived")),
            )
            for f in doc.get("findings", ())
        ),
        workloads=int(summary.get("workloads", 0)),
        compliant=int(summary.get("compliant", 0)),
        declared=_declared(doc),
    )


def snapshot_from_report(report: Report) -> Snapshot:
    return snapshot_from_document(report_document(report))
