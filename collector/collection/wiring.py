"""Build sources from the config: live clients, or replay clients reading a recording.

This is the one core module that imports ``adapters``: everything else sees only the model.
Every source is built the same way (``_proxmox_source``, ``_docker_source``, ``_pbs_source``);
what differs is how its client is opened: live (``_LiveClients``: transport checks, the secret,
a connection), from a recording folder (``_ReplayClients``), and, for ``collect record``, either
of those wrapped in a tee that writes every answer (``_Tee``). Secrets are read here, before any
collection starts, so a missing secret is a config error (exit 2) rather than a half-collected
report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.common.recording import Recorder, RecordingJsonApi
from adapters.pbs.adapter import PbsAdapter, PbsApi
from adapters.pbs.client import open_client as open_pbs_client
from adapters.pbs.probe import diagnose_pbs
from adapters.pbs.replay import ReplayPbsApi
from adapters.proxmox.adapter import ProxmoxAdapter, PveApi
from adapters.proxmox.client import open_client
from adapters.proxmox.probe import diagnose_proxmox
from adapters.proxmox.replay import ReplayPveApi
from collector.collection.orchestrate import LazySource
from collector.collection.progress import NoProgress, Progress
from collector.collection.security import docker_transport, pbs_transport, proxmox_transport
from collector.config import Config, DockerConfig, PbsConfig, ProxmoxConfig, read_secret
from collector.contract import Deadline, RunLimits, Source
from collector.errors import ConfigError, SourceError
from collector.model import Diagnosis, Gap, SourceKind, SourceResult
from collector.recording.redact import Redactor, redact_keys
from collector.recording.store import write_json

if TYPE_CHECKING:
    from adapters.docker.adapter import DockerApi

Warn = Callable[[str], None]
PveOpener = Callable[[], tuple[PveApi, PveApi]]
DockerOpener = Callable[[], "DockerApi"]
PbsOpener = Callable[[], PbsApi]


class MissingSource:
    """A configured source that is absent from a recording: reported, never invented."""

    def __init__(self, name: str, kind: SourceKind, reason: str) -> None:
        self.name = name
        self.kind = kind
        self._reason = reason

    def collect(self) -> SourceResult:
        raise SourceError(self._reason)


def _check_file(path: str | None, origin: Path | None, where: str, key: str) -> None:
    """A file the config names (CA, client certificate) must exist before anything connects."""
    if path is not None and not Path(path).expanduser().is_file():
        raise ConfigError(
            f"{origin or 'config'}: {where}.{key}: file {path} does not exist; "
            "put the file there or fix the path"
        )


class _Tee:
    """Where ``collect record`` writes each source's answers, and what it redacts first."""

    def __init__(self, root: Path, redactor: Redactor) -> None:
        self.root = root
        self.redactor = redactor

    def pve(self, name: str, api: PveApi) -> PveApi:
        return RecordingJsonApi(api, Recorder(self.root / "pve" / name, self.redactor, write_json))

    def pbs(self, name: str, api: PbsApi) -> PbsApi:
        return RecordingJsonApi(api, Recorder(self.root / "pbs" / name, self.redactor, write_json))

    def docker(self, name: str, client: DockerApi) -> DockerApi:
        from adapters.docker.record import RecordingDockerClient  # lazily, see _LiveClients

        recorder = Recorder(self.root / "docker" / name, self.redactor.for_docker(), write_json)
        return RecordingDockerClient(client, recorder)


@dataclass(frozen=True, slots=True)
class _Run:
    """What every source of one run shares."""

    limits: RunLimits
    deadline: Deadline | None
    tee: _Tee | None = None
    progress: Progress = field(default_factory=NoProgress)


def _proxmox_source(
    cfg: ProxmoxConfig, run: _Run, open_api: PveOpener, notes: tuple[Gap, ...] = ()
) -> Source:
    def connect() -> Source:
        api, agent_api = open_api()
        if run.tee is not None:
            api, agent_api = run.tee.pve(cfg.name, api), run.tee.pve(cfg.name, agent_api)
        return ProxmoxAdapter(
            cfg.name,
            api,
            agent_api=agent_api,
            concurrency=cfg.concurrency,
            retries=run.limits.retries,
            deadline=run.deadline,
            progress=run.progress.source(cfg.name, "guests"),
        )

    return LazySource(cfg.name, SourceKind.PROXMOX, connect, notes=notes)


