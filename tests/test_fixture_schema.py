"""Every recorded API answer under ``fixtures/`` has the shape the real APIs give.

PVE answers are checked against the ``returns`` schema of the official API schema (PVE 9.1,
extracted to ``fixtures/schema/pve-9.1-returns.json`` by ``fixtures/schema/extract.py``): each
required field is present, each present field has a JSON type that PVE really sends for the
schema type. Docker answers are checked for the keys the collector reads, typed as the moby
swagger (API v1.56, ``fixtures/schema/docker-v1.56-read-keys.json``) says.

Only files in the repository are read, so the test runs in a plain clone. It is parametrised per
file: a broken fixture names itself. The recording layout is the one in ``fixtures/README.md``;
the ``answers/`` of an adapter case (``fixtures/adapters/<kind>/<case>/``) are checked the same way.

PVE wire rules (the schema gives *schema* types; these are the JSON types that arrive):

* ``boolean`` arrives as the integer 0 or 1 (Perl has no booleans). JSON true/false are rejected.
* ``integer`` arrives as a JSON integer. ``number`` as a JSON integer or float.
* Config endpoints (``qemu/{vmid}/config``, ``lxc/{vmid}/config``): qemu-server/pve-container
  ``check_type`` converts booleans and integers to numbers but keeps a ``number`` as the string it
  read from the config file (``cpulimit: "4"``), so ``number`` may also be a numeric string.
* Objects that PVE parses from a property string (``/cluster/backup``: ``prune-backups``,
  ``fleecing``, ``performance``) keep every value as a string (``{"keep-last": "3"}``), so nested
  ``integer``/``boolean`` fields there may be numeric strings.
* ``/nodes/{node}/lxc/{vmid}/interfaces``: ``ip-addresses[].prefix`` is documented as integer but
  is sent as a string (``"24"``, pve-container builds it by string concatenation); the whole
  answer is ``null`` for a stopped container.
* Fields the schema does not document are allowed in list answers (PVE sends more than it
  documents, e.g. ``content``/``subtype`` in storage content, ``type``/``state`` in HA resources)
  but not in config answers, whose documented key set is complete (an unknown key there is a typo).
* ``agent/network-get-interfaces`` is documented only as "an object with a single ``result``
  property"; its inner shape is the QEMU guest agent's ``GuestNetworkInterface`` list, or
  ``{"error": {"class", "desc"}}`` when the guest agent refuses the command (HTTP 200).
* ``*.error.json`` files hold ``{"status": <HTTP code>, "message": <text>}``.

A recording that leaves the wire format on purpose (a robustness scenario) is listed in
``OFF_WIRE_ON_PURPOSE``; a fixture known to be wrong by mistake in ``KNOWN_FIXTURE_BUGS`` (a strict
xfail, so fixing it forces removing the entry). Recordings of PVE releases older than 9.1 whose
fields changed type (e.g. qemu ``memory`` was an integer before 8.1) need such an entry too.
A recording of another engine's Docker-compatible API (Podman) lists the deviations it really
has in ``FOREIGN_ENGINE_DEVIATIONS``; anything else it deviates in is still an error.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCHEMA_DIR = FIXTURES / "schema"
PVE_SCHEMA: dict[str, Any] = json.loads((SCHEMA_DIR / "pve-9.1-returns.json").read_text())[
    "endpoints"
]
DOCKER_SCHEMA: dict[str, Any] = json.loads(
    (SCHEMA_DIR / "docker-v1.56-read-keys.json").read_text()
)["endpoints"]

# recorded api path (without .json and without @query) -> schema endpoint template
PVE_ROUTES = [
    (r"version", "/version"),
    (r"cluster/status", "/cluster/status"),
    (r"cluster/resources", "/cluster/resources"),
    (r"pools", "/pools"),
    (r"cluster/ha/resources", "/cluster/ha/resources"),
    (r"cluster/backup", "/cluster/backup"),
    (r"cluster/backup-info/not-backed-up", "/cluster/backup-info/not-backed-up"),
    (r"nodes/[^/]+/qemu/\d+/config", "/nodes/{node}/qemu/{vmid}/config"),
    (r"nodes/[^/]+/lxc/\d+/config", "/nodes/{node}/lxc/{vmid}/config"),
    (
        r"nodes/[^/]+/qemu/\d+/agent/network-get-interfaces",
        "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
    ),
    (r"nodes/[^/]+/lxc/\d+/interfaces", "/nodes/{node}/lxc/{vmid}/interfaces"),
    (r"nodes/[^/]+/storage/[^/]+/content", "/nodes/{node}/storage/{storage}/content"),
    (r"access/permissions", "/access/permissions"),
    (r"storage", "/storage"),
]
CONFIG_ENDPOINTS = {"/nodes/{node}/qemu/{vmid}/config", "/nodes/{node}/lxc/{vmid}/config"}
PROPERTY_STRING_OBJECTS = {("/cluster/backup", "prune-backups"), ("/cluster/backup", "fleecing")}
PROPERTY_STRING_OBJECTS |= {("/cluster/backup", "performance")}
AGENT = "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"
LXC_IFACES = "/nodes/{node}/lxc/{vmid}/interfaces"
NUMERIC = re.compile(r"-?\d+(\.\d+)?")

# Recordings that leave the wire format on purpose, with why. Types are relaxed to "numeric
# strings allowed everywhere" there; required fields are still checked.
OFF_WIRE_ON_PURPOSE = {
    "scenarios/string-numbers": "numbers and 0/1 booleans as strings in list answers, as "
    "hand-edited samples and some client libraries show them: proves the parsers are defensive",
}
# Files that are malformed on purpose (robustness scenarios): each must FAIL the check (a strict
# xfail), so a scenario that stops being hostile is noticed. Key: path regex.
HOSTILE_ON_PURPOSE: dict[str, str] = {
    r"scenarios/config-of-the-wrong-type/pve/lab/nodes/pve1/qemu/42[0-3]/config\.json": (
        "a guest config that is null or a list, or agent/onboot/notes of the wrong type: what "
        "cannot be read is a gap, never 'disabled'"
    ),
    r"scenarios/config-of-the-wrong-type/pve/lab/nodes/pve1/qemu/424/config\.json": (
        "agent as a JSON boolean, which PVE never sends: read as what it says"
    ),
    r"scenarios/dropped-items-are-gaps/pve/lab/cluster/resources@type=vm\.json": (
        "guest listing items without an integer vmid, or not objects: each dropped one a gap"
    ),
    r"scenarios/dropped-items-are-gaps/docker/apps/containers(/2cb80f362d1d[0-9a-f]+)?\.json": (
        "container listing items that are not objects or lack a string Id, an inspect answer "
        "that is a list: each a gap"
    ),
}
# Fixture files known to deviate from the wire format by mistake: xfail(strict) until fixed, so
# the fix turns the marker into an error that asks for its removal. Key: path regex.
KNOWN_FIXTURE_BUGS: dict[str, str] = {}
# Recordings of another engine's Docker-compatible API, checked against Docker's read keys all
# the same: the deviations listed (regexes over the error text) are that engine's real answers,
# so they are expected, and any other deviation is still an error. Key: recording, or
# recording/source.
PODMAN_4_3_DEVIATIONS = (
    r"containers\.json\[\d+\]: HostConfig missing",  # no HostConfig.NetworkMode in the list
    r"containers\.json\[\d+\]: NetworkSettings\.Networks is null",  # with --network none
    # Health is always present; "" when the container has no healthcheck.
    r"containers/[0-9a-f]{64}\.json: State\.Health\.Status = '' not in .*",
)
FOREIGN_ENGINE_DEVIATIONS: dict[str, tuple[str, ...]] = {
    # Podman 4.3.1 (fixtures/record_podman_samples.py; docs/podman-notes.md)
    "podman-samples": PODMAN_4_3_DEVIATIONS,
    # the demo lab's Podman engine: those samples moved (fixtures/generate_demo_lab.py)
    "demo-lab/pods": PODMAN_4_3_DEVIATIONS,
}


# --------------------------------------------------------------------------------------------
# finding the recorded files
# --------------------------------------------------------------------------------------------
_CASE_KINDS = {"proxmox": "pve", "docker": "docker"}
"""Folder of an adapter case (``fixtures/adapters/<kind>/``) -> folder of a recording."""


def split(path: Path) -> tuple[str, str, str, str]:
    """(recording, kind, source, api path) of a recorded file, per fixtures/README.md."""
    parts = path.relative_to(FIXTURES).parts
    if parts[0] == "adapters":  # adapters/<proxmox|docker>/<case>/answers/<api path>
        if len(parts) < 5 or parts[3] != "answers":
            raise ValueError(f"{path} is not in an adapter case's answers/ folder")
        return "/".join(parts[:3]), _CASE_KINDS[parts[1]], parts[2], "/".join(parts[4:])
    depth = 2 if parts[0] == "scenarios" else 1
    if len(parts) < depth + 3 or parts[depth] not in ("pve", "docker"):
        raise ValueError(f"{path} is not in a recording's pve/<source>/ or docker/<source>/")
    return "/".join(parts[:depth]), parts[depth], parts[depth + 1], "/".join(parts[depth + 2 :])


def recorded(kind: str) -> Iterator[Path]:
    for path in sorted(FIXTURES.rglob("*.json")):
        rel = path.relative_to(FIXTURES).parts
        if rel[0] == "adapters":  # a case's answers/, not its expected.json
            if len(rel) > 4 and rel[3] == "answers" and _CASE_KINDS.get(rel[1]) == kind:
                yield path
            continue
        if rel[0] == "schema" or (rel[0] == "scenarios" and len(rel) < 4):
            continue  # schema extracts, scenarios/<name>/expected.json
        if kind in rel[:3]:
            yield path


def ident(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


PVE_FILES = list(recorded("pve"))
DOCKER_FILES = list(recorded("docker"))
RECORDINGS = sorted({p.parent for p in FIXTURES.rglob("config.toml")})


def route(api: str) -> str:
    path = api.removesuffix(".json").removesuffix(".error").split("@", 1)[0]
    for pattern, endpoint in PVE_ROUTES:
        if re.fullmatch(pattern, path):
            return endpoint
    raise AssertionError(f"no schema endpoint for recorded path {api!r}: add it to PVE_ROUTES")


# --------------------------------------------------------------------------------------------
# PVE type rules
# --------------------------------------------------------------------------------------------
def wire_type_ok(
    value: Any, schema_type: str, *, numeric_strings: bool, bool_strings: bool
) -> bool:
    if isinstance(value, str) and NUMERIC.fullmatch(value):
        if schema_type == "boolean" and bool_strings:
            return value in ("0", "1")
        if schema_type in ("integer", "number") and numeric_strings:
            return schema_type == "number" or "." not in value
    if schema_type == "string":
        return isinstance(value, str)
    if schema_type == "boolean":
        return type(value) is int and value in (0, 1)
    if schema_type == "integer":
        return type(value) is int
    if schema_type == "number":
        return type(value) in (int, float)
    if schema_type == "object":
        return isinstance(value, dict)
    if schema_type == "array":
        return isinstance(value, list)
    return True  # "any" / untyped


def schema_key(key: str, properties: dict[str, Any]) -> str | None:
    if key in properties:
        return key
    indexed = re.sub(r"\d+$", "[n]", key)
    return indexed if indexed in properties else None


def check_object(
    obj: Any,
    schema: dict[str, Any],
    where: str,
    endpoint: str,
    parent: str | None = None,
    lenient: bool = False,
) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected an object, got {type(obj).__name__}"]
    properties: dict[str, Any] = schema.get("properties", {})
    errors = [
        f"{where}: required field {name!r} missing"
        for name, prop in properties.items()
        if prop.get("required") and name not in obj
    ]
    config = endpoint in CONFIG_ENDPOINTS
    from_property_string = (endpoint, parent) in PROPERTY_STRING_OBJECTS
    for key, value in obj.items():
        name = schema_key(key, properties)
        if name is None:
            if config and parent is None:
                errors.append(f"{where}: {key!r} is not a documented config key")
            continue
        prop = properties[name]
        numeric = lenient or from_property_string or (config and prop["type"] == "number")
        if endpoint == LXC_IFACES and parent == "ip-addresses" and key == "prefix":
            numeric = True
        bools = lenient or from_property_string
        if not wire_type_ok(value, prop["type"], numeric_strings=numeric, bool_strings=bools):
            errors.append(f"{where}.{key}: {value!r} is not a wire {prop['type']}")
            continue
        if "enum" in prop and isinstance(value, str) and value not in prop["enum"]:
            errors.append(f"{where}.{key}: {value!r} not in {prop['enum']}")
        if parent is None and isinstance(value, dict) and "properties" in prop:
            errors += check_object(value, prop, f"{where}.{key}", endpoint, key, lenient)
        if parent is None and isinstance(value, list) and "items" in prop:
            for i, item in enumerate(value):
                if prop["items"].get("properties"):
                    w = f"{where}.{key}[{i}]"
                    errors += check_object(item, prop["items"], w, endpoint, key, lenient)
    return errors


def check_agent(data: Any, where: str) -> list[str]:
    """QEMU guest agent GuestNetworkInterface list, or the guest agent's own error object."""
    if not isinstance(data, dict) or set(data) != {"result"}:
        return [f"{where}: expected exactly {{'result': ...}}"]
    result = data["result"]
    if isinstance(result, dict):
        err = result.get("error")
        ok = isinstance(err, dict) and isinstance(err.get("class"), str)
        return [] if ok and isinstance(err.get("desc"), str) else [f"{where}: bad error object"]
    if not isinstance(result, list):
        return [f"{where}.result: expected a list"]
    errors = []
    for i, iface in enumerate(result):
        w = f"{where}.result[{i}]"
        if not isinstance(iface.get("name"), str):
            errors.append(f"{w}: 'name' missing")
        if "hardware-address" in iface and not isinstance(iface["hardware-address"], str):
            errors.append(f"{w}.hardware-address: not a string")
        for j, addr in enumerate(iface.get("ip-addresses", [])):
            if not isinstance(addr.get("ip-address"), str) or type(addr.get("prefix")) is not int:
                errors.append(f"{w}.ip-addresses[{j}]: needs ip-address (str) and prefix (int)")
            if addr.get("ip-address-type") not in ("ipv4", "ipv6"):
                errors.append(f"{w}.ip-addresses[{j}]: ip-address-type must be ipv4/ipv6")
        stats = iface.get("statistics", {})
        if not all(type(v) is int for v in stats.values()):
            errors.append(f"{w}.statistics: counters must be integers")
    return errors


