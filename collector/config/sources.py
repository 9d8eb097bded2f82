"""The sources: ``[[proxmox]]`` clusters and ``[[docker]]`` engines.

Secrets are never written inline: a PVE source names exactly one environment variable or file
that holds its token secret or password (``collector.config.secrets`` reads it, only when a live
source is built). A file may be a systemd credential, ``$CREDENTIALS_DIRECTORY/<name>``; no
other variable is expanded in a path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from collector.config.messages import TablePath
from collector.config.schema import Field, Kind, array_of_tables, check_table
from collector.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ProxmoxConfig:
    name: str
    host: str
    user: str
    port: int = 8006
    token_name: str | None = None
    token_secret_env: str | None = None
    token_secret_file: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    verify_ssl: bool = True
    ca_bundle: str | None = None
    timeout: float = 10.0
    agent_timeout: float = 5.0
    concurrency: int = 32
    scheme: str = "https"
    allow_insecure_http: bool = False
    """``scheme = "http"`` sends the secret in clear text: refused unless this is true."""


@dataclass(frozen=True, slots=True)
class DockerConfig:
    name: str
    url: str
    """The engine's URL; for a ``context`` entry, what the context resolved to (``""`` until a
    live run resolves it, ``collector.collection.wiring.with_docker_contexts``)."""
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    guest: str | None = None
    mac: str | None = None
    timeout: float = 10.0
    concurrency: int = 8
    allow_plain_tcp: bool = False
    """``tcp://`` without ``tls_ca``/``tls_cert`` is unauthenticated root: refused unless true."""
    context: str | None = None
    """A Docker CLI context (``docker context ls``) naming the endpoint and TLS material."""


SECRET_KEYS = ("token_secret_env", "token_secret_file", "password_env", "password_file")

PROXMOX_FIELDS = (
    Field("name", Kind.STR, required=True),
    Field("host", Kind.STR, required=True),
    Field("user", Kind.STR, required=True),
    Field("port", Kind.INT, positive=True, maximum=65535),
    Field("token_name", Kind.STR),
    *(Field(key, Kind.STR, secret=True) for key in SECRET_KEYS),
    Field("verify_ssl", Kind.BOOL),
    Field("ca_bundle", Kind.STR),
    Field("timeout", Kind.FLOAT, positive=True, maximum=3600),
    Field("agent_timeout", Kind.FLOAT, positive=True, maximum=3600),
    Field("concurrency", Kind.INT, positive=True, maximum=256),
    Field("scheme", Kind.STR, choices=("https", "http")),
    Field("allow_insecure_http", Kind.BOOL),
)
DOCKER_FIELDS = (
    Field("name", Kind.STR, required=True),
    Field("url", Kind.STR),
    Field("context", Kind.STR),
    # The aliases are the docker CLI's flags (--tlscacert ...) and docker-py's names.
    Field("tls_ca", Kind.STR, aliases=("tlscacert", "ca_cert", "tls_ca_cert", "cacert")),
    Field("tls_cert", Kind.STR, aliases=("tlscert", "client_cert")),
    Field("tls_key", Kind.STR, aliases=("tlskey", "client_key")),
    Field("guest", Kind.STR),
    Field("mac", Kind.STR),
    Field("timeout", Kind.FLOAT, positive=True, maximum=3600),
    Field("concurrency", Kind.INT, positive=True, maximum=256),
    Field("allow_plain_tcp", Kind.BOOL),
)

# The defaults of the optional keys, read from the dataclasses so they are written down once.
_PVE = ProxmoxConfig(name="", host="", user="")
_DOCKER = DockerConfig(name="", url="")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CREDENTIAL_PATH = re.compile(
    r"^\$(?:CREDENTIALS_DIRECTORY|\{CREDENTIALS_DIRECTORY\})/(?P<name>[^/$]+)$"
)
"""A secret file given as a systemd credential: ``$CREDENTIALS_DIRECTORY/<name>``."""
_DOCKER_SCHEMES = ("unix://", "tcp://", "ssh://", "npipe://")


def parse_sources(
    doc: Mapping[str, object], file: str
) -> tuple[tuple[ProxmoxConfig, ...], tuple[DockerConfig, ...]]:
    """``[[proxmox]]`` and ``[[docker]]``; source names are unique within each kind."""
    proxmox = tuple(_proxmox(raw, at) for at, raw in array_of_tables(doc, file, "proxmox"))
    docker = tuple(_docker(raw, at) for at, raw in array_of_tables(doc, file, "docker"))
    unique_names([p.name for p in proxmox], "proxmox", file)
    unique_names([d.name for d in docker], "docker", file)
    return proxmox, docker


