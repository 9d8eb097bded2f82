"""What changed between two runs: a pure comparison of two snapshots (no I/O, no clock).

A snapshot is what the history keeps of one run: its sources, one record per inventory object,
its findings and the status of each declared system. ``diff(base, current)`` says which objects
were added, removed, moved (node, engine or host changed) or changed (state, image, digest, role,
owner), which findings are new, resolved, gone (its object disappeared: nothing was fixed) or
persisting, with the date they were first seen, and which declared systems changed status
("declared system X went missing").

Missing data is never a change. A source that is incomplete in the newer run hides nothing: its
objects that are absent are *not* reported as removed and its findings that are absent are *not*
reported as resolved; a value that became unknown in an incomplete run is not a change either.
Symmetrically, objects of a source that was incomplete in the older run are not reported as added.
A declared system whose status is unknown (a source that could hold it was not read) changes
nothing, and a declaration finding absent from a run with such a system is not resolved.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from collector.report.declared_changes import (
    UNKNOWN_STATUS,
    DeclaredChange,
    DeclaredRecord,
    declared_changes,
)
from collector.rules.declared import RULES as DECLARATION_RULES

UNKNOWN_VALUES = (None, "unknown")
_SEVERITY_RANK = {"error": 2, "warning": 1, "info": 0}
_PARENT_FIELD = {
    "vm": "node",
    "vm template": "node",
    "lxc": "node",
    "lxc template": "node",
    "docker-container": "engine",
    "docker-engine": "host",
    "node": "cluster",
    "pbs-datastore": "server",
}
COMPARED_FIELDS = ("state", "image", "digest", "role", "owner")
DECLARATION_RULE_IDS = frozenset(rule.id for rule in DECLARATION_RULES)


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    CHANGED = "changed"


class FindingStatus(StrEnum):
    NEW = "new"
    RESOLVED = "resolved"
    """The object is still there and the rule no longer fires on it."""
    GONE = "gone"
    """The object disappeared (removed, or renamed to a new id): nothing was fixed."""
    WAIVED = "waived"
    """Open in the older run, covered by a ``[[waivers]]`` entry now."""
    PERSISTING = "persisting"


def source_key(item_id: str) -> str | None:
    """``pve:lab/qemu/100`` → ``pve:lab``; ``docker:apps/web`` → ``docker:apps``;
    ``pbs:backup/datastore/tank`` → ``pbs:backup``; else None."""
    prefix, _, _ = item_id.partition("/")
    kind, sep, name = prefix.partition(":")
    if not sep or not name or kind not in ("pve", "docker", "pbs"):
        return None
    return prefix


def source_key_of(kind: str, name: str) -> str:
    """The id prefix of a source's objects: proxmox ``lab`` → ``pve:lab``."""
    return f"{'pve' if kind == 'proxmox' else kind}:{name}"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    name: str
    kind: str
    complete: bool
    error: str | None = None

    @property
    def key(self) -> str:
        return source_key_of(self.kind, self.name)


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """One inventory object as the history keeps it (clusters are not kept: they only group)."""

    id: str
    form: str
    name: str
    parent: str | None = None
    state: str | None = None
    image: str | None = None
    digest: str | None = None
    role: str | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class FindingRecord:
    rule: str
    subject: str
    severity: str
    message: str
    first_seen: str | None = None
    """When this finding (rule + subject) was first reported, unbroken since; set by the store."""
    waived: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.subject)


@dataclass(frozen=True, slots=True)
class Snapshot:
    generated_at: str
    sources: tuple[SourceRecord, ...]
    objects: tuple[ObjectRecord, ...]
    findings: tuple[FindingRecord, ...]
    workloads: int = 0
    compliant: int = 0
    run_id: int | None = None
    declared: tuple[DeclaredRecord, ...] = ()

    @property
    def complete(self) -> bool:
        return all(s.complete for s in self.sources)

    @property
    def incomplete_sources(self) -> frozenset[str]:
        return frozenset(s.key for s in self.sources if not s.complete)

    @property
    def declared_unknown(self) -> bool:
        """Some declared system may exist unseen: declaration findings absent from this run
        prove nothing."""
        return any(d.status == UNKNOWN_STATUS for d in self.declared)

    def hides(self, finding: FindingRecord) -> bool:
        """Whether this run could not have seen ``finding`` (so its absence means nothing)."""
        return unseen(finding.key, self.incomplete_sources, self.declared_unknown)


def unseen(
    key: tuple[str, str], incomplete_sources: Collection[str], declared_unknown: bool
) -> bool:
    """Whether a run could not have seen the finding ``key`` (rule, subject): its subject's
    source was incomplete, or it is a declaration finding and a declared system was unknown."""
    rule, subject = key
    if source_key(subject) in incomplete_sources:
        return True
    return rule in DECLARATION_RULE_IDS and declared_unknown


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ObjectChange:
    kind: ChangeKind
    id: str
    form: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    previous_id: str | None = None
    """Set when the id itself changed: a container that moved to another engine."""


@dataclass(frozen=True, slots=True)
class FindingChange:
    status: FindingStatus
    rule: str
    subject: str
    severity: str
    message: str
    first_seen: str | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """The report's Changes section: this run against ``base`` (the previous complete run)."""

    base_run: int | None
    base_generated_at: str
    objects: tuple[ObjectChange, ...] = ()
    findings: tuple[FindingChange, ...] = ()
    unknown_sources: tuple[str, ...] = ()
    """Sources incomplete in this run: their absent objects/findings are not called removed."""
    declared: tuple[DeclaredChange, ...] = ()

    def objects_of(self, kind: ChangeKind) -> tuple[ObjectChange, ...]:
        return tuple(c for c in self.objects if c.kind is kind)

    def findings_of(self, status: FindingStatus) -> tuple[FindingChange, ...]:
        return tuple(f for f in self.findings if f.status is status)

    def counts(self) -> dict[str, int]:
        counts = {kind.value: len(self.objects_of(kind)) for kind in ChangeKind}
        counts.update({s.value: len(self.findings_of(s)) for s in FindingStatus})
        return counts

    @property
    def empty(self) -> bool:
        """Nothing an operator must read: no object change, no new or resolved finding."""
        return (
            not self.objects
            and not self.declared
            and not any(f.status is not FindingStatus.PERSISTING for f in self.findings)
        )


