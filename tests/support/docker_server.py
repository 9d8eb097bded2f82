"""A Docker Engine API test server that replays a recording over a local unix socket.

The benchmark and the Docker request-budget test need engines that answer fast, repeatably and in
any number, through the *real* docker SDK (requests + its unix-socket adapter, API version
negotiation, keep-alive pool). Real ``dockerd`` processes (``tests/support/dockerd.py``) need root
and take seconds to start each; this server needs neither and serves hundreds of containers.

What it serves is the ``docker/<engine>/`` folder of a recording (see ``fixtures/README.md``):

- ``GET /version`` and ``GET /v<api>/version`` -> ``version.json``
- ``GET /v<api>/info`` -> ``info.json``
- ``GET /v<api>/containers/json`` -> ``containers.json`` (the recording holds ``all=1``)
- ``GET /v<api>/containers/<id>/json`` -> ``containers/<id>.json``
- ``GET /v<api>/images/<id>/json`` -> ``images/<id, ':' as '-'>.json`` (``ReplayDockerClient``'s)
- ``<name>.error.json`` (``{"status": 500, "message": "..."}``) answers with that error; anything
  else is ``404 {"message": "page not found"}``, as dockerd answers an unknown path. Every
  method other than GET is refused with ``405`` (and logged: the collector must never write).

Test hooks: a thread-safe request log, ``requests_by_endpoint()`` with ids replaced by
placeholders, a per-request ``latency_s`` and ``connection_count``. Typical use::

    with DockerServer(recording / "docker" / "apps") as server:
        client = docker.APIClient(base_url=server.url)
"""

from __future__ import annotations

import json
import re
import shutil
import socketserver
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self, cast
from urllib.parse import parse_qsl, unquote

__all__ = ["DockerRequest", "DockerServer", "docker_endpoint"]

_VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")
_JSON = "application/json"


class DockerRequest(NamedTuple):
    method: str
    path: str  # without the /v1.xx prefix and the query string, e.g. /containers/<id>/json
    query: dict[str, str]


def docker_endpoint(path: str) -> str:
    """Group a request path: ``/containers/<id>/json`` -> ``containers/{id}/json``."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] in ("containers", "images") and parts[2] == "json":
        return f"{parts[0]}/{{id}}/json"
    return "/".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK's connection pool is exercised
    server_version = "Docker/28.2.2"
    sys_version = ""
    timeout = 60.0

    def log_message(self, format: str, *args: Any) -> None:
        return  # silent: tests and benchmarks must not spray stderr

    def address_string(self) -> str:
        return "unix"  # a unix socket peer has no (host, port)

    def _any(self) -> None:
        cast(_UnixServer, self.server).docker.dispatch(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

    def send(self, status: int, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Server: {self.server_version}\r\n"
            "Api-Version: 1.50\r\n"
            f"Content-Type: {_JSON}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n"
        ).encode("latin-1")
        self.wfile.write(head + body)


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, path: str, docker: DockerServer) -> None:
        self.docker = docker
        self.connections = 0
        super().__init__(path, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self.connections += 1  # one thread per accepted connection; += under the GIL is enough
        super().process_request_thread(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that went away is not the test's subject


class DockerServer:
    """Serves one engine's recording on ``unix://<tmp>/docker.sock`` until ``stop()``."""

    def __init__(self, recording_dir: Path | str, *, latency_s: float = 0.0) -> None:
        self.root = Path(recording_dir)
        if not (self.root / "version.json").is_file():
            raise FileNotFoundError(f"{self.root} is not a Docker recording (no version.json)")
        self.latency_s = latency_s
        self._lock = threading.Lock()
        self._log: list[DockerRequest] = []
        self._bodies: dict[str, tuple[int, bytes]] = {}
        self._tmpdir: Path | None = None
        self._server: _UnixServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> Self:
        self._tmpdir = Path(tempfile.mkdtemp(prefix="docker-test-server-"))
        self._server = _UnixServer(str(self._tmpdir / "docker.sock"), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="docker-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def socket_path(self) -> str:
        if self._tmpdir is None:
            raise RuntimeError("DockerServer is not running")
        return str(self._tmpdir / "docker.sock")

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def connection_count(self) -> int:
        return self._server.connections if self._server is not None else 0

    @property
    def request_log(self) -> list[DockerRequest]:
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    def requests_by_endpoint(self) -> Counter[str]:
        return Counter(docker_endpoint(r.path) for r in self.request_log if r.method == "GET")

    # -- answering -----------------------------------------------------------------------------

    def _answer(self, name: str) -> tuple[int, bytes]:
        """(status, body) for a recording file stem, cached after the first read."""
        cached = self._bodies.get(name)
        if cached is not None:
            return cached
        file = self.root / f"{name}.json"
        error = self.root / f"{name}.error.json"
        if file.is_file():
            answer = (200, file.read_bytes())
        elif error.is_file():
            raw = json.loads(error.read_text(encoding="utf-8"))
            message = {"message": str(raw.get("message", ""))}
            answer = (int(raw.get("status", 500)), json.dumps(message).encode())
        else:
            answer = (404, b'{"message":"page not found"}')
        with self._lock:
            self._bodies[name] = answer
        return answer

    def dispatch(self, h: _Handler) -> None:
        raw_path, _, raw_query = h.path.partition("?")
        match = _VERSIONED.match(raw_path)
        path = unquote(match[1] if match else raw_path)
        with self._lock:
            self._log.append(DockerRequest(h.command, path, dict(parse_qsl(raw_query))))
        if self.latency_s > 0:
            self._stopping.wait(self.latency_s)
        if h.command != "GET":
            h.send(405, b'{"message":"the collector must never write"}')
            return
        parts = path.strip("/").split("/")
        name: str | None = None
        if path in ("/version", "/info"):
            name = path[1:]
        elif path == "/containers/json":
            name = "containers"
        elif len(parts) == 3 and parts[0] == "containers" and parts[2] == "json":
            name = f"containers/{parts[1]}"
        elif len(parts) == 3 and parts[0] == "images" and parts[2] == "json":
            name = f"images/{parts[1].replace(':', '-')}"
        if name is None or ".." in name:
            h.send(404, b'{"message":"page not found"}')
            return
        status, body = self._answer(name)
        h.send(status, body)