def check_error_file(data: Any, where: str) -> list[str]:
    if not isinstance(data, dict) or set(data) != {"status", "message"}:
        return [f"{where}: an error recording is exactly {{'status': int, 'message': str}}"]
    if type(data["status"]) is not int or not 400 <= data["status"] <= 599:
        return [f"{where}.status: {data['status']!r} is not an HTTP error code"]
    return [] if isinstance(data["message"], str) and data["message"] else [f"{where}: no message"]


def check_pve(path: Path) -> list[str]:
    recording, _, _, api = split(path)
    lenient = recording in OFF_WIRE_ON_PURPOSE
    data = json.loads(path.read_text())
    if api.endswith(".error.json"):
        route(api)  # an error must still be for a path the collector asks for
        return check_error_file(data, api)
    endpoint = route(api)
    if endpoint == AGENT:
        return check_agent(data, api)
    schema = PVE_SCHEMA[endpoint]
    if data is None and endpoint == LXC_IFACES:
        return []  # a stopped container answers null
    if schema["type"] == "array":
        if not isinstance(data, list):
            return [f"{api}: expected an array, got {type(data).__name__}"]
        errors = []
        for i, item in enumerate(data):
            errors += check_object(item, schema["items"], f"{api}[{i}]", endpoint, None, lenient)
        return errors
    return check_object(data, schema, api, endpoint, None, lenient)


