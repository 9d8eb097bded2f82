"""Scenario tests: every folder under fixtures/scenarios/ is a recording plus expected.json.

Adding a folder adds a test case (napalm-style). Keys of expected.json:
``findings`` (exact list of {rule, subject[, severity][, waived][, message][, hint]}: the
optional keys are compared exactly where given), ``placements`` ({engine id: {target,
method}}), ``roles`` ({id: role}), ``role_reasons`` ({id: the reason shown}), ``owners`` ({id:
[owner, owner_source]}; null for none), ``sources`` ({name: complete}), ``inventory_includes``
(ids), ``complete``, ``exit_code``, ``only_rules`` (rule ids or rule groups such as "placement":
every other rule is switched off, so a scenario about one concern lists only that concern's
findings and the exit code reflects only them), ``declared`` ({declared system name: status},
every declared system), ``config_error`` (the one-line error loading the config must give;
``{folder}`` stands for the scenario's folder; nothing else is checked), ``gaps`` (exact list of
[source, subject, what, incomplete]), ``gap_reasons`` ({"subject what": text the reason must
contain}), ``values`` ({id: {JSON key: exact value}} of the inventory item, null included).

The rules judge ages and waivers as of the scenario's ``recording.json`` (every scenario has
one), exactly as ``collect report --replay`` does: no scenario depends on the real clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collector.cli import FailOn, exit_code
from collector.collection.orchestrate import run_report
from collector.collection.wiring import replay_sources
from collector.config import load_config
from collector.errors import ConfigError
from collector.recording.meta import recorded_at
from collector.report.document import report_document
from collector.rules import ALL_RULES, RuleSetting

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
CASES = sorted(p.parent for p in SCENARIOS.glob("*/expected.json"))


def _config_error(folder: Path, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(folder / "config.toml")
    assert str(info.value) == expected.replace("{folder}", str(folder))


def _run(folder: Path, expected: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    config = load_config(folder / "config.toml")
    now = recorded_at(folder)
    assert now is not None, f"{folder.name} has no recording.json: its ages would follow the clock"
    settings = config.rules
    only = set(expected.get("only_rules", ()))
    if only:
        known = {r.id for r in ALL_RULES} | {r.group for r in ALL_RULES}
        assert only <= known, f"only_rules names unknown rules/groups: {only - known}"
        settings = {
            rule.id: RuleSetting(
                settings[rule.id].enabled and bool({rule.id, rule.group} & only),
                settings[rule.id].severity,
                settings[rule.id].params,
            )
            for rule in ALL_RULES
        }
    report = run_report(config, replay_sources(config, folder), settings=settings, now=now)
    return report, report_document(report)


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_scenario(folder: Path) -> None:
    expected = json.loads((folder / "expected.json").read_text())
    if "config_error" in expected:
        _config_error(folder, expected["config_error"])
        return
    report, doc = _run(folder, expected)
    items = {item["id"]: item for item in doc["inventory"]}

    if "findings" in expected:
        got = sorted((f["rule"], f["subject"]) for f in doc["findings"])
        want = sorted((f["rule"], f["subject"]) for f in expected["findings"])
        assert got == want
        found = {(f["rule"], f["subject"]): f for f in doc["findings"]}
        for f in expected["findings"]:
            for key in ("severity", "waived", "message", "hint"):
                if key in f:
                    assert found[(f["rule"], f["subject"])][key] == f[key], (key, f)
    for engine_id, placement in expected.get("placements", {}).items():
        got_placement = items[engine_id]["placement"]
        assert got_placement["target"] == placement["target"], got_placement
        assert got_placement["method"] == placement["method"], got_placement
    for item_id, role in expected.get("roles", {}).items():
        assert items[item_id]["role"] == role, items[item_id]["role_reason"]
    for item_id, reason in expected.get("role_reasons", {}).items():
        assert items[item_id]["role_reason"] == reason, item_id
    for item_id, owner in expected.get("owners", {}).items():
        got_owner = [items[item_id]["owner"], items[item_id]["owner_source"]]
        want_owner = [None, None] if owner is None else owner
        assert got_owner == want_owner, item_id
    sources = {s["name"]: s["complete"] for s in doc["sources"]}
    for name, complete in expected.get("sources", {}).items():
        assert sources[name] is complete
    for item_id in expected.get("inventory_includes", []):
        assert item_id in items
    if "declared" in expected:
        statuses = {s["name"]: s["status"] for s in doc["declared"]["systems"]}
        assert statuses == expected["declared"]
    if "gaps" in expected:
        got_gaps = sorted(
            [s["name"], g["subject"], g["what"], g["incomplete"]]
            for s in doc["sources"]
            for g in s["gaps"]
        )
        assert got_gaps == sorted(expected["gaps"])
    gaps = [g for s in doc["sources"] for g in s["gaps"]]
    reasons = {f"{g['subject']} {g['what']}": g["reason"] for g in gaps}
    for key, text in expected.get("gap_reasons", {}).items():
        assert text in reasons[key], reasons[key]
    for item_id, values in expected.get("values", {}).items():
        for key, value in values.items():
            got = items[item_id][key]
            assert (got, type(got)) == (value, type(value)), (item_id, key)
    assert doc["summary"]["complete"] is expected["complete"]
    assert exit_code(report, FailOn.ERROR) == expected["exit_code"]


def test_scenarios_exist() -> None:
    assert len(CASES) >= 10


def test_a_source_that_crashes_is_reported_and_the_others_are_kept() -> None:
    """An unexpected exception inside one source becomes that source's error, nothing more."""
    from collector.collection.orchestrate import collect_all
    from collector.model import SourceKind, SourceResult, SourceStatus

    class Crashing:
        name, kind = "broken", SourceKind.DOCKER

        def collect(self) -> SourceResult:
            raise KeyError("Id")

    class Fine:
        name, kind = "fine", SourceKind.DOCKER

        def collect(self) -> SourceResult:
            return SourceResult(SourceStatus.finished("fine", SourceKind.DOCKER, (), 1))

    broken, fine = collect_all([Crashing(), Fine()])
    assert broken.status.complete is False
    assert broken.status.error == "internal error while collecting: KeyError: 'Id'"
    assert fine.status.complete is True and fine.status.requests == 1
