"""Run one call per item on a bounded number of threads, with no per-item thread hand-off.

``pool.submit`` per item costs a future, a work item, a queue round trip and a wake-up of the
waiting thread for every guest or container: a noticeable share of a request's CPU, and most of
the cost once the answers are in memory (figures: ``docs/performance.md``). Here each of ``workers``
threads loops over the shared list instead (``next()`` on an ``itertools.count`` is atomic
under the GIL), so an item costs an index and a list store. Results keep the items' order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


def fan_out(
    pool: Executor, items: Sequence[T], work: Callable[[T], R], workers: int
) -> Callable[[], list[R]]:
    """Start ``work(item)`` for every item on at most ``workers`` of ``pool``'s threads.

    Returns ``gather``: it waits for all of them and returns the results in item order, or
    re-raises the first exception a call raised (the other loops still finish their items).
    """
    results: list[Any] = [None] * len(items)
    counter = itertools.count()

    def loop() -> None:
        while (index := next(counter)) < len(items):
            results[index] = work(items[index])

    loops = [pool.submit(loop) for _ in range(min(workers, len(items)))]

    def gather() -> list[R]:
        for running in loops:
            running.result()
        return cast(list[R], results)

    return gather
