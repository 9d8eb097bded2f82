"""Proxmox Backup Server adapter: reads one PBS through anything that answers ``get(path, **q)``.

That is ``JsonApi`` (``client.py`` opens it) when live and ``ReplayPbsApi`` (``replay.py``) for
recordings; either raises only ``SourceError``s. Read-only GETs (``docs/pbs-api.md``); the
request budget per server (``tests/support/budget.py``)::

    8 server-wide GETs: version, access/permissions, admin/datastore, status/datastore-usage
      (sizes, fill estimate, GC status of every store), admin/gc (GC runs), admin/verify,
      admin/prune, admin/sync?sync-direction=all (+1 admin/sync on PBS < 3.3, which refuses
      that parameter)
    + 1 namespace list per datastore
    + 1 snapshot list per namespace (snapshots carry their verification; a group's newest
      snapshot is its ``last-backup``, so the group lists are not asked for)

What a token may not see, PBS leaves out without an error: ``access/permissions`` tells the
report what is missing (``Datastore.Audit`` on ``/datastore``; ``Remote.Audit`` on ``/remote``
for sync jobs pulling from a remote).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from adapters.common.retry import with_retry
from adapters.pbs.normalise import (
    Usage,
    datastores_of,
    gc_of,
    held_on,
    jobs_of,
    namespaces_of,
    privileges_of,
    snapshots_of,
    usage_of,
    version_of,
)
from collector.contract import Deadline
from collector.errors import SourceDeadlineError, SourceError, SourceResponseError
from collector.model import (
    BackupServer,
    Datastore,
    Gap,
    JobKind,
    PbsSnapshot,
    SourceKind,
    SourceResult,
    SourceStatus,
)

FIXED_REQUESTS = 8
_FIXED_CALLS: dict[str, tuple[str, dict[str, str]]] = {
    "version": ("version", {}),
    "permissions": ("access/permissions", {}),
    "datastores": ("admin/datastore", {}),
    "usage": ("status/datastore-usage", {}),
    "gc": ("admin/gc", {}),
    "verify": ("admin/verify", {}),
    "prune": ("admin/prune", {}),
    "sync": ("admin/sync", {"sync-direction": "all"}),
}


class PbsApi(Protocol):
    def get(self, path: str, **params: Any) -> Any:
        """The answer's ``data``; raises only ``SourceError`` subclasses."""


def _gap(subject: str, what: str, exc: SourceError) -> Gap:
    """A coverage gap, except when the run deadline stopped the read (then incomplete)."""
    return Gap(subject, what, str(exc), incomplete=isinstance(exc, SourceDeadlineError))


