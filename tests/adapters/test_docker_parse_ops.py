"""What the operational checks read from Docker answers: healthcheck configured, daemon labels."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.docker.parse import container_from_inspect, container_from_list, engine_labels


def _inspect(config: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {"Id": "a" * 64, "Name": "/web", "Config": {"Image": "x:1", **config}, "State": state}


@pytest.mark.parametrize(
    ("config", "state", "expected"),
    [
        ({"Healthcheck": {"Test": ["CMD", "curl", "-f", "http://x"]}}, {}, True),
        ({"Healthcheck": {"Test": ["CMD-SHELL", "true"]}}, {"Health": {"Status": "healthy"}}, True),
        ({"Healthcheck": {"Test": ["NONE"]}}, {}, False),  # switches the image's check off
        ({}, {"Status": "running"}, False),
        ({}, {"Health": {"Status": "starting"}}, True),  # a check runs, whatever the config says
        ({"Healthcheck": {"Test": []}}, {}, False),
    ],
)
def test_healthcheck_configured(
    config: dict[str, Any], state: dict[str, Any], expected: bool
) -> None:
    assert container_from_inspect("e", _inspect(config, state)).healthcheck is expected


def test_a_list_entry_alone_does_not_know_about_a_healthcheck() -> None:
    item = {"Id": "b" * 64, "Names": ["/db"], "Image": "pg:17", "State": "running"}
    assert container_from_list("e", item).healthcheck is None
    with_health = {**item, "Health": {"Status": "healthy"}}
    assert container_from_list("e", with_health).healthcheck is True


def test_engine_labels_from_info() -> None:
    assert engine_labels(["homelab.owner=bob", "zone = dmz", "novalue"]) == {
        "homelab.owner": "bob",
        "zone": "dmz",
    }
    assert engine_labels(None) == {}
    # Not a list of strings: unknown (an owner label may be the one that is not readable).
    assert engine_labels(["homelab.owner=bob", 3]) is None
    assert engine_labels({"homelab.owner": "bob"}) is None
