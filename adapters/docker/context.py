"""Docker CLI contexts: a ``[[docker]]`` entry with ``context = "apps"`` instead of a URL.

The endpoint and the TLS material come from the Docker CLI's context store, read by the docker
SDK's public ``docker.context.ContextAPI`` (the same store ``docker context create/ls/inspect``
writes): ``contexts/meta/<sha256 of the name>/meta.json`` for the endpoint and
``contexts/tls/<sha256>/docker/{ca,cert,key}.pem`` beside the CLI's ``config.json``
(``$DOCKER_CONFIG``, else ``~/.docker``). ``default`` is the CLI's built-in context
(``unix:///var/run/docker.sock``).

The collector always verifies TLS: a context's ``SkipTLSVerify`` is not honoured (``collect
doctor`` says so). Errors are ``ConfigError``s that name the source and the context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ResolvedContext:
    """What a context names: the endpoint, and the TLS files (None when it has none)."""

    name: str
    url: str
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    skip_tls_verify: bool = False
    store: str = ""
    """Where the context's files are (for messages and ``collect doctor``)."""


def _store_dir() -> str:
    from docker.context.config import get_context_dir
    from docker.utils.config import find_config_file

    if find_config_file() is None:
        return ""  # without config.json the SDK would look in ./contexts
    return str(get_context_dir())


def resolve_context(source: str, name: str) -> ResolvedContext:
    """The endpoint and TLS material of Docker CLI context ``name`` (``[[docker]] source``)."""
    from docker.context import ContextAPI

    where = f"[[docker]] '{source}': context '{name}'"
    store = _store_dir() if name != "default" else ""
    if name != "default" and not store:
        raise ConfigError(
            f"{where}: no Docker CLI config found ($DOCKER_CONFIG/config.json or "
            "~/.docker/config.json), so there is no context store; create the context with "
            "docker context create, as the user the collector runs as"
        )
    try:
        context: Any = ContextAPI.get_context(name)
    except Exception as exc:  # noqa: BLE001 - the SDK raises plain Exception for a corrupt store
        raise ConfigError(f"{where} cannot be read from {store}: {exc}") from None
    if context is None:
        raise ConfigError(
            f"{where} is not in the Docker CLI's context store ({store}); "
            "list the contexts with docker context ls"
        )
    host = context.Host
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{where} has no Docker endpoint (docker context inspect {name})")
    endpoint = context.endpoints.get("docker", {})
    tls = context.TLSConfig
    cert, key = tls.cert if tls is not None and tls.cert else (None, None)
    return ResolvedContext(
        name=name,
        url=host,
        tls_ca=tls.ca_cert if tls is not None else None,
        tls_cert=cert,
        tls_key=key,
        skip_tls_verify=bool(endpoint.get("SkipTLSVerify", False)) and host.startswith("tcp://"),
        store=store,
    )
