"""A loopback HTTPS server base for API test servers: TLS, threads, keep-alive, clean shutdown.

``PveServer`` grew these pieces inside its own module; this is the same machinery without the PVE
semantics, so another API server (``PbsServer``) only writes its request handling. What it gives:

- the TLS handshake runs in the connection's own thread, not in the accept loop, so one client
  that connects and stalls (or fails the handshake on purpose) blocks nobody else;
- keep-alive connections are tracked and cut at the TCP level on ``stop()``, so a handler thread
  never answers after the test has moved on;
- ``with``-statement lifecycle, throwaway certificates from ``tests/support/certs.py`` unless
  given, and the CA path as ``str`` (requests only treats ``verify`` as a bundle path when it is
  a ``str``, and that explicit path wins over ``REQUESTS_CA_BUNDLE``).

Subclasses set ``handler_class`` (a ``BaseHTTPRequestHandler`` that finds its owner as
``self.server.owner``) and ``thread_name``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self, cast

from tests.support.certs import ServerCerts, make_server_certs

__all__ = ["TlsHTTPServer", "TlsServerBase"]

# A handshake must not pin a thread forever; an idle keep-alive connection may wait longer than
# any pause a test makes between two requests (pool reuse is the point).
HANDSHAKE_TIMEOUT_S = 10.0


class TlsHTTPServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` that wraps each accepted socket in TLS in the handler thread."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        context: ssl.SSLContext,
        handler: type[BaseHTTPRequestHandler],
        owner: Any,
    ) -> None:
        self.ssl_context = context
        self.handler = handler
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.handshakes = 0
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock = cast(socket.socket, request)
        sock.settimeout(HANDSHAKE_TIMEOUT_S)
        try:
            tls = self.ssl_context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError):
            sock.close()  # a failed handshake is the client's problem (and often the test's point)
            return
        with self.connections_lock:
            self.connections.add(tls)
            self.handshakes += 1
        try:
            self.handler(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # socketserver would print a traceback; servers record their own errors

    def cut_connections(self) -> None:
        """Shut every open connection down at the TCP level (the SSL object is the thread's)."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)


class TlsServerBase:
    """Lifecycle and addresses of one HTTPS test server on ``host`` (default 127.0.0.1)."""

    handler_class: ClassVar[type[BaseHTTPRequestHandler]]
    thread_name: ClassVar[str] = "tls-test-server"

    def __init__(self, *, certs: ServerCerts | None, host: str, port: int) -> None:
        self._host = host
        self._requested_port = port
        self._given_certs = certs
        self._certs: ServerCerts | None = certs
        self._tmpdir: Path | None = None
        self._httpd: TlsHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # set by stop(): wakes hang faults and latency sleeps

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        if self._certs is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="tls-test-server-"))
            self._certs = make_server_certs(self._tmpdir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._certs.cert, self._certs.key)
        self._stopping.clear()
        self._httpd = TlsHTTPServer(
            (self._host, self._requested_port), context, self.handler_class, self
        )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # keeps stop() fast; tests start many servers
            name=f"{self.thread_name}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        httpd.cut_connections()
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

    def _running(self) -> TlsHTTPServer:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running; use start() or `with`")
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
    def certs(self) -> ServerCerts:
        if self._certs is None:
            raise RuntimeError("TLS material is created by start()")
        return self._certs

    @property
    def ca_path(self) -> str:
        """The CA PEM that verifies this server, as ``str`` (see the module docstring)."""
        return str(self.certs.ca)

    @property
    def connection_count(self) -> int:
        """TLS connections accepted so far: with keep-alive, far fewer than requests."""
        return self._running().handshakes
