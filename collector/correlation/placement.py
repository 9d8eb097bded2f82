"""Engine placement: join each Docker engine to the guest or node it runs on.

Methods, strongest first: an explicit ``guest = "..."`` in the config; the engine's address
matched against guest and node IPs (guest agent, LXC interfaces, static config, cluster/status);
a configured MAC matched against guest MACs; the engine's hostname (``/info`` Name, or the URL's
host name) matched against guest and node names. The first method that finds anything decides;
if it finds more than one distinct target the placement is *ambiguous* and no target is chosen.
Nothing is ever guessed. Matching uses dict indexes, so placement is linear in the lab size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from collector.model import Cluster, Engine, Placement, PlacementMethod
from collector.netaddr import is_ip


class PlacementHints(Protocol):
    """What placement reads of a Docker source's config (``DockerConfig`` has these)."""

    @property
    def name(self) -> str: ...

    @property
    def guest(self) -> str | None:
        """The guest it runs on, as written by the user: ``homelab/qemu/105``."""

    @property
    def mac(self) -> str | None: ...


def _short(name: str) -> str:
    return name.lower().split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class PlacementIndex:
    """Lookup tables from address / MAC / name to the ids of the guests and nodes that have it."""

    by_ip: Mapping[str, frozenset[str]]
    by_mac: Mapping[str, frozenset[str]]
    by_name: Mapping[str, frozenset[str]]
    ids: frozenset[str]

    @classmethod
    def build(cls, clusters: Iterable[Cluster]) -> PlacementIndex:
        by_ip: dict[str, set[str]] = defaultdict(set)
        by_mac: dict[str, set[str]] = defaultdict(set)
        by_name: dict[str, set[str]] = defaultdict(set)
        ids: set[str] = set()
        for cluster in clusters:
            for node in cluster.nodes:
                ids.add(node.id)
                by_name[_short(node.name)].add(node.id)
                if node.ip:
                    by_ip[node.ip].add(node.id)
            for guest in cluster.guests:
                ids.add(guest.id)
                if guest.template:
                    continue  # a template never runs anything
                by_name[_short(guest.name)].add(guest.id)
                for ip in guest.ips:
                    by_ip[ip].add(guest.id)
                for mac in guest.macs:
                    by_mac[mac].add(guest.id)
        return cls(
            by_ip={k: frozenset(v) for k, v in by_ip.items()},
            by_mac={k: frozenset(v) for k, v in by_mac.items()},
            by_name={k: frozenset(v) for k, v in by_name.items()},
            ids=frozenset(ids),
        )


def _explicit_target(reference: str) -> str:
    """``homelab/qemu/105`` or ``pve:homelab/qemu/105`` → ``pve:homelab/qemu/105``."""
    return reference if reference.startswith("pve:") else f"pve:{reference}"


def _decide(engine: Engine, method: PlacementMethod, key: str, found: frozenset[str]) -> Placement:
    if len(found) == 1:
        (target,) = found
        return Placement(engine.id, target, method, f"{method.value} {key}", (target,))
    return Placement(
        engine.id,
        None,
        method,
        f"{method.value} {key} matches {len(found)} objects",
        tuple(sorted(found)),
    )


def place_engine(engine: Engine, config: PlacementHints | None, index: PlacementIndex) -> Placement:
    if config is not None and config.guest:
        target = _explicit_target(config.guest)
        if target not in index.ids:
            return Placement(
                engine.id,
                None,
                PlacementMethod.CONFIG,
                f"configured guest '{config.guest}' is not in the inventory",
            )
        return Placement(
            engine.id, target, PlacementMethod.CONFIG, f"config guest = {config.guest}"
        )
    ips = [a for a in engine.addresses if is_ip(a)]
    for ip in ips:
        if found := index.by_ip.get(ip):
            return _decide(engine, PlacementMethod.IP, ip, found)
    if config is not None and config.mac:
        mac = config.mac.lower().replace("-", ":")
        if found := index.by_mac.get(mac):
            return _decide(engine, PlacementMethod.MAC, mac, found)
    names = [engine.hostname, *(a for a in engine.addresses if not is_ip(a))]
    for name in dict.fromkeys(n for n in names if n and n not in ("localhost",)):
        if found := index.by_name.get(_short(name)):
            return _decide(engine, PlacementMethod.HOSTNAME, name, found)
    tried = ", ".join([*ips, *(n for n in names if n)]) or "no address or hostname"
    return Placement(engine.id, None, PlacementMethod.NONE, f"nothing matches {tried}")


def place_engines(
    engines: Iterable[Engine], configs: Mapping[str, PlacementHints], clusters: Iterable[Cluster]
) -> dict[str, Placement]:
    index = PlacementIndex.build(clusters)
    return {e.id: place_engine(e, configs.get(e.name), index) for e in engines}
