"""Anonymise a recording folder: pseudonymise names and addresses, blank free text.

This module knows where PVE and Docker answers keep what identifies a lab; the pseudonyms come
from ``collector.recording.pseudonym`` (one instance for the whole recording and its config, so
every join the collector makes still holds). What is rewritten:

- PVE: node names (in answers *and* in ``nodes/<node>/`` paths), the cluster name, guest names
  and LXC hostnames, search domains; descriptions, comments and backup notes become
  ``(anonymised)`` lines (emptiness and line count kept);
- Docker: the engine's hostname (``/info`` Name), container hostnames and domain names that are
  not just the container id; health-check output is dropped;
- PBS: the node name in task ids (UPIDs); comments become ``(anonymised)``; PVE's ``/storage``
  ``server`` goes through the same pseudonym as the ``[[pbs]]`` host, so the join still holds;
- everywhere: every IP address and MAC address inside any string, except certificate and key
  fingerprints (``fingerprint``: they identify a certificate, not a lab, and a MAC-shaped
  rewrite of their first bytes would break the PVE-to-PBS join).

Kept: VMIDs, source names, storage and pool names, tags, image references, container names and
labels (rules read them), volume paths. Redaction of secrets already happened while recording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collector.recording.pseudonym import Pseudonymiser
from collector.recording.store import write_json

Fields = Mapping[str, Callable[[str], str]]

_CONTAINER_ID_HOSTNAME = re.compile(r"[0-9a-f]{12}")
_NODE_REF = re.compile(r"^(node|storage)/([^/]+)")
_GUEST_CONFIG = re.compile(r"^nodes/[^/]+/(?:qemu|lxc)/\d+/config$")
_STORAGE_CONTENT = re.compile(r"^nodes/[^/]+/storage/[^/]+/content(?:@.*)?$")


def anonymise_recording(src: Path, dst: Path, pseudo: Pseudonymiser) -> None:
    """Write an anonymised copy of the recording under ``src`` (``pve/``, ``docker/``, ``pbs/``)
    to ``dst``.

    Files are visited in sorted order so a fixed salt gives identical output on every run.
    """
    for kind, rewrite in (("pve", _pve_file), ("docker", _docker_file), ("pbs", _pbs_file)):
        base = src / kind
        if not base.is_dir():
            continue
        for source in sorted(p for p in base.iterdir() if p.is_dir()):
            for file in sorted(source.rglob("*.json")):
                rel = file.relative_to(source).as_posix()
                data = json.loads(file.read_text(encoding="utf-8"))
                new_rel, new_data = rewrite(rel, data, pseudo)
                write_json(dst / kind / source.name / new_rel, new_data)


def _split(rel: str) -> tuple[str, str]:
    """``nodes/a/qemu/1/config.error.json`` → (``nodes/a/qemu/1/config``, ``.error.json``)."""
    suffix = ".error.json" if rel.endswith(".error.json") else ".json"
    return rel[: -len(suffix)], suffix


def _walk(value: Any, fields: Fields, pseudo: Pseudonymiser) -> Any:
    if isinstance(value, Mapping):
        return {
            k: fields[k](v) if k in fields and isinstance(v, str) else _walk(v, fields, pseudo)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_walk(v, fields, pseudo) for v in value]
    if isinstance(value, str):
        return pseudo.text(value)
    return value


# -- PVE ---------------------------------------------------------------------------------------


def _pve_fields(stem: str, p: Pseudonymiser) -> Fields:
    def node_ref(text: str) -> str:
        return _NODE_REF.sub(lambda m: f"{m.group(1)}/{p.host(m.group(2))}", text)

    blank = p.placeholder
    common: dict[str, Callable[[str], str]] = {"node": p.host, "comment": blank}
    if stem == "cluster/status":
        return {**common, "name": p.host, "id": node_ref}
    if stem.startswith("cluster/resources"):
        return {**common, "name": p.host, "id": node_ref}
    if stem == "cluster/backup":
        return {**common, "notes-template": blank, "mailto": blank}
    if stem == "cluster/backup-info/not-backed-up":
        return {**common, "name": p.host}
    if _GUEST_CONFIG.match(stem):
        return {
            **common,
            "name": p.host,
            "hostname": p.host,
            "description": blank,
            "searchdomain": p.domain,
        }
    if _STORAGE_CONTENT.match(stem):
        return {**common, "notes": blank}
    if stem == "storage":
        return {**common, "server": p.host, "fingerprint": _keep}
    return common


def _keep(value: str) -> str:
    return value


def _pve_file(rel: str, data: Any, p: Pseudonymiser) -> tuple[str, Any]:
    stem, suffix = _split(rel)
    parts = stem.split("/")
    if suffix == ".error.json" and isinstance(data, Mapping):
        message = str(data.get("message", ""))
        if len(parts) > 1 and parts[0] == "nodes":  # "hostname lookup 'pve3' failed" and such
            node = re.escape(parts[1])
            message = re.sub(rf"(?<![\w-]){node}(?![\w-])", p.host(parts[1]), message)
        data = {**data, "message": p.text(message)}
    else:
        data = _walk(data, _pve_fields(stem, p), p)
    if len(parts) > 1 and parts[0] == "nodes":
        parts[1] = p.host(parts[1])
    return "/".join(parts) + suffix, data


# -- Docker ------------------------------------------------------------------------------------


def _docker_file(rel: str, data: Any, p: Pseudonymiser) -> tuple[str, Any]:
    stem, suffix = _split(rel)
    if isinstance(data, Mapping) and suffix == ".json":
        data = dict(data)
        if stem == "info" and isinstance(data.get("Name"), str):
            data["Name"] = p.host(data["Name"])
        if stem.startswith("containers/"):
            data = _container(data, p)
    return rel, _walk(data, {}, p)


def _container(data: dict[str, Any], p: Pseudonymiser) -> dict[str, Any]:
    config = data.get("Config")
    if isinstance(config, Mapping):
        config = dict(config)
        hostname = config.get("Hostname")
        if isinstance(hostname, str) and not _CONTAINER_ID_HOSTNAME.fullmatch(hostname):
            config["Hostname"] = p.host(hostname)
        if isinstance(config.get("Domainname"), str):
            config["Domainname"] = p.domain(config["Domainname"])
        data["Config"] = config
    state = data.get("State")
    if isinstance(state, Mapping) and isinstance(state.get("Health"), Mapping):
        # Health-check output is whatever the check printed: URLs, names, tokens.
        health = {k: v for k, v in state["Health"].items() if k != "Log"}
        data["State"] = {**state, "Health": health}
    return data


# -- PBS ---------------------------------------------------------------------------------------


def _pbs_file(rel: str, data: Any, p: Pseudonymiser) -> tuple[str, Any]:
    _, suffix = _split(rel)
    if suffix == ".error.json" and isinstance(data, Mapping):
        return rel, {**data, "message": p.text(str(data.get("message", "")))}

    def upid(text: str) -> str:  # UPID:<node>:...: the node is the PBS host's name
        head, sep, rest = text.partition(":")
        node, sep2, tail = rest.partition(":")
        return f"{head}{sep}{p.host(node)}{sep2}{tail}" if head == "UPID" and sep2 else text

    fields = {
        "comment": p.placeholder,
        "fingerprint": _keep,
        "upid": upid,
        "last-run-upid": upid,
    }
    return rel, _walk(data, fields, p)
