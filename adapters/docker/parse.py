"""Normalise Docker Engine API JSON (``/containers/<id>/json``, list entries, ``/info``).

Pure functions over dicts, so they can be fuzzed and replayed. Inspect answers are preferred;
the list entry fills in when a container's inspect failed, and what only the inspect says
(restart policy and count, log driver and options, start time) is then None, never a made-up
default. Every value is read through ``Reader``: one of the wrong kind (an object where a
string belongs, a list where an object does) is None and noted in an ``Unread``, which the
adapter makes a gap; a whole section of the wrong kind leaves what it holds unknown. ``null``
is Go's nil map or slice, so it reads as empty. ``Config.Env`` is never read: environment
variables routinely hold secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.common.unread import Unread
from collector.model import Container, Mount, Port

Obj = Mapping[str, Any]
_EMPTY: Obj = {}


class Reader:
    """Typed reads from an answer; a value of another kind is None (unknown) and noted."""

    def __init__(self, unread: Unread) -> None:
        self.unread = unread

    def obj(self, parent: Obj | None, key: str, where: str = "") -> Obj | None:
        """A section: ``{}`` when absent, None when unknown (of another kind, or its parent)."""
        if parent is None:
            return None
        value = parent.get(key)
        if value is None:
            return _EMPTY
        return value if isinstance(value, Mapping) else self.unread(where + key, value, None)

    def seq(self, parent: Obj | None, key: str, where: str = "") -> list[Any] | None:
        if parent is None:
            return None
        value = parent.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else self.unread(where + key, value, None)

    def text(self, parent: Obj | None, key: str, where: str = "") -> str | None:
        value = None if parent is None else parent.get(key)
        return self.unread(where + key, value, value if isinstance(value, str) else None) or None

    def number(self, parent: Obj | None, key: str, where: str = "") -> int | None:
        value = None if parent is None else parent.get(key)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return self.unread(where + key, value, value if ok else None)

    def texts(self, parent: Obj | None, key: str, where: str = "") -> dict[str, str] | None:
        """A map of strings (labels, log options); unknown as a whole if one value is not a
        string: a rule must not miss the one label it looks for."""
        values = self.obj(parent, key, where)
        if values is None:
            return None
        if not all(isinstance(v, str) for v in values.values() if v is not None):
            return self.unread(where + key, values, None)
        return {str(k): v for k, v in values.items() if v is not None}


# The Engine API's closed enums; a value outside them is recorded as unknown (state) or None.
_STATES = frozenset({"created", "running", "paused", "restarting", "removing", "exited", "dead"})
_HEALTH = frozenset({"starting", "healthy", "unhealthy", "none"})


def _state(value: str | None) -> str:
    return value if value in _STATES else "unknown"


def _health(value: str | None) -> str | None:
    return value if value in _HEALTH else None


def image_digest(reference: str | None, repo_digests: Any = None) -> str | None:
    """The content digest a container's image is pinned to, if we can tell."""
    if reference and "@sha256:" in reference:
        return reference.split("@", 1)[1]
    for entry in repo_digests if isinstance(repo_digests, list) else ():
        if isinstance(entry, str) and "@sha256:" in entry:
            return entry.split("@", 1)[1]
    return None


def _mounts(r: Reader, parent: Obj) -> tuple[Mount, ...]:
    mounts = []
    for index, item in enumerate(r.seq(parent, "Mounts") or ()):
        where = f"Mounts[{index}]."
        if not isinstance(item, Mapping):
            r.unread(where.rstrip("."), item, None)
            continue
        rw = item.get("RW")
        mounts.append(
            Mount(
                type=r.text(item, "Type", where) or "unknown",
                source=r.text(item, "Source", where) or "",
                destination=r.text(item, "Destination", where) or "",
                name=r.text(item, "Name", where),
                read_only=r.unread(where + "RW", rw, rw if isinstance(rw, bool) else None) is False,
            )
        )
    return tuple(mounts)


def _healthcheck(r: Reader, config: Obj | None, state: Obj | None) -> bool | None:
    """Whether a healthcheck is configured: ``Config.Healthcheck`` holds the image's merged in.

    ``Test: ["NONE"]`` switches an image's healthcheck off; a ``State.Health`` means one runs.
    """
    test = r.seq(r.obj(config, "Healthcheck", "Config."), "Test", "Config.Healthcheck.")
    health = r.obj(state, "Health", "State.")
    if test is None or health is None:
        return None
    if test:
        return str(test[0]).upper() != "NONE"
    return bool(health)


