"""The lab's systems as declared, matched to what runs: ok, missing, mismatch or ambiguous.

A declaration lists what *should* exist (``[[systems]]`` entries or the systems table of the
architecture wiki page; ``collector.config`` reads both into ``DeclaredSystem``s). Each system
is matched against the running systems of ``collector.correlation.running``, pure and in file
order:

1. *By name*: the declared name, a glob allowed (case-insensitive), against guest and container
   names, compose project and Podman pod names, and the Quadlet (systemd unit) names of
   containers and pods (``collector.correlation.running``).
2. *Narrowed by form*: the matches of the declared form are the system. A declared host (a node,
   guest or engine name) narrows a plain name further; a glob keeps all its matches and reports
   those elsewhere as host mismatches.
3. A plain name that still matches several systems is **ambiguous**: reported, never guessed.
   (A glob matching several is what a glob is for.)
4. No match of the declared form, but matches of another form: a **form mismatch** (declared as
   a VM, runs as an LXC). No match at all: **missing**.
5. A system is **unknown**, never missing, when a source that could hold it was not read
   completely: a VM or LXC needs the Proxmox source holding its declared node (else every
   Proxmox source); a container, compose project or pod the engine named as its host (else
   every Docker engine). Other forms found meanwhile prove no mismatch either.

Found systems are checked: a declared host that is not where it runs is a **host mismatch** (an
unplaced engine's host is unknown, so no mismatch is claimed); a declared owner that the
object's own tags or labels contradict an **owner mismatch**. The declared role and owner of a
found system (not of an ambiguous one) are what ``classify`` and ``ownership`` put first.
Running workloads (not templates) that no declaration covers are **undeclared**: guests, compose
projects and pods as a whole, and containers in neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from collector.correlation.ownership import Owner
from collector.correlation.running import GROUP_FORMS, Running, SystemForm
from collector.model import Role, RoleDecision, SourceKind, SourceStatus

DECLARED_PREFIX = "declared:"


@dataclass(frozen=True, slots=True)
class DeclaredSystem:
    """One row of the systems table, or one ``[[systems]]`` entry."""

    name: str
    """The system's name; a glob (``k3s-*``) declares every system it matches."""
    form: SystemForm
    host: str | None = None
    """A node, guest or engine name (glob allowed) it should run on."""
    role: Role | None = None
    owner: str | None = None
    backup: bool | None = None
    """Whether it needs a backup; None when the declaration does not say."""
    link: str | None = None
    origin: str = field(default="", compare=False)
    """Where it is written: ``Architektur.md:14``, ``[[systems]][2]``."""

    @property
    def subject(self) -> str:
        """The id findings about the declaration itself use: ``declared:vm/opnsense@pve1``."""
        at = f"@{self.host}" if self.host else ""
        return f"{DECLARED_PREFIX}{self.form.value}/{self.name}{at}"

    @property
    def is_glob(self) -> bool:
        return _is_glob(self.name)


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"
    MISMATCH = "mismatch"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"
    """Not found, but a source that could hold it was not read completely."""


class MismatchKind(StrEnum):
    FORM = "form"
    HOST = "host"
    OWNER = "owner"


@dataclass(frozen=True, slots=True)
class Mismatch:
    kind: MismatchKind
    subject: str
    """The running system's id."""
    declared: str
    found: str