class PbsAdapter:
    """Collects one Proxmox Backup Server: datastores, snapshots per namespace, jobs."""

    kind = SourceKind.PBS

    def __init__(
        self,
        name: str,
        api: PbsApi,
        *,
        host: str,
        port: int = 8007,
        fingerprint: str | None = None,
        concurrency: int = 8,
        retries: int = 0,
        deadline: Deadline | None = None,
    ) -> None:
        self.name = name
        self._api = api
        self._host, self._port, self._fingerprint = host, port, fingerprint
        self._concurrency = concurrency
        self._retries = retries
        self._deadline = deadline
        self._requests = 0
        self._lock = threading.Lock()
        self._id = f"pbs:{name}"

    def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        def attempt() -> Any:
            with self._lock:
                self._requests += 1
            return self._api.get(path, **params)

        return with_retry(
            attempt, retries=self._retries, deadline=self._deadline, what=f"{self.name}: GET {path}"
        )

    def _try(self, path: str, params: Mapping[str, Any]) -> Any:
        try:
            return self._get(path, params)
        except SourceError as exc:
            return exc

    def collect(self) -> SourceResult:
        try:
            server, gaps = self._collect()
        except SourceError as exc:
            failed = SourceStatus.failed(self.name, self.kind, str(exc), self._requests)
            return SourceResult(failed)
        status = SourceStatus.finished(self.name, self.kind, gaps, self._requests)
        return SourceResult(status, backup_server=server)

    def _collect(self) -> tuple[BackupServer, list[Gap]]:
        gaps: list[Gap] = []
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            futures = {
                key: pool.submit(self._try, path, params)
                for key, (path, params) in _FIXED_CALLS.items()
            }
            answers = {key: f.result() for key, f in futures.items()}
            listing = answers["datastores"]
            if isinstance(listing, SourceError):
                raise listing
            stores = datastores_of(listing)
            if stores is None:
                raise SourceResponseError(f"{self.name}: admin/datastore did not return a list")
            sync = answers["sync"]
            if isinstance(sync, SourceResponseError) and sync.status == 400:
                answers["sync"] = self._try("admin/sync", {})  # PBS < 3.3: no sync-direction
            spaces = {
                s: pool.submit(self._try, f"admin/datastore/{s}/namespace", {}) for s, _ in stores
            }
            snapshots = {
                store: self._list_snapshots(pool, store, future.result(), gaps)
                for store, future in spaces.items()
            }
            read = {
                store: self._gather(store, futures, gaps) for store, futures in snapshots.items()
            }
        for key in ("version", "permissions", "usage", "gc", "verify", "prune", "sync"):
            if isinstance(answers[key], SourceError):
                gaps.append(_gap(self._id, _FIXED_CALLS[key][0], answers[key]))
        gaps += self._privilege_gaps(answers["permissions"], len(stores))
        usage = usage_of(_ok(answers["usage"]))
        gc = gc_of(_ok(answers["gc"]), self.name)
        gc_counts = gc[1] if gc else {}
        datastores = []
        for store, comment in stores:
            use = usage.get(store, Usage())
            if use.error:
                gaps.append(Gap(f"{self._id}/datastore/{store}", "usage", use.error))
            bad = gc_counts.get(store, Usage())
            datastores.append(
                Datastore(
                    id=f"{self._id}/datastore/{store}",
                    name=store,
                    server=self.name,
                    comment=comment,
                    total_bytes=use.total_bytes,
                    used_bytes=use.used_bytes,
                    estimated_full=use.estimated_full,
                    gc_still_bad=_first(use.still_bad, bad.still_bad),
                    gc_removed_bad=_first(use.removed_bad, bad.removed_bad),
                    namespaces=read[store],
                )
            )
        server = BackupServer(
            id=self._id,
            name=self.name,
            source=self.name,
            host=self._host,
            port=self._port,
            fingerprint=self._fingerprint,
            version=version_of(_ok(answers["version"])),
            datastores=tuple(datastores),
            verify_jobs=jobs_of(_ok(answers["verify"]), JobKind.VERIFY, self.name),
            prune_jobs=jobs_of(_ok(answers["prune"]), JobKind.PRUNE, self.name),
            sync_jobs=jobs_of(_ok(answers["sync"]), JobKind.SYNC, self.name),
            gc_jobs=gc[0] if gc else None,
        )
        return server, gaps

    def _list_snapshots(
        self, pool: ThreadPoolExecutor, store: str, answer: Any, gaps: list[Gap]
    ) -> dict[str, Future[Any]] | None:
        """Start one snapshot listing per namespace of ``store`` (None: namespaces unknown)."""
        subject = f"{self._id}/datastore/{store}"
        if isinstance(answer, SourceError):
            gaps.append(_gap(subject, "namespaces", answer))
            return None
        spaces = namespaces_of(answer)
        if spaces is None:
            gaps.append(Gap(subject, "namespaces", f"{self.name}: namespace list is not a list"))
            return None
        path = f"admin/datastore/{store}/snapshots"
        return {ns: pool.submit(self._try, path, {"ns": ns} if ns else {}) for ns in spaces}

    def _gather(
        self, store: str, futures: Mapping[str, Future[Any]] | None, gaps: list[Gap]
    ) -> dict[str, tuple[PbsSnapshot, ...]] | None:
        if futures is None:
            return None
        read: dict[str, tuple[PbsSnapshot, ...]] = {}
        for ns, future in futures.items():
            answer = future.result()
            where = f"snapshots in namespace '{ns}'" if ns else "snapshots in the root namespace"
            if isinstance(answer, SourceError):
                gaps.append(_gap(f"{self._id}/datastore/{store}", where, answer))
                continue
            snapshots = snapshots_of(answer, store, ns)
            if snapshots is None:
                reason = f"{self.name}: the snapshot list of {store} is not a list"
                gaps.append(Gap(f"{self._id}/datastore/{store}", where, reason))
                continue
            read[ns] = tuple(sorted(snapshots, key=lambda s: (s.backup_type, s.backup_id, s.time)))
        return read

    def _privilege_gaps(self, answer: Any, store_count: int) -> list[Gap]:
        privileges = privileges_of(answer)
        if privileges is None:
            return []  # the failed call is a gap already
        gaps = []
        if not held_on(privileges, "/datastore", "Datastore.Audit"):
            some = sorted(
                p
                for p, privs in privileges.items()
                if p.startswith("/datastore/") and "Datastore.Audit" in privs
            )
            seen = f"only on {', '.join(some)}" if some else "not at all"
            gaps.append(
                Gap(
                    self._id,
                    "permissions",
                    f"the token holds Datastore.Audit {seen}: PBS leaves out the datastores, "
                    "snapshots and jobs it may not see, without an error; grant DatastoreAudit "
                    "on /datastore to the token and its user",
                    incomplete=not some and store_count == 0,
                )
            )
        if not held_on(privileges, "/remote", "Remote.Audit"):
            gaps.append(
                Gap(
                    self._id,
                    "permissions",
                    "no Remote.Audit on /remote: sync jobs that pull from a remote are not "
                    "listed (PBS leaves them out); grant RemoteAudit on /remote to see them",
                )
            )
        return gaps


def _ok(answer: Any) -> Any:
    return None if isinstance(answer, SourceError) else answer


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)
