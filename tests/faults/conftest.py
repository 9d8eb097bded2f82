"""Fixtures for the fault matrix: the lab recording, a PVE server and a Docker engine on it."""

from __future__ import annotations

import contextlib
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.lab import build_lab
from tests.support.certs import ServerCerts, make_server_certs, write_unrelated_ca
from tests.support.docker_server import DockerServer
from tests.support.pve_server import PveServer


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ServerCerts:
    return make_server_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def unrelated_ca(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_unrelated_ca(tmp_path_factory.mktemp("unrelated")))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lab(tmp_path_factory.mktemp("lab"))


@pytest.fixture
def pve(lab: Path, certs: ServerCerts) -> Iterator[PveServer]:
    with PveServer(lab / "pve" / "lab", certs=certs) as server:
        yield server


@pytest.fixture
def engine(lab: Path) -> Iterator[DockerServer]:
    with DockerServer(lab / "docker" / "apps") as server:
        yield server


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hung_socket() -> Iterator[str]:
    """``unix://`` URL of a socket that accepts connections into its backlog and never answers."""
    folder = tempfile.mkdtemp(prefix="hung-")  # short: unix socket paths max out at 108 bytes
    path = str(Path(folder) / "docker.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(16)
    try:
        yield f"unix://{path}"
    finally:
        sock.close()
        with contextlib.suppress(OSError):
            Path(path).unlink()
            Path(folder).rmdir()
