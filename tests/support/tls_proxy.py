"""A TLS-terminating proxy in front of a unix socket, as users put one in front of Podman.

``podman system service tcp://...`` has no TLS (Podman 4.3; docs/podman-notes.md §4): a
``tcp://`` Podman with TLS is always a proxy (stunnel, nginx, socat) that checks the client's
certificate and relays to the unix socket. :func:`start_tls_proxy` is that proxy on
``127.0.0.1:<free port>``, requiring a client certificate from ``ca``; each accepted connection
is relayed byte for byte to ``socket_path`` by two threads. ``close()`` stops it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TlsProxy", "start_tls_proxy"]


@dataclass
class TlsProxy:
    port: int
    _server: socket.socket = field(repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._server.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _serve(proxy: TlsProxy, context: ssl.SSLContext, socket_path: Path) -> None:
    while not proxy._stop.is_set():
        try:
            raw, _ = proxy._server.accept()
        except OSError:
            return
        try:
            client = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()  # a refused handshake (no or wrong client certificate)
            continue
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(str(socket_path))
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def start_tls_proxy(socket_path: Path, cert: Path, key: Path, ca: Path) -> TlsProxy:
    """Listen with TLS on 127.0.0.1 (``cert``/``key``), require client certificates signed by
    ``ca``, and relay every connection to the unix socket ``socket_path``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(cert), str(key))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    proxy = TlsProxy(server.getsockname()[1], server)
    threading.Thread(target=_serve, args=(proxy, context, socket_path), daemon=True).start()
    return proxy
