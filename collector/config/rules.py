"""What the rules get from the config: ``[rules.<id>]``, ``[[rules.classify]]`` and ``[[waivers]]``.

``[rules.<id>]`` takes ``enabled``, ``severity`` and the rule's own parameters: the keys of its
``defaults`` in the registry (``collector.rules``), of the same kind as the default, and one of
its ``choices`` where it has some. The owner settings are written in ``[rules.owner-missing]``
(the rule that reports what has no owner) and become ``Config.ownership`` here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from collector.config.messages import TablePath, did_you_mean, unknown
from collector.config.schema import Field, Kind, Values, array_of_tables, as_table, check_table
from collector.correlation.classify import ClassifyRule
from collector.correlation.ownership import DEFAULT_LABEL, DEFAULT_TAG_PREFIX, OwnershipSettings
from collector.model import Role, Severity
from collector.rules import ALL_RULES, RULES_BY_ID, RuleSetting, default_rule_settings
from collector.rules.base import ParamValue, Rule
from collector.rules.waivers import EXPIRED_RULE, Waiver

OWNER_RULE = "owner-missing"

CLASSIFY_FIELDS = (
    Field("role", Kind.STR, required=True, choices=(Role.PLATFORM.value, Role.SERVICE.value)),
    Field("name", Kind.STR),
    Field("image", Kind.STR),
    Field("tag", Kind.STR),
    Field("pool", Kind.STR),
    Field("form", Kind.STR, choices=("vm", "lxc", "docker-container")),
    Field("engine", Kind.STR),
)
_NONEMPTY = "a non-empty string"
WAIVER_FIELDS = (
    Field("subject", Kind.STR, required=True, expect=_NONEMPTY,
          about="the finding's subject: an id or a glob"),
    Field("rule", Kind.STR, required=True, expect=_NONEMPTY,
          about="the rule id the finding comes from"),
    Field("reason", Kind.STR, required=True, expect=_NONEMPTY,
          about="why the finding is accepted"),
    Field("expires", Kind.DATE),
)  # fmt: skip


def rule_fields(rule: Rule) -> tuple[Field, ...]:
    """The keys ``[rules.<id>]`` takes for ``rule``: enabled, severity, then its parameters."""
    return (
        Field("enabled", Kind.BOOL),
        Field(
            "severity",
            Kind.STR,
            choices=tuple(s.value for s in Severity),
            expect="info, warning or error",
        ),
        *(_param_field(rule, key, default) for key, default in rule.defaults.items()),
    )


def _param_field(rule: Rule, key: str, default: object) -> Field:
    choices = rule.choices.get(key, ())
    if isinstance(default, bool):
        return Field(key, Kind.BOOL)
    if isinstance(default, int | float):
        kind = Kind.INT if isinstance(default, int) else Kind.FLOAT
        return Field(key, kind, positive=True, expect="a positive number")
    if isinstance(default, str):
        return Field(key, Kind.STR, choices=choices, expect=None if choices else _NONEMPTY)
    if isinstance(default, list | tuple):
        return Field(key, Kind.STRS, choices=choices)
    return Field(key, Kind.TABLE)


@dataclass(frozen=True, slots=True)
class RulesTables:
    """Everything under ``[rules]``: the rule settings, the classify entries, the owners."""

    rules: Mapping[str, RuleSetting]
    classify: tuple[ClassifyRule, ...]
    ownership: OwnershipSettings


def parse_rules(doc: Mapping[str, object], file: str) -> RulesTables:
    """``[rules]``: ``[[rules.classify]]`` and one ``[rules.<id>]`` per configured rule."""
    tables = as_table(doc.get("rules", {}), TablePath.table(file, "rules"))
    known = [*RULES_BY_ID, "classify"]
    for rule_id in tables:
        if rule_id not in known:
            raise unknown(
                file, "rule id", f"[rules.{rule_id}]", rule_id, known, remove="that table"
            )
    classify = tuple(
        _classify(raw, at) for at, raw in array_of_tables(tables, file, "rules", "classify")
    )
    settings = default_rule_settings()
    ownership = OwnershipSettings()
    for rule in ALL_RULES:
        if rule.id not in tables:
            continue
        at = TablePath.table(file, "rules", rule.id)
        values = check_table(tables[rule.id], rule_fields(rule), at)
        settings[rule.id] = _setting(rule, values, settings[rule.id])
        if rule.id == OWNER_RULE:
            ownership = _ownership(values)
    return RulesTables(settings, classify, ownership)


def _setting(rule: Rule, values: Values, default: RuleSetting) -> RuleSetting:
    params: dict[str, ParamValue] = dict(default.params)
    for key in rule.defaults:
        value = values.found.get(key)
        if value is not None and not isinstance(value, date):  # no parameter is a date
            params[key] = value
    severity = values.opt_text("severity")
    return RuleSetting(
        enabled=values.flag("enabled", default.enabled),
        severity=Severity(severity) if severity is not None else default.severity,
        params=params,
    )


def _ownership(values: Values) -> OwnershipSettings:
    return OwnershipSettings(
        tag_prefix=values.opt_text("owner_tag_prefix") or DEFAULT_TAG_PREFIX,
        label=values.opt_text("owner_label") or DEFAULT_LABEL,
        pool_owners=values.mapping("pool_owners"),
        owners=values.mapping("owners"),
    )


def _classify(raw: Mapping[str, object], at: TablePath) -> ClassifyRule:
    values = check_table(raw, CLASSIFY_FIELDS, at)
    if len(values.found) == 1:
        raise at.error(
            f"{at} has a role but nothing to match on (name, image, tag, pool, form, engine); "
            "add one of them"
        )
    return ClassifyRule(
        role=Role(values.text("role")),
        name=values.opt_text("name"),
        image=values.opt_text("image"),
        tag=values.opt_text("tag"),
        pool=values.opt_text("pool"),
        form=values.opt_text("form"),
        engine=values.opt_text("engine"),
    )


def parse_waivers(doc: Mapping[str, object], file: str) -> tuple[Waiver, ...]:
    """``[[waivers]]``: each names a rule of the registry and ends on a date."""
    return tuple(_waiver(raw, at) for at, raw in array_of_tables(doc, file, "waivers"))


def _waiver(raw: Mapping[str, object], at: TablePath) -> Waiver:
    values = check_table(raw, WAIVER_FIELDS, at)
    rule = values.text("rule").strip()
    if rule == EXPIRED_RULE:
        raise at.error(
            f"{at.key('rule')}: '{EXPIRED_RULE}' cannot be waived; renew or remove the "
            "expired waiver instead"
        )
    if rule not in RULES_BY_ID:
        raise at.error(
            f"{at.key('rule')} = {rule!r} is not a rule id{did_you_mean(rule, RULES_BY_ID)} "
            f"(known: {', '.join(RULES_BY_ID)})"
        )
    expires = values.day("expires")
    if expires is None:
        raise at.error(
            f"{at.key('expires')} must be a TOML date such as 2027-01-31 (no quotes), got missing"
        )
    return Waiver(values.text("subject").strip(), rule, values.text("reason").strip(), expires)
