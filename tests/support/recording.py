"""Write recordings (the format in fixtures/README.md) from compact Python descriptions.

Used by ``fixtures/scenarios/generate.py`` (test cases), the benchmark's synthetic labs and tests
that need a small lab in ``tmp_path``. Shapes follow PVE 8.4/9.x and Docker API 1.47 answers:
``memory`` and ``agent`` as strings in configs, 0/1 booleans, LXC ``prefix`` as a string.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def fake_mac(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return "bc:24:11:" + ":".join(digest[i : i + 2] for i in (0, 2, 4))


def fake_id(seed: str, length: int = 64) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


@dataclass
class GuestSpec:
    vmid: int
    name: str
    node: str
    kind: str = "qemu"  # or "lxc"
    status: str = "running"
    tags: str | None = None
    pool: str | None = None
    template: bool = False
    hastate: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    ips: list[str] = field(default_factory=list)
    """Addresses the guest reports (agent or LXC interfaces); written only when running."""
    agent: str | None = "1"
    agent_error: dict[str, Any] | None = None
    """Written as ``.error.json`` for the agent call instead of an answer."""
    agent_answer: Any = None
    """Overrides the generated agent answer (e.g. the Windows ``Unsupported`` error)."""


@dataclass
class ContainerSpec:
    name: str
    image: str = "local/busybox:1"
    state: str = "running"
    health: str | None = None
    restart: str = "unless-stopped"
    log_driver: str = "json-file"
    log_options: dict[str, str] = field(default_factory=lambda: {"max-size": "10m"})
    labels: dict[str, str] = field(default_factory=dict)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    restart_count: int = 0
    env: list[str] = field(default_factory=list)
    healthcheck: list[str] | None = None
    """``Config.Healthcheck.Test``; defaults to ``["CMD", "true"]`` when ``health`` is set."""


def volume_mount(name: str, destination: str) -> dict[str, Any]:
    """A ``Mounts`` entry for a Docker volume (anonymous when ``name`` is 64 hex digits)."""
    return {
        "Type": "volume",
        "Name": name,
        "Source": f"/var/lib/docker/volumes/{name}/_data",
        "Destination": destination,
        "Driver": "local",
        "Mode": "",
        "RW": True,
        "Propagation": "",
    }


def bind_mount(source: str, destination: str) -> dict[str, Any]:
    return {
        "Type": "bind",
        "Source": source,
        "Destination": destination,
        "Mode": "",
        "RW": True,
        "Propagation": "rprivate",
    }


BACKUP_VISIBLE_PERMISSIONS: dict[str, dict[str, int]] = {
    "/": {"Sys.Audit": 1, "VM.Audit": 1, "Datastore.Audit": 1, "Pool.Audit": 1},
    "/storage": {"Datastore.Audit": 1, "Datastore.AllocateSpace": 1},
    "/vms": {"VM.Audit": 1, "VM.Backup": 1},
    "/pool": {"Pool.Audit": 1},
    "/nodes": {"Sys.Audit": 1},
}
"""A token that sees every backup volume (the first way out of the blind spot): the read-only
role plus Datastore.AllocateSpace on /storage and VM.Backup on /vms."""

RECORDED_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
"""When a built lab was "recorded", unless told otherwise: a replay judges ages and waivers as of
this moment (``recording.json``), so no test that reads a built lab depends on the real clock."""


class RecordingBuilder:
    """Accumulate a lab, then ``write()`` it as a recording folder.

    ``recorded_at`` goes to ``recording.json`` (None: no such file, so a replay judges by the real
    clock, as a live run does; only for tests that compare a replay with a live run).
    """

    def __init__(self, root: Path, *, recorded_at: datetime | None = RECORDED_AT) -> None:
        self.root = root
        self.recorded_at = recorded_at
        self.pve: dict[str, dict[str, Any]] = {}
        self.docker: dict[str, dict[str, Any]] = {}
        self.pbs: dict[str, dict[str, Any]] = {}
        self.extra_config = ""
        self.extra_files: dict[str, str] = {}
        """Files written beside config.toml (an architecture page the config names)."""

    # -- PVE -----------------------------------------------------------------------------------

    def cluster(
        self,
        name: str,
        nodes: dict[str, str],
        *,
        offline: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        permissions: dict[str, dict[str, int]] | None = None,
    ) -> None:
        """``nodes`` maps node name → IP. ``permissions`` is the token's ``/access/permissions``
        answer; the default sees every backup volume (``BACKUP_VISIBLE_PERMISSIONS``)."""
        self.pve[name] = {
            "permissions": BACKUP_VISIBLE_PERMISSIONS if permissions is None else permissions,
            "storage_config": {},
            "nodes": nodes,
            "offline": set(offline),
            "guests": [],
            "host": host,
            "backup_jobs": [],
            "storages": [],
            "volumes": {},
            "pools": [],
            "files": {},
            "errors": {},
        }

    def guest(self, cluster: str, spec: GuestSpec) -> GuestSpec:
        self.pve[cluster]["guests"].append(spec)
        return spec

    def backup_job(self, cluster: str, job_id: str, **fields: Any) -> None:
        """A ``/cluster/backup`` entry; pass PVE's keys (``all=1``, ``vmid="100,101"``,
        ``pool=``, ``exclude=``, ``node=``, ``enabled=0``). Keys with ``-`` use ``_``."""
        job: dict[str, Any] = {
            "id": job_id,
            "type": "vzdump",
            "schedule": "02:00",
            "storage": "pbs",
            "mode": "snapshot",
            "enabled": 1,
        }
        job.update({k.replace("_", "-"): v for k, v in fields.items()})
        self.pve[cluster]["backup_jobs"].append(job)

    def storage(
        self,
        cluster: str,
        name: str,
        plugintype: str,
        *,
        shared: bool,
        content: str = "backup",
        config: dict[str, Any] | None = None,
    ) -> None:
        """A storage on every node (as ``/cluster/resources?type=storage`` lists it).

        ``config`` are its keys in PVE's ``/storage`` (for ``pbs``: ``server``, ``datastore``,
        ``namespace``, ``username``, ``fingerprint``), which the recording holds when a
        storage is of type ``pbs``."""
        target = {"server": "pbs.lab", "datastore": "backup"} if plugintype == "pbs" else {}
        self.pve[cluster]["storage_config"][name] = {
            "storage": name,
            "type": plugintype,
            "content": content,
            **target,
            **(config or {}),
        }
        for node in self.pve[cluster]["nodes"]:
            self.pve[cluster]["storages"].append(
                {
                    "id": f"storage/{node}/{name}",
                    "type": "storage",
                    "storage": name,
                    "node": node,
                    "plugintype": plugintype,
                    "content": content,
                    "shared": int(shared),
                    "status": "available",
                    "disk": 0,
                    "maxdisk": 1099511627776,
                }
            )

    def backup(
        self,
        cluster: str,
        node: str,
        storage: str,
        kind: str,
        vmid: int,
        ctime: int,
        *,
        pbs: bool = False,
        name_only: bool = False,
        verified: str | None = "ok",
    ) -> None:
        """One backup volume in ``nodes/<node>/storage/<storage>/content?content=backup``.

        vzdump archives are named ``vzdump-<qemu|lxc>-<vmid>-<time>.<ext>``, PBS snapshots
        ``backup/<vm|ct>/<vmid>/<time>``. ``name_only`` leaves out ``vmid``/``subtype`` (as some
        listings do), so only the volume name says whose backup it is. A PBS snapshot carries
        PBS's ``verification`` as PVE passes it on: ``verified`` is its state (verified an hour
        after the backup), None for a snapshot never verified.
        """
        when = datetime.fromtimestamp(ctime, UTC)
        if pbs:
            btype = "vm" if kind == "qemu" else "ct"
            volid = f"{storage}:backup/{btype}/{vmid}/{when:%Y-%m-%dT%H:%M:%SZ}"
            fmt = f"pbs-{btype}"
        else:
            fmt = "vma.zst" if kind == "qemu" else "tar.zst"
            volid = f"{storage}:backup/vzdump-{kind}-{vmid}-{when:%Y_%m_%d-%H_%M_%S}.{fmt}"
        volume: dict[str, Any] = {
            "volid": volid,
            "content": "backup",
            "format": fmt,
            "size": 1073741824,
            "ctime": ctime,
        }
        if not name_only:
            volume.update(vmid=vmid, subtype=kind)
        if pbs and verified is not None:
            start = f"{ctime + 3600:08X}"
            worker = "verificationjob:backup\\x3av"  # job "v" on datastore "backup"
            task = f"UPID:pbs:000004D2:00001A2B:00000001:{start}:{worker}:root@pam:"
            volume["verification"] = {"state": verified, "upid": task}
        path = f"nodes/{node}/storage/{storage}/content@content=backup"
        self.pve[cluster]["volumes"].setdefault(path, []).append(volume)

    def file(self, cluster: str, path: str, data: Any) -> None:
        """Add or override one recorded answer (path with the ``@query`` suffix, no .json)."""
        self.pve[cluster]["files"][path] = data

    def error(self, cluster: str, path: str, status: int, message: str) -> None:
        self.pve[cluster]["errors"][path] = {"status": status, "message": message}

    def _pve_files(self, name: str) -> dict[str, Any]:
        lab = self.pve[name]
        files: dict[str, Any] = {
            "version": {"release": "9.1", "repoid": "5d4ad7d8", "version": "9.1.3"},
            "cluster/status": [
                {
                    "id": "cluster",
                    "name": name,
                    "nodes": len(lab["nodes"]),
                    "quorate": 1,
                    "type": "cluster",
                    "version": 3,
                }
            ]
            + [
                {
                    "id": f"node/{node}",
                    "ip": ip,
                    "level": "",
                    "local": int(i == 0),
                    "name": node,
                    "nodeid": i + 1,
                    "online": int(node not in lab["offline"]),
                    "type": "node",
                }
                for i, (node, ip) in enumerate(lab["nodes"].items())
            ],
            "pools": [
                {"poolid": p, "comment": ""}
                for p in dict.fromkeys([*lab["pools"], *(g.pool for g in lab["guests"] if g.pool)])
            ],
            "cluster/ha/resources": [],
            "cluster/backup": lab["backup_jobs"],
            "cluster/backup-info/not-backed-up": _not_backed_up(lab),
            "cluster/resources@type=storage": lab["storages"],
            "access/permissions": lab["permissions"],
        }
        if any(c["type"] == "pbs" for c in lab["storage_config"].values()):
            files["storage"] = list(lab["storage_config"].values())
        # Every backup storage answers its content listing; a shared one the same on each node.
        for item in lab["storages"]:
            if "backup" not in item["content"].split(",") or item["node"] in lab["offline"]:
                continue
            path = f"nodes/{item['node']}/storage/{item['storage']}/content@content=backup"
            same = f"/storage/{item['storage']}/" if item["shared"] else path
            files[path] = [v for k, vols in lab["volumes"].items() if same in k for v in vols]
        resources = []
        for g in lab["guests"]:
            resources.append(self._resource(g, lab["offline"]))
            if g.hastate:
                prefix = "vm" if g.kind == "qemu" else "ct"
                files["cluster/ha/resources"].append(
                    {"sid": f"{prefix}:{g.vmid}", "state": "started", "type": prefix}
                )
            if g.node in lab["offline"]:
                continue
            base = f"nodes/{g.node}/{g.kind}/{g.vmid}"
            files[f"{base}/config"] = self._config(g)
            if g.status != "running" or g.template:
                continue
            if g.kind == "qemu" and g.agent not in (None, "0"):
                if g.agent_error:
                    lab["errors"].setdefault(f"{base}/agent/network-get-interfaces", g.agent_error)
                else:
                    files[f"{base}/agent/network-get-interfaces"] = (
                        g.agent_answer if g.agent_answer is not None else _agent(g)
                    )
            elif g.kind == "lxc":
                files[f"{base}/interfaces"] = _lxc_interfaces(g)
        files["cluster/resources@type=vm"] = resources
        for path, volumes in lab["volumes"].items():
            files.setdefault(path, volumes)
        files.update(lab["files"])
        for path in lab["errors"]:
            files.pop(path, None)
        return files

    @staticmethod
    def _resource(g: GuestSpec, offline: set[str]) -> dict[str, Any]:
        running = g.status == "running" and g.node not in offline
        item: dict[str, Any] = {
            "id": f"{g.kind}/{g.vmid}",
            "type": g.kind,
            "vmid": g.vmid,
            "name": g.name,
            "node": g.node,
            "status": "unknown" if g.node in offline else g.status,
            "template": int(g.template),
            "maxmem": 2147483648,
            "maxcpu": 2,
            "maxdisk": 34359738368,
            "cpu": 0.02 if running else 0,
            "mem": 1073741824 if running else 0,
            "disk": 0,
            "uptime": 86400 if running else 0,
            "netin": 0,
            "netout": 0,
            "diskread": 0,
            "diskwrite": 0,
        }
        if g.tags is not None:
            item["tags"] = g.tags
        if g.pool:
            item["pool"] = g.pool
        if g.hastate:
            item["hastate"] = g.hastate
        return item

    @staticmethod
    def _config(g: GuestSpec) -> dict[str, Any]:
        mac = fake_mac(f"{g.kind}{g.vmid}").upper()
        if g.kind == "qemu":
            config: dict[str, Any] = {
                "name": g.name,
                "memory": "2048",
                "cores": 2,
                "ostype": "l26",
                "net0": f"virtio={mac},bridge=vmbr0,firewall=1",
                "scsi0": f"local-lvm:vm-{g.vmid}-disk-0,size=32G",
                "digest": fake_id(f"digest{g.vmid}", 40),
            }
            if g.agent is not None:
                config["agent"] = g.agent
        else:
            config = {
                "hostname": g.name,
                "memory": 1024,
                "cores": 1,
                "ostype": "debian",
                "arch": "amd64",
                "net0": f"name=eth0,bridge=vmbr0,hwaddr={mac},ip=dhcp,type=veth",
                "rootfs": f"local-lvm:subvol-{g.vmid}-disk-0,size=8G",
                "digest": fake_id(f"digest{g.vmid}", 40),
            }
        if g.tags is not None:
            config["tags"] = g.tags
        if g.template:
            config["template"] = 1
        config.update(g.config)
        return config

    # -- Docker --------------------------------------------------------------------------------

    def engine(
        self,
        name: str,
        *,
        hostname: str,
        containers: list[ContainerSpec],
        url: str | None = None,
        guest: str | None = None,
        mac: str | None = None,
        labels: list[str] | None = None,
        swarm_addr: str | None = None,
    ) -> None:
        """``swarm_addr``: the engine is a swarm node with this ``Swarm.NodeAddr`` in /info."""
        self.docker[name] = {
            "hostname": hostname,
            "containers": containers,
            "url": url,
            "guest": guest,
            "mac": mac,
            "labels": labels or [],
            "files": {},
            "listed": [],
            "swarm_addr": swarm_addr,
        }

    def append_listed(self, name: str, *items: Any) -> None:
        """Append raw items (of any shape) to engine ``name``'s container listing."""
        self.docker[name]["listed"].extend(items)

    def docker_file(self, name: str, key: str, data: Any) -> None:
        """Add or override one recorded answer of engine ``name`` (``containers``,
        ``containers/<id>``: the file path without .json)."""
        self.docker[name]["files"][key] = data

    def _docker_files(self, name: str) -> dict[str, Any]:
        engine = self.docker[name]
        files: dict[str, Any] = {
            "version": {
                "Version": "28.2.2",
                "ApiVersion": "1.50",
                "MinAPIVersion": "1.24",
                "Os": "linux",
                "Arch": "amd64",
                "KernelVersion": "6.8.12-4-pve",
            },
            "info": {
                "ID": fake_id(f"engine{name}", 32),
                "Name": engine["hostname"],
                "ServerVersion": "28.2.2",
                "OperatingSystem": "Debian GNU/Linux 12",
                "OSType": "linux",
                "KernelVersion": "6.8.12-4-pve",
                "Architecture": "x86_64",
                "Containers": len(engine["containers"]),
                "Swarm": _swarm(engine.get("swarm_addr")),
                "Labels": engine.get("labels", []),
            },
        }
        listing = []
        for c in engine["containers"]:
            cid = fake_id(f"{name}/{c.name}")
            image_id = "sha256:" + fake_id(c.image)
            listing.append(
                {
                    "Id": cid,
                    "Names": [f"/{c.name}"],
                    "Image": c.image,
                    "ImageID": image_id,
                    "Command": "sleep 3600",
                    "Created": 1763600000,
                    "State": c.state,
                    "Status": c.state,
                    "Labels": c.labels,
                    "Ports": [],
                    "Mounts": c.mounts,
                    "HostConfig": {"NetworkMode": "bridge"},
                    "NetworkSettings": {"Networks": {}},
                }
            )
            state: dict[str, Any] = {
                "Status": c.state,
                "Running": c.state in ("running", "restarting"),
                "Paused": c.state == "paused",
                "Restarting": c.state == "restarting",
                "OOMKilled": False,
                "Dead": False,
                "Pid": 4242 if c.state == "running" else 0,
                "ExitCode": 0,
                "Error": "",
                "StartedAt": "2026-11-20T10:00:00.000000000Z",
                "FinishedAt": "0001-01-01T00:00:00Z",
            }
            if c.health:
                state["Health"] = {"Status": c.health, "FailingStreak": 0, "Log": []}
            files[f"containers/{cid}"] = {
                "Id": cid,
                "Name": f"/{c.name}",
                "Created": "2026-11-20T09:59:58.000000000Z",
                "Image": image_id,
                "RestartCount": c.restart_count,
                "State": state,
                "Config": {
                    "Hostname": c.name[:12],
                    "Image": c.image,
                    "Labels": c.labels,
                    "Env": c.env,
                    **_healthcheck(c),
                },
                "HostConfig": {
                    "RestartPolicy": {"Name": c.restart, "MaximumRetryCount": 0},
                    "LogConfig": {"Type": c.log_driver, "Config": c.log_options},
                    "NetworkMode": "bridge",
                },
                "Mounts": c.mounts,
                "NetworkSettings": {
                    "Networks": {"bridge": {"IPAddress": "172.17.0.2"}},
                    "Ports": {},
                },
            }
        files["containers"] = listing + engine.get("listed", [])
        files.update(engine.get("files", {}))
        return files

    # -- PBS -----------------------------------------------------------------------------------

    def backup_server(
        self,
        name: str,
        answers: dict[str, Any],
        *,
        host: str,
        fingerprint: str | None = None,
        errors: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """A ``[[pbs]]`` source: its answers by recording key (``tests/support/pbs_shapes.py``
        builds them) and error answers ``{"status": ..., "message": ...}`` by key."""
        self.pbs[name] = {
            "answers": answers,
            "errors": errors or {},
            "host": host,
            "fingerprint": fingerprint,
        }

    # -- output --------------------------------------------------------------------------------

    def config_toml(self) -> str:
        lines = []
        for name, lab in self.pve.items():
            lines += [
                "[[proxmox]]",
                f'name = "{name}"',
                f'host = "{lab["host"]}"',
                'user = "collector@pve"',
                'token_name = "collector"',
                'token_secret_env = "PVE_TOKEN_SECRET"',
                "",
            ]
        for name, engine in self.docker.items():
            url = engine.get("url") or f"ssh://collector@{engine['hostname']}"
            lines += ["[[docker]]", f'name = "{name}"', f'url = "{url}"']
            for key in ("guest", "mac"):
                if engine.get(key):
                    lines.append(f'{key} = "{engine[key]}"')
            lines.append("")
        for name, server in self.pbs.items():
            lines += [
                "[[pbs]]",
                f'name = "{name}"',
                f'host = "{server["host"]}"',
                'token_id = "collector@pbs!collector"',
                'token_secret_env = "PBS_TOKEN_SECRET"',
            ]
            if server["fingerprint"]:
                lines.append(f'fingerprint = "{server["fingerprint"]}"')
            lines.append("")
        return "\n".join(lines) + self.extra_config

    def write(self) -> Path:
        for name in self.pve:
            base = self.root / "pve" / name
            errors = self.pve[name]["errors"]
            for path, data in self._pve_files(name).items():
                if path not in errors:  # an error answer replaces the recorded one
                    _write(base / f"{path}.json", data)
            for path, error in self.pve[name]["errors"].items():
                _write(base / f"{path}.error.json", error)
        for name in self.docker:
            base = self.root / "docker" / name
            for path, data in self._docker_files(name).items():
                _write(base / f"{path}.json", data)
        for name, server in self.pbs.items():
            base = self.root / "pbs" / name
            for path, data in server["answers"].items():
                _write(base / f"{path}.json", data)
            for path, error in server["errors"].items():
                _write(base / f"{path}.error.json", error)
        (self.root / "config.toml").write_text(self.config_toml(), encoding="utf-8")
        for name, text in self.extra_files.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text, encoding="utf-8")
        if self.recorded_at is not None:
            moment = self.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            _write(self.root / "recording.json", {"recorded_at": moment})
        return self.root


