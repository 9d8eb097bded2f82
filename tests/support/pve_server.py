"""A Proxmox VE API test server that replays a recording over real HTTPS.

The collector talks to PVE through proxmoxer, which talks through requests/urllib3. Mocking any of
those layers would hide exactly the behaviour we care about (TLS verification, auth headers and
cookies, connection reuse, how errors surface as ``ResourceException``), so tests run the real
client stack against this server instead.

What it serves is a *recording* (see ``fixtures/README.md``): the folder of one PVE source, holding
``<api path>.json`` (the ``data`` member of the answer), ``<api path>@k=v&k2=v2.json`` for query
parameters (sorted by key) and ``<api path>.error.json`` (``{"status": 500, "message": "..."}``).

PVE semantics it reproduces (texts from ``error-shapes-from-pve-source.json``):

- every answer is ``{"data": ...}``; an error carries PVE's message as the HTTP *reason phrase*
  (proxmoxer puts that into ``ResourceException.content``) and the body
  ``{"data": null, "message": "...\\n"}`` (PVE >= 8.4) or ``{"data": null}`` (older,
  ``legacy_error_body=True``);
- ``401 No ticket`` without credentials, ``401 Authentication failed!`` for a wrong token secret
  or an unknown ticket, ``POST /access/ticket`` (``401 authentication failure`` on a wrong
  password), CSRF token required for non-GET requests made with a ticket;
- ``501 Method 'GET /<path>' not implemented`` for a path the recording does not hold and for
  every write (the collector must never write; the request is still logged so tests can see it);
- ``403 Permission check failed (<acl path>, <privilege>)`` for ``forbidden`` globs and
  ``595 No route to host`` for paths under an ``offline_nodes`` node.

Test hooks: a thread-safe request log (method, path, query, auth kind; never a secret), a per
request latency for benchmarks, and *faults* (hang, malformed JSON, an error status, a dropped
connection) matched by path glob, settable at construction and at runtime.

Typical use::

    with PveServer(recording / "pve" / "lab") as server:
        api = ProxmoxAPI(**server.proxmoxer_kwargs())
        api.version.get()
"""

from __future__ import annotations

import contextlib
import fnmatch
import hmac
import json
import re
import secrets
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple, Self, cast, get_args
from urllib.parse import parse_qsl, unquote

from tests.support.certs import ServerCerts, make_server_certs

__all__ = [
    "API_PREFIX",
    "DEFAULT_PASSWORD",
    "DEFAULT_TOKEN_ID",
    "DEFAULT_TOKEN_SECRET",
    "DEFAULT_USER",
    "AuthKind",
    "Fault",
    "FaultKind",
    "LoggedRequest",
    "PveServer",
    "endpoint_template",
    "permission_message",
    "recording_key",
]

API_PREFIX = "/api2/json/"

DEFAULT_USER = "collector@pve"
DEFAULT_PASSWORD = "lab-password-not-a-secret"  # a test credential by design
DEFAULT_TOKEN_ID = "collector@pve!collector"
# PVE token secrets are UUIDs; using the same shape catches code that validates the format.
DEFAULT_TOKEN_SECRET = "5f0c3a52-7d1e-4b8a-9c2f-1e6d3b9a4c70"

AuthKind = Literal["token", "ticket", "none"]
FaultKind = Literal["hang", "malformed", "error", "close"]

_JSON = "application/json;charset=UTF-8"
# A handshake or an idle keep-alive connection must not pin a handler thread forever, but the
# idle limit has to exceed any client's pause between requests in a test (pool reuse is the
# point), so it is generous.
_HANDSHAKE_TIMEOUT_S = 10.0
_IDLE_TIMEOUT_S = 60.0


class LoggedRequest(NamedTuple):
    """One request as the server saw it. Only the *kind* of credential is kept, never its value."""

    method: str
    path: str  # API path without the /api2/json/ prefix and without the query string
    query: dict[str, str]
    auth: AuthKind


