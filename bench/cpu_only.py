"""CPU-only benchmark: normalise, correlate and judge a huge lab answered from memory.

10,000 guests on 20 nodes and 40 engines x 500 containers (20,000), generated as raw API
answers in memory (``bench/lab.py``), then run through the real adapters (with in-memory
clients instead of HTTP), the inventory join, placement, classification, every rule and the
JSON renderer. No network, no latency: what is left is the collector's own CPU and memory.

Run through ``bench/run.py --cpu-only``, which starts this script as its own process (so the peak
RSS it reports belongs to this work alone) once per ``--repeat`` and prints the median run's
table. The script itself prints one JSON line: the phases' CPU, wall and peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.docker.adapter import DockerAdapter
from adapters.proxmox.adapter import ProxmoxAdapter
from bench.lab import CLUSTER, Size, plan_lab
from collector.collection.orchestrate import collect_all, fewer_gc_passes, run_report
from collector.config import parse_config
from collector.contract import Source
from collector.model import SourceResult
from collector.render import Format, render
from tests.support.memory import MemoryDockerClient, MemoryPveApi

SIZE = Size("cpu", nodes=20, guests=10_000, engines=40, containers=500)
T = TypeVar("T")


class Collected:
    """A source whose result is already in hand, to time the join and the rules alone."""

    def __init__(self, result: SourceResult) -> None:
        self.name = result.status.name
        self.kind = result.status.kind
        self._result = result

    def collect(self) -> SourceResult:
        return self._result


def _timed(label: str, rows: list[Row], work: Callable[[], T]) -> T:
    cpu, wall = time.process_time(), time.perf_counter()
    value = work()
    rows.append(Row(label, time.process_time() - cpu, time.perf_counter() - wall, _rss_mb()))
    return value


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Row(NamedTuple):
    label: str
    cpu_s: float
    wall_s: float
    peak_rss_mb: float  # high-water mark of the process at the end of the phase


class Answers(NamedTuple):
    pve: MemoryPveApi
    engines: dict[str, MemoryDockerClient]
    config_text: str


def _answers() -> Answers:
    lab = plan_lab(SIZE, Path())
    engines = {name: MemoryDockerClient(lab.docker_answers(name)) for name in lab.builder.docker}
    return Answers(MemoryPveApi(lab.pve_answers()), engines, lab.builder.config_toml())


def _sources(answers: Answers, *, concurrency: int | None) -> list[Source]:
    """The real adapters on in-memory clients; ``None``: the config defaults."""
    pve = ProxmoxAdapter(CLUSTER, answers.pve, concurrency=concurrency or 16)
    engines = [
        DockerAdapter(name, f"unix:///run/{name}.sock", client, concurrency=concurrency or 8)
        for name, client in answers.engines.items()
    ]
    return [pve, *engines]


def main() -> None:
    rows: list[Row] = []
    answers = _timed("generate the raw answers (not counted)", rows, _answers)
    config = parse_config(tomllib.loads(answers.config_text), "bench")

    def normalise() -> list[SourceResult]:
        # As in a live run (collector/collection/orchestrate.py), but one worker per source and
        # one source at a time: with answers in memory there is no network wait to overlap.
        with fewer_gc_passes():
            return collect_all(_sources(answers, concurrency=1), max_parallel=1)

    results = _timed("normalise: adapters on in-memory answers", rows, normalise)
    report = _timed(
        "correlate + rules: inventory, placement, roles, every rule, report",
        rows,
        lambda: run_report(config, [Collected(r) for r in results]),
    )
    text = _timed("render JSON (not counted)", rows, lambda: render(report, Format.JSON))

    def threaded() -> list[SourceResult]:
        with fewer_gc_passes():
            return collect_all(_sources(answers, concurrency=None))

    del text
    _timed("normalise again with live thread pools, 16/8 workers (not counted)", rows, threaded)
    guests = sum(len(c.guests) for c in report.inventory.clusters)
    containers = sum(len(e.containers) for e in report.inventory.engines)
    summary = {
        "lab": f"{guests} guests on {SIZE.nodes} nodes, {containers} containers on "
        f"{len(answers.engines)} engines, {len(report.findings)} findings",
        "rows": [row._asdict() for row in rows],
    }
    print(json.dumps(summary))


def print_table(summary: dict[str, Any]) -> None:
    """The Markdown table for one run's summary (``bench/run.py`` picks the median run)."""
    rows = [Row(**row) for row in summary["rows"]]
    print(f"CPU-only: {summary['lab']}\n")
    print("| phase | CPU s | wall s | peak RSS MB so far |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.label} | {row.cpu_s:.2f} | {row.wall_s:.2f} | {row.peak_rss_mb:.0f} |")
    total, peak = counted_cpu(summary), peak_rss(summary)
    print(f"| **normalise + correlate + rules** | **{total:.2f}** | | **{peak:.0f}** |")


def counted_cpu(summary: dict[str, Any]) -> float:
    return float(sum(r["cpu_s"] for r in summary["rows"] if "not counted" not in r["label"]))


def peak_rss(summary: dict[str, Any]) -> float:
    return float(max(r["peak_rss_mb"] for r in summary["rows"] if "not counted" not in r["label"]))


if __name__ == "__main__":
    main()