def with_known_bugs(paths: list[Path]) -> list[Any]:
    out = []
    for path in paths:
        known = {**KNOWN_FIXTURE_BUGS, **HOSTILE_ON_PURPOSE}
        bug = next((why for p, why in known.items() if re.fullmatch(p, ident(path))), "")
        marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
        out.append(pytest.param(path, marks=marks, id=ident(path)))
    return out


@pytest.mark.parametrize("path", with_known_bugs(PVE_FILES))
def test_pve_recording_matches_schema(path: Path) -> None:
    errors = check_pve(path)
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------------------------------------
# Docker
# --------------------------------------------------------------------------------------------
DOCKER_ENDPOINT = {
    "version.json": "/version",
    "info.json": "/info",
    "containers.json": "/containers/json",
}
SWAGGER_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def dig(obj: Any, dotted: str) -> tuple[bool, Any]:
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return False, None
        obj = obj[part]
    return True, obj


def check_docker_object(obj: Any, endpoint: str, where: str) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected an object"]
    errors = []
    for key, spec in DOCKER_SCHEMA[endpoint]["keys"].items():
        present, value = dig(obj, key)
        if not present:
            parent_present = "." not in key or dig(obj, key.rsplit(".", 1)[0])[0]
            if spec["required"] and parent_present:
                errors.append(f"{where}: {key} missing")
            continue
        if value is None:
            if not spec["nullable"]:
                errors.append(f"{where}: {key} is null")
            continue
        allowed = SWAGGER_TYPES.get(spec["type"], (object,))
        if not isinstance(value, allowed) or (spec["type"] == "integer" and type(value) is bool):
            errors.append(f"{where}: {key} = {value!r} is not a {spec['type']}")
        elif spec.get("enum") and value not in spec["enum"]:
            errors.append(f"{where}: {key} = {value!r} not in {spec['enum']}")
    return errors


