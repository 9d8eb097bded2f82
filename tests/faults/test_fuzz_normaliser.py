"""Property-based tests: the normalisers survive arbitrary variations of real payloads.

The payloads are the demo lab's recorded answers (``fixtures/demo-lab``), mutated the ways real
PVE and Docker versions and broken setups vary them (see ``tests/faults/mutate.py``). Whatever
arrives: no exception escapes an adapter, every model value has its declared type, values
outside an enum are recorded as unknown, and the whole pipeline still renders every format.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.docker.adapter import DockerAdapter
from adapters.docker.parse import container_from_inspect, container_from_list
from adapters.proxmox.adapter import ProxmoxAdapter
from adapters.proxmox.parse import GUEST_STATES
from collector.collection.orchestrate import run_report
from collector.config import load_config
from collector.model import SourceResult
from collector.render import Format, render
from tests.faults.conforms import problems
from tests.faults.mutate import (
    OPERATIONS,
    DictDockerClient,
    DictPveApi,
    load_recording,
    mutate,
    nodes_of,
    set_at,
)
from tests.support.hypothesis_profiles import examples

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo-lab"
PVE = load_recording(DEMO / "pve" / "homelab")
ENGINES = {p.name: load_recording(p) for p in sorted((DEMO / "docker").iterdir()) if p.is_dir()}
CONFIG = load_config(DEMO / "config.toml")
DOCKER_STATES = {"created", "running", "paused", "restarting", "removing", "exited", "dead"}

MUTATIONS = st.lists(
    st.tuples(st.integers(0, 10_000), st.sampled_from(OPERATIONS), st.integers(0, 2**32)),
    max_size=8,
)
# Huge answers are the adapters' concern (above); through the renderers they only cost time.
SMALL_MUTATIONS = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.sampled_from([op for op in OPERATIONS if op != "huge"]),
        st.integers(0, 2**32),
    ),
    max_size=8,
)
FAST = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _check(result: SourceResult) -> None:
    assert not problems(result), problems(result)[:5]
    if result.cluster is not None:
        assert all(g.status in GUEST_STATES for g in result.cluster.guests)
    if result.engine is not None:
        for container in result.engine.containers:
            assert container.state in DOCKER_STATES | {"unknown"}
            assert container.health in (None, "starting", "healthy", "unhealthy", "none")
    if result.status.error is not None:
        assert "\n" not in result.status.error  # one line, like every message


@FAST
@given(MUTATIONS)
def test_pve_adapter_survives_mutated_payloads(mutations: list[tuple[int, str, int]]) -> None:
    api = DictPveApi(mutate(PVE, mutations))
    _check(ProxmoxAdapter("homelab", api, concurrency=4).collect())


@FAST
@given(MUTATIONS, st.sampled_from(sorted(ENGINES)))
def test_docker_adapter_survives_mutated_payloads(
    mutations: list[tuple[int, str, int]], engine: str
) -> None:
    client = DictDockerClient(mutate(ENGINES[engine], mutations))
    _check(DockerAdapter(engine, "ssh://collector@host", client).collect())


# Keys shaped like Docker's "80/tcp", with the digits Python's isdigit() accepts and int() not.
PORTS = st.sampled_from(["80/tcp", "53/udp", "²/tcp", "٣/udp", "8080", "/tcp", "x/y", "-1/tcp"])
KEYS = st.text(max_size=10) | PORTS | st.from_regex(r"\A\w{1,5}/(tcp|udp|\w{0,3})\Z")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | KEYS | PORTS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)
INSPECTS = [v for e in ENGINES.values() for k, v in e.items() if k.startswith("containers/")]
LISTED = [item for e in ENGINES.values() for item in e["containers"]]


def _replace_somewhere(doc: Any, data: st.DataObject) -> Any:
    """``doc`` with one node replaced by arbitrary JSON, or one dict key renamed."""
    doc = copy.deepcopy(doc)
    nodes = nodes_of(doc)
    path, value = nodes[data.draw(st.integers(0, len(nodes) - 1))]
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        old = data.draw(st.sampled_from(sorted(value)))
        value[data.draw(KEYS | PORTS)] = value.pop(old)
        return doc
    return set_at(doc, path, data.draw(JSON))


@settings(max_examples=examples(200), deadline=None)
@given(st.sampled_from(INSPECTS), st.sampled_from(LISTED), st.data())
def test_container_parsers_accept_anything_in_any_field(
    inspect: dict[str, Any], listed: dict[str, Any], data: st.DataObject
) -> None:
    """Any node of a real inspect / list answer replaced by arbitrary JSON, nested or not."""
    for _ in range(data.draw(st.integers(1, 3))):
        inspect, listed = _replace_somewhere(inspect, data), _replace_somewhere(listed, data)
    for raw, parse in ((inspect, container_from_inspect), (listed, container_from_list)):
        if not isinstance(raw, dict):
            continue  # the adapter only ever passes a mapping (it checks first)
        container = parse("e", raw)
        assert not problems(container), problems(container)[:5]
        assert container.state in DOCKER_STATES | {"unknown"}


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SMALL_MUTATIONS, SMALL_MUTATIONS)
def test_whole_pipeline_renders_every_format(
    pve_mutations: list[tuple[int, str, int]], docker_mutations: list[tuple[int, str, int]]
) -> None:
    sources: list[Any] = [ProxmoxAdapter("homelab", DictPveApi(mutate(PVE, pve_mutations)))]
    for name, files in ENGINES.items():
        client = DictDockerClient(mutate(files, docker_mutations))
        sources.append(DockerAdapter(name, "ssh://collector@host", client))
    report = run_report(CONFIG, sources)
    for fmt in Format:
        assert render(report, fmt)
