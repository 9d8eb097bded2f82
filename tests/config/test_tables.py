"""Each table of the config file and the typed settings it becomes."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from collector.config import Config, DockerConfig, ProxmoxConfig, load_config, parse_config
from collector.config.load import TOP_LEVEL
from collector.config.rules import rule_fields
from collector.contract import RunLimits
from collector.correlation.classify import ClassifyRule
from collector.correlation.ownership import OwnershipSettings
from collector.errors import ConfigError
from collector.history.settings import (
    DEFAULT_KEEP_RUNS,
    DEFAULT_LOCK_TIMEOUT,
    HistorySettings,
    default_history_path,
)
from collector.model import Role, Severity
from collector.notify.settings import NotifyKind, NotifyTarget, NotifyWhen
from collector.rules import ALL_RULES, RULES_BY_ID, RuleSetting, default_rule_settings
from collector.rules.waivers import Waiver


def parse(text: str) -> Config:
    return parse_config(tomllib.loads(text), "lab.toml")


def message(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_default_config_is_valid_and_complete() -> None:
    config = Config()
    assert config == parse("")
    assert (config.proxmox, config.docker, config.classify, config.waivers) == ((), (), (), ())
    assert config.rules == default_rule_settings() and set(config.rules) == set(RULES_BY_ID)
    assert config.ownership == OwnershipSettings()
    assert config.history == HistorySettings(default_history_path())
    assert config.history.keep_runs == DEFAULT_KEEP_RUNS and not config.history.path_configured
    assert config.notify == () and config.collect == RunLimits()
    assert config.record.redact_keys == () and config.path is None


def test_sources() -> None:
    config = parse(
        """
        [[proxmox]]
        name = "lab"
        host = "pve1.lan"
        user = "collector@pve"
        token_name = "collector"
        token_secret_file = "/etc/token"
        timeout = 3

        [[docker]]
        name = "apps"
        url = "ssh://root@apps.lan"
        guest = "lab/qemu/105"
        """
    )
    assert config.proxmox == (
        ProxmoxConfig(
            "lab",
            "pve1.lan",
            "collector@pve",
            token_name="collector",
            token_secret_file="/etc/token",
            timeout=3.0,
        ),
    )
    assert isinstance(config.proxmox[0].timeout, float)
    assert config.docker == (DockerConfig("apps", "ssh://root@apps.lan", guest="lab/qemu/105"),)


def test_the_source_name_is_checked() -> None:
    docker = '[[docker]]\nname = "a/b"\nurl = "unix:///x"\n'
    assert "source name 'a/b' must not contain '/' or ':'" in message(docker)


def test_rules_settings_overlay_the_registry_defaults() -> None:
    config = parse(
        """
        [rules.backup-stale]
        max_age_days = 14
        severity = "error"

        [rules.log-unbounded]
        enabled = false
        drivers = ["json-file"]
        """
    )
    assert config.rules["backup-stale"] == RuleSetting(True, Severity.ERROR, {"max_age_days": 14})
    assert config.rules["log-unbounded"] == RuleSetting(
        False, Severity.WARNING, {"drivers": ("json-file",)}
    )
    untouched = {
        k: v for k, v in config.rules.items() if k not in ("backup-stale", "log-unbounded")
    }
    assert untouched == {k: v for k, v in default_rule_settings().items() if k in untouched}


def test_every_rule_takes_enabled_severity_and_its_parameters() -> None:
    for rule in ALL_RULES:
        assert [f.name for f in rule_fields(rule)] == ["enabled", "severity", *rule.defaults]


def test_a_misspelt_rule_id_gets_a_did_you_mean() -> None:
    assert message("[rules.backup-stal]\nmax_age_days = 3\n").startswith(
        "lab.toml: unknown rule id [rules.backup-stal] (did you mean 'backup-stale'?); fix the "
        "spelling or remove that table (known: service-in-vm, "
    )
    assert "did you mean" not in message("[rules.nothing-like-it]\n")


def test_a_misspelt_rule_parameter_gets_a_did_you_mean() -> None:
    assert "unknown key [rules.backup-stale].max_age_day (did you mean 'max_age_days'?)" in message(
        "[rules.backup-stale]\nmax_age_day = 3\n"
    )


def test_the_owner_settings_come_from_owner_missing_once() -> None:
    config = parse(
        """
        [rules.owner-missing]
        owner_tag_prefix = "o-"
        pool_owners = { apps = "alice" }
        owners = { "pve:lab/node/*" = "bob" }
        layers = ["guest"]
        """
    )
    assert config.ownership == OwnershipSettings(
        "o-", "homelab.owner", {"apps": "alice"}, {"pve:lab/node/*": "bob"}
    )
    params = config.rules["owner-missing"].params
    assert params["owner_tag_prefix"] == "o-" and params["layers"] == ("guest",)


def test_classify() -> None:
    config = parse('[[rules.classify]]\nrole = "platform"\nimage = "*traefik*"\n')
    assert config.classify == (ClassifyRule(Role.PLATFORM, image="*traefik*"),)
    assert "[[rules.classify]][0].role = 'servic' is not one of platform, service" in message(
        '[[rules.classify]]\nrole = "servic"\nname = "x"\n'
    )
    assert "'rules.classify' must be an array of tables: write [[rules.classify]]" in message(
        '[rules.classify]\nrole = "platform"\n'
    )


WAIVER = """
[[waivers]]
subject = " pve:lab/qemu/1 "
rule = "backup-missing"
reason = "scratch VM"
expires = 2027-01-31
"""


def test_waivers() -> None:
    assert parse(WAIVER).waivers == (
        Waiver("pve:lab/qemu/1", "backup-missing", "scratch VM", date(2027, 1, 31)),
    )


def test_a_misspelt_rule_id_in_a_waiver_gets_a_did_you_mean() -> None:
    text = message(WAIVER.replace("backup-missing", "backup-mising"))
    assert text.startswith(
        "lab.toml: [[waivers]][0].rule = 'backup-mising' is not a rule id (did you mean "
        "'backup-missing'?) (known: service-in-vm, "
    )


def test_collect() -> None:
    assert parse("[collect]\ndeadline_seconds = 30\nretries = 0\n").collect == RunLimits(30.0, 0)
    assert "[collect].retries must be an integer from 0 to 3, got 4" in message(
        "[collect]\nretries = 4\n"
    )
    assert "[collect].deadline_seconds must be a number of seconds between 0 and 86400" in (
        message("[collect]\ndeadline_seconds = 0\n")
    )


def test_history(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[history]\npath = "h.db"\nkeep_days = 30\nlock_timeout = 5\nenabled = false\n')
    assert load_config(path).history == HistorySettings(
        path=tmp_path / "h.db",
        enabled=False,
        keep_runs=None,
        keep_days=30,
        lock_timeout=5.0,
        path_configured=True,
    )
    assert parse("[history]\nkeep_runs = 3\n").history.lock_timeout == DEFAULT_LOCK_TIMEOUT
    assert not parse("[history]\nkeep_runs = 3\n").history.path_configured


def test_notify() -> None:
    config = parse(
        """
        [[notify]]
        kind = "ntfy"
        url = "https://ntfy.example/lab"

        [[notify]]
        kind = "slack"
        url_env = "SLACK_HOOK"
        when = "always"
        """
    )
    assert config.notify == (
        NotifyTarget(0, NotifyKind.NTFY, url="https://ntfy.example/lab", file="lab.toml"),
        NotifyTarget(
            1, NotifyKind.SLACK, url_env="SLACK_HOOK", when=NotifyWhen.ALWAYS, file="lab.toml"
        ),
    )


def test_a_notify_url_is_never_echoed() -> None:
    text = message('[[notify]]\nkind = "slack"\nurl = "ftp://hooks/T0/SECRET"\n')
    assert "[[notify]][0].url must start with http:// or https://" in text
    assert "SECRET" not in text
    assert "SECRET" not in message('[[notify]]\nkind = "slack"\nurl = ["T0/SECRET"]\n')


def test_record() -> None:
    config = parse('[record]\nredact_keys = [" Notes ", "homelab.owner"]\n')
    assert config.record.redact_keys == ("notes", "homelab.owner")


def test_a_misspelt_table_name_gets_a_did_you_mean() -> None:
    assert message("[histroy]\nenabled = false\n").startswith(
        "lab.toml: unknown top-level key 'histroy' (did you mean 'history'?); fix the spelling "
        f"or remove it (known: {', '.join(TOP_LEVEL)})"
    )
    assert "did you mean 'waivers'" in message('[[waiver]]\nrule = "x"\n')


def test_load_config_remembers_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    assert load_config(path) == Config(path=path)