@dataclass(eq=False)
class Fault:
    """A misbehaviour injected for requests whose path matches ``glob``.

    ``glob`` is an ``fnmatch`` pattern (``*`` also crosses ``/``) matched against the API path
    (``nodes/pve1/qemu/100/config``) and against the recording key with its query suffix
    (``cluster/resources@type=vm``), so either form can be targeted.

    Kinds:

    - ``hang``: wait ``seconds`` (make it longer than the client timeout), then answer normally
      (the client has usually given up by then, which is the point);
    - ``malformed``: ``200`` with ``body`` (default: truncated JSON) as the payload;
    - ``error``: ``status`` with ``message`` as reason phrase and PVE error body (``errors`` adds
      the 400-style per-parameter map);
    - ``close``: drop the connection without sending anything.

    ``times`` limits how often the fault fires (``None``: until removed), e.g. ``times=1`` to test
    a retry. ``fired`` counts how often it did. Faults apply before authentication, to any method.
    """

    glob: str
    kind: FaultKind
    seconds: float = 30.0
    status: int = 500
    message: str = "injected fault"
    errors: dict[str, str] | None = None
    body: bytes = b'{"data":[{"vmid":100,"name":'
    times: int | None = None
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {get_args(FaultKind)}")

    def matches(self, path: str, key: str) -> bool:
        return fnmatch.fnmatchcase(path, self.glob) or fnmatch.fnmatchcase(key, self.glob)


def recording_key(path: str, query: Iterable[tuple[str, str]]) -> str:
    """The recording file stem for ``path`` with ``query``: ``path@k=v&k2=v2``, keys sorted."""
    pairs = sorted(query)
    if not pairs:
        return path
    return path + "@" + "&".join(f"{k}={v}" for k, v in pairs)


_NUMERIC = re.compile(r"^\d+$")
# (segment that names a collection, placeholder for the segment after it)
_ID_AFTER = {
    "nodes": "{node}",
    "qemu": "{vmid}",
    "lxc": "{vmid}",
    "storage": "{storage}",
    "pools": "{poolid}",
    "tasks": "{upid}",
}


def endpoint_template(path: str, query: Mapping[str, str] | None = None) -> str:
    """Group a concrete request into an endpoint: node names, storages and ids become placeholders.

    ``nodes/pve1/qemu/100/config`` -> ``nodes/{node}/qemu/{vmid}/config``; the query stays as the
    recording suffix (``cluster/resources@type=vm``) because different query values are different
    questions, except numeric values, which are ids.
    """
    parts = path.split("/") if path else []
    out: list[str] = []
    for i, part in enumerate(parts):
        prev = parts[i - 1] if i else ""
        if prev in _ID_AFTER and not (prev == "storage" and i >= 2 and parts[i - 2] == "cluster"):
            out.append(_ID_AFTER[prev])
        elif _NUMERIC.match(part):
            out.append("{id}")
        else:
            out.append(part)
    items = [(k, "{id}" if _NUMERIC.match(v) else v) for k, v in (query or {}).items()]
    return recording_key("/".join(out), items)


_GUEST_PATH = re.compile(r"^nodes/[^/]+/(?:qemu|lxc)/(\d+)(/.*)?$")
_STORAGE_PATH = re.compile(r"^(?:nodes/[^/]+/)?storage/([^/]+)")
_NODE_PATH = re.compile(r"^nodes/([^/]+)")
_POOL_PATH = re.compile(r"^pools(?:/([^/]+))?")


def permission_message(path: str) -> str:
    """A plausible ``403`` reason for ``path``: the ACL path and privilege PVE would check."""
    if m := _GUEST_PATH.match(path):
        # PVE 9 split agent access into its own privilege (PVE 8 used VM.Monitor).
        priv = "VM.GuestAgent.Audit" if (m[2] or "").startswith("/agent") else "VM.Audit"
        acl = f"/vms/{m[1]}"
    elif m := _STORAGE_PATH.match(path):
        acl, priv = f"/storage/{m[1]}", "Datastore.Audit"
    elif m := _NODE_PATH.match(path):
        acl, priv = f"/nodes/{m[1]}", "Sys.Audit"
    elif m := _POOL_PATH.match(path):
        acl, priv = f"/pool/{m[1]}" if m[1] else "/", "Pool.Audit"
    else:
        acl, priv = "/", "Sys.Audit"
    return f"Permission check failed ({acl}, {priv})"


def _reason(message: str) -> str:
    """HTTP reason phrase for ``message``: first line, and only bytes a status line may carry."""
    line = message.strip().split("\n", 1)[0].replace("\r", " ")
    # http.client decodes the status line as ISO-8859-1; anything else would break the client.
    return line.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class _RecordedError:
    status: int
    message: str
    errors: dict[str, Any] | None


