"""``collect doctor``: connect to every source and say what works and what is missing.

Each source is probed by its adapter (``adapters/proxmox/probe.py``, ``adapters/docker/probe.py``):
reachable, TLS verified, credentials accepted, version, and every privilege or endpoint the
collector reads. Nothing is written anywhere. The text is built here; the CLI prints it and picks
the exit code (0 all fine, 3 something missing or unreachable; config errors are 2 before any
probe runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from collector.model import CheckState, Diagnosis

_MARK = {CheckState.OK: "ok  ", CheckState.WARN: "WARN", CheckState.FAIL: "FAIL"}


def run_doctor(probes: Iterable[Callable[[], Diagnosis]], max_parallel: int = 8) -> list[Diagnosis]:
    """Run every probe concurrently; each one reports its own failures, none raises."""
    probes = list(probes)
    if not probes:
        return []
    pool = ThreadPoolExecutor(max_workers=min(max_parallel, len(probes)))
    try:
        diagnoses = list(pool.map(lambda probe: probe(), probes))
    except BaseException:  # Ctrl-C: never wait for a probe blocked in a read
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return diagnoses


def render_doctor(diagnoses: list[Diagnosis]) -> str:
    if not diagnoses:
        return "no sources configured: add [[proxmox]] or [[docker]] tables to the config\n"
    lines: list[str] = []
    for diagnosis in diagnoses:
        verdict = "ready" if diagnosis.ok else "NOT READY"
        lines.append(f"{diagnosis.kind.value} '{diagnosis.source}': {verdict}")
        width = max(len(c.name) for c in diagnosis.checks)
        lines += [
            f"  {_MARK[c.state]}  {c.name.ljust(width)}  {c.detail}" for c in diagnosis.checks
        ]
        lines.append("")
    ready = sum(1 for d in diagnoses if d.ok)
    lines.append(f"{ready}/{len(diagnoses)} sources ready")
    return "\n".join(lines) + "\n"


def all_ready(diagnoses: list[Diagnosis]) -> bool:
    return all(d.ok for d in diagnoses)
