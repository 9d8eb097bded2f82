"""The Ansible inventory, read by the real ``ansible-inventory`` (ansible-core, dev extra)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.inventory.group import to_safe_group_name

from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.correlation.inventory import Inventory
from collector.model import Cluster, Form, Guest, Nic, Node
from collector.recording.meta import recorded_at
from collector.render import Format, render
from collector.render.ansible import ansible_host, render_ansible, safe_group_name
from collector.report.build import build_report

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo-lab"
# The console script sits beside the interpreter running the tests.
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")


def ansible_list(text: str, tmp_path: Path) -> dict[str, Any]:
    """``ansible-inventory -i FILE --list`` on ``text``; fails on any warning it prints."""
    path = tmp_path / "inventory.yml"
    path.write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",  # a file no plugin accepts is an error
        "ANSIBLE_NOCOLOR": "1",
    }
    run = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr.upper(), run.stderr
    return dict(json.loads(run.stdout))


def _members(listing: dict[str, Any], group: str) -> list[str]:
    return sorted(listing[group]["hosts"])


def test_ansible_inventory_accepts_the_demo_lab_unchanged(tmp_path: Path) -> None:
    config = load_config(DEMO / "config.toml")
    report = run_report(config, replay_sources(config, DEMO), now=recorded_at(DEMO))
    listing = ansible_list(render(report, Format.ANSIBLE), tmp_path)
    hostvars = listing["_meta"]["hostvars"]
    guests = [g for g in report.inventory.guests() if not g.template]
    assert len(hostvars) == len(guests) == 28
    assert hostvars["docker-apps"] == {
        "ansible_host": "192.168.10.21",  # where engine 'apps' was reached and placed by
        "homelab_id": "pve:homelab/qemu/110",
        "homelab_vmid": 110,
        "homelab_cluster": "homelab",
        "homelab_node": "pve1",
        "homelab_form": "vm",
        "homelab_state": "running",
        "homelab_tags": ["docker", "owner-alice", "platform", "prod"],
        "homelab_pool": "platform",
        "homelab_owner": "alice",
        "homelab_role": "platform",
        "homelab_addresses": ["192.168.10.21"],
        "homelab_engines": ["apps"],
        "homelab_containers": [
            "hello", "it-tools", "nextcloud-app", "nextcloud-cron", "nextcloud-db",
            "nextcloud-redis", "paperless-broker", "paperless-db", "paperless-webserver",
            "traefik", "vaultwarden",
        ],
    }  # fmt: skip
    assert _members(listing, "docker_hosts") == ["docker-apps", "media", "monitor"]
    assert _members(listing, "form_lxc") == sorted(
        h for h, v in hostvars.items() if v["homelab_form"] == "lxc"
    )
    assert _members(listing, "node_pve1") == sorted(
        h for h, v in hostvars.items() if v["homelab_node"] == "pve1"
    )
    assert _members(listing, "role_platform") == sorted(
        h for h, v in hostvars.items() if v["homelab_role"] == "platform"
    )
    assert _members(listing, "pool_platform") == sorted(
        h for h, v in hostvars.items() if v["homelab_pool"] == "platform"
    )
    assert _members(listing, "tag_prod") == sorted(
        h for h, v in hostvars.items() if "prod" in v["homelab_tags"]
    )
    assert len(_members(listing, "cluster_homelab")) == 28
    assert _members(listing, "podman_hosts") == ["podman-01"]
    assert hostvars["podman-01"]["ansible_host"] == "192.168.10.27"
    assert hostvars["podman-01"]["homelab_engines"] == ["pods"]
    for host, values in hostvars.items():  # never a guessed address
        if "ansible_host" in values:
            assert values["ansible_host"] in values["homelab_addresses"], host


def _guest(vmid: int, name: str, **more: Any) -> Guest:
    return Guest(f"pve:lab/qemu/{vmid}", "lab", "pve1", vmid, name, Form.VM, "running", **more)


def test_group_names_are_made_valid_like_ansible_does(tmp_path: Path) -> None:
    tags = ("2fa", "prod.eu-west", "ünïcode", "a b", "ok_tag")
    for name in ("tag_2fa", "9lives", "prod.eu-west", "a b", "ünïcode", "ok_tag", "-x"):
        assert safe_group_name(name) == to_safe_group_name(name, force=True)
    guest = Guest(
        "pve:my-lab/qemu/100", "my-lab", "pve-1", 100, "web", Form.VM, "running", tags=tags,
        pool="team-a.apps",
    )  # fmt: skip
    node = Node("pve:my-lab/node/pve-1", "my-lab", "pve-1", True)
    cluster = Cluster("pve:my-lab", "my-lab", "my-lab", nodes=(node,), guests=(guest,))
    inventory = Inventory(clusters=(cluster,), engines=(), sources=())
    listing = ansible_list(render_ansible(build_report(inventory, [])), tmp_path)
    groups = set(listing["all"]["children"])
    assert {
        "tag_2fa",
        "tag_prod_eu_west",
        "tag_ünïcode",
        "tag_a_b",
        "tag_ok_tag",
        "pool_team_a_apps",
        "cluster_my_lab",
        "node_pve_1",
    } <= groups
    assert listing["_meta"]["hostvars"]["web"]["homelab_tags"] == list(tags)


def test_hosts_with_the_same_name_get_distinct_names(tmp_path: Path) -> None:
    guests = (_guest(100, "web"), _guest(101, "web"), _guest(102, "db"))
    cluster = Cluster("pve:lab", "lab", "lab", guests=guests)
    inventory = Inventory(clusters=(cluster,), engines=(), sources=())
    listing = ansible_list(render_ansible(build_report(inventory, [])), tmp_path)
    assert sorted(listing["_meta"]["hostvars"]) == ["db", "web-100", "web-101"]


@pytest.mark.parametrize(
    ("reported", "static", "expected"),
    [
        (("192.168.1.5", "fe80::1", "127.0.0.1"), (), "192.168.1.5"),
        ((), ("10.0.0.7",), "10.0.0.7"),  # static config (cloud-init ipconfig0, LXC ip=)
        (("192.168.1.5", "172.17.0.1"), (), None),  # two IPv4 addresses: not guessed
        (("2001:db8::5",), (), "2001:db8::5"),
        ((), (), None),
    ],
)
def test_ansible_host_is_set_only_when_there_is_one_address(
    reported: tuple[str, ...], static: tuple[str, ...], expected: str | None
) -> None:
    nics = (Nic("net0", static_ips=static),) if static else ()
    guest = _guest(100, "web", reported_ips=reported, nics=nics)
    assert ansible_host(guest, ()) == expected
