"""config.example.toml is the configuration reference: it must load, and document every key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from collector.config import load_config, parse_config
from collector.config.job import HISTORY_FIELDS, NOTIFY_FIELDS
from collector.config.pbs import PBS_FIELDS
from collector.config.rules import CLASSIFY_FIELDS
from collector.config.sources import DOCKER_FIELDS, PROXMOX_FIELDS
from collector.rules import ALL_RULES, RULES_BY_ID

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
TEXT = EXAMPLE.read_text(encoding="utf-8")


def _commented_block(header: str) -> str:
    """The commented-out example table starting at ``# <header>``, uncommented."""
    lines = TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"# {header}")
    block = []
    for line in lines[start:]:
        if not line.startswith("#") or (block and line.strip() in ("#", "")):
            break
        body = line[1:].strip()
        if block and body.startswith("[") and body != header:
            break
        if "=" in body or body == header:
            block.append(re.sub(r"\s+#\s.*$", "", body))
    return "\n".join(block)


def test_the_example_loads_as_it_is() -> None:
    config = load_config(EXAMPLE)
    assert config.proxmox and config.docker and config.classify
    assert set(config.rules) == set(RULES_BY_ID)


KEY_TABLES = {
    "[[proxmox]]": PROXMOX_FIELDS,
    "[[docker]]": DOCKER_FIELDS,
    "[[pbs]]": PBS_FIELDS,
    "[[rules.classify]]": CLASSIFY_FIELDS,
    "[history]": HISTORY_FIELDS,
    "[[notify]]": NOTIFY_FIELDS,
}


def _section(header: str) -> str:
    """What documents one table: from the ruled box above its header (the box describes the
    table's keys) to the next ruled box."""
    lines = TEXT.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() in (header, f"# {header}"))
    rules = [i for i, line in enumerate(lines) if re.fullmatch(r"# -{20,}", line)]
    above = [i for i in rules if i < at]
    start = above[-2] if len(above) >= 2 else 0
    end = next((i for i in rules if i > at), len(lines))
    return "\n".join(lines[start:end])


def _rule_block(rule_id: str) -> str:
    """The commented ``# [rules.<id>]`` example, up to the blank line after it."""
    start = TEXT.index(f"\n# [rules.{rule_id}]\n")
    end = TEXT.find("\n\n", start + 1)
    return TEXT[start : end if end != -1 else len(TEXT)]


@pytest.mark.parametrize("table", list(KEY_TABLES))
def test_every_key_is_documented_in_its_table(table: str) -> None:
    section = _section(table)
    for key in KEY_TABLES[table]:
        assert re.search(rf"\b{re.escape(key.name)}\b", section), f"{table} {key.name}"


def test_every_rule_parameter_is_shown_with_its_default() -> None:
    for rule in ALL_RULES:
        if not rule.defaults:
            continue
        block = _rule_block(rule.id)
        for param in rule.defaults:
            assert re.search(rf"^# {re.escape(param)} = ", block, re.M), f"{rule.id}.{param}"
    for table, key in (("collect", "deadline_seconds"), ("collect", "retries")):
        assert re.search(rf"^# {key} = ", _section(f"[{table}]"), re.M), key
    assert re.search(r"^# redact_keys = ", _section("[record]"), re.M)


def test_the_commented_rule_and_waiver_examples_are_valid() -> None:
    rules = {}
    for header in re.findall(r"^# (\[rules\.[a-z-]+\])$", TEXT, re.M):
        rules.update(tomllib.loads(_commented_block(header))["rules"])
    assert rules, "the example shows [rules.<id>] tables"
    waiver = tomllib.loads(_commented_block("[[waivers]]"))["waivers"]
    assert parse_config({"rules": rules, "waivers": waiver}, "example").waivers


def test_the_commented_pbs_example_is_valid_once_its_fingerprint_is_real() -> None:
    block = _commented_block("[[pbs]]").replace('"64:d3:ff:3a:..."', '"' + "ab:" * 31 + 'ab"')
    block = "\n".join(line for line in block.splitlines() if not line.startswith("ca_bundle"))
    (pbs,) = parse_config(tomllib.loads(block), "example").pbs
    assert (pbs.name, pbs.port, pbs.token_id, pbs.token_secret_env) == (
        "pbs",
        8007,
        "collector@pbs!collector",
        "PBS_TOKEN_SECRET",
    )