def check_docker(path: Path) -> list[str]:
    recording, _, source, _ = split(path)
    expected = FOREIGN_ENGINE_DEVIATIONS.get(recording) or FOREIGN_ENGINE_DEVIATIONS.get(
        f"{recording}/{source}", ()
    )
    return [e for e in _check_docker(path) if not any(re.fullmatch(x, e) for x in expected)]


def _check_docker(path: Path) -> list[str]:
    recording, _, _, rel = split(path)
    data = json.loads(path.read_text())
    if rel.endswith(".error.json"):
        return check_error_file(data, rel)
    if rel.startswith("images/"):  # GET /images/<id>/json: the collector reads RepoDigests
        if not isinstance(data, dict) or not isinstance(data.get("RepoDigests"), list):
            return [f"{rel}: expected an object with a RepoDigests list"]
        if f"images/{str(data.get('Id')).replace(':', '-')}.json" != rel:
            return [f"{rel}: Id {data.get('Id')!r} differs from the file name"]
        return []
    if rel.startswith("containers/"):
        errors = check_docker_object(data, "/containers/{id}/json", rel)
        if data.get("Id") != path.stem:
            errors.append(f"{rel}: Id {data.get('Id')!r} differs from the file name")
        return errors
    if rel.startswith("libpod/"):
        return check_libpod(path, rel, data)
    endpoint = DOCKER_ENDPOINT.get(rel)
    if endpoint is None:
        return [f"{rel}: not a Docker path the collector reads (see fixtures/README.md)"]
    if endpoint != "/containers/json":
        return check_docker_object(data, endpoint, rel)
    if not isinstance(data, list):
        return [f"{rel}: expected a list"]
    errors = []
    podman = (path.parent / "libpod" / "pods.json").exists()
    infra = (
        {p.get("InfraId") for p in _json(path.parent / "libpod" / "pods.json")} if podman else set()
    )
    for i, item in enumerate(data):
        errors += check_docker_object(item, endpoint, f"{rel}[{i}]")
        # Podman is inspected through libpod; a pod's infra container not at all.
        inspect = (
            path.parent
            / ("libpod/containers" if podman else "containers")
            / f"{item.get('Id')}.json"
        )
        if item.get("Id") in infra:
            continue
        if not re.fullmatch(r"[0-9a-f]{64}", str(item.get("Id"))):
            errors.append(f"{rel}[{i}]: Id is not 64 hex digits")
        elif inspect.with_suffix(".error.json").exists() or (
            # an adapter case holds only the answers its calls read (a failing /info stops
            # the engine before any inspect)
            not inspect.exists() and recording.startswith("adapters/")
        ):
            continue
        elif not inspect.exists():
            errors.append(f"{rel}[{i}]: no inspect recording {inspect.relative_to(path.parent)}")
        elif "/" + str(_json(inspect).get("Name")).lstrip("/") not in item.get("Names", []):
            # (libpod's Name has no leading slash, the compat one has)
            errors.append(f"{rel}[{i}]: Names and the inspect Name disagree")
    return errors


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


