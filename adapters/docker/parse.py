"""Normalise Docker Engine API JSON (``/containers/<id>/json``, list entries, ``/info``).

Pure functions over dicts, so they can be fuzzed and replayed. Inspect answers are preferred;
the list entry fills in when a container vanished between list and inspect. ``Config.Env`` is
never read: environment variables routinely hold secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.model import Container, Mount, Port


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in _map(value).items() if v is not None}


# The Engine API's closed enums; a value outside them is recorded as unknown (state) or None.
_STATES = frozenset({"created", "running", "paused", "restarting", "removing", "exited", "dead"})
_HEALTH = frozenset({"starting", "healthy", "unhealthy", "none"})


def _state(value: Any) -> str:
    return value if isinstance(value, str) and value in _STATES else "unknown"


def _health(value: Any) -> str | None:
    return value if isinstance(value, str) and value in _HEALTH else None


def image_digest(reference: str | None, repo_digests: Any = None) -> str | None:
    """The content digest a container's image is pinned to, if we can tell."""
    if reference and "@sha256:" in reference:
        return reference.split("@", 1)[1]
    for entry in repo_digests if isinstance(repo_digests, list) else ():
        if isinstance(entry, str) and "@sha256:" in entry:
            return entry.split("@", 1)[1]
    return None


def _mounts(value: Any) -> tuple[Mount, ...]:
    mounts = []
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, Mapping):
            continue
        mounts.append(
            Mount(
                type=_str(item.get("Type")) or "unknown",
                source=_str(item.get("Source")) or "",
                destination=_str(item.get("Destination")) or "",
                name=_str(item.get("Name")),
                read_only=item.get("RW") is False,
            )
        )
    return tuple(mounts)


def healthcheck(config: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
    """Whether a healthcheck is configured: ``Config.Healthcheck`` holds the image's merged in.

    ``Test: ["NONE"]`` switches an image's healthcheck off; a ``State.Health`` means one runs.
    """
    test = _map(config.get("Healthcheck")).get("Test")
    if isinstance(test, list) and test:
        return str(test[0]).upper() != "NONE"
    return bool(_map(state.get("Health")))


def engine_labels(value: Any) -> dict[str, str]:
    """Daemon labels from ``/info``: a list of ``key=value`` strings."""
    labels: dict[str, str] = {}
    for item in value if isinstance(value, list) else ():
        if isinstance(item, str) and "=" in item:
            key, _, val = item.partition("=")
            labels[key.strip()] = val.strip()
    return labels


def _port(value: Any) -> int | None:
    """A port number from an int or an ASCII-digit string ("²".isdigit() is True; int() fails)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
        return value
    return None


def _ports_from_inspect(value: Any) -> tuple[Port, ...]:
    ports: dict[tuple[int, str, str | None, int | None], None] = {}
    for key, bindings in _map(value).items():
        text, _, protocol = str(key).partition("/")
        number = _port(text)
        if number is None:
            continue
        if not isinstance(bindings, list) or not bindings:
            ports[(number, protocol or "tcp", None, None)] = None
            continue
        for binding in bindings:
            host_port = str(_map(binding).get("HostPort") or "")
            ports[
                (
                    number,
                    protocol or "tcp",
                    _str(_map(binding).get("HostIp")),
                    _port(host_port),
                )
            ] = None
    return tuple(Port(*key) for key in sorted(ports, key=str))


def _ports_from_list(value: Any) -> tuple[Port, ...]:
    ports: dict[tuple[int, str, str | None, int | None], None] = {}
    for item in value if isinstance(value, list) else ():
        item = _map(item)
        private = _port(item.get("PrivatePort"))
        if private is None:
            continue
        ports[
            (
                private,
                _str(item.get("Type")) or "tcp",
                _str(item.get("IP")),
                _port(item.get("PublicPort")),
            )
        ] = None
    return tuple(Port(*key) for key in sorted(ports, key=str))


def _networks(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    networks = _map(value)
    names = tuple(sorted(str(n) for n in networks))
    ips = tuple(ip for n in names if (ip := _str(_map(networks[n]).get("IPAddress"))) is not None)
    return names, ips


def container_from_inspect(
    engine: str, data: Mapping[str, Any], *, digest: str | None = None
) -> Container:
    """``digest``: the repo digest of the image (from an image inspect), used when the image
    reference itself does not pin one."""
    state = _map(data.get("State"))
    config = _map(data.get("Config"))
    host = _map(data.get("HostConfig"))
    restart = _map(host.get("RestartPolicy"))
    log = _map(host.get("LogConfig"))
    name = (_str(data.get("Name")) or _str(data.get("Id")) or "unnamed").lstrip("/")
    image = _str(config.get("Image")) or _str(data.get("Image")) or "unknown"
    networks, ips = _networks(_map(data.get("NetworkSettings")).get("Networks"))
    count = data.get("RestartCount")
    return Container(
        id=f"docker:{engine}/{name}",
        engine=engine,
        container_id=_str(data.get("Id")) or name,
        name=name,
        image=image,
        image_id=_str(data.get("Image")),
        image_digest=image_digest(image) or digest,
        state=_state(state.get("Status")),
        health=_health(_map(state.get("Health")).get("Status")),
        restart_policy=_str(restart.get("Name")) or "no",
        restart_count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
        log_driver=_str(log.get("Type")) or "unknown",
        log_options={str(k): str(v) for k, v in _map(log.get("Config")).items()},
        labels=_labels(config.get("Labels")),
        mounts=_mounts(data.get("Mounts")),
        ports=_ports_from_inspect(_map(data.get("NetworkSettings")).get("Ports")),
        networks=networks,
        network_ips=ips,
        created_at=_str(data.get("Created")),
        started_at=_str(state.get("StartedAt")),
        healthcheck=healthcheck(config, state),
    )


def container_from_list(engine: str, item: Mapping[str, Any]) -> Container:
    """A thinner container built from the list entry alone (no restart/log policy known)."""
    names = item.get("Names")
    first = names[0] if isinstance(names, list) and names and isinstance(names[0], str) else None
    name = (first or _str(item.get("Id")) or "unnamed").lstrip("/")
    image = _str(item.get("Image")) or "unknown"
    networks, ips = _networks(_map(item.get("NetworkSettings")).get("Networks"))
    return Container(
        id=f"docker:{engine}/{name}",
        engine=engine,
        container_id=_str(item.get("Id")) or name,
        name=name,
        image=image,
        image_id=_str(item.get("ImageID")),
        image_digest=image_digest(image),
        state=_state(item.get("State")),
        health=_health(_map(item.get("Health")).get("Status")),
        healthcheck=True if _map(item.get("Health")) else None,
        restart_policy="unknown",
        restart_count=0,
        log_driver="unknown",
        log_options={},
        labels=_labels(item.get("Labels")),
        mounts=_mounts(item.get("Mounts")),
        ports=_ports_from_list(item.get("Ports")),
        networks=networks,
        network_ips=ips,
    )
