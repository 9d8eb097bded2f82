"""Proof that the live Podman engine is what ``tests/support/podman.py`` says, using nothing but the
plain docker SDK (plus the libpod API through the SDK's session where the compat API is silent).

The assertions on the compat answers double as the record of how Podman differs from Docker
(docs/podman-notes.md): if Podman changes one of them, this file says which.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from tests.support.dockerd import LiveSSH, start_sshd
from tests.support.podman import (
    IMAGE,
    IMAGE_LATEST,
    LivePodman,
    PodmanContainer,
    missing_prerequisites,
    start_podman,
)

pytestmark = pytest.mark.live


def _api(live: LivePodman) -> docker.APIClient:
    return docker.APIClient(base_url=live.unix_url, version="auto", timeout=15)


def _libpod(api: docker.APIClient, path: str) -> Any:
    response = api.get(f"{api.base_url}/v4.0.0/libpod{path}")
    response.raise_for_status()
    return response.json()


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


def test_version_names_the_podman_engine(live_podman: LivePodman) -> None:
    with _api(live_podman) as api:
        version = api.version()
    assert version["Components"][0]["Name"] == "Podman Engine"
    assert version["Components"][0]["Version"] == live_podman.version == version["Version"]
    assert {c["Name"] for c in version["Components"]} >= {"Podman Engine", "Conmon"}
    # Docker's "Engine" component and its "Docker Engine - Community" platform are absent.
    assert "Docker" not in version["Platform"]["Name"]
    # The compat API emulates a Docker API level; the libpod API has its own version.
    assert version["ApiVersion"] == live_podman.api_version
    assert version["Components"][0]["Details"]["APIVersion"] == live_podman.version


def test_info_has_no_stable_id_and_no_logging_driver(live_podman: LivePodman) -> None:
    """/info's ID is a fresh UUID on every call (podman 4.3), so it cannot identify the engine;
    LoggingDriver is empty and Labels null (there is no daemon.json to set them)."""
    with _api(live_podman) as api:
        first, second = api.info(), api.info()
    assert first["ID"] != second["ID"]
    assert first["Name"] == live_podman.engine_name == socket.gethostname()
    assert first["ServerVersion"] == live_podman.version
    assert first["LoggingDriver"] == ""
    assert first["Labels"] is None
    assert first["Swarm"]["LocalNodeState"] == "inactive"
    assert first["Driver"] == "vfs"
    assert first["CgroupDriver"] == "cgroupfs"
    assert "k8s-file" in first["Plugins"]["Log"] and "journald" in first["Plugins"]["Log"]
    assert first["DockerRootDir"] == str(live_podman.root / "storage")
    # The infra container is a container like any other in the counts.
    assert first["Containers"] == len(live_podman.containers)


def test_service_is_our_process(live_podman: LivePodman) -> None:
    cmdline = Path(f"/proc/{live_podman.pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[0] == str(live_podman.podman).encode()
    assert b"service" in cmdline and f"unix://{live_podman.socket_path}".encode() in cmdline
    assert str(live_podman.root).encode() in b" ".join(cmdline)


def test_cli_reaches_the_same_engine(live_podman: LivePodman) -> None:
    names = set(live_podman.cli("ps", "--all", "--format", "{{.Names}}").split())
    assert names == set(live_podman.containers)


# --------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------


def _mismatches(want: PodmanContainer, compat: dict[str, Any], native: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def check(what: str, value: Any, expected: Any) -> None:
        if value != expected:
            problems.append(f"{want.name}.{what}: {value!r} != {expected!r}")

    check("Id", compat["Id"], want.id)
    check("Name", compat["Name"], f"/{want.name}")
    check("Config.Image", compat["Config"]["Image"], want.image)
    if not want.infra:
        check("Config.Cmd", tuple(compat["Config"]["Cmd"]), want.command)
    check("State.Status", compat["State"]["Status"], want.status)
    check("State.ExitCode", compat["State"]["ExitCode"], want.exit_code)
    # Docker omits State.Health without a healthcheck; Podman sends Status "".
    check("State.Health.Status", compat["State"]["Health"]["Status"], want.health or "")
    check("RestartPolicy", compat["HostConfig"]["RestartPolicy"]["Name"], want.restart_policy)
    check("LogConfig.Type", compat["HostConfig"]["LogConfig"]["Type"], want.compat_log_driver)
    # The compat API drops the log options (max-size); the libpod API has them as "Size".
    check("LogConfig.Config", compat["HostConfig"]["LogConfig"]["Config"], None)
    check("libpod LogConfig.Type", native["HostConfig"]["LogConfig"]["Type"], want.log_driver)
    check("libpod LogConfig.Size", native["HostConfig"]["LogConfig"]["Size"], want.log_size)
    check("Config.Labels", compat["Config"]["Labels"] or {}, want.labels)
    check("AutoRemove", compat["HostConfig"]["AutoRemove"], want.auto_remove)
    check("libpod Pod", bool(native.get("Pod")), want.pod is not None)
    check("libpod IsInfra", native.get("IsInfra", False), want.infra)
    return problems


def test_sdk_lists_exactly_the_described_containers(live_podman: LivePodman) -> None:
    with _api(live_podman) as api:
        listed = api.containers(all=True)
    assert {c["Names"][0] for c in listed} == {f"/{name}" for name in live_podman.containers}
    assert {c["Id"] for c in listed} == {c.id for c in live_podman.containers.values()}


def test_containers_have_expected_properties(live_podman: LivePodman) -> None:
    with _api(live_podman) as api:
        problems = [
            problem
            for want in live_podman.containers.values()
            for problem in _mismatches(
                want,
                api.inspect_container(want.id),
                _libpod(api, f"/containers/{want.id}/json"),
            )
        ]
    assert not problems, "\n".join(problems)


def test_listing_state_labels_and_status(live_podman: LivePodman) -> None:
    with _api(live_podman) as api:
        listed = {c["Names"][0].lstrip("/"): c for c in api.containers(all=True)}
    for name, want in live_podman.containers.items():
        got = listed[name]
        assert got["State"] == want.status, name
        assert got["Labels"] == want.labels, name
        assert got["Image"] == want.image, name
        if want.status == "running":
            assert got["Status"].startswith("Up "), (name, got["Status"])
            # Docker appends "(healthy)"; Podman 4.3's compat listing does not.
            assert "healthy" not in got["Status"], (name, got["Status"])
        else:
            assert got["Status"].startswith(f"Exited ({want.exit_code})"), (name, got["Status"])


def test_fixture_covers_the_cases_the_collector_must_handle(live_podman: LivePodman) -> None:
    everything = list(live_podman.containers.values())
    assert {c.status for c in everything} == {"running", "exited"}
    assert {c.health for c in everything} == {"healthy", "unhealthy", None}
    assert {c.restart_policy for c in everything} == {"", "always", "unless-stopped"}
    assert {c.created_by for c in everything} == {"compat-api", "podman-cli", "podman (infra)"}
    assert {c.log_driver for c in everything} >= {"k8s-file"}
    assert any(c.log_size == "10MB" for c in everything)
    assert [c.name for c in everything if c.systemd_unit == "whoami.service"] == ["systemd-whoami"]
    # podman-compose labels its containers with a (template) unit too, next to compose labels.
    compose = [c for c in everything if c.compose_project]
    assert {c.compose_project for c in compose} == {"monitoring", "paperless"}
    assert live_podman.containers["paperless_webserver_1"].systemd_unit == (
        "podman-compose@paperless.service"
    )
    assert sum(c.infra for c in everything) == 1
    assert live_podman.journald == Path("/run/systemd/journal/socket").exists()


def test_journald_needs_a_journal(live_podman: LivePodman) -> None:
    if live_podman.journald:
        assert live_podman.containers["journal-logger"].log_driver == "journald"
    else:
        assert live_podman.journald_error is not None
        assert "failed to initialize journal" in live_podman.journald_error


def test_quadlet_style_container(live_podman: LivePodman) -> None:
    whoami = live_podman.containers["systemd-whoami"]
    with _api(live_podman) as api:
        compat = api.inspect_container(whoami.id)
    assert compat["Config"]["Labels"]["PODMAN_SYSTEMD_UNIT"] == "whoami.service"
    assert compat["HostConfig"]["AutoRemove"] is True
    # systemd restarts the unit; the container itself has no restart policy.
    assert compat["HostConfig"]["RestartPolicy"]["Name"] == ""


# --------------------------------------------------------------------------------------------
# Pods
# --------------------------------------------------------------------------------------------


def test_pods_are_visible_through_the_libpod_api(live_podman: LivePodman) -> None:
    with _api(live_podman) as api:
        pods = {p["Name"]: p for p in _libpod(api, "/pods/json")}
    assert set(pods) == set(live_podman.pods)
    for name, want in live_podman.pods.items():
        got = pods[name]
        assert got["Id"] == want.id
        assert got["Labels"] == want.labels  # {} for a pod without labels, never null
        members = {c["Names"] for c in got["Containers"]}
        expected = set(want.members) | ({want.infra_name} if want.infra else set())
        assert members == expected, name
        assert got["Status"] == "Running"


def test_pod_members_show_their_pod_only_indirectly_in_compat_inspect(
    live_podman: LivePodman,
) -> None:
    """The compat inspect has no pod field: members of a pod with infra join its namespaces
    ("container:<infra id>"), and with cgroupfs their cgroup parent names the pod id."""
    nextcloud = live_podman.pods["nextcloud"]
    with _api(live_podman) as api:
        for member in nextcloud.members:
            compat = api.inspect_container(member)
            assert "Pod" not in compat
            assert compat["HostConfig"]["NetworkMode"] == f"container:{nextcloud.infra_id}"
            assert compat["HostConfig"]["CgroupParent"].endswith(nextcloud.id)
            native = _libpod(api, f"/containers/{member}/json")
            assert native["Pod"] == nextcloud.id
        infra = api.inspect_container(nextcloud.infra_id)
    assert infra["Config"]["Image"] == live_podman.pause_image
    assert infra["Config"]["Labels"]["homelab.role"] == "service"  # the pod's labels


# --------------------------------------------------------------------------------------------
# Image
# --------------------------------------------------------------------------------------------


def test_image_tags_and_repo_digests(live_podman: LivePodman) -> None:
    with _api(live_podman) as api:
        image = api.inspect_image(IMAGE)
        by_short_name = api.inspect_image("local/busybox:1")
    assert image["Id"] == live_podman.image_id == by_short_name["Id"]
    assert set(image["RepoTags"]) == {IMAGE, IMAGE_LATEST}
    # Docker has no RepoDigests for an imported, never pushed image; Podman always lists them.
    assert image["RepoDigests"]
    assert all(d.startswith("docker.io/local/busybox@sha256:") for d in image["RepoDigests"])


# --------------------------------------------------------------------------------------------
# ssh:// (docker-py runs ``docker system dial-stdio`` on the remote side)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("openssh", [False, True], ids=["paramiko", "openssh"])
def test_ssh_reaches_podman_through_a_podman_docker_shim(
    live_podman: LivePodman,
    live_podman_ssh: LiveSSH,
    monkeypatch: pytest.MonkeyPatch,
    openssh: bool,
) -> None:
    env = live_podman_ssh.env_for_ssh_client() if openssh else live_podman_ssh.env_for_paramiko()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with docker.APIClient(
        base_url=live_podman_ssh.url, version="auto", use_ssh_client=openssh, timeout=30
    ) as api:
        assert api.version()["Components"][0]["Name"] == "Podman Engine"
        names = {c["Names"][0].lstrip("/") for c in api.containers(all=True)}
    assert names == set(live_podman.containers)


def test_ssh_reaches_podman_through_a_docker_cli_pointed_at_its_socket(
    live_podman: LivePodman, live_podman_ssh: LiveSSH, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other way: a real docker CLI on the Podman host, DOCKER_HOST = Podman's socket
    (``live_podman_ssh`` only makes sure sshd and the docker CLI exist)."""
    ssh = start_sshd(live_podman)
    try:
        for key, value in ssh.env_for_paramiko().items():
            monkeypatch.setenv(key, value)
        with docker.APIClient(base_url=ssh.url, version="auto", timeout=30) as api:
            assert api.version()["Components"][0]["Name"] == "Podman Engine"
            assert len(api.containers(all=True)) == len(live_podman.containers)
    finally:
        ssh.close()


