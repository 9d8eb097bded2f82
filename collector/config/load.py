"""The whole configuration: ``Config``, built once from the TOML file and checked on the way.

``load_config`` reads the file and ``parse_config`` checks every table: the sources, the rules
and what they need (classify entries, waivers, owners), the declared systems (with the wiki page
or file they are written in), and how a run behaves (deadline,
history, notifications, recording). Nothing later reads raw TOML: every layer gets its own typed,
frozen settings from ``Config``. A ``Config()`` with no arguments is a valid empty config.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from collector.config.declaration import Architecture, parse_architecture
from collector.config.job import (
    RecordSettings,
    parse_collect,
    parse_history,
    parse_notify,
    parse_record,
)
from collector.config.messages import unknown
from collector.config.pbs import PbsConfig, parse_pbs
from collector.config.rules import parse_rules, parse_waivers
from collector.config.sources import DockerConfig, ProxmoxConfig, parse_sources
from collector.contract import RunLimits
from collector.correlation.classify import ClassifyRule
from collector.correlation.ownership import OwnershipSettings
from collector.errors import ConfigError
from collector.history.settings import HistorySettings
from collector.notify.settings import NotifyTarget
from collector.rules import RuleSetting, default_rule_settings
from collector.rules.waivers import Waiver

DEFAULT_CONFIG_PATH = Path("~/.config/homelab-collector/config.toml")

TOP_LEVEL = (
    "proxmox",
    "docker",
    "pbs",
    "rules",
    "waivers",
    "collect",
    "history",
    "notify",
    "record",
    "architecture",
    "systems",
)


@dataclass(frozen=True, slots=True)
class Config:
    """The checked config file: one typed settings value per table, defaults filled in."""

    proxmox: tuple[ProxmoxConfig, ...] = ()
    docker: tuple[DockerConfig, ...] = ()
    pbs: tuple[PbsConfig, ...] = ()
    classify: tuple[ClassifyRule, ...] = ()
    rules: Mapping[str, RuleSetting] = field(default_factory=default_rule_settings)
    """Every rule id of the registry, with ``[rules.<id>]`` laid over its defaults."""
    waivers: tuple[Waiver, ...] = ()
    ownership: OwnershipSettings = field(default_factory=OwnershipSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    notify: tuple[NotifyTarget, ...] = ()
    collect: RunLimits = field(default_factory=RunLimits)
    record: RecordSettings = field(default_factory=RecordSettings)
    architecture: Architecture = field(default_factory=Architecture)
    """The declared systems (``[[systems]]``, ``[architecture]`` page and file)."""
    path: Path | None = None
    """The file it was loaded from; None for a config built in code."""


def parse_config(
    doc: Mapping[str, object], file: str = "config", *, path: Path | None = None
) -> Config:
    """Check a parsed TOML document. ``file`` names it in messages; ``path`` is the file
    itself when there is one (a relative history path is relative to its folder)."""
    for name in doc:
        if name not in TOP_LEVEL:
            raise unknown(file, "top-level key", f"'{name}'", name, TOP_LEVEL)
    proxmox, docker = parse_sources(doc, file)
    rules = parse_rules(doc, file)
    return Config(
        proxmox=proxmox,
        docker=docker,
        pbs=parse_pbs(doc, file),
        classify=rules.classify,
        rules=rules.rules,
        waivers=parse_waivers(doc, file),
        ownership=rules.ownership,
        collect=parse_collect(doc, file),
        history=parse_history(doc, file, path.parent if path is not None else None),
        notify=parse_notify(doc, file),
        record=parse_record(doc, file),
        architecture=parse_architecture(doc, file, path.parent if path is not None else None),
        path=path,
    )


def load_config(path: Path) -> Config:
    """Read and check a config file; every failure is a one-line ``ConfigError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist; write one with collect init (the commented "
            "example), or pass --config FILE"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(doc, str(path), path=path)
