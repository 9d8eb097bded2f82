"""docs/rules.md documents every registered rule: its id, default severity and parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector.rules import ALL_RULES, Rule

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_is_documented_with_its_default_severity(rule: Rule) -> None:
    assert f"| `{rule.id}` | {rule.severity.value} |" in DOC


@pytest.mark.parametrize(
    ("rule", "param"),
    [(rule, param) for rule in ALL_RULES for param in rule.defaults],
    ids=lambda value: value if isinstance(value, str) else value.id,
)
def test_parameter_is_documented_with_its_default(rule: Rule, param: str) -> None:
    default = rule.defaults[param]
    shown = str(default) if isinstance(default, int) else json.dumps(default)
    assert f"| `{param}` | `{rule.id}` | " in DOC
    quoted = shown if isinstance(default, int) else f"`{shown}`"
    assert f"`{param}` ({quoted})" in DOC  # in the table of all rules
