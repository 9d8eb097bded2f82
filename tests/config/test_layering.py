"""The config package imports down only: nothing it builds on imports it back.

Each layer keeps its own settings type (``RuleSetting`` in ``collector.rules``, ``Waiver`` in
``collector.rules.waivers``, ``HistorySettings`` in ``collector.history.settings``, ...) and never
reads the config itself; only ``collector.config`` checks the file and builds those types.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in (ROOT / "collector").rglob("*.py")}


def imports(module: str) -> set[str]:
    """The project modules ``module`` imports (``from a import b`` counts ``a.b`` if a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in MODULES}


def below_config() -> set[str]:
    """Every module the config package reaches through its imports, the package left out."""
    todo = [m for m in MODULES if m.startswith("collector.config")]
    seen: set[str] = set()
    while todo:
        for name in imports(todo.pop()):
            if name not in seen and not name.startswith("collector.config"):
                seen.add(name)
                todo.append(name)
    return seen


def test_nothing_below_the_config_imports_it() -> None:
    lower = below_config()
    assert {"collector.rules", "collector.rules.waivers", "collector.contract"} <= lower
    assert {"collector.history.settings", "collector.notify.settings"} <= lower
    assert {
        "collector.correlation.ownership",
        "collector.correlation.classify",
        "collector.correlation.inventory",
    } <= lower
    back_up = {m: sorted(n for n in imports(m) if n.startswith("collector.config")) for m in lower}
    assert {m: names for m, names in back_up.items() if names} == {}


def test_no_module_reads_raw_toml_but_the_config_package() -> None:
    readers = {m for m, path in MODULES.items() if "tomllib" in path.read_text(encoding="utf-8")}
    assert readers == {"collector.config.load", "collector.config.declaration"}