def _docker_source(
    cfg: DockerConfig, run: _Run, open_client: DockerOpener, notes: tuple[Gap, ...] = ()
) -> Source:
    # Imported only when an engine is configured (see _LiveClients), and here, before the run:
    # an import inside the collecting threads would stall every source behind the import lock.
    from adapters.docker.adapter import DockerAdapter

    def connect() -> Source:
        client = open_client()
        if run.tee is not None:
            client = run.tee.docker(cfg.name, client)
        return DockerAdapter(
            cfg.name,
            cfg.url,
            client,
            concurrency=cfg.concurrency,
            retries=run.limits.retries,
            deadline=run.deadline,
            progress=run.progress.source(cfg.name, "containers"),
        )

    return LazySource(cfg.name, SourceKind.DOCKER, connect, notes=notes)


def _pbs_source(
    cfg: PbsConfig, run: _Run, open_api: PbsOpener, notes: tuple[Gap, ...] = ()
) -> Source:
    def connect() -> Source:
        api = open_api()
        if run.tee is not None:
            api = run.tee.pbs(cfg.name, api)
        return PbsAdapter(
            cfg.name,
            api,
            host=cfg.host,
            port=cfg.port,
            fingerprint=cfg.fingerprint,
            concurrency=cfg.concurrency,
            retries=run.limits.retries,
            deadline=run.deadline,
        )

    return LazySource(cfg.name, SourceKind.PBS, connect, notes=notes)


class _LiveClients:
    """Opens live connections, after refusing unsafe transports and reading the secrets."""

    def __init__(self, warn: Warn | None, origin: Path | None) -> None:
        self._warn = warn
        self._origin = origin  # the config file, named in every message

    def proxmox(self, cfg: ProxmoxConfig, run: _Run) -> Source:
        notes = proxmox_transport(cfg, self._origin)  # refuses clear text before any secret is read
        secret = read_secret(cfg, origin=self._origin, warn=self._warn)
        _check_file(cfg.ca_bundle, self._origin, f"[[proxmox]] '{cfg.name}'", "ca_bundle")
        return _proxmox_source(cfg, run, partial(open_client, cfg, secret), notes)

    def pbs(self, cfg: PbsConfig, run: _Run) -> Source:
        notes = pbs_transport(cfg)
        secret = read_secret(cfg, origin=self._origin, warn=self._warn)
        _check_file(cfg.ca_bundle, self._origin, f"[[pbs]] '{cfg.name}'", "ca_bundle")
        return _pbs_source(cfg, run, partial(open_pbs_client, cfg, secret), notes)

    def docker(self, cfg: DockerConfig, run: _Run) -> Source:
        notes = docker_transport(cfg, self._origin)
        for key in ("tls_ca", "tls_cert", "tls_key"):
            _check_file(getattr(cfg, key), self._origin, f"[[docker]] '{cfg.name}'", key)

        # Imported only when an engine is configured: the docker SDK (and paramiko, which it
        # always loads) is much of the start-up time (docs/performance.md), wasted without engines.
        from adapters.docker.client import DockerClient

        return _docker_source(cfg, run, partial(DockerClient, cfg), notes)


