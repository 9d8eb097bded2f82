"""Serve a recording's PVE clusters (HTTPS) and Docker engines (unix sockets) in this process.

Run by ``bench/run.py`` as a separate process, so that the collector's CPU time and peak RSS
(measured with ``wait4`` on the collector's own process) never include the servers' work.

Protocol on stdin/stdout, one JSON object per line:

- on start it prints ``{"pve": {name: {"port": p, "ca": path}}, "docker": {name: url}}``;
- ``stats`` prints ``{"pve": {name: {"by_endpoint": {...}, "methods": {...}, "auth": {...},
  "connections": n}}, "docker": {name: {"by_endpoint": {...}, "connections": n}},
  "span_s": seconds from the first request's arrival to the last answer}``;
- ``reset`` clears the request logs (prints ``{}``);
- end of input stops every server and exits.

Only loopback addresses and private unix sockets are used.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.docker_server import DockerServer
from tests.support.pve_server import PveServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("recording", type=Path)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--docker-latency-ms", type=float, default=None)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    docker_latency = latency if args.docker_latency_ms is None else args.docker_latency_ms / 1000
    with ExitStack() as stack:
        pve: dict[str, PveServer] = {}
        docker: dict[str, DockerServer] = {}
        span = _Span()
        for folder in sorted((args.recording / "pve").glob("*")):
            server = stack.enter_context(PveServer(folder, latency_s=latency))
            server._dispatch = span.timed(server._dispatch)  # type: ignore[method-assign]
            pve[folder.name] = server
        for folder in sorted((args.recording / "docker").glob("*")):
            engine = stack.enter_context(DockerServer(folder, latency_s=docker_latency))
            engine.dispatch = span.timed(engine.dispatch)  # type: ignore[method-assign]
            docker[folder.name] = engine
        _say(
            {
                "pve": {n: {"port": s.port, "ca": s.ca_path} for n, s in pve.items()},
                "docker": {n: s.url for n, s in docker.items()},
            }
        )
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                _say(
                    {
                        "pve": {
                            n: {
                                "by_endpoint": dict(s.requests_by_endpoint(method=None)),
                                "methods": dict(Counter(r.method for r in s.request_log)),
                                "auth": dict(Counter(r.auth for r in s.request_log)),
                                "connections": s.connection_count,
                            }
                            for n, s in pve.items()
                        },
                        "docker": {
                            n: {
                                "by_endpoint": dict(s.requests_by_endpoint()),
                                "connections": s.connection_count,
                            }
                            for n, s in docker.items()
                        },
                        "span_s": span.seconds(),
                    }
                )
            elif command == "reset":
                for server in pve.values():
                    server.clear_request_log()
                for d in docker.values():
                    d.clear_request_log()
                span.reset()
                _say({})


class _Span:
    """From the first request's arrival to the last answer, over every server: the time the
    collector spent reading its sources, as the sources saw it (start-up, rules and rendering
    happen outside it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._first: float | None = None
            self._last: float | None = None

    def timed(self, handle: Callable[[Any], None]) -> Callable[[Any], None]:
        def wrapper(request: Any) -> None:
            started = time.monotonic()
            try:
                handle(request)
            finally:
                ended = time.monotonic()
                with self._lock:
                    self._first = started if self._first is None else min(self._first, started)
                    self._last = ended if self._last is None else max(self._last, ended)

        return wrapper

    def seconds(self) -> float:
        with self._lock:
            if self._first is None or self._last is None:
                return 0.0
            return self._last - self._first


def _say(data: object) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
