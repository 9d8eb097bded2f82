"""Algorithmic shape, not speed: doubling the lab must roughly double the work.

Nothing here is timed (timings flake on a shared machine); the tests count Python function
calls instead, which are deterministic. A quadratic join of engines to guests or of findings to
objects would make the count grow ~4x when the lab doubles; linear code stays near 2x (a little
less, as fixed costs amortise). ``bench/run.py --cpu-only`` gives the figures in seconds.
"""

from __future__ import annotations

import itertools
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.common.fanout import fan_out
from adapters.docker.adapter import DockerAdapter
from adapters.proxmox.adapter import ProxmoxAdapter
from collector.collection.orchestrate import collect_all, run_report
from collector.config import parse_config
from collector.contract import Source
from collector.correlation.bootstrap import declare_lab
from collector.model import SourceResult
from collector.render.declaration import declaration_toml
from tests.support.memory import MemoryDockerClient, MemoryPveApi
from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder

LINEAR = 2.25  # calls(2n) / calls(n); quadratic code gives ~4


def _lab(guests: int) -> tuple[list[Source], str]:
    """``guests`` guests on 3 nodes and ``guests // 20`` engines of 10 containers each."""
    lab = RecordingBuilder(Path("unused"))
    lab.cluster("lab", {"pve1": "10.0.0.1", "pve2": "10.0.0.2", "pve3": "10.0.0.3"})
    lab.storage("lab", "pbs", "pbs", shared=True)
    lab.backup_job("lab", "daily", all=1)
    for i in range(guests):
        kind = "lxc" if i % 3 == 0 else "qemu"
        running = i % 5 != 0
        lab.guest(
            "lab",
            GuestSpec(
                100 + i, f"g{i}", f"pve{i % 3 + 1}", kind=kind,
                status="running" if running else "stopped", tags="service" if i % 2 else None,
                ips=[f"10.1.{i // 250}.{i % 250 + 1}"],
            ),
        )  # fmt: skip
        lab.backup("lab", "pve1", "pbs", kind, 100 + i, 1763600000 + i, pbs=True)
    for e in range(guests // 20):
        containers = [ContainerSpec(f"e{e}c{c}", image=f"app{c % 4}:1") for c in range(10)]
        lab.engine(f"e{e}", hostname=f"g{e * 5 + 1}", containers=containers)
    sources: list[Source] = [
        ProxmoxAdapter("lab", MemoryPveApi(lab._pve_files("lab")), concurrency=1)
    ]
    sources += [
        DockerAdapter(name, "unix:///x.sock", MemoryDockerClient(lab._docker_files(name)))
        for name in lab.docker
    ]
    return sources, lab.config_toml()


class _Collected:
    def __init__(self, result: SourceResult) -> None:
        self.name, self.kind, self._result = result.status.name, result.status.kind, result

    def collect(self) -> SourceResult:
        return self._result


@contextmanager
def _counting_calls() -> Iterator[Callable[[], int]]:
    counter = itertools.count()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            next(counter)

    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield lambda: next(counter)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


def _calls(guests: int) -> tuple[int, int]:
    """Function calls to (normalise, correlate + judge) a lab of ``guests`` guests."""
    sources, config_text = _lab(guests)
    config = parse_config(tomllib.loads(config_text), "test")
    with _counting_calls() as count:
        results = collect_all(sources, max_parallel=1)
        normalise = count()
    assert all(r.status.complete for r in results)
    with _counting_calls() as count:
        report = run_report(config, [_Collected(r) for r in results])
        judge = count()
    assert sum(len(e.containers) for e in report.inventory.engines) == guests // 2
    return normalise, judge


@pytest.fixture(scope="module")
def counts() -> dict[int, tuple[int, int]]:
    return {n: _calls(n) for n in (200, 400)}


def _declared_calls(guests: int) -> int:
    """Calls to correlate and judge the lab with a declaration of all of it (what ``collect
    declare`` writes: one system per guest, project and container), a glob among them."""
    sources, config_text = _lab(guests)
    results = collect_all(sources, max_parallel=1)
    plain = parse_config(tomllib.loads(config_text), "test")
    first = run_report(plain, [_Collected(r) for r in results])
    systems = declaration_toml(declare_lab(first.inventory))
    glob = '\n[[systems]]\nname = "g1*"\nform = "vm"\nhost = "pve*"\n'
    config = parse_config(tomllib.loads(config_text + "\n" + systems + glob), "test")
    with _counting_calls() as count:
        report = run_report(config, [_Collected(r) for r in results])
        calls = count()
    assert report.inventory.declared is not None
    assert not report.inventory.declared.undeclared
    return calls


def test_matching_a_declaration_of_the_whole_lab_is_linear() -> None:
    assert _declared_calls(400) / _declared_calls(200) < LINEAR


def test_normalising_is_linear_in_the_lab_size(counts: dict[int, tuple[int, int]]) -> None:
    assert counts[400][0] / counts[200][0] < LINEAR


def test_correlating_and_judging_are_linear_in_the_lab_size(
    counts: dict[int, tuple[int, int]],
) -> None:
    assert counts[400][1] / counts[200][1] < LINEAR


def test_fan_out_keeps_order_and_uses_at_most_the_given_workers() -> None:
    submitted = 0

    class CountingPool(ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            nonlocal submitted
            submitted += 1
            return super().submit(fn, *args, **kwargs)

    with CountingPool(max_workers=4) as pool:
        assert fan_out(pool, list(range(100)), lambda n: n * n, 4)() == [n * n for n in range(100)]
        assert fan_out(pool, [], lambda n: n, 4)() == []
    assert submitted == 4  # one loop per worker, not one task per item


def test_fan_out_reraises_and_still_finishes_the_other_items() -> None:
    done: list[int] = []

    def work(n: int) -> int:
        if n == 3:
            raise RuntimeError("item 3 broke")
        done.append(n)
        return n

    with ThreadPoolExecutor(max_workers=2) as pool:
        gather = fan_out(pool, list(range(10)), work, 2)
        with pytest.raises(RuntimeError, match="item 3 broke"):
            gather()
    assert sorted(done) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