def test_ssh_url_with_a_socket_path_is_refused_by_docker_py(live_podman_ssh: LiveSSH) -> None:
    """``ssh://user@host/run/podman/podman.sock`` (podman's own connection form) cannot be used."""
    with pytest.raises(docker.errors.DockerException, match="no path allowed"):
        docker.APIClient(base_url=f"{live_podman_ssh.url}/run/podman/podman.sock", version="1.41")


# --------------------------------------------------------------------------------------------
# Teardown
# --------------------------------------------------------------------------------------------


def _pids_mentioning(needle: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle.encode() in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def _cgroups_named(ids: set[str]) -> list[Path]:
    return [
        d
        for d in Path("/sys/fs/cgroup").glob("**/libpod_parent/**")
        if d.is_dir() and (d.name.removeprefix("libpod-") in ids)
    ]


@pytest.mark.parametrize("crash", [False, True], ids=["clean", "service-killed"])
def test_close_leaves_no_process_mount_or_cgroup(live_podman: LivePodman, crash: bool) -> None:
    """A second engine beside the session one; also after its service died by SIGKILL."""
    assert missing_prerequisites() is None
    other = start_podman()
    root = str(other.root)
    ids = {c.id for c in other.containers.values()} | {p.id for p in other.pods.values()}
    try:
        # The service and one conmon per running container (conmon's argv names our root).
        running = sum(c.status == "running" for c in other.containers.values())
        assert len(_pids_mentioning(root)) == 1 + running
        assert root in Path("/proc/mounts").read_text()  # per-container shm mounts
        if crash:
            os.kill(other.pid, signal.SIGKILL)
    finally:
        started = time.monotonic()
        other.close()
        other.close()  # idempotent
    assert time.monotonic() - started < 15
    assert not Path(root).exists()
    assert not _pids_mentioning(root)
    assert root not in Path("/proc/mounts").read_text()
    assert not _cgroups_named(ids)
    assert not any((Path("/run/runc") / i).exists() for i in ids)
    # The session engine is untouched.
    with _api(live_podman) as api:
        assert len(api.containers(all=True)) == len(live_podman.containers)