# What the collector reads of Podman's libpod answers (adapters/docker/podman.py): key -> types.
LIBPOD_POD_KEYS = {"Name": (str,), "Id": (str,), "InfraId": (str,), "Containers": (list,)}
LIBPOD_CONTAINER_KEYS = {
    "Id": (str,),
    "Name": (str,),
    "Image": (str,),
    "ImageDigest": (str,),
    "Pod": (str,),
    "IsInfra": (bool,),
    "State.Status": (str,),
    "Config.Labels": (dict, type(None)),
    "HostConfig.LogConfig.Type": (str,),
    "HostConfig.LogConfig.Size": (str,),
    "HostConfig.RestartPolicy.Name": (str,),
}


def check_libpod(path: Path, rel: str, data: Any) -> list[str]:
    """``libpod/pods.json`` and ``libpod/containers/<id>.json`` of a Podman recording."""
    keys, items = (
        (LIBPOD_POD_KEYS, data if isinstance(data, list) else [None])
        if rel == "libpod/pods.json"
        else (LIBPOD_CONTAINER_KEYS, [data])
    )
    if not rel.startswith("libpod/containers/") and rel != "libpod/pods.json":
        return [f"{rel}: not a libpod path the collector reads (see fixtures/README.md)"]
    errors = []
    for index, item in enumerate(items):
        for key, types in keys.items():
            present, value = dig(item, key)
            if not present or not isinstance(value, types):
                errors.append(f"{rel}[{index}]: {key} = {value!r} is not {types}")
    if rel.startswith("libpod/containers/") and isinstance(data, dict):
        if data.get("Id") != path.stem:
            errors.append(f"{rel}: Id {data.get('Id')!r} differs from the file name")
        if "CreateCommand" in data.get("Config", {}) or "Env" in data.get("Config", {}):
            errors.append(f"{rel}: a command line or environment was recorded")
    return errors


