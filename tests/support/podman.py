"""A real Podman engine (Debian's ``podman``) behind its Docker-compatible API, for live tests.

:func:`start_podman` starts ``podman system service`` on a private unix socket, with its own
storage, run dir, tmp dir, network config dir, lock files and ``containers.conf`` /
``storage.conf`` / ``registries.conf`` (so nothing of the host's Podman setup leaks in or is
touched), imports the busybox-static image of the Docker lab and creates a realistic Podman host:

* through the **compat API** (what docker-compose, Portainer or the collector's docker SDK send):
  a plain service with ``restart=always``, one with a passing healthcheck and explicit
  ``k8s-file`` log options, a docker-compose v2 style service (unhealthy) and a finished job;
* through the **podman CLI** (what a Podman user runs): a pod with an infra container and two
  members, a Quadlet-style container (``PODMAN_SYSTEMD_UNIT`` from the environment, ``--rm``,
  ``--replace``, ``--sdnotify=conmon``, named ``systemd-<unit>``) and a podman-compose style
  container in a pod without infra, with the labels podman-compose 1.x writes;
* a ``journald`` log driver container only where a journal socket exists (it does not on the CI
  machines; :attr:`LivePodman.journald_error` then holds the engine's refusal).

Healthchecks on Podman run from transient systemd timers; without systemd nothing runs them, so
the fixture runs each check once through the libpod API, as the timer would.

Everything is described by dataclasses (:class:`LivePodman`, :class:`PodmanContainer`,
:class:`PodmanPod`), so a test can compare what the collector reports with what was created,
field by field.

Hygiene, as in :mod:`tests.support.dockerd`: only the service process started here is stopped
(by PID); conmon and the containers are found by our private temp dir in their command line (or
as its descendants) and killed only with an unchanged start time; mounts under the temp dir are
unmounted and the dir removed; ``close()`` is idempotent and registered with :mod:`atexit`.
Podman writes three things outside its configurable dirs; each is undone only for what this
fixture caused: ``/run/runc/<id>`` (conmon's exit command drops ``--runtime-flag``, so runc's
state root cannot be made private), ``/var/lib/containers/cache`` (the blob-info cache of an image
import) and cgroups under ``libpod_parent`` (cgroupfs manager).

Nothing here imports pytest: the conftest decides when to skip (see :func:`missing_prerequisites`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import docker
import docker.errors
import docker.types

from .dockerd import (
    BUSYBOX_CANDIDATES,
    LabStartupError,
    ManagedProcess,
    _best_effort,
    _first_existing,
    _kill_exact,
    _ping_unix,
    _processes_mentioning,
    _remove_tree,
    busybox_rootfs_tar,
)

__all__ = [
    "IMAGE",
    "IMAGE_LATEST",
    "PODMAN_COMPOSE_VERSION",
    "SKIP_REASON",
    "LivePodman",
    "PodmanContainer",
    "PodmanPod",
    "missing_prerequisites",
    "podman_docker_shim",
    "start_podman",
]

SKIP_REASON = (
    "live Podman tests need root and Debian's podman: "
    "apt-get install --no-install-recommends podman catatonit busybox-static"
)

#: What the image is tagged as. The compat API qualifies short names with docker.io (the CLI
#: would use localhost/), so this is the name Podman reports in ``Config.Image`` and RepoTags.
IMAGE_REPO = "docker.io/local/busybox"
IMAGE = f"{IMAGE_REPO}:1"
IMAGE_LATEST = f"{IMAGE_REPO}:latest"
#: The podman-compose release whose labels the compose-style container carries
#: (``podman_compose.py``, ``podman_compose_labels`` and the per-container labels).
PODMAN_COMPOSE_VERSION = "1.6.0"

SERVICE_START_TIMEOUT = 30.0
CLI_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
HEALTH_INTERVAL_NS = 1_000_000_000

PODMAN_CANDIDATES = ("/usr/bin/podman",)
CONMON_CANDIDATES = ("/usr/bin/conmon", "/usr/libexec/podman/conmon")
RUNTIME_CANDIDATES = ("/usr/bin/crun", "/usr/bin/runc", "/usr/sbin/runc")
# The infra container of a pod runs catatonit from a pause image Podman builds locally.
CATATONIT_CANDIDATES = ("/usr/bin/catatonit", "/usr/libexec/podman/catatonit")
JOURNAL_SOCKET = Path("/run/systemd/journal/socket")

#: Global options naming a dir under the temp dir, for the service and every CLI call (with the
#: team's known-good ``--storage-driver vfs --cgroup-manager cgroupfs --events-backend file``,
#: see _global_args; _write_config holds the rest of the isolation).
_GLOBAL_FLAGS = (
    ("--root", "storage"),
    ("--runroot", "run"),
    ("--tmpdir", "tmp"),
    ("--network-config-dir", "net"),
)

# Paths outside the temp dir that Podman writes to; see the module docstring.
RUNC_STATE = Path("/run/runc")
VAR_LIB_CONTAINERS = Path("/var/lib/containers")
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "libpod_parent"


# --------------------------------------------------------------------------------------------
# Descriptions handed to the tests
# --------------------------------------------------------------------------------------------


@dataclass
class PodmanContainer:
    """One container on the engine, as the engine itself reports it (``podman inspect``)."""

    name: str
    image: str  # ``Config.Image``, fully qualified as Podman stores it
    command: tuple[str, ...]  # ``Config.Cmd`` (empty for an infra container)
    status: Literal["running", "exited", "created"]
    exit_code: int
    health: Literal["healthy", "unhealthy"] | None  # None: no healthcheck configured
    #: ``HostConfig.RestartPolicy.Name``: "" when none was given (Docker says "no").
    restart_policy: str
    #: The real driver, from the libpod API; the compat API calls k8s-file "json-file".
    log_driver: str
    #: ``HostConfig.LogConfig.Size`` from the libpod API: "10MB", or "0B" for unlimited.
    log_size: str
    #: ``Config.Labels`` exactly: ours plus what Podman adds (PODMAN_SYSTEMD_UNIT from the
    #: environment; an infra container gets its pod's labels and the pause image's).
    labels: dict[str, str]
    pod: str | None  # pod name
    created_by: Literal["compat-api", "podman-cli", "podman (infra)"]
    #: The podman command line (without the global flags) for CLI-made containers.
    cli_args: tuple[str, ...] = ()
    auto_remove: bool = False  # ``HostConfig.AutoRemove`` (Quadlet's --rm)
    infra: bool = False
    id: str = ""

    @property
    def compat_log_driver(self) -> str:
        """What ``GET /containers/{id}/json`` says (podman 4.x maps k8s-file to json-file)."""
        return "json-file" if self.log_driver == "k8s-file" else self.log_driver

    @property
    def systemd_unit(self) -> str | None:
        return self.labels.get("PODMAN_SYSTEMD_UNIT")

    @property
    def compose_project(self) -> str | None:
        return self.labels.get("com.docker.compose.project")


@dataclass
class PodmanPod:
    """A pod: members share the infra container's namespaces (none when ``infra`` is False)."""

    name: str
    labels: dict[str, str]
    members: tuple[str, ...]  # container names, infra excluded
    infra: bool
    cli_args: tuple[str, ...]
    id: str = ""
    infra_name: str | None = None  # "<first 12 of the pod id>-infra"
    infra_id: str | None = None