class _ReplayClients:
    """Opens the recorded answers under ``folder``; a source missing there is reported."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ConfigError(f"replay folder {folder} does not exist or is not a folder")
        self._folder = folder

    def proxmox(self, cfg: ProxmoxConfig, run: _Run) -> Source:
        root = self._folder / "pve" / cfg.name
        if not root.is_dir():
            return MissingSource(
                cfg.name, SourceKind.PROXMOX, f"{cfg.name}: not in recording {root}"
            )
        api = ReplayPveApi(root, cfg.name)
        return _proxmox_source(cfg, run, lambda: (api, api))

    def pbs(self, cfg: PbsConfig, run: _Run) -> Source:
        root = self._folder / "pbs" / cfg.name
        if not root.is_dir():
            return MissingSource(cfg.name, SourceKind.PBS, f"{cfg.name}: not in recording {root}")
        api = ReplayPbsApi(root, cfg.name)
        return _pbs_source(cfg, run, lambda: api)

    def docker(self, cfg: DockerConfig, run: _Run) -> Source:
        root = self._folder / "docker" / cfg.name
        if not root.is_dir():
            return MissingSource(
                cfg.name, SourceKind.DOCKER, f"{cfg.name}: not in recording {root}"
            )

        from adapters.docker.replay import ReplayDockerClient

        client = ReplayDockerClient(root, cfg.name)
        return _docker_source(cfg, run, lambda: client)


def with_docker_contexts(config: Config) -> Config:
    """``config`` with every ``[[docker]] context = ...`` resolved from the Docker CLI's context
    store (url and TLS files filled in, the context name kept). For live runs only: a replay
    uses the url its recording's config holds. The SDK is imported only when a context is used.
    """
    if not any(d.context for d in config.docker):
        return config
    from adapters.docker.context import resolve_context

    resolved = []
    for docker in config.docker:
        if docker.context:
            found = resolve_context(docker.name, docker.context)
            docker = replace(
                docker,
                url=found.url,
                tls_ca=found.tls_ca,
                tls_cert=found.tls_cert,
                tls_key=found.tls_key,
            )
        resolved.append(docker)
    return replace(config, docker=tuple(resolved))


def _sources(config: Config, clients: _LiveClients | _ReplayClients, run: _Run) -> list[Source]:
    sources = [clients.proxmox(p, run) for p in config.proxmox]
    sources += [clients.docker(d, run) for d in config.docker]
    sources += [clients.pbs(b, run) for b in config.pbs]
    return sources


def live_sources(
    config: Config, warn: Warn | None = None, progress: Progress | None = None
) -> list[Source]:
    """Live sources sharing one run deadline, which starts now (see ``collector.contract``).

    ``progress`` (a terminal's progress line) gets one ``(done, total)`` callback per source.
    """
    limits = config.collect
    run = _Run(limits, Deadline(limits.deadline_seconds), progress=progress or NoProgress())
    return _sources(config, _LiveClients(warn, config.path), run)


def replay_sources(config: Config, recording: Path) -> list[Source]:
    """Sources answering from a recording folder: no network, no deadline, no retry (a
    recorded answer does not change on a second ask)."""
    return _sources(config, _ReplayClients(recording), _Run(RunLimits(retries=0), None))


def recording_sources(
    config: Config, root: Path, warn: Warn | None = None, *, replay: Path | None = None
) -> list[Source]:
    """``live_sources`` (or, given ``replay``, ``replay_sources``) whose clients also write every
    redacted answer under ``root``. ``collect record`` uses these; re-recording a recording is
    how the tests prove that record-then-replay gives back the same report."""
    tee = _Tee(root, Redactor(redact_keys(config.record.redact_keys)))
    if replay is not None:
        return _sources(config, _ReplayClients(replay), _Run(RunLimits(retries=0), None, tee))
    limits = config.collect
    run = _Run(limits, Deadline(limits.deadline_seconds), tee)
    return _sources(config, _LiveClients(warn, config.path), run)


def doctor_probes(config: Config, warn: Warn | None = None) -> list[Callable[[], Diagnosis]]:
    """One ``collect doctor`` probe per source; config problems raise ``ConfigError`` first."""
    probes: list[Callable[[], Diagnosis]] = []
    for pve in config.proxmox:
        proxmox_transport(pve, config.path)
        secret = read_secret(pve, origin=config.path, warn=warn)
        _check_file(pve.ca_bundle, config.path, f"[[proxmox]] '{pve.name}'", "ca_bundle")
        probes.append(partial(diagnose_proxmox, pve, secret))
    for docker in config.docker:
        from adapters.docker.probe import diagnose_docker  # lazily, see _LiveClients

        docker_transport(docker, config.path)
        for key in ("tls_ca", "tls_cert", "tls_key"):
            _check_file(getattr(docker, key), config.path, f"[[docker]] '{docker.name}'", key)
        probes.append(partial(diagnose_docker, docker))
    for pbs in config.pbs:
        pbs_transport(pbs)
        secret = read_secret(pbs, origin=config.path, warn=warn)
        _check_file(pbs.ca_bundle, config.path, f"[[pbs]] '{pbs.name}'", "ca_bundle")
        probes.append(partial(diagnose_pbs, pbs, secret))
    return probes
