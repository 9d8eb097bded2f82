"""Type confusion in any answer the adapters read: a gap, never a silent change or a false claim.

One node of one recorded answer of the demo lab (``fixtures/demo-lab``: every PVE call and every
Docker call the adapters make) is replaced by a JSON value of another kind: an object where a
list, string or number was, a list where an object or scalar was, a scalar where an object or
list was (``null`` counts as absent, and a number for a numeric string is PVE's own habit, so
neither is confusion). Whatever arrives:

- no exception escapes, and the model has the types its dataclasses declare;
- every unreadable value is a gap: if the source returned something other than the baseline
  (the unmutated lab), it says so with a new gap (or fails with an error);
- no finding claims what the data did not say: every finding (rule and subject) about an
  object the baseline has is one the baseline has too. Exceptions: when a source failed or a new
  gap says what was not read, ``engine-unplaced`` ("cannot tell where engine X runs" is then
  exactly what is known) and ``owner-missing`` on an engine that could not be placed and its
  containers (no host, so nothing to inherit from; the gap says why); and an object whose name
  was unreadable, which is reported under its id instead (a new subject: a rename, not a claim).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.docker.adapter import DockerAdapter
from adapters.proxmox.adapter import ProxmoxAdapter
from collector.config import load_config
from collector.correlation.inventory import build_inventory
from collector.model import Gap, SourceResult
from collector.rules import evaluate
from tests.faults.conforms import problems
from tests.faults.mutate import DictDockerClient, DictPveApi, load_recording, nodes_of, set_at

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab"
PVE = load_recording(DEMO / "pve" / "homelab")
ENGINES = {p.name: load_recording(p) for p in sorted((DEMO / "docker").iterdir()) if p.is_dir()}
CONFIG = load_config(DEMO / "config.toml")
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC).timestamp()  # recording.json: ages stay put

SCALAR = st.text(max_size=8) | st.integers(-5, 2**40) | st.floats(allow_nan=False) | st.booleans()
JSON = st.recursive(
    SCALAR | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
TYPE_CONFUSION = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    return "null" if value is None else "scalar"


def _pve(files: dict[str, Any]) -> SourceResult:
    return ProxmoxAdapter("homelab", DictPveApi(files), concurrency=2).collect()


def _docker(name: str, files: dict[str, Any]) -> SourceResult:
    return DockerAdapter(name, "ssh://collector@host", DictDockerClient(files)).collect()


def _findings(results: list[SourceResult]) -> set[tuple[str, str]]:
    inventory = build_inventory(
        results, docker=CONFIG.docker, classify=CONFIG.classify, ownership=CONFIG.ownership
    )
    found = evaluate(inventory, CONFIG.rules, now_epoch=NOW, waivers=CONFIG.waivers)
    return {(f.rule, f.subject) for f in found}


def _ids(results: list[SourceResult]) -> set[str]:
    inventory = build_inventory(results, docker=CONFIG.docker)
    return set(inventory.by_id)


def _unplaced(results: list[SourceResult]) -> set[str]:
    """Engines (and their containers) that matched no host."""
    inventory = build_inventory(results, docker=CONFIG.docker)
    engines = {e for e, p in inventory.placements.items() if p.target is None}
    return engines | {c.id for c in inventory.containers() if f"docker:{c.engine}" in engines}


def _claimed(results: list[SourceResult]) -> set[tuple[str, str]]:
    """Findings the baseline does not have: claims the confused answer did not support."""
    new = {f for f in _findings(results) - BASE_FINDINGS if f[1] in BASE_IDS}
    base_gaps = {g for r in (BASE_PVE, *BASE_DOCKER.values()) for g in r.status.gaps}
    if not any(r.status.error or set(r.status.gaps) - base_gaps for r in results):
        return new
    # A gap says what was not read: that an engine could not be placed, and so inherits no
    # owner, is then what is known (as with a missing agent privilege: weak_placements.py).
    unplaced = _unplaced(results)
    return {
        f
        for f in new
        if f[0] != "engine-unplaced" and not (f[0] == "owner-missing" and f[1] in unplaced)
    }


def _without_requests(result: SourceResult) -> SourceResult:
    """The result as the oracle compares it: gaps as a set, request counts aside."""
    status = replace(result.status, requests=0, gaps=())
    return replace(result, status=status)


BASE_PVE = _pve(PVE)
BASE_DOCKER = {name: _docker(name, files) for name, files in ENGINES.items()}
BASE_FINDINGS = _findings([BASE_PVE, *BASE_DOCKER.values()])
BASE_IDS = _ids([BASE_PVE, *BASE_DOCKER.values()])


def _confused(files: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], str]:
    """``files`` with one node of one answer replaced by a value of another kind."""
    key = data.draw(st.sampled_from(sorted(k for k in files if not k.endswith(".error"))))
    doc = copy.deepcopy(files[key])
    path, old = data.draw(st.sampled_from(nodes_of(doc)))
    new = data.draw(JSON.filter(lambda v: _kind(v) not in (_kind(old), "null")))
    return {
        **files,
        key: set_at(doc, path, new),
    }, f"{key} at {list(path)}: {old!r:.60} -> {new!r:.60}"


def _judge(result: SourceResult, base: SourceResult, what: str) -> None:
    assert not problems(result), (what, problems(result)[:3])
    if result.status.error is not None:
        assert "\n" not in result.status.error
        return
    new_gaps = set(result.status.gaps) - set(base.status.gaps)
    if not new_gaps:
        assert _without_requests(result) == _without_requests(base), (
            f"{what}: the model changed without a gap saying why"
        )
    assert all(isinstance(g, Gap) and g.reason for g in new_gaps)


@TYPE_CONFUSION
@given(st.data())
def test_pve_answers(data: st.DataObject) -> None:
    files, what = _confused(PVE, data)
    result = _pve(files)
    _judge(result, BASE_PVE, what)
    claimed = _claimed([result, *BASE_DOCKER.values()])
    assert not claimed, (what, sorted(claimed)[:3])


@TYPE_CONFUSION
@given(st.sampled_from(sorted(ENGINES)), st.data())
def test_docker_answers(engine: str, data: st.DataObject) -> None:
    files, what = _confused(ENGINES[engine], data)
    result = _docker(engine, files)
    _judge(result, BASE_DOCKER[engine], what)
    others = [r for name, r in BASE_DOCKER.items() if name != engine]
    claimed = _claimed([BASE_PVE, result, *others])
    assert not claimed, (what, sorted(claimed)[:3])