@dataclass
class _HostTraces:
    """Which of Podman's out-of-tree paths existed before we started (we undo only ours)."""

    runc_state: bool
    var_lib_containers: bool
    cgroup_parents: frozenset[Path]

    @classmethod
    def now(cls) -> _HostTraces:
        return cls(RUNC_STATE.exists(), VAR_LIB_CONTAINERS.exists(), frozenset(_cgroup_parents()))


@dataclass
class LivePodman:
    """The running engine. Treat as read-only: tests share it for the whole session."""

    root: Path
    unix_url: str  # "unix:///tmp/hlc-podman-xxxx/podman.sock"
    socket_path: Path
    pid: int  # ``podman system service``
    podman: Path
    global_args: tuple[str, ...]  # flags every podman CLI call against this engine needs
    env: dict[str, str]  # environment for those calls (private containers.conf etc.)
    version: str  # /version Components[name="Podman Engine"].Version, e.g. "4.3.1"
    api_version: str  # /version ApiVersion: the Docker API level it emulates ("1.41")
    libpod_api_version: str  # the Podman API level (Components[0].Details.APIVersion)
    engine_name: str  # /info Name: the hostname
    image_id: str
    pause_image: str  # the infra containers' image ("localhost/podman-pause:<version>-<n>")
    containers: dict[str, PodmanContainer]
    pods: dict[str, PodmanPod]
    #: Whether the journald log driver works here; if not, the engine's refusal.
    journald: bool
    journald_error: str | None
    service_start_seconds: float  # exec to first 200 on /_ping
    setup_seconds: float  # everything, including the containers
    _proc: ManagedProcess | None = field(default=None, repr=False)
    _traces: _HostTraces | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, **kwargs: Any) -> docker.DockerClient:
        """A docker-py client on the unix socket (caller closes it)."""
        return docker.DockerClient(base_url=self.unix_url, **kwargs)

    def cli(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run ``podman <global flags> ARGS`` against this engine; returns stdout."""
        return _run_cli(self.podman, self.global_args, self.env | dict(env or {}), args)

    def close(self) -> None:
        """Remove the containers, stop the service, delete its state. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _shutdown(
            self.root,
            self.podman,
            self.global_args,
            self.env,
            self._proc,
            self._traces,
            ids=[c.id for c in self.containers.values()] + [p.id for p in self.pods.values()],
        )


# --------------------------------------------------------------------------------------------
# Prerequisites
# --------------------------------------------------------------------------------------------


def missing_prerequisites() -> str | None:
    """Return a skip reason when the Podman engine cannot run here, else None."""
    if os.geteuid() != 0:
        return f"{SKIP_REASON} (not running as root)"
    missing = [
        what
        for what, candidates in (
            ("podman", PODMAN_CANDIDATES),
            ("conmon", CONMON_CANDIDATES),
            ("crun/runc", RUNTIME_CANDIDATES),
            ("catatonit", CATATONIT_CANDIDATES),
            ("busybox", BUSYBOX_CANDIDATES),
        )
        if _first_existing(candidates) is None
    ]
    if missing:
        return f"{SKIP_REASON} (missing: {', '.join(missing)})"
    return None


# --------------------------------------------------------------------------------------------
# Engine process and CLI
# --------------------------------------------------------------------------------------------


def _write_config(root: Path) -> dict[str, str]:
    """Private config files; returns the environment variables that make Podman use them.

    With ``CONTAINERS_CONF`` set Podman reads that file only, so the host's
    /etc/containers/containers.conf cannot change the engine. ``default_ulimits``: the default
    nofile limit (1048576) is refused on these machines, and a pod's infra container, which no
    --ulimit option reaches, would fail to start. ``lock_type = "file"`` keeps the container locks
    in tmp_dir instead of the host-wide /dev/shm/libpod_lock segment.
    """
    conf = root / "containers.conf"
    conf.write_text(
        "\n".join(
            [
                "[containers]",
                'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
                "[network]",
                f'network_config_dir = "{root / "net"}"',
                "[engine]",
                'cgroup_manager = "cgroupfs"',
                'events_logger = "file"',
                f'tmp_dir = "{root / "tmp"}"',
                'lock_type = "file"',
                "",
            ]
        )
    )
    storage = root / "storage.conf"
    storage.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root / "storage"}"\nrunroot = "{root / "run"}"\n'
    )
    # No search registries: a short name that is not in local storage fails at once instead of
    # trying a registry (nothing is reachable from these machines anyway).
    registries = root / "registries.conf"
    registries.write_text("unqualified-search-registries = []\n")
    return {
        "CONTAINERS_CONF": str(conf),
        "CONTAINERS_STORAGE_CONF": str(storage),
        "CONTAINERS_REGISTRIES_CONF": str(registries),
    }


