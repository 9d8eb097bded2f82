"""Build sources from the config: live clients, or replay clients reading a recording.

This is the one core module that imports ``adapters``: everything else sees only the model.
Secrets are read here, before any collection starts, so a missing secret is a config error
(exit 2) rather than a half-collected report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.docker import DockerAdapter
from adapters.docker_client import open_docker_client
from adapters.proxmox import ProxmoxAdapter
from adapters.proxmox_client import open_proxmox_api
from adapters.replay import ReplayDockerClient, ReplayPveApi
from collector.collect import LazySource, Source
from collector.config import Config, DockerConfig, ProxmoxConfig, read_secret
from collector.errors import ConfigError, SourceError
from collector.model import SourceKind, SourceResult


class MissingSource:
    """A configured source that is absent from a recording: reported, never invented."""

    def __init__(self, name: str, kind: SourceKind, reason: str) -> None:
        self.name = name
        self.kind = kind
        self._reason = reason

    def collect(self) -> SourceResult:
        raise SourceError(self._reason)


def _check_file(path: str | None, where: str, key: str) -> None:
    if path is not None and not Path(path).expanduser().is_file():
        raise ConfigError(f"{where}.{key}: file {path} does not exist")


def _live_proxmox(cfg: ProxmoxConfig, warn: Any) -> Source:
    secret = read_secret(cfg, warn=warn)
    _check_file(cfg.ca_bundle, f"[[proxmox]] '{cfg.name}'", "ca_bundle")

    def connect() -> Source:
        api, agent_api = open_proxmox_api(cfg, secret)
        return ProxmoxAdapter(cfg.name, api, agent_api=agent_api, concurrency=cfg.concurrency)

    return LazySource(cfg.name, SourceKind.PROXMOX, connect)


def _live_docker(cfg: DockerConfig) -> Source:
    for key in ("tls_ca", "tls_cert", "tls_key"):
        _check_file(getattr(cfg, key), f"[[docker]] '{cfg.name}'", key)

    def connect() -> Source:
        client = open_docker_client(cfg)
        return DockerAdapter(cfg.name, cfg.url, client, concurrency=cfg.concurrency)

    return LazySource(cfg.name, SourceKind.DOCKER, connect)


def live_sources(config: Config, warn: Any = None) -> list[Source]:
    sources = [_live_proxmox(p, warn) for p in config.proxmox]
    sources += [_live_docker(d) for d in config.docker]
    return sources


def replay_sources(config: Config, recording: Path) -> list[Source]:
    if not recording.is_dir():
        raise ConfigError(f"replay folder {recording} does not exist or is not a folder")
    sources: list[Source] = []
    for pve in config.proxmox:
        root = recording / "pve" / pve.name
        if root.is_dir():
            sources.append(
                ProxmoxAdapter(pve.name, ReplayPveApi(root), concurrency=pve.concurrency)
            )
        else:
            sources.append(
                MissingSource(pve.name, SourceKind.PROXMOX, f"{pve.name}: not in recording {root}")
            )
    for docker in config.docker:
        root = recording / "docker" / docker.name
        if root.is_dir():
            client = ReplayDockerClient(root)
            sources.append(DockerAdapter(docker.name, docker.url, client))
        else:
            sources.append(
                MissingSource(
                    docker.name, SourceKind.DOCKER, f"{docker.name}: not in recording {root}"
                )
            )
    return sources
