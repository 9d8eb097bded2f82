"""The JSON document: the public, versioned contract that users' scripts rely on.

``render_json`` prints it; the history keeps what it says of each run (``snapshot``), so a key
added here reaches the history too. Keys are stable; ``JSON_SCHEMA_VERSION`` changes only on
incompatible edits (a key may be added; ``compliance`` is null, not 1.0, when there was nothing
to judge: no workloads, or a layer without objects). Container environment variables are never
part of the model, so they cannot leak here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from collector.correlation.inventory import Inventory, Item
from collector.model import (
    BackupServer,
    BackupVolume,
    Container,
    Datastore,
    Engine,
    Guest,
    Node,
    PbsJob,
)
from collector.report.backups import guest_backups
from collector.report.build import Report
from collector.report.declared import declared_document
from collector.report.diff import Changes
from collector.report.tree import Row, walk

JSON_SCHEMA_VERSION = 1
"""The version of this document's shape (``schema_version`` in it)."""


def _share(value: float | None) -> float | None:
    """A compliance share to 4 places; null when there was nothing to judge."""
    return None if value is None else round(value, 4)


def _job(job: PbsJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind.value,
        "name": job.name,
        "store": job.store,
        "namespace": job.namespace,
        "schedule": job.schedule,
        "enabled": job.enabled,
        "detail": job.detail,
        "last_state": job.last_state,
        "last_end": job.last_end,
        "failed": job.failed,
    }


def _jobs(jobs: tuple[PbsJob, ...] | None) -> list[dict[str, Any]] | None:
    return None if jobs is None else [_job(j) for j in jobs]


def _backup_details(item: BackupServer | Datastore) -> dict[str, Any]:
    if isinstance(item, BackupServer):
        return {
            "host": item.host,
            "port": item.port,
            "version": item.version,
            "jobs": {
                "verify": _jobs(item.verify_jobs),
                "prune": _jobs(item.prune_jobs),
                "sync": _jobs(item.sync_jobs),
                "gc": _jobs(item.gc_jobs),
            },
        }
    return {
        "server": item.server,
        "comment": item.comment,
        "total_bytes": item.total_bytes,
        "used_bytes": item.used_bytes,
        "estimated_full": item.estimated_full,
        "gc_still_bad": item.gc_still_bad,
        "gc_removed_bad": item.gc_removed_bad,
        "snapshots_by_namespace": (
            None
            if item.namespaces is None
            else {ns: len(snaps) for ns, snaps in item.namespaces.items()}
        ),
    }


def _list(values: Iterable[Any] | None) -> list[Any] | None:
    """A list, or null for a value that was not read (never an empty list in its place)."""
    return None if values is None else list(values)


def _map(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else dict(values)


def _details(item: Item, inv: Inventory) -> dict[str, Any]:
    if isinstance(item, BackupServer | Datastore):
        return _backup_details(item)
    if isinstance(item, Node):
        return {"online": item.online, "ip": item.ip, "listed": item.listed}
    if not isinstance(item, Guest | Engine | Container):
        return {"version": item.version, "pools": _map(item.pools)}
    if isinstance(item, Guest):
        unread = item.nics is None and item.reported_ips is None
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
            # Known addresses (static config and the guest's own report); null when neither
            # could be read.
            "ips": None if unread else list(item.ips),
            "macs": None if unread else list(item.macs),
            "features": _list(item.features),
            "memory_bytes": item.memory_bytes,
            "cores": item.cores,
            "disks_without_backup": _list(item.disks_without_backup),
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
        "log_options": _map(item.log_options),
        "labels": _map(item.labels),
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
        state = {True: "online", False: "offline", None: "unknown"}[row.item.online]
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
        "backups": backups_document(inv),
        "declared": declared_document(inv.declared),
    }


def _volume(volume: BackupVolume | None) -> dict[str, Any] | None:
    if volume is None:
        return None
    return {
        "volid": volume.volid,
        "storage": volume.storage,
        "time": volume.ctime,
        "origin": volume.origin,
        "verification": volume.verification.value if volume.verification else None,
        "verified_at": volume.verified_at,
    }


def backups_document(inv: Inventory) -> list[dict[str, Any]]:
    """Per guest: its jobs, newest backup and newest PBS snapshot, and where it is unknown."""
    return [
        {
            "guest": row.guest.id,
            "jobs": list(row.jobs) if row.jobs_known else None,
            "backups": row.count,
            "newest": _volume(row.newest),
            "newest_verifiable": _volume(row.newest_verifiable),
            "unknown_on": list(row.unknown_on),
        }
        for row in guest_backups(inv)
    ]


def changes_document(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {
        "declared": [
            {
                "subject": d.subject,
                "name": d.name,
                "form": d.form,
                "before": d.before,
                "after": d.after,
                "found_before": d.found_before,
                "found_after": d.found_after,
            }
            for d in changes.declared
        ],
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
