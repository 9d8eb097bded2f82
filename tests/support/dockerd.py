"""Real Docker engines (and an sshd in front of one) for the live test suite.

:func:`start_lab` starts two private ``dockerd`` processes (Debian's ``docker.io``), each with its
own socket, data root, exec root and containerd, imports a tiny image made from Debian's
``busybox-static`` and creates a realistic set of containers on each. Engine ``alpha`` listens on
a unix socket only; engine ``bravo`` also listens on ``tcp://127.0.0.1:<port>`` with mutual TLS.
:func:`start_sshd` runs Debian's ``sshd`` on ``127.0.0.1:<port>`` so that docker-py's ``ssh://``
transport reaches an engine exactly as it would reach a remote host.

Everything the lab creates lives under one ``mkdtemp`` directory and is described by plain
dataclasses (:class:`LiveLab`, :class:`LiveEngine`, :class:`ExpectedContainer`, :class:`LiveSSH`),
so a test can compare what the collector reports with what was really created, field by field.

Hygiene: only processes started here are stopped (by PID; a process group only because we created
it with ``start_new_session=True``; strays only when their command line names our private temp
dir), mounts under the temp dir are unmounted and the dir is removed. ``close()`` is idempotent
and is also registered with :mod:`atexit` as a fallback for sessions that die between setup and
teardown. Only loopback addresses are ever used.

Nothing here imports pytest: the conftest decides when to skip (see :func:`missing_prerequisites`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import docker
import docker.errors
import docker.types

from .certs import issue_client, issue_server, make_ca, write_unrelated_ca

if TYPE_CHECKING:
    from .podman import LivePodman

__all__ = [
    "BUSYBOX_APPLETS",
    "IMAGE",
    "IMAGE_LATEST",
    "SECRET_VALUE",
    "SKIP_REASON",
    "EnvIsolatedAPIClient",
    "ExpectedContainer",
    "ExpectedMount",
    "LabStartupError",
    "LiveEngine",
    "LiveLab",
    "LiveSSH",
    "busybox_rootfs_tar",
    "describe",
    "missing_prerequisites",
    "start_lab",
    "start_sshd",
]

SKIP_REASON = (
    "live Docker tests need root and Debian's docker.io: "
    "apt-get install docker.io busybox-static openssh-server"
)

#: The image every container runs. ``local/`` makes it obvious that it was never pulled.
IMAGE_REPO = "local/busybox"
IMAGE = f"{IMAGE_REPO}:1"
IMAGE_LATEST = f"{IMAGE_REPO}:latest"
#: Applets linked to /bin/busybox in the image (enough for ``sh -c``, healthchecks and sleeps).
BUSYBOX_APPLETS = ("sh", "sleep", "true", "false", "echo", "cat", "ls", "env", "id", "ps")
#: Value of the fake secret put into one container's environment; the collector must never
#: print it (it must not output ``Config.Env`` at all).
SECRET_VALUE = "s3cr3t-live-test"

#: Bounds. Startup is normally ~1-2 s per engine; the bounds only matter when something is broken.
DAEMON_START_TIMEOUT = 30.0
HEALTH_SETTLE_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
# One second is the interval the brief asks for; health settles after the first check.
HEALTH_INTERVAL_NS = 1_000_000_000

DOCKERD_CANDIDATES = ("/usr/sbin/dockerd", "/usr/bin/dockerd")
SSHD_CANDIDATES = ("/usr/sbin/sshd",)
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
# Debian's docker.io CLI is /usr/bin/docker; any docker CLI works for ``docker system dial-stdio``.
DOCKER_CLI_CANDIDATES = ("/usr/bin/docker", "/usr/local/bin/docker")


class EnvIsolatedAPIClient(docker.APIClient):  # type: ignore[misc]
    """``docker.APIClient`` that ignores ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``/proxies/netrc.

    APIClient is a ``requests.Session``; ``TLSConfig`` puts the CA into ``session.verify``. But
    with ``trust_env`` true (the default) requests replaces a request-level ``verify=None`` by
    ``$REQUESTS_CA_BUNDLE`` or ``$CURL_CA_BUNDLE`` *before* merging the session's value, so the
    env var silently wins over the engine's CA (and over ``verify=False``). ``trust_env`` is a
    plain attribute that ``Session.__init__`` sets to True and that ``APIClient.__init__`` already
    uses (``version="auto"`` queries the engine inside the constructor), so it is pinned to False
    here by a read-only property instead of being reset after construction.
    """

    @property
    def trust_env(self) -> bool:
        return False

    @trust_env.setter
    def trust_env(self, value: bool) -> None:
        pass


class LabStartupError(RuntimeError):
    """A daemon did not come up in time; the message carries the tail of its log."""


# --------------------------------------------------------------------------------------------
# Descriptions handed to the tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedMount:
    """One mount as it must appear in ``docker inspect``'s ``Mounts``.

    ``source`` is the host path for a bind, the volume *name* for a named volume and ``None`` for
    an anonymous volume (whose name is a random 64-hex id chosen by the engine).
    """

    type: Literal["bind", "volume"]
    destination: str
    source: str | None
    read_only: bool = False

    @property
    def anonymous(self) -> bool:
        return self.type == "volume" and self.source is None


@dataclass
class ExpectedContainer:
    """What was created on an engine, with the properties a test should find again."""

    name: str
    image: str  # what the container was created from (``Config.Image``): a tag or an image id
    command: tuple[str, ...]
    status: Literal["running", "exited", "created"]
    exit_code: int
    health: Literal["healthy", "unhealthy"] | None  # None: no healthcheck configured
    restart_policy: str  # "no", "always", "unless-stopped", "on-failure"
    restart_max_retries: int
    log_driver: str
    log_options: dict[str, str]
    labels: dict[str, str]
    mounts: tuple[ExpectedMount, ...]
    network_mode: str = "none"
    #: Environment variables whose *values* are secrets and must never be output.
    secret_env: dict[str, str] = field(default_factory=dict)
    #: Filled in once the engine has created the container.
    id: str = ""

    @property
    def compose_project(self) -> str | None:
        return self.labels.get("com.docker.compose.project")

    @property
    def compose_service(self) -> str | None:
        return self.labels.get("com.docker.compose.service")


@dataclass
class LiveEngine:
    """One running dockerd started by the lab.

    ``engine_name`` is ``docker info``'s ``Name``, i.e. the machine's hostname: it is the SAME for
    every engine of the lab (they share a kernel), so only ``engine_id`` tells them apart.
    """

    name: str  # the lab's own name for it: "alpha" or "bravo"
    unix_url: str  # "unix:///tmp/hlc-live-xxxx/alpha/d.sock"
    socket_path: Path
    tcp_url: str | None  # "tcp://127.0.0.1:<port>" with mutual TLS (bravo), else None
    tcp_port: int | None
    #: Client-side TLS material for ``tcp_url`` (None on alpha). ``tls_dir`` holds ca.pem,
    #: cert.pem and key.pem under docker-py's DOCKER_CERT_PATH names.
    tls_dir: Path | None
    ca_pem: Path | None
    cert_pem: Path | None
    key_pem: Path | None
    #: A CA that signed nothing the engine presents (wrong-CA tests) ...
    wrong_ca_pem: Path | None
    #: ... and a client certificate/key issued by that other CA (engine must refuse it).
    wrong_cert_pem: Path | None
    wrong_key_pem: Path | None
    engine_id: str
    engine_name: str
    server_version: str
    api_version: str
    daemon_labels: tuple[str, ...]  # dockerd --label values, e.g. "homelab.engine=alpha"
    data_root: Path
    pid: int
    image_id: str
    containers: dict[str, ExpectedContainer]
    volumes: tuple[str, ...]  # named volumes created (anonymous ones are not listed)

    def client(self, **kwargs: Any) -> docker.DockerClient:
        """A docker-py client on the unix socket (caller closes it)."""
        return docker.DockerClient(base_url=self.unix_url, **kwargs)


@dataclass
class LiveSSH:
    """An sshd on loopback whose sessions see ``DOCKER_HOST`` = one lab engine's socket.

    Two ways to point docker-py at it without touching the real ``~/.ssh``:

    * paramiko (``use_ssh_client=False``, the default): docker-py reads ``~/.ssh/config`` and
      ``~/.ssh/known_hosts`` through ``os.path.expanduser``, i.e. ``$HOME``. Set ``HOME=home``
      while constructing the client (it connects in the constructor).
    * OpenSSH (``use_ssh_client=True``): ``ssh`` ignores ``$HOME`` (it uses the passwd entry), so
      prepend ``wrapper_dir`` to ``PATH``; its ``ssh`` execs the real ``ssh -F ssh_config``.
      docker-py spawns ``ssh`` on *every* new HTTP connection, so PATH must stay set for as long
      as the client is used.
    """

    url: str  # "ssh://root@127.0.0.1:<port>"
    host: str
    port: int
    user: str
    identity_file: Path  # private key (ed25519, no passphrase); ``.pub`` beside it
    known_hosts: Path  # "[127.0.0.1]:<port> ssh-ed25519 ..."
    ssh_config: Path  # OpenSSH client config naming the two files above
    home: Path  # a fake $HOME: .ssh/config, .ssh/known_hosts, .ssh/id_ed25519
    wrapper_dir: Path  # contains an executable ``ssh`` wrapper using ``ssh_config``
    engine: LiveEngine | LivePodman  # the engine ``docker system dial-stdio`` reaches
    docker_cli: Path  # the CLI that runs ``docker system dial-stdio`` on the sshd side
    pid: int
    _proc: ManagedProcess | None = field(default=None, repr=False)
    _root: Path | None = field(default=None, repr=False)

    def env_for_paramiko(self) -> dict[str, str]:
        """Environment overrides for the paramiko transport."""
        return {"HOME": str(self.home)}

    def env_for_ssh_client(self) -> dict[str, str]:
        """Environment overrides for ``use_ssh_client=True``."""
        return {"PATH": f"{self.wrapper_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    def close(self) -> None:
        """Stop sshd (and its per-connection children) and remove its files."""
        if self._proc is not None:
            self._proc.stop()
            self._proc = None
        if self._root is not None:
            _remove_tree(self._root)
            self._root = None


@dataclass
class LiveLab:
    """The running engines. Treat as read-only: tests share it for the whole session."""

    root: Path
    engines: dict[str, LiveEngine]
    setup_seconds: float
    _procs: list[ManagedProcess] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def alpha(self) -> LiveEngine:
        """Engine reachable on a unix socket only."""
        return self.engines["alpha"]

    @property
    def bravo(self) -> LiveEngine:
        """Engine reachable on a unix socket and on tcp://127.0.0.1 with mutual TLS."""
        return self.engines["bravo"]

    def close(self) -> None:
        """Stop the daemons started here and delete their state. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _shutdown(self.root, self._procs, [e.unix_url for e in self.engines.values()])


# --------------------------------------------------------------------------------------------
# Prerequisites
# --------------------------------------------------------------------------------------------


def _first_existing(candidates: Iterable[str]) -> str | None:
    for candidate in candidates:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_prerequisites(*, sshd: bool = False) -> str | None:
    """Return a skip reason when the live lab cannot run here, else None.

    Only the absence of root or of the Debian binaries is a reason to skip; anything else that
    goes wrong later is a real failure.
    """
    if os.geteuid() != 0:
        return f"{SKIP_REASON} (not running as root)"
    missing = [
        what
        for what, candidates in (
            ("dockerd", DOCKERD_CANDIDATES),
            ("busybox", BUSYBOX_CANDIDATES),
        )
        if _first_existing(candidates) is None
    ]
    if shutil.which("containerd") is None or shutil.which("runc") is None:
        missing.append("containerd/runc")
    if sshd:
        for what, candidates in (("sshd", SSHD_CANDIDATES), ("docker CLI", DOCKER_CLI_CANDIDATES)):
            if _first_existing(candidates) is None:
                missing.append(what)
        for tool in ("ssh", "ssh-keygen"):
            if shutil.which(tool) is None:
                missing.append(tool)
    if missing:
        return f"{SKIP_REASON} (missing: {', '.join(missing)})"
    return None


# --------------------------------------------------------------------------------------------
# Process hygiene
# --------------------------------------------------------------------------------------------


def _proc_start_time(pid: int) -> int | None:
    """Kernel start time of ``pid`` (field 22 of /proc/pid/stat), to detect PID reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; everything after the last ')' is fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pids: Iterable[int]) -> dict[int, int | None]:
    """All descendants of ``pids`` (not ``pids`` themselves), PID -> start time."""
    children = _children_map()
    found: dict[int, int | None] = {}
    stack = list(pids)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found[child] = _proc_start_time(child)
                stack.append(child)
    return found


