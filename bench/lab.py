"""Synthetic labs of a given size, written as recordings, with the request budget they imply.

A lab is N nodes, G guests and E Docker engines with C containers each. Guests repeat a fixed
mix of 20 (so every size has the same proportions):

    8 running QEMU with the guest agent, 1 running QEMU with the agent off, 2 stopped QEMU,
    1 QEMU template, 6 running LXC, 2 stopped LXC

Storage: per node a ``local`` directory storage that holds backups plus ``local-lvm``; one
shared ``pbs`` storage (listed once per node, as ``/cluster/resources`` does) holding one backup
per guest. Engine ``i`` runs on the ``i``-th running agent VM and is found by its hostname;
containers use 5 images per engine, each with a repo digest only the image inspect gives.

The recording is written with ``tests/support/recording.py`` (the same builder the tests use);
only the image inspects, which it has no helper for, are added as plain files.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.recording import ContainerSpec, GuestSpec, RecordingBuilder, fake_id

CLUSTER = "lab"
IMAGES_PER_ENGINE = 5
# One position per guest in a repeating block of 20: (kind, status, agent, template).
_MIX: tuple[tuple[str, str, str | None, bool], ...] = (
    *[("qemu", "running", "1", False)] * 8,
    ("qemu", "running", "0", False),
    *[("qemu", "stopped", "1", False)] * 2,
    ("qemu", "stopped", "1", True),
    *[("lxc", "running", None, False)] * 6,
    *[("lxc", "stopped", None, False)] * 2,
)


@dataclass(frozen=True)
class Size:
    name: str
    nodes: int
    guests: int
    engines: int = 0
    containers: int = 0  # per engine

    def describe(self) -> str:
        text = f"{self.nodes} nodes / {self.guests} guests"
        if self.engines:
            text += f" + {self.engines} engines x {self.containers} containers"
        return text


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("homelab", 3, 30, 3, 10),
        Size("small", 5, 200),
        Size("medium", 5, 1000),
        Size("large", 20, 5000, 20, 50),
        Size("engines", 1, 20, 10, 50),
    )
}


@dataclass(frozen=True)
class Budget:
    """What the collector may ask for, by the formula in ``adapters/proxmox/adapter.py``."""

    configs: int
    agent_vms: int
    running_lxc: int
    backup_storages: int
    docker: int  # all engines together

    @property
    def pve(self) -> int:
        # 9 cluster-wide GETs, +1 /storage: every lab with nodes has the pbs storage
        fixed = 9 + 1 if self.backup_storages else 9
        return fixed + self.configs + self.agent_vms + self.running_lxc + self.backup_storages


def _ip(i: int) -> str:
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.20.0.0")) + 10 + i))


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


@dataclass
class Lab:
    """A planned lab: the builder holding it, the image answers it adds, and its budget."""

    builder: RecordingBuilder
    images: dict[str, dict[str, Any]]  # engine -> {"images/<id>": inspect answer}
    budget: Budget

    def pve_answers(self) -> dict[str, Any]:
        """Recording key (``path@query``) -> answer, for the in-memory client."""
        return self.builder._pve_files(CLUSTER) if self.builder.pve else {}

    def docker_answers(self, engine: str) -> dict[str, Any]:
        return {**self.builder._docker_files(engine), **self.images.get(engine, {})}

    def write(self) -> Path:
        root = self.builder.write()
        for engine, files in self.images.items():
            for name, data in files.items():
                _write_json(root / "docker" / engine / f"{name}.json", data)
        return root


def plan_lab(size: Size, root: Path) -> Lab:
    """The lab for ``size`` (recording folder ``root`` once written) and its request budget."""
    builder = RecordingBuilder(root)
    nodes = {f"pve{n + 1:02d}": _ip(60000 + n) for n in range(size.nodes)}
    node_names = list(nodes)
    configs = agent_vms = running_lxc = 0
    docker_hosts: list[str] = []
    backups: list[tuple[str, int]] = []
    if size.nodes:
        builder.cluster(CLUSTER, nodes)
    for i in range(size.guests):
        kind, status, agent, template = _MIX[i % len(_MIX)]
        vmid = 100 + i
        name = f"{'vm' if kind == 'qemu' else 'ct'}-{vmid}"
        running = status == "running"
        if kind == "qemu" and running and agent == "1" and len(docker_hosts) < size.engines:
            docker_hosts.append(name)
            tags = "docker;platform"
        else:
            tags = "service" if i % 3 else "platform"
        builder.guest(
            CLUSTER,
            GuestSpec(
                vmid=vmid,
                name=name,
                node=node_names[i % size.nodes],
                kind=kind,
                status=status,
                template=template,
                tags=tags,
                pool=f"pool{i % 4}",
                hastate="started" if i % 10 == 0 and running else None,
                ips=[_ip(i)] if running else [],
                agent=agent if kind == "qemu" else None,
            ),
        )
        configs += 1
        agent_vms += kind == "qemu" and running and agent == "1" and not template
        running_lxc += kind == "lxc" and running
        if not template:
            backups.append((kind, vmid))
    if size.nodes:
        builder.storage(CLUSTER, "local", "dir", shared=False, content="backup,iso,vztmpl")
        builder.storage(CLUSTER, "local-lvm", "lvmthin", shared=False, content="images,rootdir")
        builder.storage(CLUSTER, "pbs", "pbs", shared=True)
        builder.backup_job(CLUSTER, "backup-daily", all=1)
        for kind, vmid in backups:
            builder.backup(CLUSTER, node_names[0], "pbs", kind, vmid, 1763600000, pbs=True)
    docker = 0
    for e, host in enumerate(docker_hosts):
        engine = f"engine{e + 1:02d}"
        refs = [f"registry.lab/app{e}-{k}:1.{k}" for k in range(IMAGES_PER_ENGINE)]
        containers = [
            ContainerSpec(
                name=f"{engine}-c{c:03d}",
                image=refs[c % len(refs)],
                state="running" if c % 10 else "exited",
                health="healthy" if c % 4 == 0 else None,
            )
            for c in range(size.containers)
        ]
        builder.engine(engine, hostname=host, containers=containers)
        docker += 3 + len(containers) + min(len(containers), len(refs))
    images: dict[str, dict[str, Any]] = {}
    for e in range(len(docker_hosts)):
        files = images.setdefault(f"engine{e + 1:02d}", {})
        for k in range(IMAGES_PER_ENGINE):
            image = f"registry.lab/app{e}-{k}:1.{k}"
            image_id = "sha256:" + fake_id(image)
            repo = image.rsplit(":", 1)[0]
            files[f"images/{image_id.replace(':', '-')}"] = {
                "Id": image_id,
                "RepoTags": [image],
                "RepoDigests": [f"{repo}@sha256:{fake_id('digest' + image)}"],
            }
    backup_storages = 1 + size.nodes if size.nodes else 0
    return Lab(builder, images, Budget(configs, agent_vms, running_lxc, backup_storages, docker))
