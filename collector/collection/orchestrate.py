"""Orchestration: run every source concurrently, then join, judge and report.

Sources follow the adapter contract (``collector/contract.py``).
A source that fails becomes a ``SourceStatus`` with an error; it never takes the others' results
down with it, whatever it raises. What the sources return passes through the lab-text policy
(``safe_text.py``: secrets redacted, control characters out, sizes bounded) before anything is
joined, judged or printed, so every output inherits it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from collector.collection.safe_text import safe_results
from collector.config import Config
from collector.contract import Source
from collector.correlation.inventory import build_inventory
from collector.correlation.weak_placements import note_weakened_placements
from collector.errors import CollectorError
from collector.model import Gap, SourceKind, SourceResult, SourceStatus
from collector.redaction import RedactionPolicy
from collector.report.build import Report, build_report
from collector.rules import RuleSetting, evaluate

GC_THRESHOLD = 100_000
"""Allocations between two young-generation collections while a run builds its model."""


class LazySource:
    """A source whose client is built inside ``collect()``, so a connect failure is a result.

    ``notes`` (e.g. "TLS not verified") are added to the source's gaps whatever happens, so the
    report says how it connected even when the connection failed.
    """

    def __init__(
        self,
        name: str,
        kind: SourceKind,
        connect: Callable[[], Source],
        notes: tuple[Gap, ...] = (),
    ) -> None:
        self.name = name
        self.kind = kind
        self._connect = connect
        self.notes = notes

    def collect(self) -> SourceResult:
        try:
            result = self._connect().collect()
        except CollectorError as exc:
            result = SourceResult(SourceStatus.failed(self.name, self.kind, str(exc)))
        if not self.notes:
            return result
        return replace(
            result, status=replace(result.status, gaps=(*self.notes, *result.status.gaps))
        )


def _safe_collect(source: Source) -> SourceResult:
    """Collect one source, timed here so every source's duration is measured the same way
    (connecting included; a failed source reports how long it took to fail)."""
    started = time.monotonic()
    try:
        result = source.collect()
    except CollectorError as exc:
        result = SourceResult(SourceStatus.failed(source.name, source.kind, str(exc)))
    except Exception as exc:  # noqa: BLE001 - one broken source must not sink the others
        error = f"internal error while collecting: {type(exc).__name__}: {exc}"
        result = SourceResult(SourceStatus.failed(source.name, source.kind, error))
    elapsed = time.monotonic() - started
    return replace(result, status=replace(result.status, duration_seconds=elapsed))


MAX_PARALLEL_SOURCES = 32
"""Sources read at once. Each bounds its own requests (``concurrency``), and a source mostly
waits on the network, so a lab with a dozen engines should not queue them behind each other."""


def collect_all(
    sources: Iterable[Source], max_parallel: int = MAX_PARALLEL_SOURCES
) -> list[SourceResult]:
    sources = list(sources)
    if not sources:
        return []
    pool = ThreadPoolExecutor(max_workers=min(max_parallel, len(sources)))
    try:
        results = list(pool.map(_safe_collect, sources))
    except BaseException:
        # Ctrl-C: drop the sources not started and do not wait for the ones blocked in a read
        # (a thread in a socket read cannot be stopped; the CLI ends the process instead).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def run_report(
    config: Config,
    sources: Iterable[Source],
    *,
    settings: Mapping[str, RuleSetting] | None = None,
    now: datetime | None = None,
) -> Report:
    """Collect every source, join, judge. ``settings`` replaces ``config.rules`` (tests)."""
    settings = settings if settings is not None else config.rules
    with fewer_gc_passes():
        policy = RedactionPolicy.from_config(config.record.redact_keys)
        results = safe_results(collect_all(sources), policy)
        inventory = build_inventory(
            results,
            docker=config.docker,
            classify=config.classify,
            ownership=config.ownership,
            systems=config.architecture.systems,
        )
        inventory = note_weakened_placements(inventory)
        now_epoch = now.timestamp() if now is not None else None
        findings = evaluate(inventory, settings, now_epoch=now_epoch, waivers=config.waivers)
        return build_report(inventory, findings, generated_at=now)


@contextmanager
def fewer_gc_passes(threshold: int = GC_THRESHOLD) -> Iterator[None]:
    """Let CPython's cycle collector run less often while a run builds its (acyclic) model.

    A run allocates hundreds of thousands of small objects that all stay alive until the report
    is written: API answers, model values, findings. With the default gen-0 threshold (700) the
    collector starts every 700 allocations and regularly rescans the whole growing heap: a large
    share of the CPU of normalising and judging a big lab (figures: docs/performance.md).
    Reference counting frees that data anyway; cyclic garbage (tracebacks, futures) is still
    collected, just in larger batches. The previous thresholds are restored afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], threshold), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
