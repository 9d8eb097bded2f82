"""Rule registry and evaluation: run every enabled rule, apply ``[rules.<id>]`` and waivers.

``[rules.<id>]`` accepts ``enabled``, ``severity`` and the rule's own parameters (the keys of its
``defaults``); anything else, or an unknown rule id, is a config error. ``[[waivers]]`` are
validated against the same registry (``collector.waivers``) and applied after the rules ran.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector.config import Config
from collector.errors import ConfigError
from collector.inventory import Inventory
from collector.model import Finding, Severity
from collector.rules.backup import RULES as BACKUP_RULES
from collector.rules.base import Hit, Rule, RuleContext
from collector.rules.monitoring import RULES as MONITORING_RULES
from collector.rules.operations import RULES as OPERATIONS_RULES
from collector.rules.placement import RULES as PLACEMENT_RULES
from collector.waivers import EXPIRED_RULE, Waiver, apply_waivers, parse_waivers


def _no_check(_inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    """``waiver-expired`` findings come from the waivers themselves (``apply_waivers``)."""
    return iter(())


WAIVER_RULES = (
    Rule(
        EXPIRED_RULE,
        Severity.WARNING,
        "a [[waivers]] entry is past its expires date",
        _no_check,
        "waivers",
    ),
)
ALL_RULES: tuple[Rule, ...] = (
    PLACEMENT_RULES + BACKUP_RULES + MONITORING_RULES + OPERATIONS_RULES + WAIVER_RULES
)
RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in ALL_RULES}


@dataclass(frozen=True, slots=True)
class RuleSetting:
    enabled: bool
    severity: Severity
    params: Mapping[str, Any]


def _type_name(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int | float):
        return "a positive number"
    if isinstance(default, str):
        return "a non-empty string"
    if isinstance(default, list):
        return "an array of strings"
    return "a table of strings"


def _check_param(rule: Rule, key: str, value: Any, where: str) -> Any:
    default = rule.defaults[key]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int | float):
        kinds = int if isinstance(default, int) else (int, float)
        ok = isinstance(value, kinds) and not isinstance(value, bool) and value > 0
    elif isinstance(default, str):
        ok = isinstance(value, str) and bool(value.strip())
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    else:
        ok = isinstance(value, dict) and all(
            isinstance(v, str) and v.strip() for v in value.values()
        )
    if not ok:
        raise ConfigError(f"{where}.{key} must be {_type_name(default)}, got {value!r}")
    allowed = rule.choices.get(key)
    if allowed:
        for item in value if isinstance(value, list) else [value]:
            if item not in allowed:
                raise ConfigError(f"{where}.{key}: {item!r} is not one of {', '.join(allowed)}")
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
                if not isinstance(value, str) or value not in {s.value for s in Severity}:
                    raise ConfigError(f"{where}.severity must be info, warning or error")
                severity = Severity(value)
            elif key in rule.defaults:
                params[key] = _check_param(rule, key, value, where)
            else:
                known = ", ".join(["enabled", "severity", *rule.defaults])
                raise ConfigError(f"{where}: unknown key '{key}' (known: {known})")
        settings[rule.id] = RuleSetting(enabled, severity, params)
    return settings


def rules_from_config(config: Config) -> tuple[dict[str, RuleSetting], tuple[Waiver, ...]]:
    """Validate ``[rules.<id>]`` and ``[[waivers]]`` of a loaded config (ConfigError if bad)."""
    file = str(config.path) if config.path is not None else "config"
    settings = rule_settings(config.extra.get("rules", {}), file)
    waivers = parse_waivers(config.extra.get("waivers"), list(RULES_BY_ID), file)
    return settings, waivers


def evaluate(
    inventory: Inventory,
    settings: Mapping[str, RuleSetting] | None = None,
    *,
    now_epoch: float | None = None,
    waivers: Sequence[Waiver] = (),
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
    expired = settings[EXPIRED_RULE]
    today = datetime.fromtimestamp(now, UTC).date()
    findings = apply_waivers(
        findings, waivers, today, expired.severity if expired.enabled else None
    )
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Open findings first (worst first), then the waived ones."""
    return sorted(findings, key=lambda f: (f.waived, -f.severity.rank, f.rule, f.subject))
