"""Rule registry and evaluation: run every enabled rule with its settings, then apply waivers.

``[rules.<id>]`` accepts ``enabled``, ``severity`` and the rule's own parameters (the keys of its
``defaults``); ``collector.config`` checks those tables, and the ``[[waivers]]``, against this
registry and hands over ``RuleSetting``s and ``Waiver``s. Waivers are applied after the rules ran.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from collector.correlation.inventory import Inventory
from collector.model import Finding, Severity
from collector.rules.architecture import RULES as PLACEMENT_RULES
from collector.rules.backup import RULES as BACKUP_RULES
from collector.rules.base import Hit, ParamValue, Rule, RuleContext, param_value
from collector.rules.declared import RULES as DECLARATION_RULES
from collector.rules.monitoring import RULES as MONITORING_RULES
from collector.rules.operations import RULES as OPERATIONS_RULES
from collector.rules.restore import RULES as RESTORE_RULES
from collector.rules.waivers import EXPIRED_RULE, Waiver, apply_waivers


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
    PLACEMENT_RULES
    + BACKUP_RULES
    + RESTORE_RULES
    + MONITORING_RULES
    + OPERATIONS_RULES
    + DECLARATION_RULES
    + WAIVER_RULES
)
RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in ALL_RULES}


@dataclass(frozen=True, slots=True)
class RuleSetting:
    """A rule as configured: ``[rules.<id>]`` over the rule's defaults (``collector.config``)."""

    enabled: bool
    severity: Severity
    params: Mapping[str, ParamValue]
    """Every parameter of the rule (its ``defaults`` keys); lists are tuples."""


def default_rule_settings() -> dict[str, RuleSetting]:
    """Every rule as the registry defines it: what a config without ``[rules.<id>]`` gives."""
    return {
        rule.id: RuleSetting(
            True, rule.severity, {k: param_value(v) for k, v in rule.defaults.items()}
        )
        for rule in ALL_RULES
    }


def evaluate(
    inventory: Inventory,
    settings: Mapping[str, RuleSetting] | None = None,
    *,
    now_epoch: float | None = None,
    waivers: Sequence[Waiver] = (),
) -> list[Finding]:
    settings = settings if settings is not None else default_rule_settings()
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