class _Recording:
    """Index of a recording folder, with answers rendered once and kept in memory.

    The index (key -> file) is built up front so a request costs one dict lookup; the file is
    read and its JSON validated on first use, so a broken fixture fails loudly instead of being
    replayed as garbage.
    """

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"recording folder {root} does not exist")
        self.root = root
        self._data_files: dict[str, Path] = {}
        self._error_files: dict[str, Path] = {}
        for file in root.rglob("*.json"):
            rel = file.relative_to(root).as_posix()
            if rel.endswith(".error.json"):
                self._error_files[rel[: -len(".error.json")]] = file
            else:
                self._data_files[rel[: -len(".json")]] = file
        both = sorted(self._data_files.keys() & self._error_files.keys())
        if both:
            raise ValueError(f"recording {root} has both .json and .error.json for: {both}")
        self._lock = threading.Lock()
        self._bodies: dict[str, bytes] = {}
        self._errors: dict[str, _RecordedError] = {}

    def body(self, key: str) -> bytes | None:
        """The full ``{"data": ...}`` answer for ``key``, or None if it is not a data file."""
        body = self._bodies.get(key)
        if body is not None:
            return body
        file = self._data_files.get(key)
        if file is None:
            return None
        data = json.loads(file.read_text(encoding="utf-8"))
        body = json.dumps({"data": data}, separators=(",", ":"), ensure_ascii=False).encode()
        with self._lock:
            self._bodies[key] = body
        return body

    def error(self, key: str) -> _RecordedError | None:
        err = self._errors.get(key)
        if err is not None:
            return err
        file = self._error_files.get(key)
        if file is None:
            return None
        raw = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or "status" not in raw or "message" not in raw:
            raise ValueError(f"{file}: an .error.json needs 'status' and 'message'")
        err = _RecordedError(int(raw["status"]), str(raw["message"]), raw.get("errors"))
        with self._lock:
            self._errors[key] = err
        return err