def _processes_mentioning(root: Path) -> dict[int, int | None]:
    """Processes whose command line names our private temp dir, plus their descendants.

    containerd-shim-runc-v2 daemonises into its own session and is re-parented away from
    dockerd, so it is not a descendant of anything we started; but its command line carries
    ``-address <our exec-root>/containerd/containerd.sock``. The mkdtemp name is unique, so this
    matches only processes this lab caused.
    """
    needle = os.fsencode(str(root))
    own = os.getpid()
    found: dict[int, int | None] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            found[int(entry.name)] = _proc_start_time(int(entry.name))
    found.update(_descendants(found))
    return found


def _kill_exact(processes: Mapping[int, int | None]) -> None:
    """SIGKILL each PID whose start time is unchanged (so a reused PID is never hit)."""
    for pid, started in processes.items():
        if started is not None and _proc_start_time(pid) == started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class ManagedProcess:
    """A daemon started in its own session, output appended to a log file."""

    def __init__(self, argv: list[str], log_path: Path, env: Mapping[str, str] | None = None):
        self.argv = argv
        self.log_path = log_path
        with log_path.open("ab") as log:
            # Own session: the daemon and the helpers it forks without setsid form a process
            # group that is ours alone, so SIGKILL to the group cannot hit anything else.
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
                close_fds=True,
            )
        self.pid = self.proc.pid
        self._family: dict[int, int | None] | None = None

    def running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _exited_unreaped(self) -> bool:
        # WNOWAIT leaves the zombie in place: while it exists its PID (= our PGID) cannot be
        # reused, so a later killpg still targets only our group.
        if self.proc.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def terminate(self) -> None:
        """Send SIGTERM, remembering the daemon's children first (they re-parent to init once
        the daemon exits). Pair with :meth:`finish`; split so several daemons stop in parallel
        without threads (an atexit fallback can no longer start executor threads)."""
        if self.proc.returncode is not None or self._family is not None:
            return
        self._family = _descendants([self.pid])
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)

    def finish(self, deadline: float) -> None:
        """Wait until ``deadline`` (monotonic), then SIGKILL the group; reap; kill strays."""
        while not self._exited_unreaped() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.proc.returncode is None:
            # Either the bound ran out or the leader is an unreaped zombie; in both cases the
            # group id is still ours, so sweep the group (helpers it forked) before reaping.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        # Children that left the group (setsid, like containerd) but were forked by the daemon.
        _kill_exact(self._family or {})

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, wait up to ``timeout``, then SIGKILL the group; reap; kill stray children."""
        self.terminate()
        self.finish(time.monotonic() + timeout)


def _unmount_under(root: Path) -> None:
    """Unmount everything mounted below ``root`` (deepest first).

    dockerd bind-mounts its data root onto itself and network namespaces under its exec root;
    it normally undoes that on SIGTERM, but not after SIGKILL.
    """
    prefix = str(root).rstrip("/") + "/"
    mounts: list[str] = []
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return
    for line in lines:
        parts = line.split()
        if len(parts) < 2:
            continue
        # /proc/mounts escapes blanks as octal (\040); our paths have none but decode anyway.
        target = parts[1].encode().decode("unicode_escape")
        if target == str(root) or target.startswith(prefix):
            mounts.append(target)
    for target in sorted(set(mounts), key=len, reverse=True):
        done = subprocess.run(["umount", target], capture_output=True, check=False)
        if done.returncode != 0:
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)


def _remove_tree(root: Path) -> None:
    if not root.exists():
        return
    _unmount_under(root)
    shutil.rmtree(root, ignore_errors=True)


def _kill_containers(unix_url: str) -> None:
    """Kill running containers first: busybox ``sleep`` as PID 1 ignores SIGTERM, so a plain
    daemon shutdown would wait out every container's 10 s stop timeout."""
    if not Path(unix_url.removeprefix("unix://")).exists():
        return  # the daemon never got as far as listening
    try:
        client = docker.DockerClient(base_url=unix_url, version="1.41", timeout=10)
    except docker.errors.DockerException:
        return
    with contextlib.closing(client):
        try:
            running = client.containers.list(filters={"status": "running"})
        except docker.errors.DockerException:
            return
        for container in running:
            with contextlib.suppress(docker.errors.DockerException):
                container.kill()


