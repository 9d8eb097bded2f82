"""Rule registry and evaluation: run every enabled rule, apply ``[rules.<id>]`` settings.

``[rules.<id>]`` accepts ``enabled``, ``severity`` and the rule's own parameters (the keys of its
``defaults``); anything else, or an unknown rule id, is a config error.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collector.errors import ConfigError
from collector.inventory import Inventory
from collector.model import Finding, Severity
from collector.rules.base import Rule, RuleContext
from collector.rules.placement import RULES as PLACEMENT_RULES

ALL_RULES: tuple[Rule, ...] = PLACEMENT_RULES
RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in ALL_RULES}


@dataclass(frozen=True, slots=True)
class RuleSetting:
    enabled: bool
    severity: Severity
    params: Mapping[str, Any]


def _check_param(rule: Rule, key: str, value: Any, where: str) -> Any:
    default = rule.defaults[key]
    if isinstance(default, bool) != isinstance(value, bool) or not isinstance(
        value, type(default) if not isinstance(default, float) else (int, float)
    ):
        raise ConfigError(f"{where}.{key} must be of type {type(default).__name__}, got {value!r}")
    return value


def rule_settings(raw: Mapping[str, Any], file: str = "config") -> dict[str, RuleSetting]:
    """Validate ``[rules.<id>]`` tables against the registry."""
    for rule_id in raw:
        if rule_id not in RULES_BY_ID:
            raise ConfigError(
                f"{file}: unknown rule id [rules.{rule_id}] (known: {', '.join(RULES_BY_ID)})"
            )
    settings: dict[str, RuleSetting] = {}
    for rule in ALL_RULES:
        table = raw.get(rule.id, {})
        where = f"{file}: [rules.{rule.id}]"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where} must be a table")
        params = dict(rule.defaults)
        enabled, severity = True, rule.severity
        for key, value in table.items():
            if key == "enabled":
                if not isinstance(value, bool):
                    raise ConfigError(f"{where}.enabled must be true or false")
                enabled = value
            elif key == "severity":
                if value not in {s.value for s in Severity}:
                    raise ConfigError(f"{where}.severity must be info, warning or error")
                severity = Severity(value)
            elif key in rule.defaults:
                params[key] = _check_param(rule, key, value, where)
            else:
                known = ", ".join(["enabled", "severity", *rule.defaults])
                raise ConfigError(f"{where}: unknown key '{key}' (known: {known})")
        settings[rule.id] = RuleSetting(enabled, severity, params)
    return settings


def evaluate(
    inventory: Inventory,
    settings: Mapping[str, RuleSetting] | None = None,
    *,
    now_epoch: float | None = None,
) -> list[Finding]:
    settings = settings if settings is not None else rule_settings({})
    now = time.time() if now_epoch is None else now_epoch
    findings: list[Finding] = []
    for rule in ALL_RULES:
        setting = settings[rule.id]
        if not setting.enabled:
            continue
        for hit in rule.check(inventory, RuleContext(setting.params, now)):
            findings.append(
                Finding(rule.id, setting.severity, hit.subject, hit.layer, hit.message, hit.hint)
            )
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.subject))
