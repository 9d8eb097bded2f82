"""Orchestration: run every source concurrently, then join, judge and report.

A source that fails becomes a ``SourceStatus`` with an error; it never takes the others' results
down with it, whatever it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Protocol

from collector.config import Config
from collector.errors import CollectorError
from collector.inventory import build_inventory
from collector.model import SourceKind, SourceResult, SourceStatus
from collector.report import Report, build_report
from collector.rules import RuleSetting, evaluate, rule_settings


class Source(Protocol):
    name: str
    kind: SourceKind

    def collect(self) -> SourceResult: ...


class LazySource:
    """A source whose client is built inside ``collect()``, so a connect failure is a result."""

    def __init__(self, name: str, kind: SourceKind, connect: Callable[[], Source]) -> None:
        self.name = name
        self.kind = kind
        self._connect = connect

    def collect(self) -> SourceResult:
        return self._connect().collect()


def _safe_collect(source: Source) -> SourceResult:
    try:
        return source.collect()
    except CollectorError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - one broken source must not sink the others
        error = f"internal error while collecting: {type(exc).__name__}: {exc}"
    return SourceResult(SourceStatus(source.name, source.kind, complete=False, error=error))


def collect_all(sources: Iterable[Source], max_parallel: int = 8) -> list[SourceResult]:
    sources = list(sources)
    if not sources:
        return []
    with ThreadPoolExecutor(max_workers=min(max_parallel, len(sources))) as pool:
        return list(pool.map(_safe_collect, sources))


def run_report(
    config: Config,
    sources: Iterable[Source],
    *,
    settings: Mapping[str, RuleSetting] | None = None,
    now: datetime | None = None,
) -> Report:
    settings = settings if settings is not None else rule_settings(config.extra.get("rules", {}))
    results = collect_all(sources)
    inventory = build_inventory(results, config)
    findings = evaluate(inventory, settings, now_epoch=now.timestamp() if now is not None else None)
    return build_report(inventory, findings, generated_at=now)
