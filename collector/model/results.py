"""What a run makes of the lab: gaps, source statuses and results, role decisions, placements,
findings, and ``collect doctor``'s checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from collector.model.backup import BackupServer
from collector.model.kinds import Impact, Layer, Role, Severity, SourceKind
from collector.model.lab import Cluster, Engine


@dataclass(frozen=True, slots=True)
class Gap:
    """Something the collector could not read about one object; the rest of it is intact.

    ``incomplete`` gaps (a node offline, a guest config unreadable) make the run incomplete
    (exit code 3); the others (one guest agent silent) only narrow what checks can see.
    """

    subject: str
    what: str
    reason: str
    incomplete: bool = False

    @property
    def impact(self) -> Impact:
        return Impact.INCOMPLETE if self.incomplete else Impact.COVERAGE

    @classmethod
    def of(cls, subject: str, what: str, reason: str, impact: Impact) -> Gap:
        """A gap whose weight comes from the shared classification (``Impact``)."""
        return cls(subject, what, reason, incomplete=impact.incomplete)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    kind: SourceKind
    complete: bool
    error: str | None = None
    gaps: tuple[Gap, ...] = ()
    requests: int = 0
    duration_seconds: float | None = None
    """Wall time the source took to collect, measured by the orchestrator (None: not timed)."""

    @property
    def impact(self) -> Impact:
        """How much of this source the report lacks (see ``Impact``)."""
        if self.error is not None:
            return Impact.FATAL
        return Impact.worst(g.impact for g in self.gaps)

    @classmethod
    def failed(cls, name: str, kind: SourceKind, error: str, requests: int = 0) -> SourceStatus:
        """The source could not be read at all (what it returned before failing is lost)."""
        return cls(name, kind, complete=False, error=error, requests=requests)

    @classmethod
    def finished(
        cls, name: str, kind: SourceKind, gaps: Iterable[Gap], requests: int
    ) -> SourceStatus:
        """The source answered; it is complete unless a gap says the run is not."""
        gaps = tuple(gaps)
        return cls(
            name, kind, complete=not any(g.incomplete for g in gaps), gaps=gaps, requests=requests
        )


@dataclass(frozen=True, slots=True)
class RoleDecision:
    role: Role
    reason: str


class PlacementMethod(StrEnum):
    CONFIG = "config"
    IP = "ip"
    MAC = "mac"
    HOSTNAME = "hostname"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a container engine runs: a guest, a node, or nowhere we can tell."""

    engine: str
    target: str | None
    method: PlacementMethod
    detail: str
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.target is None and len(self.candidates) > 1


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one subject. A waived finding stays in the report, marked."""

    rule: str
    severity: Severity
    subject: str
    layer: Layer
    message: str
    hint: str
    waived: bool = False
    waiver_reason: str | None = None
    waiver_expires: str | None = None
    """ISO date the waiver runs out (it still holds on that day)."""


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source returned: its status, and whatever it could read."""

    status: SourceStatus
    cluster: Cluster | None = None
    engine: Engine | None = None
    backup_server: BackupServer | None = None


class CheckState(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @classmethod
    def of(cls, impact: Impact) -> CheckState:
        """``collect doctor``'s verdict on a read with this impact: FAIL where ``collect report``
        would exit 3, WARN where it would report a coverage gap, OK where nothing is lost."""
        if impact.incomplete:
            return cls.FAIL
        return cls.WARN if impact is Impact.COVERAGE else cls.OK


@dataclass(frozen=True, slots=True)
class Check:
    """One line of ``collect doctor``: what was checked, how it went, and what to do."""

    name: str
    state: CheckState
    detail: str

    @classmethod
    def judged(cls, name: str, impact: Impact, detail: str) -> Check:
        return cls(name, CheckState.of(impact), detail)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Everything ``collect doctor`` found out about one source."""

    source: str
    kind: SourceKind
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.state is not CheckState.FAIL for c in self.checks)