def unique_names(names: list[str], kind: str, file: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(
                f"{file}: source name '{name}' is used twice in [[{kind}]]; names must be unique"
            )
        if "/" in name or ":" in name:
            raise ConfigError(
                f"{file}: source name '{name}' must not contain '/' or ':' (it is part of ids "
                f"such as pve:{name}/qemu/100); rename it"
            )
        seen.add(name)


def _home(path: str | None) -> str | None:
    """A certificate path with ``~`` expanded once, here: the TLS libraries that read it do not
    expand it, and ``~/.config/homelab-collector/`` is where the README puts the PVE CA."""
    return None if path is None else str(Path(path).expanduser())


def _proxmox(raw: Mapping[str, object], at: TablePath) -> ProxmoxConfig:
    values = check_table(raw, PROXMOX_FIELDS, at)
    secrets = [k for k in SECRET_KEYS if k in values]
    if len(secrets) != 1:
        raise at.error(
            f"{at} needs exactly one of {', '.join(SECRET_KEYS)} (found {len(secrets)}); "
            "secrets are never written inline"
        )
    if secrets[0].startswith("token") and "token_name" not in values:
        raise at.error(f"{at.key(secrets[0])} needs token_name (the token id after '!')")
    if "token_name" in values and secrets[0].startswith("password"):
        raise at.error(f"{at} has token_name but a password secret; pick one method")
    if "@" not in values.text("user"):
        raise at.error(f"{at.key('user')} must be user@realm, e.g. 'collector@pve'")
    env_key = next((k for k in ("token_secret_env", "password_env") if k in values), None)
    if env_key and not _ENV_NAME.match(values.text(env_key)):
        # Most likely the secret itself was pasted here; the message must not repeat it.
        raise at.error(
            f"{at.key(env_key)} must name an environment variable (letters, digits, _), "
            "not hold the secret itself"
        )
    file_key = next((k for k in ("token_secret_file", "password_file") if k in values), None)
    if (
        file_key
        and "$" in values.text(file_key)
        and not CREDENTIAL_PATH.match(values.text(file_key))
    ):
        raise at.error(
            f"{at.key(str(file_key))} may use $ only as $CREDENTIALS_DIRECTORY/<name> (a systemd "
            "credential, LoadCredential=<name>:<file>); write any other path out in full"
        )
    host = values.text("host")
    if "://" in host or "/" in host:
        raise at.error(
            f"{at.key('host')} must be a host name or address without scheme or path; "
            'use port = ... for the port; plain HTTP needs scheme = "http" and '
            "allow_insecure_http = true"
        )
    return ProxmoxConfig(
        name=values.text("name"),
        host=host,
        user=values.text("user"),
        port=values.integer("port", _PVE.port),
        token_name=values.opt_text("token_name"),
        token_secret_env=values.opt_text("token_secret_env"),
        token_secret_file=values.opt_text("token_secret_file"),
        password_env=values.opt_text("password_env"),
        password_file=values.opt_text("password_file"),
        verify_ssl=values.flag("verify_ssl", _PVE.verify_ssl),
        ca_bundle=_home(values.opt_text("ca_bundle")),
        timeout=values.number("timeout", _PVE.timeout),
        agent_timeout=values.number("agent_timeout", _PVE.agent_timeout),
        concurrency=values.integer("concurrency", _PVE.concurrency),
        scheme=values.opt_text("scheme") or _PVE.scheme,
        allow_insecure_http=values.flag("allow_insecure_http", _PVE.allow_insecure_http),
    )


def _docker(raw: Mapping[str, object], at: TablePath) -> DockerConfig:
    values = check_table(raw, DOCKER_FIELDS, at)
    context = values.opt_text("context")
    if context is not None:
        if "url" in values:
            raise at.error(f"{at} has both url and context; a context names the endpoint itself")
        if any(key in values for key in ("tls_ca", "tls_cert", "tls_key")):
            raise at.error(
                f"{at} has a context and tls_* keys; the context's TLS material is used "
                "(docker context inspect shows it)"
            )
        if not context.strip():
            raise at.error(f"{at.key('context')} must not be empty")
    elif "url" not in values:
        raise at.error(
            f"{at} needs url (unix://, tcp://, ssh://) or context (a docker context name)"
        )
    url = values.opt_text("url") or ""
    if context is None and not url.startswith(_DOCKER_SCHEMES):
        raise at.error(f"{at.key('url')} = {url!r} must start with unix://, tcp:// or ssh://")
    if ("tls_cert" in values) != ("tls_key" in values):
        raise at.error(f"{at} needs both tls_cert and tls_key, or neither")
    return DockerConfig(
        name=values.text("name"),
        url=url,
        tls_ca=_home(values.opt_text("tls_ca")),
        tls_cert=_home(values.opt_text("tls_cert")),
        tls_key=_home(values.opt_text("tls_key")),
        guest=values.opt_text("guest"),
        mac=values.opt_text("mac"),
        timeout=values.number("timeout", _DOCKER.timeout),
        concurrency=values.integer("concurrency", _DOCKER.concurrency),
        allow_plain_tcp=values.flag("allow_plain_tcp", _DOCKER.allow_plain_tcp),
        context=context,
    )
