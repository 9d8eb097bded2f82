"""A recording's config.toml, written from the typed ``Config``, loads back to the same settings.

Replay reads the sources, the classify entries, the rule settings, the owners and the waivers;
those must survive ``collect record`` exactly, for every config the repository holds and for one
that changes every rule.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from collector.config import Config, load_config, parse_config
from collector.recording.config_out import recorded_config
from collector.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ROOT / "config.example.toml",
    ROOT / "fixtures" / "demo-lab" / "config.toml",
    *sorted((ROOT / "fixtures" / "scenarios").glob("*/config.toml")),
]


def replayed(config: Config) -> tuple[object, ...]:
    return (
        config.proxmox,
        config.docker,
        config.classify,
        config.rules,
        config.ownership,
        config.waivers,
    )


def round_trip(config: Config, tmp_path: Path) -> Config:
    recorded = tmp_path / "config.toml"
    recorded.write_text(recorded_config(config), encoding="utf-8")
    return load_config(recorded)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.parent.name for p in CONFIGS])
def test_every_config_here_survives_a_recording(path: Path, tmp_path: Path) -> None:
    config = load_config(path)
    assert replayed(round_trip(config, tmp_path)) == replayed(config)


def _every_setting_changed() -> str:
    lines = []
    for rule in ALL_RULES:
        lines += [f"[rules.{rule.id}]", "enabled = false", 'severity = "info"']
        for key, default in rule.defaults.items():
            if isinstance(default, bool):
                value = "false" if default else "true"
            elif isinstance(default, int | float):
                value = repr(default * 2 + 1)
            elif isinstance(default, str):
                value = f'"{default}-x"'
            elif isinstance(default, list):
                value = f'["{rule.choices[key][0]}"]' if key in rule.choices else '["x"]'
            else:
                value = '{ "pve:lab/node/*" = "alice", "docker:apps/*" = "bob" }'
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def test_every_rule_setting_survives_a_recording(tmp_path: Path) -> None:
    config = parse_config(tomllib.loads(_every_setting_changed()), "all.toml")
    assert not any(setting.enabled for setting in config.rules.values())
    assert config.ownership.owners == {"pve:lab/node/*": "alice", "docker:apps/*": "bob"}
    assert replayed(round_trip(config, tmp_path)) == replayed(config)


def test_only_what_differs_from_the_defaults_is_written() -> None:
    doc = tomllib.loads(recorded_config(Config()))
    assert doc == {}
    changed = parse_config({"rules": {"backup-stale": {"max_age_days": 7, "severity": "error"}}})
    assert tomllib.loads(recorded_config(changed)) == {
        "rules": {"backup-stale": {"severity": "error"}}
    }
