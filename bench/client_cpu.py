"""CPU per request of the PVE client alone: proxmoxer's own ``get`` against the collector's client.

Both clients fetch the same guest configs from the HTTPS test server (a separate process, so
its CPU is not counted), first one at a time, then from 16 threads with the injected latency,
as a collection does. Also measured: the docker SDK per container inspect. Printed as one JSON
line for ``bench/run.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxmoxer import ProxmoxAPI

from adapters.docker.client import DockerClient
from adapters.proxmox.client import open_client
from bench.run import Servers
from collector.config import DockerConfig, ProxmoxConfig
from tests.support.pve_server import DEFAULT_TOKEN_SECRET

REQUESTS = 600


def _cpu_per_call(call: Callable[[str], Any], items: list[str], threads: int) -> float:
    """Client CPU in ms per call (this process only: the server runs in another one)."""
    call(items[0])  # connect and warm up outside the measurement
    started = time.process_time()
    if threads == 1:
        for item in items:
            call(item)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(call, items))
    return (time.process_time() - started) / len(items) * 1000


def measure(recording: Path, latency_ms: float) -> dict[str, float]:
    results: dict[str, float] = {}
    for latency in (0.0, latency_ms):
        servers = Servers(recording, latency)
        try:
            pve = servers.endpoints["pve"]["lab"]
            cfg = ProxmoxConfig(
                name="lab",
                host="127.0.0.1",
                port=pve["port"],
                user="collector@pve",
                token_name="collector",
                token_secret_env="UNUSED",
                ca_bundle=pve["ca"],
            )
            client, _ = open_client(cfg, DEFAULT_TOKEN_SECRET)
            proxmoxer = ProxmoxAPI(
                host="127.0.0.1",
                port=pve["port"],
                user="collector@pve",
                token_name="collector",
                token_value=DEFAULT_TOKEN_SECRET,
                verify_ssl=pve["ca"],
            )
            guests = client.get("cluster/resources", type="vm")
            paths = [f"nodes/{g['node']}/{g['type']}/{g['vmid']}/config" for g in guests]
            paths = (paths * (REQUESTS // len(paths) + 1))[:REQUESTS]
            threads = 1 if latency == 0 else 16
            tag = "sequential" if threads == 1 else f"16 threads, {latency:g} ms latency"
            results[f"PVE config GET, proxmoxer's own get, {tag}"] = _cpu_per_call(
                proxmoxer.get, paths, threads
            )
            results[f"PVE config GET, the collector's client, {tag}"] = _cpu_per_call(
                client.get, paths, threads
            )
            engine, url = next(iter(servers.endpoints["docker"].items()))
            docker = DockerClient(DockerConfig(name=engine, url=url))
            docker.version()
            ids = [c["Id"] for c in docker.containers(all=True)]
            ids = (ids * (REQUESTS // len(ids) + 1))[:REQUESTS]
            threads = 1 if latency == 0 else 8
            tag = "sequential" if threads == 1 else f"8 threads, {latency:g} ms latency"
            results[f"Docker container inspect, docker SDK, {tag}"] = _cpu_per_call(
                docker.inspect_container, ids, threads
            )
        finally:
            servers.close()
    return results


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), float(sys.argv[2]))))
