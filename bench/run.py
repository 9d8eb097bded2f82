"""Benchmark ``collect report`` against synthetic labs of several sizes, and print the figures.

    python bench/run.py [--sizes homelab,small,medium,large,engines] [--latency-ms 20]
                        [--repeat 3] [--concurrency N] [--cpu-only]

For each size it writes a synthetic lab (``bench/lab.py``) as a recording in a temp dir, serves
its PVE cluster over HTTPS (``tests/support/pve_server.py``, with the injected per-request
latency) and its Docker engines over unix sockets (``tests/support/docker_server.py``, same
latency) from a *separate process* (``bench/serve.py``), then runs the real CLI,
``collect report -f json``, as a subprocess and reads its own resource usage with ``wait4``:
the collector's CPU time and peak RSS never include the servers'. Requests are counted by the
servers, per endpoint, and checked against the budget formula.

``--cpu-only`` times normalising + correlating + rules on 10,000 guests and 20,000 containers
answered from memory (``bench/cpu_only.py``), with no network at all.

Everything binds to 127.0.0.1 or private unix sockets, and every child is stopped by the time
the script exits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lab import CLUSTER, SIZES, Budget, Size, plan_lab  # noqa: E402
from collector.config import DockerConfig, ProxmoxConfig  # noqa: E402
from tests.support.pve_server import DEFAULT_TOKEN_SECRET  # noqa: E402

SECRET_ENV = "BENCH_PVE_TOKEN_SECRET"
RUN_TIMEOUT_S = 300.0
# The CLI exactly as the ``collect`` console script starts it.
CLI = [sys.executable, "-c", "from collector.cli import app; app(prog_name='collect')"]


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rss_mb: float
    exit_code: int
    pve: dict[str, int]  # endpoint template -> requests
    pve_connections: int
    pve_auth: dict[str, int]
    pve_methods: dict[str, int]
    docker: int
    docker_connections: int
    complete: bool
    span_s: float
    server_cpu_s: float = 0.0


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, Any]:
    """``wait4`` the child: its exit status and its own rusage (not other children's)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"collect report did not finish within {timeout:.0f} s")
        time.sleep(0.002)


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak RSS MB, exit code, stderr) of one ``collect`` process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=err)
        code, usage = _wait(proc, RUN_TIMEOUT_S)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, stderr