def _agent(g: GuestSpec) -> dict[str, Any]:
    mac = fake_mac(f"{g.kind}{g.vmid}")
    return {
        "result": [
            {
                "name": "lo",
                "hardware-address": "00:00:00:00:00:00",
                "ip-addresses": [
                    {"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}
                ],
            },
            {
                "name": "ens18",
                "hardware-address": mac,
                "ip-addresses": [
                    {"ip-address": ip, "ip-address-type": "ipv4", "prefix": 24} for ip in g.ips
                ],
            },
        ]
    }


def _lxc_interfaces(g: GuestSpec) -> list[dict[str, Any]]:
    mac = fake_mac(f"{g.kind}{g.vmid}")
    eth0: dict[str, Any] = {
        "name": "eth0",
        "hwaddr": mac,
        "hardware-address": mac,
        "ip-addresses": [
            {"ip-address": ip, "ip-address-type": "inet", "prefix": "24"} for ip in g.ips
        ],
    }
    if g.ips:  # pve-container leaves "inet" out when the interface has no IPv4 address
        eth0["inet"] = f"{g.ips[0]}/24"
    return [
        {
            "name": "lo",
            "hwaddr": "00:00:00:00:00:00",
            "hardware-address": "00:00:00:00:00:00",
            "inet": "127.0.0.1/8",
            "ip-addresses": [{"ip-address": "127.0.0.1", "ip-address-type": "inet", "prefix": "8"}],
        },
        eth0,
    ]


def _healthcheck(c: ContainerSpec) -> dict[str, Any]:
    test = c.healthcheck or (["CMD", "true"] if c.health else None)
    if not test:
        return {}
    return {"Healthcheck": {"Test": test, "Interval": 30_000_000_000, "Retries": 3}}


def _selects(job: dict[str, Any], g: GuestSpec) -> bool:
    """PVE's own reading (PVE::VZDump::get_included_guests), used for not-backed-up: a pool
    job takes the whole pool, ``exclude`` only narrows ``all``; disabled jobs count too."""
    if job.get("node") and job["node"] != g.node:
        return False
    if job.get("pool"):
        return g.pool == job["pool"]
    if job.get("vmid"):
        return g.vmid in {int(v) for v in str(job["vmid"]).split(",")}
    if job.get("all"):
        return g.vmid not in {int(v) for v in str(job.get("exclude", "")).split(",") if v}
    return False


def _not_backed_up(lab: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"vmid": g.vmid, "type": g.kind, "name": g.name}
        for g in lab["guests"]
        if not any(_selects(job, g) for job in lab["backup_jobs"])
    ]


def _swarm(node_addr: str | None) -> dict[str, Any]:
    """/info's ``Swarm``: inactive with an empty ``NodeAddr``, or a worker node's answer."""
    if node_addr is None:
        return {"LocalNodeState": "inactive", "NodeAddr": ""}
    return {
        "LocalNodeState": "active",
        "NodeAddr": node_addr,
        "NodeID": fake_id(f"swarm{node_addr}", 25),
        "ControlAvailable": False,
        "RemoteManagers": [{"Addr": "10.0.0.2:2377", "NodeID": fake_id("manager", 25)}],
    }
