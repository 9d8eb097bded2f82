"""``[[docker]] context = "..."``: the endpoint and TLS files from the Docker CLI's context store.

The store is written the way the docker CLI writes it (``contexts/meta/<sha256 of the
name>/meta.json`` and ``contexts/tls/<sha256>/docker/{ca,cert,key}.pem`` beside
``config.json`` in ``$DOCKER_CONFIG``), and the real engines are collected through it: the
mutual-TLS ``dockerd`` and the Podman unix socket. ``collect doctor`` shows what each resolved to.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.collection.orchestrate import collect_all
from collector.collection.wiring import live_sources, with_docker_contexts
from collector.config import Config, load_config
from collector.errors import ConfigError
from collector.model import EngineProduct
from tests.support.dockerd import LiveLab
from tests.support.podman import LivePodman

pytestmark = pytest.mark.live


def write_context(
    store: Path, name: str, host: str, tls: tuple[Path, Path, Path] | None = None
) -> None:
    """One context, in the docker CLI's on-disk format."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = store / "contexts" / "meta" / digest
    meta.mkdir(parents=True, exist_ok=True)
    endpoint = {"Host": host, "SkipTLSVerify": False}
    doc = {"Name": name, "Metadata": {"Description": "test"}, "Endpoints": {"docker": endpoint}}
    (meta / "meta.json").write_text(json.dumps(doc))
    if tls is not None:
        folder = store / "contexts" / "tls" / digest / "docker"
        folder.mkdir(parents=True, exist_ok=True)
        for source, target in zip(tls, ("ca.pem", "cert.pem", "key.pem"), strict=True):
            shutil.copy(source, folder / target)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker-config"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body)
    return path


def test_contexts_resolve_to_tls_and_unix_engines_and_are_collected(
    live_lab: LiveLab, live_podman: LivePodman, store: Path, tmp_path: Path
) -> None:
    bravo = live_lab.bravo
    assert bravo.tcp_url and bravo.ca_pem and bravo.cert_pem and bravo.key_pem
    write_context(store, "bravo-tls", bravo.tcp_url, (bravo.ca_pem, bravo.cert_pem, bravo.key_pem))
    write_context(store, "pods", live_podman.unix_url)
    path = _config(
        tmp_path,
        '[[docker]]\nname = "bravo"\ncontext = "bravo-tls"\n\n'
        '[[docker]]\nname = "pods"\ncontext = "pods"\n',
    )
    config = with_docker_contexts(load_config(path))
    bravo_cfg, pods_cfg = config.docker
    tls_dir = store / "contexts" / "tls" / hashlib.sha256(b"bravo-tls").hexdigest() / "docker"
    assert (bravo_cfg.url, bravo_cfg.context) == (bravo.tcp_url, "bravo-tls")
    assert (bravo_cfg.tls_ca, bravo_cfg.tls_cert, bravo_cfg.tls_key) == (
        str(tls_dir / "ca.pem"),
        str(tls_dir / "cert.pem"),
        str(tls_dir / "key.pem"),
    )
    assert (pods_cfg.url, pods_cfg.tls_ca) == (live_podman.unix_url, None)
    results = {r.status.name: r for r in collect_all(live_sources(config))}
    assert all(r.status.complete and r.engine is not None for r in results.values()), results
    bravo_engine, pods_engine = results["bravo"].engine, results["pods"].engine
    assert bravo_engine is not None and pods_engine is not None
    assert bravo_engine.url == bravo.tcp_url and bravo_engine.product is EngineProduct.DOCKER
    assert pods_engine.product is EngineProduct.PODMAN

    run = CliRunner().invoke(app, ["doctor", "-c", str(path)])
    assert run.exit_code == 0, run.output
    lines = [" ".join(line.split()) for line in run.stdout.splitlines()]  # columns padded
    assert (
        f"ok context docker context 'bravo-tls' -> {bravo.tcp_url}, TLS files "
        f"{tls_dir / 'ca.pem'}, {tls_dir / 'cert.pem'}, {tls_dir / 'key.pem'}"
    ) in lines
    assert f"ok context docker context 'pods' -> {live_podman.unix_url}" in lines
    assert f"ok version Podman {live_podman.version}, API {live_podman.api_version}" in lines
    assert "ok GET /libpod/pods/json allowed" in lines


def test_an_unknown_context_is_a_config_error(store: Path, tmp_path: Path) -> None:
    path = _config(tmp_path, '[[docker]]\nname = "apps"\ncontext = "nope"\n')
    with pytest.raises(ConfigError) as caught:
        with_docker_contexts(load_config(path))
    assert str(caught.value) == (
        f"[[docker]] 'apps': context 'nope' is not in the Docker CLI's context store "
        f"({store / 'contexts'}); list the contexts with docker context ls"
    )
    run = CliRunner().invoke(app, ["report", "-c", str(path)])
    assert run.exit_code == 2 and "context 'nope' is not in" in run.stderr


def test_without_a_cli_config_there_is_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = Config(
        docker=load_config(_config(tmp_path, '[[docker]]\nname = "a"\ncontext = "x"\n')).docker
    )
    with pytest.raises(ConfigError, match="no Docker CLI config found"):
        with_docker_contexts(config)
