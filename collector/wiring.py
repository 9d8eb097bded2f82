"""Build sources from the config: live clients, or replay clients reading a recording.

This is the one core module that imports ``adapters``: everything else sees only the model.
Secrets are read here, before any collection starts, so a missing secret is a config error
(exit 2) rather than a half-collected report.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

# Re-exported: the CLI reaches adapters only through this module.
from adapters.anonymise import anonymise_recording as anonymise_recording
from adapters.proxmox import ProxmoxAdapter
from adapters.proxmox_client import open_proxmox_api
from adapters.pve_probe import diagnose_proxmox
from adapters.record import RecordingDockerClient, RecordingPveApi
from adapters.replay import ReplayDockerClient, ReplayPveApi
from collector.collect import LazySource, Source
from collector.config import Config, DockerConfig, ProxmoxConfig, read_secret
from collector.errors import ConfigError, SourceError
from collector.limits import Deadline, RunLimits, run_limits
from collector.model import Diagnosis, SourceKind, SourceResult
from collector.progress import NoProgress, Progress, SourceProgress
from collector.recording.redact import Redactor, redact_keys
from collector.security import docker_transport, proxmox_transport


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


class _Tee:
    """Where ``collect record`` writes each source's answers, and what it redacts first."""

    def __init__(self, root: Path, redactor: Redactor) -> None:
        self.root = root
        self.redactor = redactor

    def pve(self, name: str, api: Any) -> RecordingPveApi:
        return RecordingPveApi(api, self.root / "pve" / name, self.redactor)

    def docker(self, name: str, client: Any) -> RecordingDockerClient:
        redactor = self.redactor.for_docker()
        return RecordingDockerClient(client, self.root / "docker" / name, redactor)


def _live_proxmox(
    cfg: ProxmoxConfig,
    warn: Any,
    limits: RunLimits,
    deadline: Deadline,
    tee: _Tee | None = None,
    progress: SourceProgress | None = None,
) -> Source:
    notes = proxmox_transport(cfg)  # refuses clear text before any secret is read
    secret = read_secret(cfg, warn=warn)
    _check_file(cfg.ca_bundle, f"[[proxmox]] '{cfg.name}'", "ca_bundle")

    def connect() -> Source:
        api, agent_api = open_proxmox_api(cfg, secret)
        if tee is not None:
            api, agent_api = tee.pve(cfg.name, api), tee.pve(cfg.name, agent_api)
        return ProxmoxAdapter(
            cfg.name,
            api,
            agent_api=agent_api,
            concurrency=cfg.concurrency,
            retries=limits.retries,
            deadline=deadline,
            progress=progress,
        )

    return LazySource(cfg.name, SourceKind.PROXMOX, connect, notes=notes)


def _live_docker(
    cfg: DockerConfig,
    limits: RunLimits,
    deadline: Deadline,
    tee: _Tee | None = None,
    progress: SourceProgress | None = None,
) -> Source:
    # Imported only when an engine is configured: the docker SDK (and paramiko, which it always
    # loads) is a third of the start-up time, wasted on a PVE-only lab.
    from adapters.docker import DockerAdapter
    from adapters.docker_client import open_docker_client

    notes = docker_transport(cfg)
    for key in ("tls_ca", "tls_cert", "tls_key"):
        _check_file(getattr(cfg, key), f"[[docker]] '{cfg.name}'", key)

    def connect() -> Source:
        client: Any = open_docker_client(cfg)
        if tee is not None:
            client = tee.docker(cfg.name, client)
        return DockerAdapter(
            cfg.name,
            cfg.url,
            client,
            concurrency=cfg.concurrency,
            retries=limits.retries,
            deadline=deadline,
            progress=progress,
        )

    return LazySource(cfg.name, SourceKind.DOCKER, connect, notes=notes)


def live_sources(
    config: Config, warn: Any = None, progress: Progress | None = None
) -> list[Source]:
    """Live sources sharing one run deadline, which starts now (see ``collector/limits.py``).

    ``progress`` (a terminal's progress line) gets one ``(done, total)`` callback per source.
    """
    limits = run_limits(config)
    deadline = Deadline(limits.deadline_seconds)
    shown = progress or NoProgress()
    sources = [
        _live_proxmox(p, warn, limits, deadline, progress=shown.source(p.name, "guests"))
        for p in config.proxmox
    ]
    sources += [
        _live_docker(d, limits, deadline, progress=shown.source(d.name, "containers"))
        for d in config.docker
    ]
    return sources


def recording_sources(config: Config, root: Path, warn: Any = None) -> list[Source]:
    """``live_sources`` whose clients also write every (redacted) answer under ``root``.

    ``collect record`` uses these; ``anonymise_recording`` (re-exported here for the CLI)
    rewrites what they wrote when ``--anonymise`` is given.
    """
    tee = _Tee(root, Redactor(redact_keys(config)))
    limits = run_limits(config)
    deadline = Deadline(limits.deadline_seconds)
    sources = [_live_proxmox(p, warn, limits, deadline, tee=tee) for p in config.proxmox]
    sources += [_live_docker(d, limits, deadline, tee=tee) for d in config.docker]
    return sources


def doctor_probes(config: Config, warn: Any = None) -> list[Callable[[], Diagnosis]]:
    """One ``collect doctor`` probe per source; config problems raise ``ConfigError`` first."""
    probes: list[Callable[[], Diagnosis]] = []
    for pve in config.proxmox:
        proxmox_transport(pve)
        secret = read_secret(pve, warn=warn)
        _check_file(pve.ca_bundle, f"[[proxmox]] '{pve.name}'", "ca_bundle")
        probes.append(partial(diagnose_proxmox, pve, secret))
    for docker in config.docker:
        from adapters.docker_probe import diagnose_docker  # lazily, see _live_docker

        docker_transport(docker)
        for key in ("tls_ca", "tls_cert", "tls_key"):
            _check_file(getattr(docker, key), f"[[docker]] '{docker.name}'", key)
        probes.append(partial(diagnose_docker, docker))
    return probes


def replay_sources(config: Config, recording: Path) -> list[Source]:
    run_limits(config)  # a bad [collect] table is a config error in replay mode too
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
        from adapters.docker import DockerAdapter  # lazily, see _live_docker

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
