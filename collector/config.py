"""The TOML configuration: loading, validation and secret lookup.

Validation is strict on purpose: an unknown key is an error, because a misspelt key would silently
switch a check off. Every error names the file and the key path (``[[docker]][2].url``) and says
what to do. Secrets are looked up only when a live source is built, never in replay mode.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.errors import ConfigError
from collector.model import Role

DEFAULT_CONFIG_PATH = Path("~/.config/homelab-collector/config.toml")


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
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    guest: str | None = None
    mac: str | None = None
    timeout: float = 10.0
    concurrency: int = 8
    allow_plain_tcp: bool = False
    """``tcp://`` without ``tls_ca``/``tls_cert`` is unauthenticated root: refused unless true."""


@dataclass(frozen=True, slots=True)
class ClassifyRule:
    role: Role
    name: str | None = None
    image: str | None = None
    tag: str | None = None
    pool: str | None = None
    form: str | None = None
    engine: str | None = None

    def describe(self) -> str:
        parts = [
            f"{key}={value}"
            for key in ("name", "image", "tag", "pool", "form", "engine")
            if (value := getattr(self, key)) is not None
        ]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Config:
    proxmox: tuple[ProxmoxConfig, ...] = ()
    docker: tuple[DockerConfig, ...] = ()
    classify: tuple[ClassifyRule, ...] = ()
    path: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Validated tables owned by later layers (rules.<id>, waivers, history, notify)."""


# --- validation ---------------------------------------------------------------------------------

_Check = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class _Key:
    name: str
    kind: str  # "str", "int", "float", "bool"
    required: bool = False
    choices: tuple[str, ...] = ()
    maximum: float | None = None


_TYPE_CHECKS: dict[str, _Check] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
}
_TYPE_WORDS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}

_PROXMOX_KEYS = (
    _Key("name", "str", required=True),
    _Key("host", "str", required=True),
    _Key("user", "str", required=True),
    _Key("port", "int", maximum=65535),
    _Key("token_name", "str"),
    _Key("token_secret_env", "str"),
    _Key("token_secret_file", "str"),
    _Key("password_env", "str"),
    _Key("password_file", "str"),
    _Key("verify_ssl", "bool"),
    _Key("ca_bundle", "str"),
    _Key("timeout", "float", maximum=3600),
    _Key("agent_timeout", "float", maximum=3600),
    _Key("concurrency", "int", maximum=256),
    _Key("scheme", "str", choices=("https", "http")),
    _Key("allow_insecure_http", "bool"),
)
_DOCKER_KEYS = (
    _Key("name", "str", required=True),
    _Key("url", "str", required=True),
    _Key("tls_ca", "str"),
    _Key("tls_cert", "str"),
    _Key("tls_key", "str"),
    _Key("guest", "str"),
    _Key("mac", "str"),
    _Key("timeout", "float", maximum=3600),
    _Key("concurrency", "int", maximum=256),
    _Key("allow_plain_tcp", "bool"),
)
_CLASSIFY_KEYS = (
    _Key("role", "str", required=True, choices=("platform", "service")),
    _Key("name", "str"),
    _Key("image", "str"),
    _Key("tag", "str"),
    _Key("pool", "str"),
    _Key("form", "str", choices=("vm", "lxc", "docker-container")),
    _Key("engine", "str"),
)
_SECRET_KEYS = ("token_secret_env", "token_secret_file", "password_env", "password_file")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOCKER_SCHEMES = ("unix://", "tcp://", "ssh://", "npipe://")

# Top-level tables that later layers validate themselves; listed so they are not "unknown".
_OTHER_TABLES = ("waivers", "history", "notify", "collect", "record")


def _validate(table: Any, keys: tuple[_Key, ...], where: str, file: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {where} must be a table")
    known = {k.name: k for k in keys}
    for name in table:
        if name not in known:
            raise ConfigError(
                f"{file}: unknown key {where}.{name} (known: {', '.join(known)}); "
                "fix the spelling or remove it"
            )
    values: dict[str, Any] = {}
    for key in keys:
        if key.name not in table:
            if key.required:
                raise ConfigError(f"{file}: {where} is missing required key '{key.name}'")
            continue
        value = table[key.name]
        if not _TYPE_CHECKS[key.kind](value):
            # A secret pasted under the wrong key must not be echoed back: show its type only.
            shown = "" if key.name in _SECRET_KEYS else f" {_short_repr(value)}"
            raise ConfigError(
                f"{file}: {where}.{key.name} must be {_TYPE_WORDS[key.kind]}, "
                f"got {type(value).__name__}{shown}"
            )
        if key.choices and value not in key.choices:
            raise ConfigError(
                f"{file}: {where}.{key.name} = {value!r} is not one of {', '.join(key.choices)}"
            )
        if key.kind == "str" and not value.strip():
            raise ConfigError(f"{file}: {where}.{key.name} must not be empty")
        if key.kind == "float" and not math.isfinite(value):
            raise ConfigError(f"{file}: {where}.{key.name} must be a finite number, got {value}")
        if key.kind in ("int", "float") and value <= 0:
            raise ConfigError(f"{file}: {where}.{key.name} must be positive, got {value}")
        if key.maximum is not None and value > key.maximum:
            raise ConfigError(
                f"{file}: {where}.{key.name} must be at most {key.maximum:g}, got {value}"
            )
        values[key.name] = float(value) if key.kind == "float" else value
    return values


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _array_of_tables(doc: dict[str, Any], name: str, file: str) -> list[Any]:
    value = doc.get(name, [])
    if not isinstance(value, list):
        raise ConfigError(f"{file}: '{name}' must be an array of tables: write [[{name}]]")
    return value


def _unique_names(items: tuple[ProxmoxConfig, ...] | tuple[DockerConfig, ...], file: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ConfigError(
                f"{file}: source name '{item.name}' is used twice; names must be unique"
            )
        if "/" in item.name or ":" in item.name:
            raise ConfigError(f"{file}: source name '{item.name}' must not contain '/' or ':'")
        seen.add(item.name)


def _proxmox(raw: Any, index: int, file: str) -> ProxmoxConfig:
    where = f"[[proxmox]][{index}]"
    values = _validate(raw, _PROXMOX_KEYS, where, file)
    secrets = [k for k in _SECRET_KEYS if k in values]
    if len(secrets) != 1:
        raise ConfigError(
            f"{file}: {where} needs exactly one of {', '.join(_SECRET_KEYS)} "
            f"(found {len(secrets)}); secrets are never written inline"
        )
    if secrets[0].startswith("token") and "token_name" not in values:
        raise ConfigError(f"{file}: {where}.{secrets[0]} needs token_name (the token id after '!')")
    if "token_name" in values and secrets[0].startswith("password"):
        raise ConfigError(f"{file}: {where} has token_name but a password secret; pick one method")
    if "@" not in values["user"]:
        raise ConfigError(f"{file}: {where}.user must be user@realm, e.g. 'collector@pve'")
    env_key = next((k for k in ("token_secret_env", "password_env") if k in values), None)
    if env_key and not _ENV_NAME.match(values[env_key]):
        # Most likely the secret itself was pasted here; the message must not repeat it.
        raise ConfigError(
            f"{file}: {where}.{env_key} must name an environment variable (letters, digits, _), "
            "not hold the secret itself"
        )
    if "://" in values["host"] or "/" in values["host"]:
        raise ConfigError(
            f"{file}: {where}.host must be a host name or address without scheme or path; "
            'use port = ... for the port; plain HTTP needs scheme = "http" and '
            "allow_insecure_http = true"
        )
    return ProxmoxConfig(**values)


def _docker(raw: Any, index: int, file: str) -> DockerConfig:
    where = f"[[docker]][{index}]"
    values = _validate(raw, _DOCKER_KEYS, where, file)
    if not values["url"].startswith(_DOCKER_SCHEMES):
        raise ConfigError(
            f"{file}: {where}.url = {values['url']!r} must start with unix://, tcp:// or ssh://"
        )
    if ("tls_cert" in values) != ("tls_key" in values):
        raise ConfigError(f"{file}: {where} needs both tls_cert and tls_key, or neither")
    return DockerConfig(**values)


def _classify(raw: Any, index: int, file: str) -> ClassifyRule:
    where = f"[[rules.classify]][{index}]"
    values = _validate(raw, _CLASSIFY_KEYS, where, file)
    if len(values) == 1:
        raise ConfigError(f"{file}: {where} has a role but nothing to match on (name, image, ...)")
    values["role"] = Role(values["role"])
    return ClassifyRule(**values)


def parse_config(doc: dict[str, Any], file: str) -> Config:
    """Validate a parsed TOML document. ``file`` is only used in messages."""
    known = ("proxmox", "docker", "rules", *_OTHER_TABLES)
    for name in doc:
        if name not in known:
            raise ConfigError(f"{file}: unknown top-level key '{name}' (known: {', '.join(known)})")
    proxmox = tuple(
        _proxmox(raw, i, file) for i, raw in enumerate(_array_of_tables(doc, "proxmox", file))
    )
    docker = tuple(
        _docker(raw, i, file) for i, raw in enumerate(_array_of_tables(doc, "docker", file))
    )
    _unique_names(proxmox, file)
    _unique_names(docker, file)
    rules = doc.get("rules", {})
    if not isinstance(rules, dict):
        raise ConfigError(f"{file}: 'rules' must be a table")
    classify = tuple(
        _classify(raw, i, file) for i, raw in enumerate(_array_of_tables(rules, "classify", file))
    )
    extra = {k: v for k, v in doc.items() if k in _OTHER_TABLES}
    extra["rules"] = {k: v for k, v in rules.items() if k != "classify"}
    return Config(proxmox=proxmox, docker=docker, classify=classify, extra=extra)


def load_config(path: Path) -> Config:
    """Read and validate a config file; every failure is a one-line ``ConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist; copy config.example.toml there or pass --config"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = parse_config(doc, str(path))
    return Config(
        proxmox=config.proxmox,
        docker=config.docker,
        classify=config.classify,
        path=path,
        extra=config.extra,
    )


def read_secret(source: ProxmoxConfig, *, warn: Callable[[str], None] | None = None) -> str:
    """Return the token secret or password named by the source's config.

    The value never appears in an error message: only the variable or file name does.
    """
    where = f"[[proxmox]] '{source.name}'"
    env_name = source.token_secret_env or source.password_env
    if env_name:
        value = os.environ.get(env_name, "")
        if not value.strip():
            raise ConfigError(
                f"{where}: environment variable {env_name} is not set or empty; "
                f"export it with the secret"
            )
        return value.strip()
    file_name = source.token_secret_file or source.password_file
    assert file_name is not None  # parse_config guarantees exactly one secret source
    path = Path(file_name).expanduser()
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read secret file {path}: {exc.strerror}") from None
    if warn is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"{where}: secret file {path} is readable by other users; run chmod 600 {path}")
    if not value:
        raise ConfigError(f"{where}: secret file {path} is empty")
    return value
