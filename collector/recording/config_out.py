"""The recording's ``config.toml``: the lab's config as replay needs it, and no secret.

It is written from the typed ``Config``, not copied from the user's file, so only what a
replay uses gets in: the sources, ``[[rules.classify]]``, the ``[rules.<id>]`` settings that
differ from the defaults (owners included), ``waivers`` and the declared systems
(``collector.recording.declaration_out``); loading it gives back the same
settings. Tables replay ignores stay out (``notify``, ``history``, ``record``, ...): a
webhook URL is a credential.

A config never holds a secret inline (``collector.config`` refuses that); ``token_secret_env`` /
``password_env`` name a variable and are kept, so the recording still says how the lab logs in.
With ``--anonymise`` hosts, URLs and MACs go through the pseudonymiser (the same one as the
answers, so placements still join) and file paths become neutral ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any
from urllib.parse import urlsplit

from collector import __version__
from collector.config import Config, DockerConfig, PbsConfig, ProxmoxConfig
from collector.correlation.classify import ClassifyRule
from collector.recording.declaration_out import recorded_declaration
from collector.recording.pseudonym import Pseudonymiser
from collector.rules import RuleSetting, default_rule_settings
from collector.rules.waivers import Waiver
from collector.toml_writer import dumps_toml

__all__ = ["anonymise_url", "dumps_toml", "recorded_config"]

_NODE_ID = re.compile(r"(pve:[^/\s]+/node/)([^/\s]+)")


def recorded_config(config: Config, pseudo: Pseudonymiser | None = None) -> str:
    doc: dict[str, Any] = {}
    if config.proxmox:
        doc["proxmox"] = [_proxmox(p, pseudo) for p in config.proxmox]
    if config.docker:
        doc["docker"] = [_docker(d, pseudo) for d in config.docker]
    if config.pbs:
        doc["pbs"] = [_pbs(b, pseudo) for b in config.pbs]
    rules: dict[str, Any] = {
        rule_id: _references(table, pseudo) if pseudo else table
        for rule_id, table in _rule_tables(config.rules).items()
    }
    if config.classify:
        rules["classify"] = [_changed(r, ClassifyRule) for r in config.classify]
    if rules:
        doc["rules"] = rules
    if config.waivers:
        waivers = [_waiver(w) for w in config.waivers]
        doc["waivers"] = _references(waivers, pseudo) if pseudo else waivers
    doc.update(recorded_declaration(config, pseudo))
    header = (
        f"# Recorded by collect record (homelab-collector {__version__}).\n"
        "# Replay: collect report --replay <this folder>. No secret is stored here: *_env keys\n"
        "# only name the variable a live run reads.\n"
    )
    if pseudo is not None:
        header += "# Anonymised: host names, addresses and MACs are pseudonyms.\n"
    return header + "\n" + dumps_toml(doc)


def _rule_tables(settings: Mapping[str, RuleSetting]) -> dict[str, dict[str, Any]]:
    """``[rules.<id>]`` tables holding only what differs from the registry's defaults (the
    owner settings are among ``owner-missing``'s parameters, where the user wrote them)."""
    defaults = default_rule_settings()
    tables: dict[str, dict[str, Any]] = {}
    for rule_id, setting in settings.items():
        default = defaults[rule_id]
        table: dict[str, Any] = {}
        if setting.enabled != default.enabled:
            table["enabled"] = setting.enabled
        if setting.severity != default.severity:
            table["severity"] = setting.severity.value
        for key, value in setting.params.items():
            if value != default.params.get(key):
                table[key] = list(value) if isinstance(value, tuple) else value
        if table:
            tables[rule_id] = table
    return tables


def _waiver(waiver: Waiver) -> dict[str, Any]:
    return {
        "subject": waiver.subject,
        "rule": waiver.rule,
        "reason": waiver.reason,
        "expires": waiver.expires,
    }


def _changed(item: Any, cls: type) -> dict[str, Any]:
    """The fields a user would have written: required ones and those off their default."""
    out: dict[str, Any] = {}
    for f in fields(cls):
        value = getattr(item, f.name)
        if value is None or (f.default is not MISSING and value == f.default):
            continue
        out[f.name] = value.value if hasattr(value, "value") else value
    return out


def _proxmox(cfg: ProxmoxConfig, pseudo: Pseudonymiser | None) -> dict[str, Any]:
    out = _changed(cfg, ProxmoxConfig)
    if pseudo is None:
        return out
    out["host"] = pseudo.host(cfg.host)
    for key in ("token_secret_file", "password_file"):
        if key in out:
            out[key] = f"/etc/homelab-collector/{cfg.name}.secret"
    if "ca_bundle" in out:
        out["ca_bundle"] = f"/etc/homelab-collector/{cfg.name}/ca.pem"
    return out


def _pbs(cfg: PbsConfig, pseudo: Pseudonymiser | None) -> dict[str, Any]:
    out = _changed(cfg, PbsConfig)
    if pseudo is None:
        return out
    out["host"] = pseudo.host(cfg.host)
    if "token_secret_file" in out:
        out["token_secret_file"] = f"/etc/homelab-collector/{cfg.name}.secret"
    if "ca_bundle" in out:
        out["ca_bundle"] = f"/etc/homelab-collector/{cfg.name}/ca.pem"
    return out


def _docker(cfg: DockerConfig, pseudo: Pseudonymiser | None) -> dict[str, Any]:
    out = _changed(cfg, DockerConfig)
    # A context was resolved for the live run: the recording keeps what it resolved to, so a
    # replay on another machine (without that context) still knows the engine's address.
    out.pop("context", None)
    if pseudo is None:
        return out
    out["url"] = anonymise_url(cfg.url, pseudo)
    for key in ("tls_ca", "tls_cert", "tls_key"):
        if key in out:
            out[key] = f"/etc/homelab-collector/{cfg.name}/{key.removeprefix('tls_')}.pem"
    if cfg.mac:
        out["mac"] = pseudo.mac(cfg.mac)
    return out


def anonymise_url(url: str, pseudo: Pseudonymiser) -> str:
    """``ssh://user@host:22`` with the host pseudonymised; socket paths are left alone."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme in ("unix", "npipe"):
        return url
    host = pseudo.host(parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return parts._replace(netloc=netloc).geturl()


def _references(value: Any, pseudo: Pseudonymiser) -> Any:
    """Rewrite node ids and addresses in waivers and rule settings (``owners`` keys are ids),
    so they still name the same objects. A node glob (``node/*``) is left as it is."""
    if isinstance(value, Mapping):
        return {_references(k, pseudo): _references(v, pseudo) for k, v in value.items()}
    if isinstance(value, list):
        return [_references(v, pseudo) for v in value]
    if isinstance(value, str):
        return pseudo.text(_NODE_ID.sub(lambda m: _node(m, pseudo), value))
    return value


def _node(match: re.Match[str], pseudo: Pseudonymiser) -> str:
    name = match.group(2)
    return match.group(1) + (name if any(c in name for c in "*?[") else pseudo.host(name))
