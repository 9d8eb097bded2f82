"""The shipped scheduling files (``contrib/``): systemd service + timer, and a crontab line.

The parse tests always run: they read the files the way systemd and cron do (sections, ``%%``
and ``\\%`` escapes), then hand the command line to the real ``collect`` option parser, so a
renamed option or a broken template fails here. When ``systemd-analyze`` is installed, it also
verifies the units (any warning fails the test; it exits 0 on unknown keys).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from collector.cli import app
from collector.output import check_template, dated

CONTRIB = Path(__file__).resolve().parents[1] / "contrib"
SERVICE = CONTRIB / "homelab-collector.service"
TIMER = CONTRIB / "homelab-collector.timer"
CRONTAB = CONTRIB / "crontab"

# The directives these units may use, per section: a typo is an error, not a silent no-op.
KNOWN = {
    "Unit": {"Description", "Documentation", "Wants", "After", "Requires", "OnFailure"},
    "Service": {
        "Type", "User", "Group", "StateDirectory", "WorkingDirectory", "Environment",
        "EnvironmentFile", "ExecStart", "SuccessExitStatus", "TimeoutStartSec", "Nice",
        "SupplementaryGroups", "NoNewPrivileges", "PrivateTmp", "PrivateDevices",
        "ProtectSystem", "ProtectHome", "ProtectKernelTunables", "ProtectKernelModules",
        "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality",
    },
    "Timer": {"OnCalendar", "Persistent", "RandomizedDelaySec", "AccuracySec", "Unit"},
    "Install": {"WantedBy"},
}  # fmt: skip


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's unit syntax: [Section], Key=Value (repeatable), # or ; comments."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(header.group(1), {})
            continue
        key, sep, value = line.partition("=")
        assert current is not None and sep, f"{path.name}:{number}: not Key=Value: {raw!r}"
        assert not line.endswith("\\"), f"{path.name}:{number}: no continuation lines here"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unescape_specifiers(value: str) -> str:
    """In unit files ``%%`` is a literal ``%``; any other ``%x`` is a specifier we do not use."""
    assert re.search(r"%(?!%)", value.replace("%%", "")) is None, f"bare % in {value!r}"
    return value.replace("%%", "%")


def parse_collect_args(argv: list[str]) -> dict[str, Any]:
    """Run the real option parser of ``collect <command>`` over ``argv`` (without running it)."""
    group: Any = typer.main.get_command(app)  # typer's own (vendored) click Group
    name, *rest = argv
    command = group.commands.get(name)
    assert command is not None, f"no command {name!r}"
    with command.make_context(name, rest) as ctx:
        return dict(ctx.params)


def test_every_unit_directive_is_known_and_in_its_section() -> None:
    for path in (SERVICE, TIMER):
        for section, keys in parse_unit(path).items():
            assert section in KNOWN, f"{path.name}: unknown section [{section}]"
            unknown = set(keys) - KNOWN[section]
            assert not unknown, f"{path.name} [{section}]: unknown {unknown}"


def test_service_is_a_oneshot_running_the_weekly_report() -> None:
    service = parse_unit(SERVICE)["Service"]
    assert service["Type"] == ["oneshot"]
    assert service["SuccessExitStatus"] == ["1"]  # findings are a normal outcome
    (exec_start,) = service["ExecStart"]
    binary, *argv = shlex.split(unescape_specifiers(exec_start))
    assert binary.startswith("/") and binary.endswith("/collect")
    params = parse_collect_args(argv)
    assert params["quiet"] is True
    (output,) = params["output"]  # --output may be repeated: a list
    assert isinstance(output, str) and output.startswith("/var/lib/homelab-collector/")
    check_template(output)
    assert dated(output) and "{date:%G-W%V}" in output and output.endswith(".md")
    env = dict(item.split("=", 1) for item in service["Environment"])
    state_dir = Path(env["XDG_STATE_HOME"]) / service["StateDirectory"][0]
    assert output.startswith(str(state_dir))  # the reports live in the writable state folder


def test_timer_is_weekly_persistent_and_randomised() -> None:
    timer = parse_unit(TIMER)
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["RandomizedDelaySec"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    (calendar,) = timer["Timer"]["OnCalendar"]
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \*-\*-\* \d\d:\d\d:\d\d", calendar)
    assert TIMER.stem == SERVICE.stem  # so the timer starts that service (no Unit= needed)


def test_crontab_line_is_valid_and_runs_the_weekly_report() -> None:
    entries = [
        line
        for line in CRONTAB.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#") and "=" not in line.split()[0]
    ]
    assert len(entries) == 1
    minute, hour, dom, month, dow, command = entries[0].split(maxsplit=5)
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24
    assert (dom, month) == ("*", "*") and dow in {str(d) for d in range(8)} | {"mon", "Mon"}
    # cron turns a bare % into a newline: every % must be escaped as \%.
    assert re.search(r"(?<!\\)%", command) is None, "unescaped % in the crontab command"
    words = shlex.split(command.replace("\\%", "%").replace("$HOME", "/home/me"))
    assert words[0] == "/home/me/.local/bin/collect"
    params = parse_collect_args(words[1:])
    assert params["quiet"] is True
    (output,) = params["output"]
    assert isinstance(output, str) and dated(output) and "{date:%G-W%V}" in output
    check_template(output)


def test_parser_check_catches_a_renamed_option() -> None:
    with pytest.raises(Exception, match="No such option: --quite"):
        parse_collect_args(["report", "--quite"])


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    # The console script sits beside the interpreter running the tests (a venv need not be on PATH).
    beside = Path(sys.executable).with_name("collect")
    collect = str(beside) if beside.is_file() else shutil.which("collect")
    assert collect is not None, "the package is installed, so its `collect` script exists"
    # verify insists that ExecStart's program exists: point it at this machine's `collect`.
    text = SERVICE.read_text().replace("/opt/homelab-collector/bin/collect", collect)
    (tmp_path / SERVICE.name).write_text(text)
    shutil.copy(TIMER, tmp_path / TIMER.name)
    result = subprocess.run(
        [
            SYSTEMD_ANALYZE,
            "verify",
            "--man=no",
            str(tmp_path / SERVICE.name),
            str(tmp_path / TIMER.name),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    ours = [
        line for line in result.stderr.splitlines() if str(tmp_path) in line or "homelab" in line
    ]
    assert result.returncode == 0 and ours == [], result.stderr
    calendar = subprocess.run(
        [SYSTEMD_ANALYZE, "calendar", parse_unit(TIMER)["Timer"]["OnCalendar"][0]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert calendar.returncode == 0 and "Next elapse:" in calendar.stdout