class Servers:
    """The ``bench/serve.py`` process for one recording."""

    def __init__(self, recording: Path, latency_ms: float) -> None:
        script = str(ROOT / "bench" / "serve.py")
        self.proc = subprocess.Popen(
            [sys.executable, script, str(recording), "--latency-ms", str(latency_ms)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.endpoints = self._read()

    def _read(self) -> Any:
        out: IO[str] | None = self.proc.stdout
        assert out is not None
        line = out.readline()
        if not line:
            raise RuntimeError("bench/serve.py exited before answering")
        return json.loads(line)

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def cpu_s(self) -> float:
        """CPU the servers have used so far (they share the machine with the collector)."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text(encoding="ascii")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def write_config(path: Path, endpoints: Any, concurrency: int | None = None) -> None:
    """The config for the served lab; ``concurrency`` None keeps the default of ``[[proxmox]]``."""
    lines: list[str] = []
    for name, pve in endpoints["pve"].items():
        lines += [
            "[[proxmox]]",
            f'name = "{name}"',
            'host = "127.0.0.1"',
            f"port = {pve['port']}",
            'user = "collector@pve"',
            'token_name = "collector"',
            f'token_secret_env = "{SECRET_ENV}"',
            f'ca_bundle = "{pve["ca"]}"',
            *([f"concurrency = {concurrency}"] if concurrency is not None else []),
            "",
        ]
    for name, url in endpoints["docker"].items():
        lines += ["[[docker]]", f'name = "{name}"', f'url = "{url}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _report_args(config: Path, out: Path) -> list[str]:
    args = ["report", "-c", str(config), "-f", "json", "-o", str(out)]
    # --no-history belongs to the history feature; pass it only where the CLI has it.
    help_text = subprocess.run(
        [*CLI, "report", "--help"], capture_output=True, text=True, check=False
    ).stdout
    if "--no-history" in help_text:
        args.append("--no-history")
    return args


def measure(
    size: Size, latency_ms: float, repeat: int, env: dict[str, str], concurrency: int | None
) -> tuple[Run, Budget]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{size.name}-") as tmp:
        lab = plan_lab(size, Path(tmp) / "recording")
        recording = lab.write()
        servers = Servers(recording, latency_ms)
        try:
            config = Path(tmp) / "config.toml"
            write_config(config, servers.endpoints, concurrency)
            out = Path(tmp) / "report.json"
            args = _report_args(config, out)
            runs = []
            for _ in range(repeat):
                before = servers.ask("stats")
                servers.ask("reset")
                server_cpu = servers.cpu_s()
                wall, cpu, rss, code, stderr = run_cli(args, env)
                server_cpu = servers.cpu_s() - server_cpu
                if code not in (0, 1):  # 1 = findings, expected in a synthetic lab
                    raise RuntimeError(f"collect report exited {code}:\n{stderr}")
                after = servers.ask("stats")
                report = json.loads(out.read_text(encoding="utf-8"))
                run = _run(wall, cpu, rss, code, before, after, report)
                runs.append(replace(run, server_cpu_s=server_cpu))
        finally:
            servers.close()
    runs.sort(key=lambda r: r.wall_s)
    return runs[len(runs) // 2], lab.budget


def _run(
    wall: float, cpu: float, rss: float, code: int, before: Any, after: Any, report: Any
) -> Run:
    pve = after["pve"].get(CLUSTER, {})
    pve_before = before["pve"].get(CLUSTER, {})
    docker = after["docker"].values()
    docker_before = before["docker"]
    return Run(
        wall_s=wall,
        cpu_s=cpu,
        rss_mb=rss,
        exit_code=code,
        pve=dict(pve.get("by_endpoint", {})),
        pve_connections=pve.get("connections", 0) - pve_before.get("connections", 0),
        pve_auth=dict(pve.get("auth", {})),
        pve_methods=dict(pve.get("methods", {})),
        docker=sum(sum(d["by_endpoint"].values()) for d in docker),
        docker_connections=sum(d["connections"] for d in docker)
        - sum(d["connections"] for d in docker_before.values()),
        complete=all(s["complete"] for s in report["sources"]),
        span_s=float(after.get("span_s", 0.0)),
    )


def startup(env: dict[str, str], repeat: int) -> tuple[float, float]:
    """Wall and CPU of ``collect report`` with no sources: imports, config, render, exit."""
    with tempfile.TemporaryDirectory(prefix="bench-empty-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text("", encoding="utf-8")
        out = Path(tmp) / "report.json"
        samples = [run_cli(_report_args(config, out), env)[:2] for _ in range(repeat)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def print_tables(
    results: list[tuple[Size, Run, Budget]],
    base: tuple[float, float],
    latency_ms: float,
    concurrency: int | None,
) -> None:
    pve, docker = ProxmoxConfig("x", "x", "x@pve"), DockerConfig("x", "unix:///x")
    defaults = f"{pve.concurrency} / {docker.concurrency}"
    workers = f"concurrency {concurrency}" if concurrency else f"default concurrency ({defaults})"
    print(f"\nInjected latency: {latency_ms:g} ms per request (PVE and Docker); {workers}.")
    print(f"Start-up (collect report, no sources): {base[0]:.2f} s wall, {base[1]:.2f} s CPU.\n")
    print(
        "| size | lab | PVE requests (budget) | Docker requests (budget) | wall s "
        "| collecting s | CPU s | CPU/request ms | peak RSS MB | PVE conns | server CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size, run, budget in results:
        pve_total = sum(run.pve.values())
        total = pve_total + run.docker
        per_request = (run.cpu_s - base[1]) / total * 1000 if total else 0.0
        print(
            f"| {size.name} | {size.describe()} | {pve_total} ({budget.pve}) "
            f"| {run.docker} ({budget.docker}) | {run.wall_s:.2f} | {run.span_s:.2f} "
            f"| {run.cpu_s:.2f} | {per_request:.2f} | {run.rss_mb:.0f} | {run.pve_connections} "
            f"| {run.server_cpu_s:.2f} |"
        )
    print(
        "\nwall: the whole `collect report` process. collecting: first request to last answer, as"
        "\nthe servers saw it (no start-up, rules or rendering). CPU/request: (CPU - start-up"
        "\nCPU) / all requests, i.e. the collector's work per round trip including normalising,"
        "\nrules and rendering (noisy for small labs). server CPU: the test servers' process,"
        "\nwhich shares the machine's two cores with the collector.\n"
    )
    endpoints = sorted({e for _, run, _ in results for e in run.pve})
    names = [size.name for size, _, _ in results]
    print("| PVE endpoint | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for endpoint in endpoints:
        counts = " | ".join(str(run.pve.get(endpoint, 0)) for _, run, _ in results)
        print(f"| `{endpoint}` | {counts} |")
    for size, run, budget in results:
        problems = []
        if sum(run.pve.values()) > budget.pve:
            problems.append(f"PVE requests {sum(run.pve.values())} > budget {budget.pve}")
        if run.docker > budget.docker:
            problems.append(f"Docker requests {run.docker} > budget {budget.docker}")
        if set(run.pve_methods) - {"GET"}:
            problems.append(f"non-GET requests: {run.pve_methods}")
        if not run.complete:
            problems.append("a source was incomplete")
        if problems:
            print(f"\n{size.name}: " + "; ".join(problems))


def client_cpu(env: dict[str, str], latency_ms: float) -> None:
    """Print ``bench/client_cpu.py``'s CPU per request (its own process, servers in another)."""
    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        recording = plan_lab(SIZES["homelab"], Path(tmp) / "recording").write()
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "client_cpu.py"),
                str(recording),
                str(latency_ms),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench/client_cpu.py failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print("\n| client alone (600 requests) | CPU per request ms |")
    print("|---|---|")
    for label, ms in figures.items():
        print(f"| {label} | {ms:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default="homelab,small,medium,large,engines",
        help=f"comma-separated sizes out of: {', '.join(SIZES)}",
    )
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the median is shown")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="[[proxmox]] concurrency for the runs (default: the collector's default, 16)",
    )
    parser.add_argument("--cpu-only", action="store_true", help="only the in-memory CPU benchmark")
    args = parser.parse_args()
    env = {**os.environ, SECRET_ENV: DEFAULT_TOKEN_SECRET, "PYTHONPATH": str(ROOT)}
    if args.cpu_only:
        return cpu_only(env, args.repeat)
    unknown = [s for s in args.sizes.split(",") if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    base = startup(env, args.repeat)
    results = []
    for name in args.sizes.split(","):
        size = SIZES[name]
        print(f"running {name}: {size.describe()} ...", file=sys.stderr, flush=True)
        run, budget = measure(size, args.latency_ms, args.repeat, env, args.concurrency)
        results.append((size, run, budget))
    print_tables(results, base, args.latency_ms, args.concurrency)
    client_cpu(env, args.latency_ms)
    return 0


def cpu_only(env: dict[str, str], repeat: int) -> int:
    """Run ``bench/cpu_only.py`` in processes of its own and print the median run."""
    from bench.cpu_only import counted_cpu, print_table

    script = str(ROOT / "bench" / "cpu_only.py")
    summaries = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, script], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            return done.returncode
        summaries.append(json.loads(done.stdout.strip().splitlines()[-1]))
    summaries.sort(key=counted_cpu)
    print_table(summaries[len(summaries) // 2])
    cpus = ", ".join(f"{counted_cpu(s):.2f}" for s in summaries)
    print(f"\nnormalise + correlate + rules CPU over {repeat} runs: {cpus} s (median shown)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