def _environment(root: Path) -> dict[str, str]:
    # Nothing from the caller's environment may redirect Podman (CONTAINER_HOST makes it a
    # remote client, PODMAN_SYSTEMD_UNIT would label every container, DOCKER_* is harmless but
    # confusing in logs).
    prefixes = ("CONTAINER_", "CONTAINERS_", "PODMAN_", "DOCKER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(_write_config(root))
    return env


def _global_args(root: Path) -> tuple[str, ...]:
    args: list[str] = []
    for flag, sub in _GLOBAL_FLAGS:
        args += [flag, str(root / sub)]
    args += [
        "--storage-driver", "vfs",
        "--cgroup-manager", "cgroupfs",
        "--events-backend", "file",
        "--log-level", "warn",
    ]  # fmt: skip
    return tuple(args)


def _run_cli(
    podman: Path, global_args: Sequence[str], env: Mapping[str, str], args: Sequence[str]
) -> str:
    done = subprocess.run(
        [str(podman), *global_args, *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise LabStartupError(f"podman {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def _libpod(api: docker.APIClient, method: str, path: str) -> Any:
    """Call the libpod (Podman-native) API through the docker SDK's session."""
    response = api.request(method, f"{api.base_url}/v4.0.0/libpod{path}", timeout=60)
    response.raise_for_status()
    return response.json() if response.content else None


# --------------------------------------------------------------------------------------------
# What the engine is populated with
# --------------------------------------------------------------------------------------------


def _podman_compose_labels(project: str, service: str, workdir: str) -> dict[str, str]:
    """podman-compose 1.x: ``podman_compose_labels`` plus the per-container ones."""
    return {
        "io.podman.compose.project": project,
        "io.podman.compose.version": PODMAN_COMPOSE_VERSION,
        "PODMAN_SYSTEMD_UNIT": f"podman-compose@{project}.service",
        "com.docker.compose.project": project,
        "com.docker.compose.project.working_dir": workdir,
        "com.docker.compose.project.config_files": "compose.yaml",
        "io.podman.compose.config-hash": "0" * 64,
        "com.docker.compose.container-number": "1",
        "io.podman.compose.service": service,
        "com.docker.compose.service": service,
    }


def _docker_compose_labels(project: str, service: str, workdir: str) -> dict[str, str]:
    """docker compose v2 talking to Podman's socket sets the same labels as against Docker."""
    return {
        "com.docker.compose.project": project,
        "com.docker.compose.service": service,
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.project.working_dir": workdir,
        "com.docker.compose.project.config_files": f"{workdir}/compose.yaml",
        "com.docker.compose.version": "2.24.6",
    }


def _healthcheck(test: list[str]) -> dict[str, Any]:
    return {
        "test": test,
        "interval": HEALTH_INTERVAL_NS,
        "timeout": HEALTH_INTERVAL_NS,
        "retries": 1,
        "start_period": 0,
    }


def _label_args(labels: Mapping[str, str]) -> list[str]:
    return [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]


def _compat_containers(api: docker.APIClient) -> list[tuple[PodmanContainer, dict[str, Any]]]:
    """Containers made through the Docker-compatible API, with the create kwargs."""
    vaultwarden = PodmanContainer(
        name="vaultwarden",
        image=IMAGE,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health=None,
        restart_policy="always",
        log_driver="",  # the engine's default: filled in from /info's plugins below
        log_size="0B",
        labels={"homelab.role": "service", "homelab.owner": "alice"},
        pod=None,
        created_by="compat-api",
    )
    grafana = PodmanContainer(
        name="grafana",
        image=IMAGE,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health="healthy",
        restart_policy="unless-stopped",
        log_driver="k8s-file",
        log_size="10MB",
        labels={"homelab.role": "platform", "homelab.owner": "alice"},
        pod=None,
        created_by="compat-api",
    )
    prometheus = PodmanContainer(
        name="monitoring-prometheus-1",
        image=IMAGE_LATEST,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health="unhealthy",
        restart_policy="always",
        log_driver="",
        log_size="0B",
        labels={
            **_docker_compose_labels("monitoring", "prometheus", "/srv/monitoring"),
            "homelab.role": "platform",
        },
        pod=None,
        created_by="compat-api",
    )
    backup = PodmanContainer(
        name="backup-job",
        image=IMAGE,
        command=("sh", "-c", "exit 3"),
        status="exited",
        exit_code=3,
        health=None,
        restart_policy="",
        log_driver="",
        log_size="0B",
        labels={"homelab.role": "service", "homelab.owner": "bob"},
        pod=None,
        created_by="compat-api",
    )
    return [
        (vaultwarden, {}),
        (
            grafana,
            {
                "healthcheck": _healthcheck(["CMD", "true"]),
                "log_config": docker.types.LogConfig(type="k8s-file", config={"max-size": "10m"}),
            },
        ),
        (prometheus, {"healthcheck": _healthcheck(["CMD", "false"])}),
        (backup, {}),
    ]


def _create_compat(api: docker.APIClient, exp: PodmanContainer, kwargs: dict[str, Any]) -> None:
    restart = {"Name": exp.restart_policy} if exp.restart_policy else None
    host_config = api.create_host_config(
        network_mode="none",
        restart_policy=restart,
        log_config=kwargs.pop("log_config", None),
        # Podman applies containers.conf's default_ulimits anyway; sent explicitly all the same
        # because that is what works on any Podman host (the defaults are refused here).
        ulimits=[
            docker.types.Ulimit(name="nofile", soft=1024, hard=1024),
            docker.types.Ulimit(name="nproc", soft=1024, hard=1024),
        ],
    )
    created = api.create_container(
        exp.image,
        command=list(exp.command),
        name=exp.name,
        labels=exp.labels,
        host_config=host_config,
        **kwargs,
    )
    exp.id = created["Id"]
    api.start(exp.id)
    if exp.status == "exited":
        result = api.wait(exp.id, timeout=30)
        if result.get("StatusCode") != exp.exit_code:
            raise LabStartupError(f"{exp.name} exited with {result}, expected {exp.exit_code}")


_RUN = ("--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


def _cli_objects() -> tuple[list[PodmanPod], list[tuple[PodmanContainer, dict[str, str]]]]:
    """Pods and containers made with the podman CLI, each with its extra environment."""
    nextcloud_labels = {"homelab.role": "service", "homelab.owner": "bob"}
    nextcloud = PodmanPod(
        name="nextcloud",
        labels=nextcloud_labels,
        members=("nextcloud-app", "nextcloud-db"),
        infra=True,
        cli_args=(
            "pod", "create", "--name", "nextcloud", "--network", "none",
            *_label_args(nextcloud_labels),
        ),
    )  # fmt: skip
    # podman-compose 1.x: one pod per project, "pod_<project>", no infra, nothing shared.
    paperless = PodmanPod(
        name="pod_paperless",
        labels={},
        members=("paperless_webserver_1",),
        infra=False,
        cli_args=("pod", "create", "--name=pod_paperless", "--infra=false", "--share="),
    )
    containers: list[tuple[PodmanContainer, dict[str, str]]] = []
    for member, role, restart in (("app", "service", "always"), ("db", "platform", "")):
        labels = {"homelab.role": role, "io.example.tier": member}
        containers.append(
            (
                PodmanContainer(
                    name=f"nextcloud-{member}",
                    image=IMAGE,
                    command=("sleep", "3600"),
                    status="running",
                    exit_code=0,
                    health=None,
                    restart_policy=restart,
                    log_driver="",
                    log_size="0B",
                    labels=labels,
                    pod="nextcloud",
                    created_by="podman-cli",
                    cli_args=(
                        "create", "--pod", "nextcloud", "--name", f"nextcloud-{member}",
                        *(("--restart", restart) if restart else ()),
                        "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                        *_label_args(labels), IMAGE, "sleep", "3600",
                    ),
                ),
                {},
            )
        )  # fmt: skip
    # Quadlet's ExecStart for a whoami.container with AutoUpdate=registry and one Label=, minus
    # --cgroups=split (needs a systemd-delegated cgroup); systemd sets PODMAN_SYSTEMD_UNIT=%n
    # in the unit's environment and podman turns it into a label.
    quadlet_labels = {"io.containers.autoupdate": "registry", "homelab.role": "service"}
    containers.append(
        (
            PodmanContainer(
                name="systemd-whoami",
                image=IMAGE,
                command=("sleep", "3600"),
                status="running",
                exit_code=0,
                health=None,
                restart_policy="",
                log_driver="",
                log_size="0B",
                labels={**quadlet_labels, "PODMAN_SYSTEMD_UNIT": "whoami.service"},
                pod=None,
                created_by="podman-cli",
                auto_remove=True,
                cli_args=(
                    "run", "--name", "systemd-whoami", "--replace", "--rm",
                    "--sdnotify=conmon", "-d", *_RUN, *_label_args(quadlet_labels),
                    IMAGE, "sleep", "3600",
                ),
            ),
            {"PODMAN_SYSTEMD_UNIT": "whoami.service"},
        )
    )  # fmt: skip
    compose_labels = _podman_compose_labels("paperless", "webserver", "/srv/paperless")
    containers.append(
        (
            PodmanContainer(
                name="paperless_webserver_1",
                image=IMAGE,
                command=("sleep", "3600"),
                status="running",
                exit_code=0,
                health=None,
                restart_policy="unless-stopped",
                log_driver="",
                log_size="0B",
                labels=compose_labels,
                pod="pod_paperless",
                created_by="podman-cli",
                cli_args=(
                    "run", "--name=paperless_webserver_1", "-d", "--pod=pod_paperless",
                    *_label_args(compose_labels), "--restart", "unless-stopped", *_RUN,
                    IMAGE, "sleep", "3600",
                ),
            ),
            {},
        )
    )  # fmt: skip
    return [nextcloud, paperless], containers


def _journald_container(api: docker.APIClient) -> tuple[PodmanContainer | None, str | None]:
    """A journald-logging container where the journal exists; else the engine's refusal."""
    exp = PodmanContainer(
        name="journal-logger",
        image=IMAGE,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health=None,
        restart_policy="",
        log_driver="journald",
        log_size="0B",
        labels={"homelab.role": "service"},
        pod=None,
        created_by="compat-api",
    )
    kwargs: dict[str, Any] = {"log_config": docker.types.LogConfig(type="journald")}
    try:
        _create_compat(api, exp, kwargs)
    except docker.errors.APIError as exc:
        if JOURNAL_SOCKET.exists():
            raise
        # "container create: failed to initialize journal: write unixgram ...: sendmsg: ..."
        return None, str(exc.explanation or exc)
    return exp, None


def _fill_from_engine(api: docker.APIClient, exp: PodmanContainer, default_log: str) -> None:
    """Ids of CLI-made containers, and the log driver where the engine chose it."""
    native = _libpod(api, "GET", f"/containers/{exp.name}/json")
    exp.id = native["Id"]
    if not exp.log_driver:
        exp.log_driver = default_log
    if exp.log_driver != native["HostConfig"]["LogConfig"]["Type"]:
        raise LabStartupError(f"{exp.name}: log driver {native['HostConfig']['LogConfig']}")


def _run_healthchecks(api: docker.APIClient, containers: Sequence[PodmanContainer]) -> None:
    """Run each healthcheck once (GET /libpod/containers/{name}/healthcheck): the systemd timer
    that would do it does not exist without systemd."""
    for exp in containers:
        if exp.health is None:
            continue
        result = _libpod(api, "GET", f"/containers/{exp.name}/healthcheck")
        if result.get("Status") != exp.health:
            raise LabStartupError(f"{exp.name}: healthcheck says {result}, want {exp.health}")


def _infra(api: docker.APIClient, pod: PodmanPod) -> PodmanContainer:
    native = _libpod(api, "GET", f"/pods/{pod.name}/json")
    pod.id = native["Id"]
    pod.infra_id = native.get("InfraContainerID") or None
    assert pod.infra_id is not None
    infra = _libpod(api, "GET", f"/containers/{pod.infra_id}/json")
    pod.infra_name = infra["Name"]
    image = api.inspect_image(infra["ImageName"])
    return PodmanContainer(
        name=infra["Name"],
        image=infra["ImageName"],
        command=(),
        status="running",
        exit_code=0,
        health=None,
        restart_policy="",
        log_driver=infra["HostConfig"]["LogConfig"]["Type"],
        log_size="0B",
        labels={**(image["Config"].get("Labels") or {}), **pod.labels},
        pod=pod.name,
        created_by="podman (infra)",
        infra=True,
        id=pod.infra_id,
    )


def _populate(
    api: docker.APIClient, cli: Callable[..., str], rootfs_tar: bytes
) -> tuple[str, dict[str, PodmanContainer], dict[str, PodmanPod], str | None]:
    answer = api.import_image_from_data(
        rootfs_tar, repository=IMAGE_REPO, tag="1", changes=["ENV PATH=/bin", 'CMD ["sh"]']
    )
    # Podman 4.3 ignores ``tag`` here (podman#18597) and stores ``<repo>:latest``: tag by id.
    image_id: str = json.loads(answer.strip().splitlines()[-1])["status"]
    for tag in ("1", "latest"):
        api.tag(image_id, IMAGE_REPO, tag)
    default_log = _default_log_driver(cli)
    containers: dict[str, PodmanContainer] = {}
    for exp, kwargs in _compat_containers(api):
        _create_compat(api, exp, kwargs)
        containers[exp.name] = exp
    journald, journald_error = _journald_container(api)
    if journald is not None:
        containers[journald.name] = journald
    pods, cli_containers = _cli_objects()
    for pod in pods:
        cli(*pod.cli_args)
    for exp, env in cli_containers:
        cli(*exp.cli_args, env=env)
        containers[exp.name] = exp
    for pod in pods:
        cli("pod", "start", pod.name)
    for exp in containers.values():
        _fill_from_engine(api, exp, default_log)
    for pod in pods:
        if pod.infra:
            infra = _infra(api, pod)
            containers[infra.name] = infra
        else:
            pod.id = _libpod(api, "GET", f"/pods/{pod.name}/json")["Id"]
    _run_healthchecks(api, list(containers.values()))
    return image_id, containers, {p.name: p for p in pods}, journald_error


def _default_log_driver(cli: Callable[..., str]) -> str:
    """containers.conf's default: journald when PID 1 is systemd with a journal, else k8s-file.
    The compat /info's LoggingDriver is empty on Podman 4.3, so ask the CLI."""
    return str(cli("info", "--format", "{{.Host.LogDriver}}").strip())


# --------------------------------------------------------------------------------------------
# Start and stop
# --------------------------------------------------------------------------------------------


def _cgroup_parents() -> Iterator[Path]:
    """Existing ``libpod_parent`` dirs: one per v1 controller, or one on a pure v2 host."""
    if (CGROUP_ROOT / CGROUP_PARENT).is_dir():
        yield CGROUP_ROOT / CGROUP_PARENT
    with contextlib.suppress(OSError):
        for controller in CGROUP_ROOT.iterdir():
            if (controller / CGROUP_PARENT).is_dir():
                yield controller / CGROUP_PARENT


def _undo_host_traces(traces: _HostTraces, ids: Sequence[str]) -> None:
    """Remove what Podman left outside the temp dir, for our ids only (rmdir: never forced)."""
    ours = {i for i in ids if i}
    if RUNC_STATE.is_dir():
        for state in RUNC_STATE.iterdir():
            if state.name in ours:
                shutil.rmtree(state, ignore_errors=True)
        if not traces.runc_state:
            with contextlib.suppress(OSError):
                RUNC_STATE.rmdir()
    if not traces.var_lib_containers:
        cache = VAR_LIB_CONTAINERS / "cache"
        with contextlib.suppress(OSError):
            (cache / "blob-info-cache-v1.boltdb").unlink()
        for directory in (cache, VAR_LIB_CONTAINERS):
            with contextlib.suppress(OSError):
                directory.rmdir()
    for parent in list(_cgroup_parents()):
        # After a clean ``podman rm`` these are gone; after SIGKILL they remain, empty.
        leftovers = [
            d
            for d in parent.rglob("*")
            if d.is_dir() and (d.name.removeprefix("libpod-") in ours or d.parent.name in ours)
        ]
        for directory in sorted(leftovers, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        if parent not in traces.cgroup_parents:
            for directory in (parent / "conmon", parent):
                with contextlib.suppress(OSError):
                    directory.rmdir()


def _shutdown(
    root: Path,
    podman: Path,
    global_args: Sequence[str],
    env: Mapping[str, str],
    proc: ManagedProcess | None,
    traces: _HostTraces | None,
    ids: Sequence[str],
) -> None:
    # Sequential and thread-free on purpose: this also runs from atexit.
    def remove(*args: str) -> None:
        # ``rm -f`` can lose a race with a restart policy restarting the container; once more.
        for attempt in (1, 2):
            try:
                _run_cli(podman, global_args, env, args)
                return
            except (LabStartupError, subprocess.TimeoutExpired):
                if attempt == 2:
                    raise

    if (root / "storage").exists():
        # Removing through Podman undoes its mounts, cgroups and runc state; the service need
        # not be up for it (the CLI works on the storage directly).
        _best_effort(lambda: remove("pod", "rm", "--all", "--force", "--time", "0"), "pod rm")
        _best_effort(lambda: remove("rm", "--all", "--force", "--time", "0"), "rm")
    if proc is not None:
        _best_effort(proc.stop, f"stopping pid {proc.pid}")
    # conmon double-forks away from whoever started it; its command line names our temp dir.
    _best_effort(lambda: _kill_exact(_processes_mentioning(root)), "sweeping strays")
    if traces is not None:
        _best_effort(lambda: _undo_host_traces(traces, ids), "undoing host traces")
    _best_effort(lambda: _remove_tree(root), f"removing {root}")


def start_podman(base_dir: str | os.PathLike[str] = "/tmp") -> LivePodman:
    """Start a private ``podman system service`` and populate it (see the module docstring).

    Raises :class:`LabStartupError` (after cleaning up) when the engine does not come up.
    """
    started = time.monotonic()
    traces = _HostTraces.now()
    root = Path(tempfile.mkdtemp(prefix="hlc-podman-", dir=base_dir))
    podman_bin = _first_existing(PODMAN_CANDIDATES)
    busybox = _first_existing(BUSYBOX_CANDIDATES)
    assert podman_bin is not None and busybox is not None  # checked by missing_prerequisites
    podman = Path(podman_bin)
    for sub in ("storage", "run", "tmp", "net"):
        (root / sub).mkdir()
    base_env = _environment(root)
    global_args = _global_args(root)
    sock = root / "podman.sock"
    proc: ManagedProcess | None = None
    ids: list[str] = []
    try:
        if len(str(sock)) >= 100:  # sun_path is 108 bytes; keep a margin
            raise LabStartupError(f"socket path too long for AF_UNIX: {sock}")
        argv = [str(podman), *global_args, "system", "service", "--time=0", f"unix://{sock}"]
        service_started = time.monotonic()
        proc = ManagedProcess(argv, root / "service.log", base_env)
        deadline = service_started + SERVICE_START_TIMEOUT
        while not _ping_unix(sock):
            if not proc.running() or time.monotonic() > deadline:
                raise LabStartupError(f"podman system service did not start:\n{proc.log_tail()}")
            time.sleep(0.02)
        service_seconds = time.monotonic() - service_started

        def cli(*args: str, env: Mapping[str, str] | None = None) -> str:
            return _run_cli(podman, global_args, base_env | dict(env or {}), args)

        api = docker.APIClient(base_url=f"unix://{sock}", version="auto", timeout=60)
        with contextlib.closing(api):
            rootfs_tar = busybox_rootfs_tar(Path(busybox))
            image_id, containers, pods, journald_error = _populate(api, cli, rootfs_tar)
            ids = [c.id for c in containers.values()] + [p.id for p in pods.values()]
            version = api.version()
            info = api.info()
        engine = next(c for c in version["Components"] if c["Name"] == "Podman Engine")
        pause = next((c.image for c in containers.values() if c.infra), "")
    except BaseException:
        _shutdown(root, podman, global_args, base_env, proc, traces, ids)
        raise
    live = LivePodman(
        root=root,
        unix_url=f"unix://{sock}",
        socket_path=sock,
        pid=proc.pid,
        podman=podman,
        global_args=global_args,
        env=base_env,
        version=engine["Version"],
        api_version=version["ApiVersion"],
        libpod_api_version=engine["Details"]["APIVersion"],
        engine_name=info["Name"],
        image_id=image_id,
        pause_image=pause,
        containers=containers,
        pods=pods,
        journald=journald_error is None,
        journald_error=journald_error,
        service_start_seconds=service_seconds,
        setup_seconds=time.monotonic() - started,
        _proc=proc,
        _traces=traces,
    )
    # Fallback only: the fixture's finally block normally runs first and makes this a no-op.
    atexit.register(live.close)
    return live


def podman_docker_shim(live: LivePodman) -> Path:
    """A ``docker`` executable for the ssh side, like Debian's podman-docker package installs.

    podman-docker's /usr/bin/docker is ``exec /usr/bin/podman "$@"``, so docker-py's remote
    ``docker system dial-stdio`` runs ``podman system dial-stdio``, which connects to
    ``$CONTAINER_HOST`` or else the default socket (/run/podman/podman.sock for root). Our socket
    is not at the default path and the sshd fixture sets ``DOCKER_HOST``, hence the one addition:
    ``CONTAINER_HOST`` taken from ``DOCKER_HOST``.
    """
    shim_dir = live.root / "podman-docker"
    shim_dir.mkdir(exist_ok=True)
    shim = shim_dir / "docker"
    shim.write_text(f'#!/bin/sh\nCONTAINER_HOST="$DOCKER_HOST" exec {live.podman} "$@"\n')
    shim.chmod(0o755)
    return shim


def describe(live: LivePodman) -> str:
    """A JSON summary, handy when debugging a failing live test."""
    return json.dumps(
        {
            "unix_url": live.unix_url,
            "version": live.version,
            "containers": {c.name: c.status for c in live.containers.values()},
            "pods": {p.name: p.members for p in live.pods.values()},
            "setup_seconds": round(live.setup_seconds, 2),
        },
        indent=2,
    )
