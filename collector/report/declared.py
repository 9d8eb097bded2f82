"""Declared vs running in the JSON contract: the document's ``declared`` key.

``null`` when nothing is declared; else ``counts`` (per status, and ``undeclared``), ``systems``
(each declared system in the order written, with its status, what it was found as and where,
and what differs) and ``undeclared`` (the running workloads no declared system covers).
``collector.report.snapshot`` reads the statuses back for the history.
"""

from __future__ import annotations

from typing import Any

from collector.correlation.declared import Declared, Status
from collector.correlation.running import Running


def _running(running: Running) -> dict[str, Any]:
    return {
        "id": running.id,
        "name": running.name,
        "form": running.form.value,
        "where": running.where,
        "running": running.running,
        "members": list(running.members),
    }


def declared_document(declared: Declared | None) -> dict[str, Any] | None:
    """Declared vs running: each declared system with its status and where it was found, then
    the running workloads no declaration covers. None when nothing is declared."""
    if declared is None:
        return None
    counts = {status.value: 0 for status in Status}
    for match in declared.matches:
        counts[match.status.value] += 1
    counts["undeclared"] = len(declared.undeclared)
    return {
        "counts": counts,
        "systems": [
            {
                "subject": m.system.subject,
                "name": m.system.name,
                "form": m.system.form.value,
                "host": m.system.host,
                "role": m.system.role.value if m.system.role else None,
                "owner": m.system.owner,
                "backup": m.system.backup,
                "link": m.system.link,
                "origin": m.system.origin,
                "status": m.status.value,
                "detail": m.detail,
                "found": [_running(r) for r in m.found],
                "mismatches": [
                    {
                        "kind": x.kind.value,
                        "subject": x.subject,
                        "declared": x.declared,
                        "found": x.found,
                    }
                    for x in m.mismatches
                ],
            }
            for m in declared.matches
        ],
        "undeclared": [_running(r) for r in declared.undeclared],
    }