def _best_effort(step: Callable[[], object], what: str) -> None:
    # Teardown must run every step even if one fails; report on stderr instead of raising.
    try:
        step()
    except Exception as exc:  # noqa: BLE001  # a failed step must not skip the later ones
        print(f"live lab teardown: {what} failed: {exc!r}", file=sys.stderr)


def _shutdown(root: Path, procs: list[ManagedProcess], unix_urls: list[str]) -> None:
    # Sequential on purpose: this also runs from atexit, where ThreadPoolExecutor refuses work.
    for url in unix_urls:
        _best_effort(functools.partial(_kill_containers, url), f"killing containers on {url}")
    for proc in procs:
        _best_effort(proc.terminate, f"terminating pid {proc.pid}")
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs:
        _best_effort(functools.partial(proc.finish, deadline), f"stopping pid {proc.pid}")
    # containerd (setsid by dockerd) and the shims (daemonised, re-parented) escape the process
    # group; the descendant walk in terminate() gets containerd, this gets whatever is left.
    _best_effort(lambda: _kill_exact(_processes_mentioning(root)), "sweeping strays")
    _best_effort(lambda: _remove_tree(root), f"removing {root}")


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    # Bind-and-release: there is a tiny race with other processes, acceptable on a test machine.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping_unix(path: Path) -> bool:
    """True when the daemon answers ``GET /_ping`` with 200 on its unix socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status_line = sock.recv(256).split(b"\r\n", 1)[0]
    except OSError:
        return False
    parts = status_line.split()
    return len(parts) >= 2 and parts[1] == b"200"


def _tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def busybox_rootfs_tar(busybox: Path) -> bytes:
    """A rootfs tarball: /bin/busybox plus applet symlinks and the usual empty dirs.

    Built in memory (no temp rootfs dir to clean); equivalent to ``tar -C rootfs -c .``.
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for directory in ("bin", "dev", "etc", "proc", "sys", "tmp"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        data = busybox.read_bytes()
        info = tarfile.TarInfo("bin/busybox")
        info.size = len(data)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(data))
        for applet in BUSYBOX_APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
    return buf.getvalue()