@dataclass(frozen=True, slots=True)
class SystemMatch:
    system: DeclaredSystem
    status: Status
    found: tuple[Running, ...] = ()
    """The running systems it matched (for an ambiguous one: the candidates)."""
    mismatches: tuple[Mismatch, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Declared:
    """The declaration matched against the lab (``Inventory.declared``)."""

    matches: tuple[SystemMatch, ...]
    undeclared: tuple[Running, ...] = ()
    roles: Mapping[str, RoleDecision] = field(default_factory=dict)
    """Inventory id → the role its declaration gives it."""
    owners: Mapping[str, Owner] = field(default_factory=dict)
    """Inventory id → the owner its declaration gives it."""
    backup_not_needed: frozenset[str] = frozenset()
    """Inventory ids declared with ``backup = false``."""


def _glob(pattern: str, value: str) -> bool:
    return fnmatchcase(value.lower(), pattern.lower())


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def host_state(host: str, running: Running, engines: Collection[str] = ()) -> bool | None:
    """Whether ``running`` runs on ``host``; None when its host is not known. ``engines`` are
    the Docker sources' names: a host naming another engine is known to be elsewhere."""
    if any(_glob(host, h) for h in running.hosts):
        return True
    if running.kind is SourceKind.DOCKER and any(_glob(host, e) for e in engines):
        return False
    return False if running.host_known else None


class _Index:
    """The running systems by name and by host, so matching a declaration as long as the lab
    (what ``collect declare`` writes) stays linear: a plain name is a dict lookup (a glob
    without wildcards matches only its own text), only a glob scans."""

    def __init__(self, running: Sequence[Running]) -> None:
        self.running = running
        self.by_name: dict[str, list[Running]] = defaultdict(list)
        self.by_host: dict[tuple[SourceKind, str], set[str]] = defaultdict(set)
        for r in running:
            for name in dict.fromkeys(n.lower() for n in r.names):
                self.by_name[name].append(r)
            for host in r.hosts:
                self.by_host[(r.kind, host.lower())].add(r.source)

    def named(self, pattern: str) -> list[Running]:
        if not _is_glob(pattern):
            return self.by_name.get(pattern.lower(), [])
        return [r for r in self.running if any(_glob(pattern, n) for n in r.names)]

    def sources_on(self, kind: SourceKind, host: str) -> set[str]:
        """Sources holding a ``kind`` system that runs on ``host``."""
        if not _is_glob(host):
            return self.by_host.get((kind, host.lower()), set())
        found = [v for (k, h), v in self.by_host.items() if k is kind and _glob(host, h)]
        return set().union(*found)


def match_declared(
    systems: Iterable[DeclaredSystem],
    running: Sequence[Running],
    sources: Sequence[SourceStatus],
) -> Declared:
    """Match every declared system; the sources say which could not be read completely."""
    index = _Index(running)
    matches = tuple(_match(system, index, sources) for system in systems)
    roles: dict[str, RoleDecision] = {}
    owners: dict[str, Owner] = {}
    no_backup: set[str] = set()
    for match in matches:
        if match.status not in (Status.OK, Status.MISMATCH):
            continue  # an ambiguous declaration gives nothing to anyone: never guessed
        system = match.system
        members = [m for r in match.found for m in r.members]
        if system.role is not None:
            reason = RoleDecision(system.role, f"declared in {system.origin}")
            roles.update((m, reason) for m in members if m not in roles)
        if system.owner is not None:
            owner = Owner(system.owner, f"declared in {system.origin}")
            owners.update((m, owner) for m in members if m not in owners)
        if system.backup is False:
            no_backup.update(members)
    covered = {m for match in matches for r in match.found for m in r.members}
    return Declared(matches, _undeclared(running, covered), roles, owners, frozenset(no_backup))


def _match(system: DeclaredSystem, index: _Index, sources: Sequence[SourceStatus]) -> SystemMatch:
    named = index.named(system.name)
    same = [r for r in named if r.form is system.form]
    other = _outermost([r for r in named if r.form is not system.form])
    engines = {s.name for s in sources if s.kind is SourceKind.DOCKER}
    if same:
        return _found(system, same, engines)
    unread = _unread(system, index, sources)
    if unread:  # the others are what it may be, so they count as declared; nothing is claimed
        detail = f"not found as {system.form.words}, but {unread}"
        return SystemMatch(system, Status.UNKNOWN, tuple(other), detail=detail)
    if not other:
        return SystemMatch(system, Status.MISSING, detail=f"no system named {system.name}")
    if not system.is_glob and len(other) > 1:
        return _ambiguous(system, other)
    forms = [Mismatch(MismatchKind.FORM, r.id, system.form.value, r.form.value) for r in other]
    extra = _checks(system, other, engines)
    return SystemMatch(system, Status.MISMATCH, tuple(other), (*forms, *extra))


def _found(system: DeclaredSystem, same: list[Running], engines: set[str]) -> SystemMatch:
    chosen = same
    host = system.host
    if host and not system.is_glob:
        here = [r for r in same if host_state(host, r, engines) is not False]
        chosen = here or same
    if not system.is_glob and len(chosen) > 1:
        return _ambiguous(system, chosen)
    mismatches = _checks(system, chosen, engines)
    unknown = [r.id for r in chosen if host and host_state(host, r, engines) is None]
    detail = f"host not known for {', '.join(unknown)} (engine not placed)" if unknown else ""
    status = Status.MISMATCH if mismatches else Status.OK
    return SystemMatch(system, status, tuple(chosen), mismatches, detail)


def _ambiguous(system: DeclaredSystem, candidates: list[Running]) -> SystemMatch:
    """Several candidates (listed in ``found``): none is taken as the system."""
    hint = "a host picks one" if not system.host else "none on its host"
    detail = f"{len(candidates)} systems match; {hint}"
    return SystemMatch(system, Status.AMBIGUOUS, tuple(candidates), detail=detail)


def _checks(
    system: DeclaredSystem, found: Iterable[Running], engines: set[str]
) -> tuple[Mismatch, ...]:
    """Host and owner mismatches of the systems ``system`` matched."""
    out: list[Mismatch] = []
    for r in found:
        if system.host and host_state(system.host, r, engines) is False:
            out.append(Mismatch(MismatchKind.HOST, r.id, system.host, r.where))
        if system.owner:
            others = [o for o in r.owners if o.lower() != system.owner.lower()]
            if others:
                out.append(Mismatch(MismatchKind.OWNER, r.id, system.owner, ", ".join(others)))
    return tuple(out)


def _outermost(found: list[Running]) -> list[Running]:
    """Drop containers whose compose project or pod is among ``found`` (one system, once)."""
    grouped = {m for r in found if r.form in GROUP_FORMS for m in r.members}
    return [r for r in found if r.form in GROUP_FORMS or r.id not in grouped]


def _unread(system: DeclaredSystem, index: _Index, sources: Sequence[SourceStatus]) -> str | None:
    """Why the system might exist unseen (a source that could hold it is incomplete), or None."""
    kind = system.form.kind
    of_kind = [s for s in sources if s.kind is kind]
    if not of_kind:
        return f"no {kind.value} source is configured"
    narrowed: set[str] = set()
    if system.host:
        host = system.host
        narrowed = index.sources_on(kind, host)
        if kind is SourceKind.DOCKER:  # an engine's name is its source's name
            narrowed |= {s.name for s in of_kind if _glob(host, s.name)}
    considered = [s for s in of_kind if s.name in narrowed] or of_kind
    unread = [s.name for s in considered if not s.complete]
    if not unread:
        return None
    return f"source {', '.join(unread)} was not read completely"


def _undeclared(running: Sequence[Running], covered: set[str]) -> tuple[Running, ...]:
    """Running workloads no declaration covers: whole groups where no member is covered."""
    grouped: set[str] = set()
    out: list[Running] = []
    for r in running:
        if r.form in GROUP_FORMS and not covered & set(r.members):
            grouped.update(r.members)
            if r.running:
                out.append(r)
    for r in running:
        if r.form in GROUP_FORMS or r.template or not r.running:
            continue
        if r.id not in covered and r.id not in grouped:
            out.append(r)
    return tuple(sorted(out, key=lambda r: (r.form.kind.value, r.id)))