@pytest.mark.parametrize("path", with_known_bugs(DOCKER_FILES))
def test_docker_recording_has_read_keys(path: Path) -> None:
    errors = check_docker(path)
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------------------------------------
# recordings as a whole
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_recording_config_matches_its_sources(recording: Path) -> None:
    config = tomllib.loads((recording / "config.toml").read_text())
    for kind in ("proxmox", "docker"):
        folder = "pve" if kind == "proxmox" else "docker"
        for source in config.get(kind, []):
            assert (recording / folder / source["name"]).is_dir(), (
                f"[[{kind}]] {source['name']!r} has no {folder}/{source['name']}/ recording"
            )
        for source_dir in (recording / folder).glob("*"):
            names = [s["name"] for s in config.get(kind, [])]
            assert source_dir.name in names, f"{folder}/{source_dir.name} is not in config.toml"
    secrets = ("token_secret", "password")
    for source in config.get("proxmox", []):
        assert not any(k in source for k in secrets), "a recording's config holds no secret"


def test_there_is_something_to_check() -> None:
    assert PVE_FILES, "no PVE recordings found under fixtures/"
    assert DOCKER_FILES, "no Docker recordings found under fixtures/"
    assert set(PVE_SCHEMA) >= {endpoint for _, endpoint in PVE_ROUTES}