@dataclass
class _TLSFiles:
    server_ca: Path
    server_cert: Path
    server_key: Path
    client_dir: Path
    ca: Path
    cert: Path
    key: Path
    wrong_ca: Path
    wrong_cert: Path
    wrong_key: Path


def _make_tls(directory: Path) -> _TLSFiles:
    ca = make_ca("homelab-collector live CA")
    server = issue_server(ca, directory / "server")
    client_dir = directory / "client"
    cert, key = issue_client(ca, client_dir)
    wrong_dir = directory / "wrong"
    wrong_ca = write_unrelated_ca(wrong_dir)
    # A client certificate that is well-formed but from a CA the engine does not trust.
    wrong_cert, wrong_key = issue_client(make_ca("rogue client CA"), wrong_dir / "client")
    return _TLSFiles(
        server_ca=server.ca,
        server_cert=server.cert,
        server_key=server.key,
        client_dir=client_dir,
        ca=client_dir / "ca.pem",
        cert=cert,
        key=key,
        wrong_ca=wrong_ca,
        wrong_cert=wrong_cert,
        wrong_key=wrong_key,
    )


@dataclass
class _Daemon:
    name: str
    root: Path
    socket_path: Path
    proc: ManagedProcess
    tcp_port: int | None
    tls: _TLSFiles | None

    @property
    def unix_url(self) -> str:
        return f"unix://{self.socket_path}"