def _field_changes(
    old: ObjectRecord, new: ObjectRecord, base: Snapshot, current: Snapshot
) -> tuple[FieldChange, ...]:
    changes = []
    for name in ("parent", *COMPARED_FIELDS):
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if after in UNKNOWN_VALUES and not current.complete:
            continue  # the newer run could not see it: missing data, not a change
        if before in UNKNOWN_VALUES and not base.complete:
            continue
        label = _PARENT_FIELD.get(new.form, "parent") if name == "parent" else name
        changes.append(FieldChange(label, before, after))
    return tuple(changes)


def _pair_moved_containers(
    added: list[ObjectRecord], removed: list[ObjectRecord]
) -> list[tuple[ObjectRecord, ObjectRecord]]:
    """A container whose name appears once as removed and once as added moved engines."""

    def unique(records: list[ObjectRecord]) -> dict[str, ObjectRecord]:
        containers = [r for r in records if r.form == "docker-container"]
        names = [r.name for r in containers]
        return {r.name: r for r in containers if names.count(r.name) == 1}

    gone, new = unique(removed), unique(added)
    return [(gone[name], new[name]) for name in sorted(gone.keys() & new.keys())]


def _object_changes(base: Snapshot, current: Snapshot) -> list[ObjectChange]:
    old = {o.id: o for o in base.objects}
    new = {o.id: o for o in current.objects}
    hidden_now, hidden_then = current.incomplete_sources, base.incomplete_sources
    added = [o for i, o in new.items() if i not in old and source_key(i) not in hidden_then]
    removed = [o for i, o in old.items() if i not in new and source_key(i) not in hidden_now]
    result: list[ObjectChange] = []
    for before, after in _pair_moved_containers(added, removed):
        added.remove(after)
        removed.remove(before)
        others = _field_changes(before, after, base, current)
        fields = (
            FieldChange("engine", before.parent, after.parent),
            *(c for c in others if c.field != "engine"),
        )
        result.append(
            ObjectChange(ChangeKind.MOVED, after.id, after.form, after.name, fields, before.id)
        )
    result += [ObjectChange(ChangeKind.ADDED, o.id, o.form, o.name) for o in added]
    result += [ObjectChange(ChangeKind.REMOVED, o.id, o.form, o.name) for o in removed]
    for item_id, after in new.items():
        before_record = old.get(item_id)
        if before_record is None:
            continue
        fields = _field_changes(before_record, after, base, current)
        if fields:
            moved = any(f.field == _PARENT_FIELD.get(after.form, "parent") for f in fields)
            kind = ChangeKind.MOVED if moved else ChangeKind.CHANGED
            result.append(ObjectChange(kind, item_id, after.form, after.name, fields))
    order = list(ChangeKind)
    return sorted(result, key=lambda c: (order.index(c.kind), c.id))


def _finding_changes(base: Snapshot, current: Snapshot) -> list[FindingChange]:
    """Open findings only: a waived finding is accepted, so it is news only on the day it is."""
    old = {f.key: f for f in base.findings if not f.waived}
    waived_now = {f.key for f in current.findings if f.waived}
    new = {f.key: f for f in current.findings if not f.waived}
    result = []
    for key, f in new.items():
        earlier = old.get(key)
        status = FindingStatus.PERSISTING if earlier is not None else FindingStatus.NEW
        first_seen = f.first_seen or (earlier.first_seen if earlier else None)
        if first_seen is None:
            first_seen = base.generated_at if earlier is not None else current.generated_at
        result.append(FindingChange(status, f.rule, f.subject, f.severity, f.message, first_seen))
    vanished = {o.id for o in base.objects} - {o.id for o in current.objects}
    for key, f in old.items():
        if key not in new and not current.hides(f):
            status = FindingStatus.GONE if f.subject in vanished else FindingStatus.RESOLVED
            if key in waived_now:
                status = FindingStatus.WAIVED
            result.append(
                FindingChange(status, f.rule, f.subject, f.severity, f.message, f.first_seen)
            )
    order = list(FindingStatus)
    return sorted(
        result,
        key=lambda c: (
            order.index(c.status),
            -_SEVERITY_RANK.get(c.severity, -1),
            c.rule,
            c.subject,
        ),
    )


def diff(base: Snapshot | None, current: Snapshot) -> Changes | None:
    """Compare ``current`` with ``base``; None when there is nothing to compare with."""
    if base is None:
        return None
    return Changes(
        base_run=base.run_id,
        base_generated_at=base.generated_at,
        objects=tuple(_object_changes(base, current)),
        findings=tuple(_finding_changes(base, current)),
        unknown_sources=tuple(sorted(current.incomplete_sources)),
        declared=declared_changes(base.declared, current.declared),
    )


def dedupe_findings(findings: Iterable[FindingRecord]) -> tuple[FindingRecord, ...]:
    """One record per (rule, subject): the history and the diff key findings that way."""
    seen: dict[tuple[str, str], FindingRecord] = {}
    for finding in findings:
        seen.setdefault(finding.key, finding)
    return tuple(seen.values())
