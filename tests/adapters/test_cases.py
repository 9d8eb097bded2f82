"""Per-adapter fixture cases: every folder under ``fixtures/adapters/<kind>/`` is one test.

A case folder holds ``answers/`` (the raw API answers of one source, in the recording layout of
``fixtures/README.md``) and ``expected.json``: ``description``, ``source`` (the adapter's
arguments: ``name``; ``url`` for Docker; ``host``, ``port``, ``fingerprint`` for PBS) and
``result``, the ``SourceResult`` the adapter must return, in the stable JSON form below. The
real adapter runs over the replay client, so the whole normalisation (parsing, gaps, request
count) is compared, field by field.

The string ``"..."`` in ``result`` matches any value (napalm style), for volatile fields only.
See ``fixtures/adapters/README.md``. To write ``expected.json`` from today's output (then read
every value against the answers before committing it)::

    python -m tests.adapters.test_cases --write proxmox/<case>
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from adapters.docker.adapter import DockerAdapter
from adapters.docker.replay import ReplayDockerClient
from adapters.pbs.adapter import PbsAdapter
from adapters.pbs.replay import ReplayPbsApi
from adapters.proxmox.adapter import ProxmoxAdapter
from adapters.proxmox.replay import ReplayPveApi
from collector.model import SourceResult

CASES_ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "adapters"
KINDS = ("proxmox", "docker", "pbs")
ANY = "..."
"""In ``expected.json``: any value is accepted here."""

CASES = sorted(p for kind in KINDS for p in (CASES_ROOT / kind).glob("*/") if p.is_dir())


def stable(value: Any) -> Any:
    """The model as plain JSON: dataclasses → dicts, tuples → lists, enums → their values.

    ``status.gaps`` is sorted: the Docker adapter appends gaps from its worker threads, so their
    order is not part of what it promises.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: stable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, SourceResult):
            out["status"]["gaps"].sort(key=lambda g: (g["subject"], g["what"], g["reason"]))
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): stable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [stable(v) for v in value]
    return value


def run_case(folder: Path) -> dict[str, Any]:
    """The stable form of what the adapter returns for this case's answers."""
    kind = folder.parent.name
    source = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["source"]
    answers = folder / "answers"
    result: SourceResult
    if kind == "proxmox":
        result = ProxmoxAdapter(source["name"], ReplayPveApi(answers, source["name"])).collect()
    elif kind == "pbs":
        api = ReplayPbsApi(answers, source["name"])
        result = PbsAdapter(
            source["name"],
            api,
            host=source["host"],
            port=source.get("port", 8007),
            fingerprint=source.get("fingerprint"),
        ).collect()
    else:
        client = ReplayDockerClient(answers, source["name"])
        result = DockerAdapter(source["name"], source["url"], client).collect()
    return dict(stable(result))


def differences(expected: Any, got: Any, path: str = "result") -> list[str]:
    """Every place where ``got`` differs from ``expected`` (``"..."`` matches anything)."""
    if expected == ANY:
        return []
    if isinstance(expected, dict) and isinstance(got, dict):
        found = [f"{path}.{k}: missing" for k in sorted(expected.keys() - got.keys())]
        found += [f"{path}.{k}: unexpected, got {got[k]!r}" for k in sorted(got.keys() - expected)]
        for key in sorted(expected.keys() & got.keys()):
            found += differences(expected[key], got[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{path}: {len(expected)} items expected, got {len(got)}: {got!r}"]
        pairs = enumerate(zip(expected, got, strict=True))
        return [d for i, (e, g) in pairs for d in differences(e, g, f"{path}[{i}]")]
    # bool is an int in Python: compare types too, so that 0 never passes for False.
    if expected != got or type(expected) is not type(got):
        return [f"{path}: expected {expected!r}, got {got!r}"]
    return []


@pytest.mark.parametrize("folder", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_adapter_case(folder: Path) -> None:
    assert (folder / "answers").is_dir(), f"{folder}: no answers/ folder"
    assert (folder / "expected.json").is_file(), f"{folder}: no expected.json"
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert isinstance(expected.get("description"), str) and expected["description"]
    found = differences(expected["result"], run_case(folder))
    assert not found, "\n".join(found)


def test_every_kind_has_cases() -> None:
    assert {c.parent.name for c in CASES} == set(KINDS)


def _keep_wildcards(old: Any, new: Any) -> Any:
    if old == ANY:
        return ANY
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _keep_wildcards(old.get(k), v) for k, v in new.items()}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [_keep_wildcards(o, n) for o, n in zip(old, new, strict=True)]
    return new


def write_expected(folder: Path) -> None:
    """Write ``result`` from today's output; ``description``, ``source`` and ``"..."`` stay."""
    file = folder / "expected.json"
    current = json.loads(file.read_text(encoding="utf-8"))
    current["result"] = _keep_wildcards(current.get("result"), run_case(folder))
    file.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.adapters.test_cases")
    parser.add_argument("--write", metavar="KIND/CASE", nargs="+", required=True)
    args = parser.parse_args(argv)
    for case in args.write:
        write_expected(CASES_ROOT / case)
        print(f"wrote {CASES_ROOT / case / 'expected.json'}: now check every value by eye")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
