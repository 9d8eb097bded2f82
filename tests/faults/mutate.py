"""Mutations of real API payloads for the property-based tests, and a dict-backed PVE API.

A mutation is (file, operation, seed): the seed picks *where* in the payload the operation
applies, hypothesis picks *which* mutations, so failures shrink to a few readable mutations.
Operations model what real PVE/Docker versions and broken setups send: missing optional keys,
numbers as strings (and strings as numbers), nulls, values outside an enum, the wrong type, and
huge answers (a guest agent listing thousands of interfaces).
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

from adapters.common.recording import recording_file
from adapters.docker import errors as docker_errors
from adapters.docker.replay import ReplayDockerClient
from adapters.proxmox import errors as pve_errors

OPERATIONS = (
    "drop_key",
    "null",
    "stringify",
    "numberify",
    "unknown_enum",
    "wrong_type",
    "huge",
    "null_file",
    "remove_file",
)
ODD_STRINGS = ("frobnicated", "", " ", "💥", "\x00", "1e400", "NaN", "-1", "a" * 5000, "0x1F")
ODD_VALUES: tuple[Any, ...] = ([], {}, "x", 0, -1, 1.5, True, 2**70, None, [None], {"": None})


def load_recording(root: Path) -> dict[str, Any]:
    """Recording key (``path@query``, ``.error`` suffix for errors) -> parsed JSON."""
    files: dict[str, Any] = {}
    for file in sorted(root.rglob("*.json")):
        key = file.relative_to(root).as_posix().removesuffix(".json")
        files[key] = json.loads(file.read_text(encoding="utf-8"))
    return files


def nodes_of(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) in a JSON tree, the root included."""
    found = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += nodes_of(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += nodes_of(item, (*path, index))
    return found


def set_at(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return root


def _huge(value: Any, rng: random.Random) -> Any:
    """A much bigger answer of the same shape, of bounded size however often it is applied."""
    if isinstance(value, dict) and isinstance(value.get("result"), list) and value["result"]:
        template = value["result"][-1]
        value["result"] = [copy.deepcopy(template) for _ in range(3000)]
        return value
    if isinstance(value, list) and value:
        return (value * 2000)[: rng.randint(200, 2000)]
    if isinstance(value, str):
        return (value * 20_000)[:100_000]
    return value


def mutate(files: dict[str, Any], mutations: list[tuple[int, str, int]]) -> dict[str, Any]:
    """A mutated deep copy of ``files``; each mutation is (file index, operation, seed)."""
    files = copy.deepcopy(files)
    for index, operation, seed in mutations:
        if not files:
            break
        key = sorted(files)[index % len(files)]
        rng = random.Random(seed)
        value = files[key]
        if operation == "remove_file":
            del files[key]
            continue
        if operation == "null_file":
            files[key] = None
            continue
        if operation == "huge":
            files[key] = _huge(value, rng)
            continue
        nodes = nodes_of(value)
        if operation == "drop_key":
            dicts = [(p, v) for p, v in nodes if isinstance(v, dict) and v]
            if dicts:
                _, target = rng.choice(dicts)
                del target[rng.choice(sorted(target))]
            continue
        if operation == "stringify":
            picks = [(p, v) for p, v in nodes if isinstance(v, int | float) and p]
            if picks:
                path, number = rng.choice(picks)
                files[key] = set_at(value, path, str(number))
            continue
        if operation == "numberify":
            picks = [(p, v) for p, v in nodes if isinstance(v, str) and p]
            if picks:
                files[key] = set_at(value, rng.choice(picks)[0], rng.choice((0, 1, -5, 2.5, 2**64)))
            continue
        if operation == "unknown_enum":
            picks = [(p, v) for p, v in nodes if isinstance(v, str) and p]
            if picks:
                files[key] = set_at(value, rng.choice(picks)[0], rng.choice(ODD_STRINGS))
            continue
        path = rng.choice([p for p, _ in nodes])
        # A copy: a shared object inserted twice could later be made to contain itself.
        replacement = None if operation == "null" else copy.deepcopy(rng.choice(ODD_VALUES))
        files[key] = set_at(value, path, replacement)
    return files


class DictPveApi:
    """Answers like ``ReplayPveApi`` from an in-memory recording (see ``load_recording``)."""

    def __init__(self, files: dict[str, Any]) -> None:
        self.files = files

    def get(self, path: str, **params: Any) -> Any:
        key = recording_file(Path(), path, params).as_posix()
        if key in self.files:
            return copy.deepcopy(self.files[key])
        error = self.files.get(key + ".error")
        if isinstance(error, dict) and isinstance(error.get("status"), int):
            raise pve_errors.http_error("lab", path, error["status"], str(error.get("message", "")))
        raise pve_errors.http_error("lab", path, 501, f"Method 'GET /{path}' not implemented")


class DictDockerClient(ReplayDockerClient):
    """Answers the Docker adapter's five calls like ``ReplayDockerClient``, from memory."""

    def __init__(self, files: dict[str, Any]) -> None:
        super().__init__(Path(), "apps")
        self.files = files

    def _answer(self, name: str, what: str) -> Any:
        if name in self.files:
            return copy.deepcopy(self.files[name])
        raise docker_errors.http_error("apps", what, 404, "page not found")