def _start_dockerd(lab_root: Path, name: str, *, tls: _TLSFiles | None) -> _Daemon:
    dockerd = _first_existing(DOCKERD_CANDIDATES)
    assert dockerd is not None  # checked by missing_prerequisites
    root = lab_root / name
    for sub in ("data", "exec"):
        (root / sub).mkdir(parents=True)
    # Our own config file keeps a host /etc/docker/daemon.json from leaking into the engine.
    # dockerd 20.10 derives the engine ID (``docker info`` ID) from a trust key that defaults to
    # /etc/docker/key.json: without a private key path both engines would share one ID, and the
    # host's /etc would be written to. (The setting is config-file only; newer dockerd ignore it
    # and keep the ID under the data root.)
    config = root / "daemon.json"
    config.write_text(json.dumps({"deprecated-key-path": str(root / "key.json")}) + "\n")
    sock = root / "d.sock"
    if len(str(sock)) >= 100:  # sun_path is 108 bytes; keep a margin
        raise LabStartupError(f"socket path too long for AF_UNIX: {sock}")
    argv = [
        dockerd,
        "--config-file", str(config),
        "--host", f"unix://{sock}",
        "--data-root", str(root / "data"),
        "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "docker.pid"),
        "--storage-driver", "vfs",
        # No bridge, no iptables, no sysctl changes: containers use network_mode="none", and the
        # host's networking must stay untouched.
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-forward=false",
        "--ip-masq=false",
        "--userland-proxy=false",
        "--log-level=warn",
        "--shutdown-timeout=2",
        "--label", f"homelab.engine={name}",
    ]  # fmt: skip
    tcp_port: int | None = None
    if tls is not None:
        tcp_port = _free_port()
        argv += [
            "--host", f"tcp://127.0.0.1:{tcp_port}",
            "--tlsverify",
            "--tlscacert", str(tls.server_ca),
            "--tlscert", str(tls.server_cert),
            "--tlskey", str(tls.server_key),
        ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    proc = ManagedProcess(argv, root / "dockerd.log", env)
    return _Daemon(name, root, sock, proc, tcp_port, tls)


def _wait_ready(daemon: _Daemon, deadline: float) -> None:
    while time.monotonic() < deadline:
        if not daemon.proc.running():
            raise LabStartupError(
                f"dockerd {daemon.name} exited with {daemon.proc.proc.returncode}:\n"
                f"{daemon.proc.log_tail()}"
            )
        if _ping_unix(daemon.socket_path) and (
            daemon.tcp_port is None or _tcp_accepts(daemon.tcp_port)
        ):
            return
        time.sleep(0.05)
    raise LabStartupError(
        f"dockerd {daemon.name} did not answer /_ping within {DAEMON_START_TIMEOUT:.0f} s:\n"
        f"{daemon.proc.log_tail()}"
    )


# --------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------


def _compose_labels(project: str, service: str, workdir: str) -> dict[str, str]:
    """The labels docker compose v2 puts on a service container (the ones a collector reads)."""
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


@dataclass
class _Plan:
    expected: ExpectedContainer
    run: Literal["start", "start_and_wait", "create"]
    kwargs: dict[str, Any]


def _mount_kwargs(mounts: Iterable[ExpectedMount]) -> list[docker.types.Mount]:
    return [
        docker.types.Mount(
            target=m.destination,
            source=m.source,  # None makes an anonymous volume
            type=m.type,
            read_only=m.read_only,
        )
        for m in mounts
    ]


def _plans_alpha(root: Path) -> tuple[list[_Plan], dict[str, dict[str, str]]]:
    """Engine alpha: a compose project with a healthy and an unhealthy service, a finished job
    and a container that was never started."""
    config_dir = root / "binds" / "media-db-config"
    config_dir.mkdir(parents=True)
    (config_dir / "db.conf").write_text("max_connections = 10\n")
    volumes = {
        "media_web-data": {
            "com.docker.compose.project": "media",
            "com.docker.compose.volume": "web-data",
        }
    }
    web = ExpectedContainer(
        name="media-web-1",
        image=IMAGE,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health="healthy",
        restart_policy="unless-stopped",
        restart_max_retries=0,
        log_driver="json-file",
        log_options={"max-size": "10m"},
        labels={
            **_compose_labels("media", "web", "/srv/media"),
            "homelab.role": "service",
            "homelab.owner": "alice",
            "org.opencontainers.image.description": "Media library web front-end",
        },
        mounts=(ExpectedMount("volume", "/data", "media_web-data"),),
        secret_env={"DB_PASSWORD": SECRET_VALUE},
    )
    db = ExpectedContainer(
        name="media-db-1",
        image=IMAGE,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health="unhealthy",
        restart_policy="always",
        restart_max_retries=0,
        log_driver="local",
        log_options={},
        labels={
            **_compose_labels("media", "db", "/srv/media"),
            "homelab.role": "platform",
            "homelab.owner": "alice",
        },
        mounts=(ExpectedMount("bind", "/config", str(config_dir), read_only=True),),
    )
    job = ExpectedContainer(
        name="cron-job",
        image=IMAGE,
        command=("sh", "-c", "exit 3"),
        status="exited",
        exit_code=3,
        health=None,
        restart_policy="no",
        restart_max_retries=0,
        log_driver="json-file",
        log_options={},
        labels={"homelab.role": "service", "homelab.owner": "bob"},
        mounts=(ExpectedMount("volume", "/cache", None),),
    )
    spare = ExpectedContainer(
        name="spare",
        image=IMAGE,
        command=("sleep", "3600"),
        status="created",
        exit_code=0,
        health=None,
        restart_policy="on-failure",
        restart_max_retries=3,
        log_driver="none",
        log_options={},
        labels={"homelab.role": "service", "homelab.owner": "bob"},
        mounts=(),
    )
    plans = [
        _Plan(
            web,
            "start",
            # Named volume through the classic ``Binds`` form (what ``docker run -v`` sends).
            {
                "volumes": {"media_web-data": {"bind": "/data", "mode": "rw"}},
                "environment": [f"DB_PASSWORD={SECRET_VALUE}", "TZ=Europe/Berlin"],
                "healthcheck": _healthcheck(["CMD", "true"]),
            },
        ),
        # Bind through the ``Mounts`` API (what compose v2 sends).
        _Plan(
            db,
            "start",
            {"mounts": _mount_kwargs(db.mounts), "healthcheck": _healthcheck(["CMD", "false"])},
        ),
        _Plan(job, "start_and_wait", {"mounts": _mount_kwargs(job.mounts)}),
        _Plan(spare, "create", {}),
    ]
    return plans, volumes


def _plans_bravo(image_id: str) -> tuple[list[_Plan], dict[str, dict[str, str]]]:
    """Engine bravo: a platform service without healthcheck, a job that finished fine and a
    bare container created from an image id (no tag, no labels)."""
    volumes = {
        "edge_certs": {"com.docker.compose.project": "edge", "com.docker.compose.volume": "certs"}
    }
    proxy = ExpectedContainer(
        name="edge-proxy-1",
        image=IMAGE_LATEST,
        command=("sleep", "3600"),
        status="running",
        exit_code=0,
        health=None,
        restart_policy="always",
        restart_max_retries=0,
        log_driver="json-file",
        log_options={"max-size": "10m", "max-file": "3"},
        labels={
            **_compose_labels("edge", "proxy", "/srv/edge"),
            "homelab.role": "platform",
            "homelab.owner": "carol",
        },
        mounts=(ExpectedMount("volume", "/certs", "edge_certs", read_only=True),),
    )
    backup = ExpectedContainer(
        name="nightly-backup",
        image=IMAGE,
        command=("sh", "-c", "exit 0"),
        status="exited",
        exit_code=0,
        health=None,
        restart_policy="no",
        restart_max_retries=0,
        log_driver="local",
        log_options={},
        labels={"homelab.role": "service", "homelab.owner": "carol"},
        mounts=(),
    )
    scratch = ExpectedContainer(
        name="scratch",
        image=image_id,
        command=("sh",),
        status="created",
        exit_code=0,
        health=None,
        restart_policy="no",
        restart_max_retries=0,
        log_driver="json-file",
        log_options={},
        labels={},
        mounts=(),
    )
    plans = [
        _Plan(proxy, "start", {"mounts": _mount_kwargs(proxy.mounts)}),
        _Plan(backup, "start_and_wait", {}),
        _Plan(scratch, "create", {}),
    ]
    return plans, volumes


def _create(client: docker.DockerClient, plan: _Plan) -> None:
    exp = plan.expected
    restart: dict[str, Any] = {"Name": exp.restart_policy}
    if exp.restart_policy == "on-failure":
        restart["MaximumRetryCount"] = exp.restart_max_retries
    container = client.containers.create(
        exp.image,
        # The image's default CMD is ["sh"]; "scratch" relies on it.
        command=list(exp.command) if exp.command != ("sh",) else None,
        name=exp.name,
        labels=exp.labels,
        # There is no bridge on these engines (--bridge=none), hence no ports either.
        network_mode=exp.network_mode,
        restart_policy=restart,
        log_config=docker.types.LogConfig(type=exp.log_driver, config=exp.log_options),
        **plan.kwargs,
    )
    exp.id = container.id
    if plan.run in ("start", "start_and_wait"):
        container.start()
    if plan.run == "start_and_wait":
        result = container.wait(timeout=30)
        if result.get("StatusCode") != exp.exit_code:
            raise LabStartupError(f"{exp.name} exited with {result}, expected {exp.exit_code}")


def _wait_health(client: docker.DockerClient, plans: list[_Plan], deadline: float) -> None:
    pending = {p.expected.name: p.expected.health for p in plans if p.expected.health}
    while pending:
        for name, wanted in list(pending.items()):
            state = client.api.inspect_container(name)["State"]
            status = (state.get("Health") or {}).get("Status")
            if status == wanted:
                del pending[name]
            elif status not in (None, "starting"):
                raise LabStartupError(f"{name}: health {status!r}, expected {wanted!r}")
        if not pending:
            return
        if time.monotonic() > deadline:
            raise LabStartupError(f"health did not settle in time: {pending}")
        time.sleep(0.1)


def _populate(daemon: _Daemon, rootfs_tar: bytes) -> LiveEngine:
    client = docker.DockerClient(base_url=daemon.unix_url, version="auto", timeout=60)
    with contextlib.closing(client):
        client.api.import_image_from_data(
            rootfs_tar,
            repository=IMAGE_REPO,
            tag="1",
            changes=["ENV PATH=/bin", 'CMD ["sh"]'],
        )
        image = client.images.get(IMAGE)
        image.tag(IMAGE_REPO, "latest")
        image_id: str = image.id
        if daemon.name == "alpha":
            plans, volumes = _plans_alpha(daemon.root)
        else:
            plans, volumes = _plans_bravo(image_id)
        for volume, labels in volumes.items():
            client.volumes.create(name=volume, labels=labels)
        for plan in plans:
            _create(client, plan)
        _wait_health(client, plans, time.monotonic() + HEALTH_SETTLE_TIMEOUT)
        info = client.info()
        version = client.version()
    tls = daemon.tls
    return LiveEngine(
        name=daemon.name,
        unix_url=daemon.unix_url,
        socket_path=daemon.socket_path,
        tcp_url=f"tcp://127.0.0.1:{daemon.tcp_port}" if daemon.tcp_port else None,
        tcp_port=daemon.tcp_port,
        tls_dir=tls.client_dir if tls else None,
        ca_pem=tls.ca if tls else None,
        cert_pem=tls.cert if tls else None,
        key_pem=tls.key if tls else None,
        wrong_ca_pem=tls.wrong_ca if tls else None,
        wrong_cert_pem=tls.wrong_cert if tls else None,
        wrong_key_pem=tls.wrong_key if tls else None,
        engine_id=info["ID"],
        engine_name=info["Name"],
        server_version=version["Version"],
        api_version=version["ApiVersion"],
        daemon_labels=tuple(info.get("Labels") or ()),
        data_root=daemon.root / "data",
        pid=daemon.proc.pid,
        image_id=image_id,
        containers={p.expected.name: p.expected for p in plans},
        volumes=tuple(volumes),
    )


def _register_atexit(close: Callable[[], None]) -> None:
    # Fallback only: the fixtures' finally blocks normally run first and make this a no-op.
    atexit.register(close)


def start_lab(base_dir: str | os.PathLike[str] = "/tmp") -> LiveLab:
    """Start engines alpha (unix) and bravo (unix + TLS on loopback) and populate them.

    ``base_dir`` must be short: the unix socket path has to fit in ``sun_path``. Raises
    :class:`LabStartupError` (after cleaning up) when an engine does not come up.
    """
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="hlc-live-", dir=base_dir))
    procs: list[ManagedProcess] = []
    daemons: list[_Daemon] = []
    try:
        busybox = _first_existing(BUSYBOX_CANDIDATES)
        assert busybox is not None  # checked by missing_prerequisites
        tls = _make_tls(root / "tls")
        # Both daemons boot concurrently; each takes about a second to answer /_ping.
        for name, engine_tls in (("alpha", None), ("bravo", tls)):
            daemon = _start_dockerd(root, name, tls=engine_tls)
            daemons.append(daemon)
            procs.append(daemon.proc)
        rootfs_tar = busybox_rootfs_tar(Path(busybox))
        deadline = time.monotonic() + DAEMON_START_TIMEOUT
        for daemon in daemons:
            _wait_ready(daemon, deadline)
        # Populating mostly waits for health checks: do both engines at once.
        with ThreadPoolExecutor(max_workers=len(daemons)) as pool:
            engines = list(pool.map(lambda d: _populate(d, rootfs_tar), daemons))
    except BaseException:
        _shutdown(root, procs, [d.unix_url for d in daemons])
        raise
    lab = LiveLab(
        root=root,
        engines={e.name: e for e in engines},
        setup_seconds=time.monotonic() - started,
        _procs=procs,
    )
    _register_atexit(lab.close)
    return lab


