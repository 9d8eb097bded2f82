"""A recording's config.toml, written from the typed ``Config``, loads back to the same settings.

Replay reads the sources, the classify entries, the rule settings, the owners and the waivers;
those must survive ``collect record`` exactly, for every config the repository holds and for one
that changes every rule.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from collector.config import Config, load_config, parse_config
from collector.recording.config_out import recorded_config
from collector.recording.declaration_out import declaration_files
from collector.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ROOT / "config.example.toml",
    ROOT / "fixtures" / "demo-lab" / "config.toml",
    *sorted(
        path
        for path in (ROOT / "fixtures" / "scenarios").glob("*/config.toml")
        if "config_error" not in json.loads((path.parent / "expected.json").read_text())
    ),  # a scenario whose config is meant to be refused has no settings to keep
]


def replayed(config: Config) -> tuple[object, ...]:
    return (
        config.proxmox,
        config.docker,
        config.classify,
        config.rules,
        config.ownership,
        config.waivers,
        config.architecture.systems,
        [s.origin for s in config.architecture.systems or ()],
    )


def round_trip(config: Config, tmp_path: Path) -> Config:
    """The recording's config, and the declaration files ``collect record`` copies beside it."""
    recorded = tmp_path / "config.toml"
    recorded.write_text(recorded_config(config), encoding="utf-8")
    for name, path in declaration_files(config).items():
        (tmp_path / name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
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


def test_a_declaration_in_the_config_a_file_and_a_page_survives_a_recording(
    tmp_path: Path,
) -> None:
    """The page and the file are copied under their names (so every origin, line numbers
    included, stays the same); the config's own entries are written as entries."""
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "Architektur.md").write_text("# A\n\n| System | Typ |\n|-|-|\n| dns | lxc |\n")
    (lab / "systems.toml").write_text('[[systems]]\nname = "gitea"\nform = "compose"\n')
    (lab / "config.toml").write_text(
        '[architecture]\npage = "Architektur.md"\nfile = "systems.toml"\n\n'
        '[[systems]]\nname = "k3s-*"\nform = "vm"\nrole = "platform"\nbackup = false\n'
    )
    config = load_config(lab / "config.toml")
    recorded = tmp_path / "rec"
    recorded.mkdir()
    again = round_trip(config, recorded)
    assert replayed(again) == replayed(config)
    assert again.architecture.systems is not None
    assert [s.origin for s in again.architecture.systems] == [
        "[[systems]][0]",
        "systems.toml [[systems]][0]",
        "Architektur.md:5",
    ]
    assert tomllib.loads((recorded / "config.toml").read_text())["architecture"] == {
        "page": "Architektur.md",
        "file": "systems.toml",
    }


def test_an_empty_declaration_stays_a_declaration(tmp_path: Path) -> None:
    config = parse_config({"systems": []})
    assert round_trip(config, tmp_path).architecture.systems == ()


def test_an_anonymised_declaration_names_guests_and_nodes_by_their_pseudonyms() -> None:
    from collector.recording.pseudonym import Pseudonymiser

    config = parse_config(
        tomllib.loads(
            '[[docker]]\nname = "apps"\nurl = "ssh://a@apps.lan"\n'
            '[[systems]]\nname = "opnsense"\nform = "vm"\nhost = "pve1"\n'
            'link = "https://wiki.lan/opnsense"\n'
            '[[systems]]\nname = "k3s-*"\nform = "vm"\n'
            '[[systems]]\nname = "nextcloud"\nform = "compose"\nhost = "apps"\nowner = "bob"\n'
            '[[systems]]\nname = "web"\nform = "container"\nhost = "docker-apps"\n'
        )
    )
    pseudo = Pseudonymiser(b"salt", ["k3s-*"])
    doc = tomllib.loads(recorded_config(config, pseudo))
    assert doc["systems"] == [
        {"name": pseudo.host("opnsense"), "form": "vm", "host": pseudo.host("pve1")},
        {"name": "k3s-*", "form": "vm"},
        {"name": "nextcloud", "form": "compose", "host": "apps", "owner": "bob"},
        {"name": "web", "form": "container", "host": pseudo.host("docker-apps")},
    ]
    assert "architecture" not in doc and pseudo.host("opnsense") != "opnsense"
