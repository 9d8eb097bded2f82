"""Engine placement (``collector.correlation.placement``): every method, its exact Placement
(target, method, the detail the report shows, the candidates), and what is never a candidate.

The scenarios prove the methods end to end; these pin the values a reader of the report sees
("on pve:lab/qemu/100 (ip 10.0.0.50)", "nothing matches ...") and the edge cases of the
matching (FQDNs, MAC spelling, localhost, ids written with or without ``pve:``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from collector.correlation.inventory import build_inventory
from collector.correlation.placement import PlacementIndex, place_engine, place_engines
from collector.model import (
    Cluster,
    Engine,
    Form,
    Guest,
    Nic,
    Node,
    Placement,
    PlacementMethod,
    SourceKind,
    SourceResult,
    SourceStatus,
)


@dataclass(frozen=True)
class Hints:
    name: str = "apps"
    guest: str | None = None
    mac: str | None = None


def _guest(vmid: int, name: str, *, ips: tuple[str, ...] = (), **kw: object) -> Guest:
    mac = kw.pop("mac", None)
    nics = (Nic("net0", mac=mac),) if isinstance(mac, str) else ()
    return Guest(
        f"pve:lab/qemu/{vmid}",
        "lab",
        "pve1",
        vmid,
        name,
        Form.VM,
        "running",
        reported_ips=ips,
        nics=nics,
        **kw,  # type: ignore[arg-type]
    )


LAB = Cluster(
    "pve:lab",
    "lab",
    "lab",
    nodes=(
        Node("pve:lab/node/pve1", "lab", "pve1", True, "10.0.0.11"),
        Node("pve:lab/node/pve2", "lab", "pve2", True, None),
    ),
    guests=(
        _guest(100, "docker-host", ips=("10.0.0.50",), mac="bc:24:11:00:00:01"),
        _guest(101, "web", ips=("10.0.0.60",)),
        _guest(102, "web", ips=("10.0.0.61",)),  # a second guest of the same name
        _guest(103, "localhost", ips=("10.0.0.70",)),
        _guest(9000, "golden", ips=("10.0.0.90",), mac="bc:24:11:00:00:90", template=True),
    ),
)


def _index() -> PlacementIndex:
    # Built in each test, not at import: a module-level index would be built before mutmut
    # switches a mutant on, and would hide every mutant of PlacementIndex.build.
    return PlacementIndex.build([LAB])


def _engine(
    hostname: str | None = None, addresses: tuple[str, ...] = (), name: str = "apps"
) -> Engine:
    return Engine(f"docker:{name}", name, name, "ssh://x", hostname=hostname, addresses=addresses)


def test_the_index_holds_nodes_and_guests_but_no_template_as_candidate() -> None:
    index = _index()
    assert index.by_ip == {
        "10.0.0.11": {"pve:lab/node/pve1"},
        "10.0.0.50": {"pve:lab/qemu/100"},
        "10.0.0.60": {"pve:lab/qemu/101"},
        "10.0.0.61": {"pve:lab/qemu/102"},
        "10.0.0.70": {"pve:lab/qemu/103"},
    }
    assert index.by_mac == {"bc:24:11:00:00:01": {"pve:lab/qemu/100"}}
    assert index.by_name == {
        "pve1": {"pve:lab/node/pve1"},
        "pve2": {"pve:lab/node/pve2"},
        "docker-host": {"pve:lab/qemu/100"},
        "web": {"pve:lab/qemu/101", "pve:lab/qemu/102"},
        "localhost": {"pve:lab/qemu/103"},
    }
    # Ids know every object (an explicit placement may name a node or even a template).
    assert index.ids == {
        "pve:lab/node/pve1",
        "pve:lab/node/pve2",
        *(g.id for g in LAB.guests),
    }


def test_by_ip() -> None:
    placement = place_engine(_engine("other", ("10.0.0.50",)), None, _index())
    assert placement == Placement(
        "docker:apps", "pve:lab/qemu/100", PlacementMethod.IP, "ip 10.0.0.50", ("pve:lab/qemu/100",)
    )


def test_the_swarm_address_is_tried_after_the_url_host() -> None:
    engine = _engine("other", ("192.0.2.30", "10.0.0.50"))
    assert place_engine(engine, None, _index()).target == "pve:lab/qemu/100"


def test_an_ip_beats_a_hostname_that_names_another_guest() -> None:
    placement = place_engine(_engine("web", ("10.0.0.50",)), None, _index())
    assert (placement.target, placement.method) == ("pve:lab/qemu/100", PlacementMethod.IP)


@pytest.mark.parametrize("written", ["BC-24-11-00-00-01", "bc:24:11:00:00:01", "Bc:24:11:00:00:01"])
def test_by_mac_in_any_spelling(written: str) -> None:
    placement = place_engine(_engine("other", ("192.0.2.1",)), Hints(mac=written), _index())
    assert placement == Placement(
        "docker:apps",
        "pve:lab/qemu/100",
        PlacementMethod.MAC,
        "mac bc:24:11:00:00:01",
        ("pve:lab/qemu/100",),
    )


def test_a_template_mac_is_no_candidate() -> None:
    placement = place_engine(_engine(None, ()), Hints(mac="bc:24:11:00:00:90"), _index())
    assert placement == Placement(
        "docker:apps", None, PlacementMethod.NONE, "nothing matches no address or hostname"
    )


@pytest.mark.parametrize("hostname", ["docker-host", "Docker-Host.lan", "docker-host.lab.example"])
def test_by_hostname_short_and_case_insensitive(hostname: str) -> None:
    placement = place_engine(_engine(hostname, ("192.0.2.1",)), None, _index())
    assert placement == Placement(
        "docker:apps",
        "pve:lab/qemu/100",
        PlacementMethod.HOSTNAME,
        f"hostname {hostname}",
        ("pve:lab/qemu/100",),
    )


def test_the_url_host_name_is_a_name_when_the_engine_gives_none() -> None:
    placement = place_engine(_engine(None, ("docker-host.lan",)), None, _index())
    assert placement.target == "pve:lab/qemu/100"
    assert placement.detail == "hostname docker-host.lan"


def test_localhost_is_never_a_name() -> None:
    """An engine on a unix socket calls its host localhost: that names no guest, even one
    called so."""
    placement = place_engine(_engine("localhost", ("localhost",)), None, _index())
    assert placement == Placement(
        "docker:apps", None, PlacementMethod.NONE, "nothing matches localhost, localhost"
    )


def test_two_candidates_are_ambiguous_and_none_is_chosen() -> None:
    placement = place_engine(_engine("web", ()), None, _index())
    assert placement == Placement(
        "docker:apps",
        None,
        PlacementMethod.HOSTNAME,
        "hostname web matches 2 objects",
        ("pve:lab/qemu/101", "pve:lab/qemu/102"),
    )
    assert placement.ambiguous


def test_nothing_matches_lists_what_was_tried() -> None:
    placement = place_engine(_engine("edge-pi", ("192.0.2.7", "edge.lan")), None, _index())
    assert placement == Placement(
        "docker:apps",
        None,
        PlacementMethod.NONE,
        "nothing matches 192.0.2.7, edge-pi, edge.lan",
    )


@pytest.mark.parametrize("written", ["lab/qemu/101", "pve:lab/qemu/101"])
def test_an_explicit_guest_wins_over_every_address(written: str) -> None:
    placement = place_engine(_engine("docker-host", ("10.0.0.50",)), Hints(guest=written), _index())
    assert placement == Placement(
        "docker:apps", "pve:lab/qemu/101", PlacementMethod.CONFIG, f"config guest = {written}"
    )


def test_an_explicit_node() -> None:
    placement = place_engine(_engine(), Hints(guest="lab/node/pve2"), _index())
    assert (placement.engine, placement.target) == ("docker:apps", "pve:lab/node/pve2")


def test_an_explicit_guest_that_does_not_exist_is_not_guessed() -> None:
    placement = place_engine(
        _engine("docker-host", ("10.0.0.50",)), Hints(guest="lab/qemu/7"), _index()
    )
    assert placement == Placement(
        "docker:apps",
        None,
        PlacementMethod.CONFIG,
        "configured guest 'lab/qemu/7' is not in the inventory",
    )


def test_place_engines_uses_each_engines_own_config() -> None:
    engines = [_engine(None, (), name="a"), _engine(None, (), name="b")]
    placements = place_engines(engines, {"b": Hints(name="b", guest="lab/qemu/100")}, [LAB])
    assert placements == {
        "docker:a": Placement(
            "docker:a", None, PlacementMethod.NONE, "nothing matches no address or hostname"
        ),
        "docker:b": Placement(
            "docker:b", "pve:lab/qemu/100", PlacementMethod.CONFIG, "config guest = lab/qemu/100"
        ),
    }


def test_the_hosting_guest_names_its_engines_in_its_role() -> None:
    """The placement's engine id is what the guest's role reason lists."""
    results = [
        SourceResult(SourceStatus("lab", SourceKind.PROXMOX, True), cluster=LAB),
        SourceResult(
            SourceStatus("apps", SourceKind.DOCKER, True), engine=_engine("x", ("10.0.0.61",))
        ),
    ]
    inventory = build_inventory(results)
    assert inventory.engines_on == {"pve:lab/qemu/102": ("docker:apps",)}
    decision = inventory.roles["pve:lab/qemu/102"]
    assert decision.reason == "hosts container engine docker:apps"
