"""``DockerServer`` on ``tcp://127.0.0.1:<port>``, plain or with TLS, for the transport rows.

The unix-socket ``DockerServer`` (tests/support/docker_server.py) answers exactly as dockerd; this
puts the same answering code behind a loopback TCP listener so the docker SDK's ``tcp://`` paths
run for real: TLS verification against ``tls_ca`` (and a CA that signed something else), and the
plain ``http`` the SDK uses for ``tcp://`` without TLS. The TLS handshake happens in the
connection's own thread, so a client that fails it cannot stall the accept loop.
"""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from tests.support import docker_server
from tests.support.certs import ServerCerts
from tests.support.docker_server import DockerServer


class _TcpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, docker: DockerServer, context: ssl.SSLContext | None) -> None:
        self.docker = docker
        self.connections = 0
        self._context = context
        super().__init__(("127.0.0.1", 0), docker_server._Handler)

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS lookup of the address
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock: socket.socket = request
        if self._context is not None:
            sock.settimeout(10)
            try:
                sock = self._context.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                return  # a refused handshake is the client's problem and the test's subject
        self.connections += 1
        super().finish_request(sock, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class TcpDockerServer(DockerServer):
    """Serves an engine recording on ``tcp://127.0.0.1:<port>``; TLS when ``certs`` is given."""

    def __init__(self, recording_dir: Path | str, certs: ServerCerts | None = None) -> None:
        super().__init__(recording_dir)
        self._certs = certs

    def start(self) -> Self:
        context = None
        if self._certs is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self._certs.cert, self._certs.key)
        self._server = _TcpServer(self, context)  # type: ignore[assignment]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"tcp://127.0.0.1:{self._server.server_address[1]}"
