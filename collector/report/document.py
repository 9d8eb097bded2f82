"""The JSON document: the public, versioned contract that users' scripts rely on.

``render_json`` prints it; the history keeps what it says of each run (``snapshot``), so a key
added here reaches the history too. Keys are stable; ``JSON_SCHEMA_VERSION`` changes only on
incompatible edits (a key may be added; ``compliance`` is null, not 1.0, when there was nothing
to judge: no workloads, or a layer without objects). Container environment variables are never
part of the model, so they cannot leak here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from collector.correlation.inventory import Inventory
from collector.model import Cluster, Container, Engine, Guest, Node
from collector.report.build import Report
from collector.report.diff import Changes
from collector.report.tree import Row, walk

JSON_SCHEMA_VERSION = 1
"""The version of this document's shape (``schema_version`` in it)."""


def _share(value: float | None) -> float | None:
    """A compliance share to 4 places; null when there was nothing to judge."""
    return None if value is None else round(value, 4)


def _details(item: Cluster | Node | Guest | Engine | Container, inv: Inventory) -> dict[str, Any]:
    if isinstance(item, Cluster):
        return {"version": item.version, "pools": dict(item.pools)}
    if isinstance(item, Node):
        return {"online": item.online, "ip": item.ip}
    if isinstance(item, Guest):
        return {
            "vmid": item.vmid,
            "node": item.node,
            "template": item.template,
            "tags": list(item.tags),
            "pool": item.pool,
            "description": item.description,
            "onboot": item.onboot,
            "agent_enabled": item.agent_enabled,
            "ostype": item.ostype,
            "ha_state": item.ha_state,
            "ips": list(item.ips),
            "macs": list(item.macs),
            "features": list(item.features),
            "memory_bytes": item.memory_bytes,
            "cores": item.cores,
            "disks_without_backup": list(item.disks_without_backup),
        }
    if isinstance(item, Engine):
        placement = inv.placements.get(item.id)
        return {
            "url": item.url,
            "product": item.product.value,
            "pods": [
                {
                    "name": pod.name,
                    "pod_id": pod.pod_id,
                    "status": pod.status,
                    "labels": dict(pod.labels),
                    "containers": list(pod.containers),
                }
                for pod in item.pods
            ],
            "engine_id": item.engine_id,
            "hostname": item.hostname,
            "version": item.version,
            "api_version": item.api_version,
            "os": item.os,
            "addresses": list(item.addresses),
            "placement": (
                {
                    "target": placement.target,
                    "method": placement.method.value,
                    "detail": placement.detail,
                    "candidates": list(placement.candidates),
                }
                if placement
                else None
            ),
        }
    return {
        "container_id": item.container_id,
        "engine": item.engine,
        "image": item.image,
        "image_id": item.image_id,
        "image_digest": item.image_digest,
        "health": item.health,
        "restart_policy": item.restart_policy,
        "restart_count": item.restart_count,
        "log_driver": item.log_driver,
        "log_options": dict(item.log_options),
        "labels": dict(item.labels),
        "compose_project": item.compose_project,
        "compose_service": item.compose_service,
        "pod": item.pod,
        "systemd_unit": item.systemd_unit,
        "mounts": [asdict(m) for m in item.mounts],
        "ports": [asdict(p) for p in item.ports],
        "networks": list(item.networks),
        "created_at": item.created_at,
        "started_at": item.started_at,
    }


def _item(row: Row, inv: Inventory) -> dict[str, Any]:
    role = inv.roles.get(row.id)
    owner = inv.owners.get(row.id)
    state = row.item.state if isinstance(row.item, Container) else None
    if isinstance(row.item, Guest):
        state = row.item.status
    elif isinstance(row.item, Node):
        state = row.state
    return {
        "id": row.id,
        "parent": inv.parent(row.id),
        "name": row.name,
        "form": row.form.split(" ")[0],
        "role": role.role.value if role else None,
        "role_reason": role.reason if role else None,
        "owner": owner.name if owner else None,
        "owner_source": owner.origin if owner else None,
        "state": state,
        **_details(row.item, inv),
    }


def report_document(report: Report) -> dict[str, Any]:
    inv = report.inventory
    summary = report.summary
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "generated_at": report.generated_at,
        "changes": changes_document(report.changes),
        "sources": [
            {
                "name": s.name,
                "kind": s.kind.value,
                "complete": s.complete,
                "error": s.error,
                "requests": s.requests,
                "gaps": [asdict(g) for g in s.gaps],
            }
            for s in inv.sources
        ],
        "summary": {
            "complete": summary.complete,
            "counts_by_layer": dict(summary.counts_by_layer),
            "counts_by_form": dict(summary.counts_by_form),
            "workloads": summary.workloads,
            "compliant": summary.compliant,
            "compliance": _share(summary.compliance),
            "findings_by_severity": dict(summary.findings_by_severity),
            "waived": summary.waived,
            "layers": {
                name: {
                    "objects": layer.objects,
                    "compliant": layer.compliant,
                    "compliance": _share(layer.compliance),
                    "findings": layer.findings,
                    "waived": layer.waived,
                    "rules": {
                        rule: {"findings": n.findings, "waived": n.waived}
                        for rule, n in layer.rules.items()
                    },
                }
                for name, layer in summary.layers.items()
            },
        },
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "subject": f.subject,
                "layer": f.layer.value,
                "message": f.message,
                "hint": f.hint,
                "waived": f.waived,
                "waiver_reason": f.waiver_reason,
                "waiver_expires": f.waiver_expires,
            }
            for f in report.findings
        ],
        "inventory": [_item(row, inv) for row in walk(inv)],
    }


def changes_document(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {
        "base_run": changes.base_run,
        "base_generated_at": changes.base_generated_at,
        "counts": changes.counts(),
        "unknown_sources": list(changes.unknown_sources),
        "objects": [
            {
                "change": c.kind.value,
                "id": c.id,
                "previous_id": c.previous_id,
                "form": c.form,
                "name": c.name,
                "fields": [
                    {"field": f.field, "before": f.before, "after": f.after} for f in c.fields
                ],
            }
            for c in changes.objects
        ],
        "findings": [
            {
                "status": f.status.value,
                "rule": f.rule,
                "subject": f.subject,
                "severity": f.severity,
                "message": f.message,
                "first_seen": f.first_seen,
            }
            for f in changes.findings
        ],
    }
