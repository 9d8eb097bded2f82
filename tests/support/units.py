"""Reading systemd units and crontab command lines the way their consumers do, for the tests of
``contrib/`` and of ``collect init --systemd``.

- ``parse_unit``: systemd's syntax (sections, repeatable ``Key=Value``, ``#``/``;`` comments);
- ``unescape_specifiers``: ``%%`` is a literal ``%`` in a unit; ``%h`` is kept, any other
  ``%x`` refused;
- ``parse_collect_args``: the real ``collect`` option parser over a command line, not run;
- ``systemd_verify``: ``systemd-analyze verify`` (``--user`` for user units), which CI installs:
  with ``COLLECT_REQUIRE_LIVE=1`` a missing one fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main

from collector.cli import app

Unit = dict[str, dict[str, list[str]]]


def parse_unit(text: str, name: str = "unit") -> Unit:
    sections: Unit = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(header.group(1), {})
            continue
        key, sep, value = line.partition("=")
        assert current is not None and sep, f"{name}:{number}: not Key=Value: {raw!r}"
        assert not line.endswith("\\"), f"{name}:{number}: no continuation lines here"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unescape_specifiers(value: str) -> str:
    """``%%`` becomes ``%``; ``%h`` (the user's home, in user units) stays for the caller."""
    assert re.search(r"%(?!h)", value.replace("%%", "")) is None, f"bare % in {value!r}"
    return value.replace("%%", "%")


def parse_collect_args(argv: list[str]) -> dict[str, Any]:
    """Run the real option parser of ``collect <command>`` over ``argv`` (without running it)."""
    group: Any = typer.main.get_command(app)  # typer's own (vendored) click Group
    name, *rest = argv
    command = group.commands.get(name)
    assert command is not None, f"no command {name!r}"
    with command.make_context(name, rest) as ctx:
        return dict(ctx.params)


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("COLLECT_REQUIRE_LIVE") == "1":
            pytest.fail("systemd-analyze is required here but missing (.ci/run installs systemd)")
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    return found


def systemd_verify(units: list[Path], *, user: bool, runtime_dir: Path) -> list[str]:
    """``systemd-analyze verify`` over ``units``: the lines it printed about them (any warning
    counts: verify exits 0 on an unknown key). ``runtime_dir`` stands in for the user manager's
    $XDG_RUNTIME_DIR, which a root shell or CI does not have."""
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    result = subprocess.run(
        [systemd_analyze(), *(["--user"] if user else []), "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir)},
    )
    folders = {str(unit.parent) for unit in units}
    ours = [
        line
        for line in result.stderr.splitlines()
        if any(folder in line for folder in folders) or "homelab" in line
    ]
    assert result.returncode == 0, result.stderr
    return ours