# --------------------------------------------------------------------------------------------
# sshd
# --------------------------------------------------------------------------------------------


def _ssh_keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


def _ssh_banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            return sock.recv(64).startswith(b"SSH-2.0-")
    except OSError:
        return False


def start_sshd(
    engine: LiveEngine | LivePodman,
    base_dir: str | os.PathLike[str] = "/tmp",
    *,
    docker_cli_path: Path | None = None,
) -> LiveSSH:
    """Run Debian's sshd on 127.0.0.1:<free port>, forwarding ``docker`` to ``engine``.

    Sessions get ``DOCKER_HOST`` (the engine's unix socket) and a private ``DOCKER_CONFIG`` via
    sshd's ``SetEnv``, so docker-py's remote ``docker system dial-stdio`` reaches ``engine``.
    ``docker_cli_path`` replaces Debian's docker CLI as the remote ``docker`` (the Podman tests
    use a podman-docker style shim).
    """
    sshd = _first_existing(SSHD_CANDIDATES)
    docker_cli = str(docker_cli_path) if docker_cli_path else _first_existing(DOCKER_CLI_CANDIDATES)
    assert sshd is not None and docker_cli is not None  # checked by missing_prerequisites
    root = Path(tempfile.mkdtemp(prefix="hlc-ssh-", dir=base_dir))
    proc: ManagedProcess | None = None
    try:
        etc, home, wrapper_dir, docker_config = (
            root / "etc",
            root / "home",
            root / "bin",
            root / "docker-config",
        )
        dot_ssh = home / ".ssh"
        for directory in (etc, dot_ssh, wrapper_dir, docker_config):
            directory.mkdir(parents=True)
        host_key = etc / "ssh_host_ed25519_key"
        identity = dot_ssh / "id_ed25519"
        _ssh_keygen(host_key, "hlc-live-host")
        _ssh_keygen(identity, "hlc-live-client")
        authorized_keys = etc / "authorized_keys"
        authorized_keys.write_text((identity.with_suffix(".pub")).read_text())
        port = _free_port()
        host_pub = host_key.with_suffix(".pub").read_text().split()
        known_hosts = dot_ssh / "known_hosts"
        # Non-default port: both OpenSSH and paramiko look the host up as "[host]:port".
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        config = etc / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {host_key}",
                    f"PidFile {root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized_keys}",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    # No PAM: no session/account modules, no pam_env surprises, no lastlog.
                    "UsePAM no",
                    # The key files live in a mkdtemp dir under /tmp (sticky, world-writable).
                    "StrictModes no",
                    "AllowTcpForwarding no",
                    "X11Forwarding no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "LogLevel ERROR",
                    # What `docker system dial-stdio` on the "remote" side needs; SetEnv beats
                    # anything the client sends and needs no PermitUserEnvironment. PATH puts
                    # the chosen docker CLI first (Debian's, when both exist) so the run does
                    # not depend on whatever else is installed in /usr/local/bin.
                    f"SetEnv DOCKER_HOST={engine.unix_url} DOCKER_CONFIG={docker_config}"
                    f" PATH={Path(docker_cli).parent}:/usr/local/bin:/usr/bin:/bin",
                    "",
                ]
            )
        )
        ssh_config = etc / "ssh_config"
        ssh_config.write_text(
            "\n".join(
                [
                    "Host 127.0.0.1",
                    f"  Port {port}",
                    "  User root",
                    f"  IdentityFile {identity}",
                    "  IdentitiesOnly yes",
                    f"  UserKnownHostsFile {known_hosts}",
                    "  GlobalKnownHostsFile /dev/null",
                    "  StrictHostKeyChecking yes",
                    "  BatchMode yes",
                    "  ConnectTimeout 10",
                    "  LogLevel ERROR",
                    "",
                ]
            )
        )
        # paramiko (through docker-py) reads $HOME/.ssh/config for IdentityFile/User/Port only;
        # known hosts come from $HOME/.ssh/known_hosts.
        (dot_ssh / "config").write_text(f"Host 127.0.0.1\n  User root\n  IdentityFile {identity}\n")
        wrapper = wrapper_dir / "ssh"
        ssh_binary = shutil.which("ssh") or "/usr/bin/ssh"  # resolved before PATH gets the wrapper
        wrapper.write_text(f'#!/bin/sh\nexec {ssh_binary} -F "{ssh_config}" "$@"\n')
        wrapper.chmod(0o755)
        # Debian's sshd refuses to start without its privilege-separation dir (normally made by
        # the systemd unit's RuntimeDirectory). Creating it is harmless and it is left in place.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        proc = ManagedProcess([sshd, "-D", "-e", "-f", str(config)], root / "sshd.log")
        deadline = time.monotonic() + DAEMON_START_TIMEOUT
        while not _ssh_banner(port):
            if not proc.running() or time.monotonic() > deadline:
                raise LabStartupError(f"sshd did not start:\n{proc.log_tail()}")
            time.sleep(0.05)
    except BaseException:
        if proc is not None:
            proc.stop()
        _remove_tree(root)
        raise
    ssh = LiveSSH(
        url=f"ssh://root@127.0.0.1:{port}",
        host="127.0.0.1",
        port=port,
        user="root",
        identity_file=identity,
        known_hosts=known_hosts,
        ssh_config=ssh_config,
        home=home,
        wrapper_dir=wrapper_dir,
        engine=engine,
        docker_cli=Path(docker_cli),
        pid=proc.pid,
        _proc=proc,
        _root=root,
    )
    _register_atexit(ssh.close)
    return ssh


def describe(lab: LiveLab) -> str:
    """A JSON summary of the lab, handy when debugging a failing live test."""
    return json.dumps(
        {
            name: {
                "unix_url": e.unix_url,
                "tcp_url": e.tcp_url,
                "engine_id": e.engine_id,
                "containers": {c.name: c.status for c in e.containers.values()},
            }
            for name, e in lab.engines.items()
        },
        indent=2,
    )