class _Handler(BaseHTTPRequestHandler):
    """One keep-alive connection. All state lives on the PveServer (``self.pve``)."""

    protocol_version = "HTTP/1.1"  # keep-alive, so client connection pools are exercised
    server_version = "pve-api-daemon/3.0"
    sys_version = ""
    disable_nagle_algorithm = True  # small answers on a reused connection must not wait 40 ms
    timeout = _IDLE_TIMEOUT_S

    pve: PveServer

    def setup(self) -> None:
        self.pve = cast(_HTTPServer, self.server).pve
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        # Silent by design: tests and benchmarks must not spray stderr.
        return

    def _any(self) -> None:
        try:
            self.pve._dispatch(self)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            # The client went away (e.g. it timed out during a hang fault): nothing to answer.
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001
            # A bug in the server (or a broken fixture file) must reach the test as a visible
            # 500 plus an entry in handler_errors, not as a silently dropped connection.
            self.pve._record_handler_error(exc)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_pve_error(500, f"test server error: {type(exc).__name__}: {exc}")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # Nothing the collector or proxmoxer sends is chunked; rather than parse it, end the
            # connection so the unread body cannot be mistaken for the next request.
            self.close_connection = True
            return b""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_answer(self, status: int, reason: str, body: bytes, content_type: str = _JSON) -> None:
        # One write for head and body: one TLS record, one syscall, no Nagle interplay.
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            f"Server: {self.server_version}\r\n"
            f"Date: {self.date_time_string()}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: max-age=0\r\n"
            "Pragma: no-cache\r\n"
            f"Connection: {'close' if self.close_connection else 'Keep-Alive'}\r\n"
            "\r\n"
        ).encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def send_pve_error(
        self, status: int, message: str, errors: Mapping[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {"data": None}
        if errors:
            payload["errors"] = dict(errors)
        if not self.pve.legacy_error_body:
            payload["message"] = message if message.endswith("\n") else message + "\n"
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        self.send_answer(status, _reason(message), body)

    def send_data(self, data: Any) -> None:
        self.send_answer(200, "OK", json.dumps({"data": data}, separators=(",", ":")).encode())


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that does the TLS handshake in the connection's own thread.

    Wrapping the listening socket would make ``accept()`` perform the handshake in the single
    accept loop, so one client that connects and stalls (or fails the handshake, as the wrong-CA
    tests do) would block every other client.
    """

    daemon_threads = True
    request_queue_size = 256  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, pve: PveServer) -> None:
        self.ssl_context = context
        self.pve = pve
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.handshakes = 0  # successful TLS handshakes = connections the clients opened
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can take
        # seconds in a sandbox; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock = cast(socket.socket, request)
        sock.settimeout(_HANDSHAKE_TIMEOUT_S)
        try:
            tls = self.ssl_context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError):
            sock.close()  # failed handshake: the client's problem, and the test's subject
            return
        with self.connections_lock:
            self.connections.add(tls)
            self.handshakes += 1
        try:
            _Handler(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback to stderr; handler errors are recorded instead.
        return


class PveServer:
    """Serves one PVE recording over HTTPS on 127.0.0.1 with PVE's auth and error behaviour.

    Use as a context manager or call ``start()``/``stop()``. Settings other than the recording
    and credentials can be changed while it runs (attributes ``latency_s``,
    ``legacy_error_body``, ``offline_reason``; methods ``add_fault``, ``forbid``,
    ``set_node_offline``).
    """

    def __init__(
        self,
        recording_dir: Path | str,
        *,
        tokens: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        latency_s: float = 0.0,
        forbidden: Iterable[str] | Mapping[str, str | None] = (),
        offline_nodes: Iterable[str] = (),
        faults: Iterable[Fault] = (),
        legacy_error_body: bool = False,
        certs: ServerCerts | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.recording = _Recording(Path(recording_dir))
        self._tokens = (
            dict(tokens) if tokens is not None else {DEFAULT_TOKEN_ID: DEFAULT_TOKEN_SECRET}
        )
        self._users = dict(users) if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        for token_id in self._tokens:
            if "!" not in token_id or "@" not in token_id.split("!", 1)[0]:
                raise ValueError(f"token id {token_id!r} must look like user@realm!tokenname")
        self.latency_s = latency_s
        self.legacy_error_body = legacy_error_body
        self.offline_reason = "No route to host"
        # Copy-on-write containers: handler threads read them without a lock, writers swap in
        # a new object under the lock, so a reader always sees a consistent snapshot.
        self._lock = threading.Lock()
        if isinstance(forbidden, Mapping):
            self._forbidden: dict[str, str | None] = dict(forbidden)
        else:
            self._forbidden = dict.fromkeys(forbidden)
        self._offline: frozenset[str] = frozenset(offline_nodes)
        self._faults: tuple[Fault, ...] = tuple(faults)
        self._log: list[LoggedRequest] = []
        self._handler_errors: list[BaseException] = []
        # ticket -> (user, CSRF token). Tickets never expire: tests are shorter than PVE's 2 h.
        self._tickets: dict[str, tuple[str, str]] = {}

        self._host = host
        self._requested_port = port
        self._given_certs = certs
        self._certs: ServerCerts | None = certs
        self._tmpdir: Path | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("PveServer already started")
        if self._certs is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="pve-test-server-"))
            self._certs = make_server_certs(self._tmpdir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._certs.cert, self._certs.key)
        self._stopping.clear()
        self._httpd = _HTTPServer((self._host, self._requested_port), context, self)
        self._thread = threading.Thread(
            # A short poll interval keeps stop() fast; tests start many servers.
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"pve-test-server:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes hang faults and latency sleeps
        httpd.shutdown()
        httpd.server_close()
        # Keep-alive connections live in their own threads and would keep answering after the
        # listener is gone; cut them at the TCP level (not via the SSL object, which belongs to
        # the handler thread).
        with httpd.connections_lock:
            conns = list(httpd.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self._certs = self._given_certs

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and TLS material ------------------------------------------------------------

    def _running(self) -> _HTTPServer:
        if self._httpd is None:
            raise RuntimeError("PveServer is not running; call start() or use it in a with block")
        return self._httpd

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._running().server_port

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>`` (no path)."""
        return f"https://{self._host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``https://127.0.0.1:<port>/api2/json``, the base URL proxmoxer builds."""
        return self.url + API_PREFIX.rstrip("/")

    @property
    def certs(self) -> ServerCerts:
        if self._certs is None:
            raise RuntimeError("TLS material is created by start()")
        return self._certs

    @property
    def ca_path(self) -> str:
        """The CA PEM that verifies this server, as ``str``.

        A ``str`` on purpose: requests only treats ``verify`` as a CA bundle path when it is a
        ``str`` (a ``Path`` skips that branch in its pool set-up).
        """
        return str(self.certs.ca)

    @property
    def cert_path(self) -> str:
        return str(self.certs.cert)

    @property
    def key_path(self) -> str:
        return str(self.certs.key)

    def proxmoxer_kwargs(
        self, auth: Literal["token", "password"] = "token", *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Keyword arguments for ``ProxmoxAPI`` using the first configured token or user."""
        common: dict[str, Any] = {
            "host": self._host,
            "port": self.port,
            "verify_ssl": self.ca_path,
            "timeout": timeout,
        }
        if auth == "token":
            token_id, secret = next(iter(self._tokens.items()))
            user, name = token_id.split("!", 1)
            return {**common, "user": user, "token_name": name, "token_value": secret}
        user, password = next(iter(self._users.items()))
        return {**common, "user": user, "password": password}

    @property
    def connection_count(self) -> int:
        """TLS connections accepted so far: with keep-alive, far fewer than requests."""
        return self._running().handshakes

    # -- runtime configuration -----------------------------------------------------------------

    @property
    def faults(self) -> tuple[Fault, ...]:
        return self._faults

    def add_fault(
        self,
        glob: str,
        kind: FaultKind,
        *,
        seconds: float = 30.0,
        status: int = 500,
        message: str = "injected fault",
        errors: dict[str, str] | None = None,
        body: bytes | None = None,
        times: int | None = None,
    ) -> Fault:
        """Add a fault (see ``Fault``) and return it, e.g. to ``remove_fault`` or read ``fired``."""
        fault = Fault(glob, kind, seconds, status, message, errors, times=times)
        if body is not None:
            fault.body = body
        with self._lock:
            self._faults = (*self._faults, fault)
        return fault

    def remove_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults = tuple(f for f in self._faults if f is not fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = ()

    def forbid(self, glob: str, message: str | None = None) -> None:
        """Answer 403 for paths matching ``glob`` (default message: ``permission_message``)."""
        with self._lock:
            self._forbidden = {**self._forbidden, glob: message}

    def allow(self, glob: str) -> None:
        with self._lock:
            self._forbidden = {g: m for g, m in self._forbidden.items() if g != glob}

    def set_node_offline(self, node: str, offline: bool = True) -> None:
        with self._lock:
            self._offline = self._offline | {node} if offline else self._offline - {node}

    @property
    def offline_nodes(self) -> frozenset[str]:
        return self._offline

    # -- request log ---------------------------------------------------------------------------

    @property
    def request_log(self) -> list[LoggedRequest]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    def requests_by_endpoint(self, method: str | None = "GET") -> Counter[str]:
        """Request counts per endpoint template (see ``endpoint_template``).

        Only ``method`` requests are counted (``None``: all methods).
        """
        return Counter(
            endpoint_template(r.path, r.query)
            for r in self.request_log
            if method is None or r.method == method
        )

    @property
    def handler_errors(self) -> list[BaseException]:
        """Exceptions raised by the server's own code (each also answered with a 500)."""
        with self._lock:
            return list(self._handler_errors)

    def _record_handler_error(self, exc: BaseException) -> None:
        with self._lock:
            self._handler_errors.append(exc)

    # -- request handling ----------------------------------------------------------------------

    def _dispatch(self, h: _Handler) -> None:
        method = h.command
        raw_path, _, raw_query = h.path.partition("?")
        body = h.read_body() if method not in ("GET", "HEAD") else b""
        query_pairs = parse_qsl(raw_query, keep_blank_values=True)
        query = dict(query_pairs)
        in_api = raw_path.startswith(API_PREFIX) or raw_path == API_PREFIX.rstrip("/")
        path = unquote(raw_path[len(API_PREFIX) :].strip("/")) if in_api else raw_path
        auth_kind, credential = self._credential(h)
        with self._lock:
            self._log.append(LoggedRequest(method, path, query, auth_kind))

        if self.latency_s > 0:
            self._stopping.wait(self.latency_s)

        key = recording_key(path, query_pairs)
        if self._faults and self._apply_fault(h, path, key):
            return

        if not in_api:
            h.send_answer(404, "Not Found", b"")
            return
        if path == "access/ticket" and method == "POST":
            self._ticket(h, body)
            return

        # Authentication: PVE checks it before it even looks the method up.
        if auth_kind == "none":
            h.send_pve_error(401, "No ticket")
            return
        user_csrf = self._verify(auth_kind, credential)
        if user_csrf is None:
            h.send_pve_error(401, "Authentication failed!")
            return
        if method != "GET":
            if auth_kind == "ticket" and not hmac.compare_digest(
                h.headers.get("CSRFPreventionToken", ""), user_csrf[1]
            ):
                h.send_pve_error(401, "Permission denied - invalid csrf token")
                return
            # Logged above; the collector is read-only, and tests assert it never gets here.
            h.send_pve_error(501, f"Method '{method} /{path}' not implemented")
            return

        # pveproxy forwards node-local calls to the node before the handler (and its
        # permission check) runs there, so an unreachable node wins over a missing privilege.
        if path.startswith("nodes/"):
            node = path.split("/", 2)[1]
            if node in self._offline:
                h.send_pve_error(595, self.offline_reason)
                return
        for glob, message in self._forbidden.items():
            if fnmatch.fnmatchcase(path, glob) or fnmatch.fnmatchcase(key, glob):
                h.send_pve_error(403, message or permission_message(path))
                return

        answer = self.recording.body(key)
        if answer is not None:
            h.send_answer(200, "OK", answer)
            return
        err = self.recording.error(key)
        if err is not None:
            h.send_pve_error(err.status, err.message, err.errors)
            return
        h.send_pve_error(501, f"Method '{method} /{path}' not implemented")

    def _apply_fault(self, h: _Handler, path: str, key: str) -> bool:
        """Apply the first matching fault; True if the request has been dealt with."""
        with self._lock:
            fault = next((f for f in self._faults if f.matches(path, key)), None)
            if fault is None:
                return False
            fault.fired += 1
            if fault.times is not None and fault.fired >= fault.times:
                self._faults = tuple(f for f in self._faults if f is not fault)
        if fault.kind == "hang":
            self._stopping.wait(fault.seconds)
            return False  # then answer normally, as a slow PVE eventually would
        if fault.kind == "malformed":
            h.send_answer(200, "OK", fault.body)
        elif fault.kind == "error":
            h.send_pve_error(fault.status, fault.message, fault.errors)
        else:  # close
            h.close_connection = True
        return True

    @staticmethod
    def _credential(h: _Handler) -> tuple[AuthKind, str]:
        """Which kind of credential the request carries, and its raw value (never logged)."""
        header = h.headers.get("Authorization", "")
        if header.startswith("PVEAPIToken"):
            # PVE accepts "PVEAPIToken=user@realm!id=secret" (proxmoxer) and a space variant.
            return "token", header[len("PVEAPIToken") :].lstrip("= ")
        for cookie in h.headers.get("Cookie", "").split(";"):
            name, _, value = cookie.strip().partition("=")
            if name == "PVEAuthCookie":
                # The web UI URL-encodes the ticket; pveproxy decodes it.
                return "ticket", unquote(value.strip('"'))
        return "none", ""

    def _verify(self, kind: AuthKind, credential: str) -> tuple[str, str] | None:
        """(user, CSRF token) for a valid credential, else None."""
        if kind == "token":
            token_id, _, secret = credential.partition("=")
            expected = self._tokens.get(token_id)
            if expected is not None and hmac.compare_digest(secret, expected):
                return token_id.split("!", 1)[0], ""
            return None
        if kind == "ticket":
            return self._tickets.get(credential)
        return None

    def _ticket(self, h: _Handler, body: bytes) -> None:
        """``POST /access/ticket``: a new ticket for a right password or a still-valid ticket."""
        form: dict[str, Any]
        if h.headers.get("Content-Type", "").startswith("application/json"):
            form = json.loads(body or b"{}")
        else:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        missing = {
            k: "property is missing and it is not optional"
            for k in ("username", "password")
            if not form.get(k)
        }
        if missing:
            h.send_pve_error(400, "Parameter verification failed.", missing)
            return
        username, password = str(form["username"]), str(form["password"])
        if form.get("realm") and "@" not in username:
            username = f"{username}@{form['realm']}"
        expected = self._users.get(username)
        ok = expected is not None and hmac.compare_digest(password, expected)
        # proxmoxer renews a ticket by posting it as the password, as PVE allows.
        renewed = self._tickets.get(password)
        if not ok and not (renewed is not None and renewed[0] == username):
            h.send_pve_error(401, "authentication failure")
            return
        stamp = f"{int(time.time()):08X}"
        ticket = f"PVE:{username}:{stamp}::{secrets.token_hex(32)}"
        csrf = f"{stamp}:{secrets.token_hex(16)}"
        with self._lock:
            self._tickets = {**self._tickets, ticket: (username, csrf)}
        h.send_data({"username": username, "ticket": ticket, "CSRFPreventionToken": csrf})