def engine_labels(value: Any) -> dict[str, str] | None:
    """Daemon labels from ``/info``: a list of ``key=value`` strings; None if it is not one."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        return None
    labels: dict[str, str] = {}
    for item in value:
        if "=" in item:
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


PortKey = tuple[int, str, str | None, int | None]


def _sorted_ports(ports: dict[PortKey, None]) -> tuple[Port, ...]:
    """By number (80 before 443 before 8080), then protocol, host address and host port."""
    return tuple(
        Port(*key) for key in sorted(ports, key=lambda k: (k[0], k[1], k[2] or "", k[3] or -1))
    )


def _ports_from_inspect(r: Reader, network: Obj | None) -> tuple[Port, ...]:
    ports: dict[PortKey, None] = {}
    for key, bindings in (r.obj(network, "Ports", "NetworkSettings.") or {}).items():
        text, _, protocol = str(key).partition("/")
        number = _port(text)
        if number is None:
            continue
        where = f"NetworkSettings.Ports.{key}"
        if bindings is not None and not isinstance(bindings, list):
            r.unread(where, bindings, None)
            continue
        if not bindings:
            ports[(number, protocol or "tcp", None, None)] = None
        for index, binding in enumerate(bindings or ()):
            if not isinstance(binding, Mapping):
                r.unread(f"{where}[{index}]", binding, None)
                continue
            host_ip = r.text(binding, "HostIp", f"{where}[{index}].")
            host_port = _port(r.text(binding, "HostPort", f"{where}[{index}]."))
            ports[(number, protocol or "tcp", host_ip, host_port)] = None
    return _sorted_ports(ports)


def _ports_from_list(r: Reader, item: Obj) -> tuple[Port, ...]:
    ports: dict[PortKey, None] = {}
    for index, entry in enumerate(r.seq(item, "Ports") or ()):
        if not isinstance(entry, Mapping):
            r.unread(f"Ports[{index}]", entry, None)
            continue
        private = _port(entry.get("PrivatePort"))
        if private is None:
            continue
        where = f"Ports[{index}]."
        kind = r.text(entry, "Type", where) or "tcp"
        ports[(private, kind, r.text(entry, "IP", where), _port(entry.get("PublicPort")))] = None
    return _sorted_ports(ports)


def _networks(r: Reader, section: Obj | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    networks = r.obj(section, "Networks", "NetworkSettings.") or {}
    names = tuple(sorted(str(n) for n in networks))
    ips = []
    for name in names:
        network = r.obj(networks, name, "NetworkSettings.Networks.")
        if ip := r.text(network, "IPAddress", f"NetworkSettings.Networks.{name}."):
            ips.append(ip)
    return names, tuple(ips)


def _policy(r: Reader, host: Obj | None) -> str | None:
    restart = r.obj(host, "RestartPolicy", "HostConfig.")
    if restart is None:
        return None
    name = r.text(restart, "Name", "HostConfig.RestartPolicy.")
    # Docker writes "" (or nothing) for the policy "no".
    return name or ("no" if restart.get("Name") in (None, "") else None)


def container_from_inspect(
    engine: str,
    data: Obj,
    *,
    digest: str | None = None,
    unread: Unread | None = None,
) -> Container:
    """``digest``: the repo digest of the image (from an image inspect), used when the image
    reference itself does not pin one. ``unread`` collects the values of the wrong kind."""
    r = Reader(unread if unread is not None else Unread())
    state, config = r.obj(data, "State"), r.obj(data, "Config")
    host, network = r.obj(data, "HostConfig"), r.obj(data, "NetworkSettings")
    log = r.obj(host, "LogConfig", "HostConfig.")
    name = (r.text(data, "Name") or r.text(data, "Id") or "unnamed").lstrip("/")
    image_id = r.text(data, "Image")
    # The reference it was created from; absent, the image id names the image. One that is
    # there but unreadable stays None: classify rules match on it, a guess would mislead them.
    configured = None if config is None else config.get("Image")
    image = r.text(config, "Image", "Config.") if configured is not None else image_id
    networks, ips = _networks(r, network)
    health = r.obj(state, "Health", "State.")
    return Container(
        id=f"docker:{engine}/{name}",
        engine=engine,
        container_id=r.text(data, "Id") or name,
        name=name,
        image=image,
        image_id=image_id,
        image_digest=image_digest(image) or digest,
        state=_state(r.text(state, "Status", "State.")),
        health=_health(r.text(health, "Status", "State.Health.")),
        restart_policy=_policy(r, host),
        restart_count=r.number(data, "RestartCount"),
        log_driver=r.text(log, "Type", "HostConfig.LogConfig."),
        log_options=r.texts(log, "Config", "HostConfig.LogConfig."),
        labels=r.texts(config, "Labels", "Config."),
        mounts=_mounts(r, data),
        ports=_ports_from_inspect(r, network),
        networks=networks,
        network_ips=ips,
        created_at=r.text(data, "Created"),
        started_at=r.text(state, "StartedAt", "State."),
        healthcheck=_healthcheck(r, config, state),
    )


def _created(r: Reader, item: Obj) -> str | None:
    """The list entry's ``Created`` (epoch seconds) in the inspect's ISO form."""
    value = item.get("Created")
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return r.unread("Created", value, None)
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return r.unread("Created", value, None)
    return moment.isoformat().replace("+00:00", "Z")


def container_from_list(engine: str, item: Obj, unread: Unread | None = None) -> Container:
    """A thinner container built from the list entry alone: what only the inspect says (restart
    policy and count, log driver and options, start time) is None."""
    r = Reader(unread if unread is not None else Unread())
    names = r.seq(item, "Names") or []
    first = names[0] if names and isinstance(names[0], str) else None
    if names and first is None:
        r.unread("Names[0]", names[0], None)
    name = (first or r.text(item, "Id") or "unnamed").lstrip("/")
    image = r.text(item, "Image")
    networks, ips = _networks(r, r.obj(item, "NetworkSettings"))
    health = r.obj(item, "Health")
    return Container(
        id=f"docker:{engine}/{name}",
        engine=engine,
        container_id=r.text(item, "Id") or name,
        name=name,
        image=image,
        image_id=r.text(item, "ImageID"),
        image_digest=image_digest(image),
        state=_state(r.text(item, "State")),
        health=_health(r.text(health, "Status", "Health.")),
        healthcheck=True if health else None,
        restart_policy=None,
        restart_count=None,
        log_driver=None,
        log_options=None,
        labels=r.texts(item, "Labels"),
        mounts=_mounts(r, item),
        ports=_ports_from_list(r, item),
        networks=networks,
        network_ips=ips,
        created_at=_created(r, item),
    )
