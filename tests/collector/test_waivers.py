"""``[[waivers]]`` and ``[rules.<id>]``: validation (one clear line, exit 2) and their effect."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.config import parse_config
from collector.errors import ConfigError
from collector.model import Finding, Layer, Severity
from collector.rules import RuleSetting
from collector.rules.waivers import Waiver, apply_waivers

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def _waivers(text: str) -> tuple[Waiver, ...]:
    return parse_config(tomllib.loads(text), "lab.toml").waivers


def rule_settings(table: dict[str, object], file: str = "config") -> Mapping[str, RuleSetting]:
    return parse_config({"rules": table}, file).rules


GOOD = """
[[waivers]]
subject = "docker:lab/*"
rule = "image-unpinned"
reason = "throwaway lab"
expires = 2027-01-31
"""


def test_a_good_waiver() -> None:
    assert _waivers(GOOD) == (
        Waiver("docker:lab/*", "image-unpinned", "throwaway lab", date(2027, 1, 31)),
    )


REASON, RULE = 'reason = "throwaway lab"', 'rule = "image-unpinned"'
SUBJECT, EXPIRES = 'subject = "docker:lab/*"', "expires = 2027-01-31"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (REASON, "", "[[waivers]][0] is missing 'reason' (why the finding is accepted)"),
        (REASON, 'reason = "   "', "[[waivers]][0].reason must be a non-empty string"),
        (RULE, "", "[[waivers]][0] is missing 'rule'"),
        (SUBJECT, "", "[[waivers]][0] is missing 'subject'"),
        (EXPIRES, "", "[[waivers]][0].expires must be a TOML date such as 2027-01-31"),
        (EXPIRES, "", "(no quotes), got missing"),
        (RULE, 'rule = "image-pinned"', "[[waivers]][0].rule = 'image-pinned' is not a rule id"),
        (RULE, 'rule = "waiver-expired"', "'waiver-expired' cannot be waived"),
        (EXPIRES, 'expires = "2027-01-31"', "(no quotes), got str '2027-01-31'"),
        (EXPIRES, "expires = 10:00:00", "got time"),
        (REASON, 'reason = "x"\nowner = "bob"', "unknown key [[waivers]][0].owner"),
    ],
)
def test_a_bad_waiver_is_one_line_naming_file_and_key(old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _waivers(GOOD.replace(old, new))
    assert str(err.value).startswith("lab.toml: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_waivers_must_be_an_array_of_tables() -> None:
    with pytest.raises(ConfigError, match=r"write \[\[waivers\]\]"):
        parse_config({"waivers": {"subject": "x"}}, "f")


def test_an_offset_datetime_counts_as_its_date() -> None:
    text = GOOD.replace("expires = 2027-01-31", "expires = 2027-01-31T10:00:00Z")
    assert _waivers(text)[0].expires == date(2027, 1, 31)


def _finding(rule: str, subject: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(rule, severity, subject, Layer.CONTAINER, "m", "h")


def test_waiver_holds_through_its_expiry_day_then_becomes_a_finding() -> None:
    waiver = Waiver("docker:lab/*", "image-unpinned", "throwaway", date(2026, 11, 26))
    findings = [_finding("image-unpinned", "docker:lab/a"), _finding("log-none", "docker:lab/a")]

    on_the_day = apply_waivers(findings, [waiver], date(2026, 11, 26), Severity.WARNING)
    assert [(f.rule, f.waived) for f in on_the_day] == [
        ("image-unpinned", True),
        ("log-none", False),
    ]
    assert (
        on_the_day[0].waiver_reason == "throwaway" and on_the_day[0].waiver_expires == "2026-11-26"
    )

    after = apply_waivers(findings, [waiver], date(2026, 11, 27), Severity.ERROR)
    assert [(f.rule, f.waived) for f in after] == [
        ("image-unpinned", False),
        ("log-none", False),
        ("waiver-expired", False),
    ]
    expired = after[2]
    assert expired.subject == "docker:lab/*" and expired.layer is Layer.CONTAINER
    assert expired.severity is Severity.ERROR
    assert "expired on 2026-11-26" in expired.message and "1 finding(s)" in expired.message


def test_expired_waiver_rule_disabled_still_stops_waiving() -> None:
    waiver = Waiver("pve:lab/qemu/1", "onboot-off", "r", date(2026, 1, 1))
    out = apply_waivers(
        [_finding("onboot-off", "pve:lab/qemu/1")], [waiver], date(2026, 2, 1), None
    )
    assert [(f.rule, f.waived) for f in out] == [("onboot-off", False)]


def test_a_current_waiver_wins_over_an_expired_one_for_the_same_finding() -> None:
    old = Waiver("pve:lab/qemu/1", "onboot-off", "old", date(2026, 1, 1))
    new = Waiver("pve:lab/qemu/*", "onboot-off", "new", date(2027, 1, 1))
    out = apply_waivers(
        [_finding("onboot-off", "pve:lab/qemu/1")], [old, new], date(2026, 2, 1), Severity.WARNING
    )
    assert out[0].waived and out[0].waiver_reason == "new"
    assert "0 finding(s)" in out[1].message


# --- [rules.<id>] ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"no-such-rule": {}}, "unknown rule id [rules.no-such-rule]"),
        ({"backup-stale": {"max_age_days": "7"}}, "[rules.backup-stale].max_age_days must be"),
        ({"backup-stale": {"max_age_days": 0}}, "must be a positive number, got 0"),
        ({"backup-stale": {"max_age_days": True}}, "must be a positive number, got True"),
        ({"backup-stale": {"max_days": 7}}, "key 'max_days' (known: enabled, severity, max_age"),
        ({"owner-missing": {"layers": ["guest", "vm"]}}, "layers: 'vm' is not one of"),
        ({"owner-missing": {"owners": {"pve:*": 3}}}, "owners must be a table of strings"),
        ({"owner-missing": {"owner_label": ""}}, "owner_label must be a non-empty string"),
        ({"log-unbounded": {"drivers": "json-file"}}, "drivers must be an array of strings"),
        ({"restart-loop": {"severity": "fatal"}}, "severity must be info, warning or error"),
        ({"restart-loop": {"enabled": "no"}}, "enabled must be true or false"),
    ],
)
def test_rule_settings_are_validated(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        rule_settings(table, "lab.toml")
    assert message in str(err.value) and str(err.value).startswith("lab.toml: ")


def test_rule_settings_overlay_the_defaults() -> None:
    settings = rule_settings(
        {"backup-stale": {"max_age_days": 14, "severity": "error"}, "log-none": {"enabled": False}}
    )
    assert settings["backup-stale"].params == {"max_age_days": 14}
    assert settings["backup-stale"].severity is Severity.ERROR
    assert not settings["log-none"].enabled
    assert settings["restart-loop"].params == {"restart_loop_count": 5}


def test_rules_and_waivers_come_from_the_config_file() -> None:
    doc = tomllib.loads("[rules.log-none]\nenabled = false\n" + GOOD)
    config = parse_config(doc, "lab.toml")
    assert not config.rules["log-none"].enabled and len(config.waivers) == 1


def test_cli_bad_waiver_is_exit_2_with_file_and_key(tmp_path: Path) -> None:
    folder = SCENARIOS / "compliant-lab"
    config = tmp_path / "config.toml"
    text = (folder / "config.toml").read_text()
    config.write_text(
        text + '\n[[waivers]]\nsubject = "x"\nrule = "log-none"\nexpires = 2027-01-01\n'
    )
    result = CliRunner().invoke(
        app, ["report", "--replay", str(folder), "--config", str(config), "--no-history"]
    )
    assert result.exit_code == 2
    missing = "[[waivers]][0] is missing 'reason' (why the finding is accepted)"
    assert result.stderr.strip().splitlines() == [f"collect: error: {config}: {missing}"]
