"""The shipped scheduling files (``contrib/``): the system and user services, the timer and the
crontab line. ``collect init --systemd`` builds its units from these (tests/test_init_systemd.py).

The parse tests read the files the way systemd and cron do (sections, ``%%`` and ``\\%``
escapes), then hand the command line to the real ``collect`` option parser, so a renamed option
or a broken template fails here. ``systemd-analyze verify`` checks the units too: any warning
fails the test (it exits 0 on unknown keys); CI installs it, so there it never skips.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from collector.output import check_template, dated
from tests.support.units import (
    parse_collect_args,
    parse_unit,
    systemd_analyze,
    systemd_verify,
    unescape_specifiers,
)

CONTRIB = Path(__file__).resolve().parents[1] / "contrib"
SERVICE = CONTRIB / "homelab-collector.service"
USER_SERVICE = CONTRIB / "user" / "homelab-collector.service"
TIMER = CONTRIB / "homelab-collector.timer"
CRONTAB = CONTRIB / "crontab"
# Where `pipx install` puts the program: for the machine (PIPX_BIN_DIR=/usr/local/bin, as the
# system service's comment says) and for yourself (~/.local/bin, cron and the user service).
SYSTEM_PROGRAM = "/usr/local/bin/collect"
USER_PROGRAM = "%h/.local/bin/collect"

# The directives these units may use, per section: a typo is an error, not a silent no-op.
KNOWN = {
    "Unit": {"Description", "Documentation", "Wants", "After", "Requires", "OnFailure"},
    "Service": {
        "Type", "User", "Group", "StateDirectory", "WorkingDirectory", "Environment",
        "EnvironmentFile", "LoadCredential", "ExecStart", "SuccessExitStatus",
        "TimeoutStartSec", "Nice", "SupplementaryGroups", "NoNewPrivileges", "PrivateTmp",
        "PrivateDevices", "ProtectSystem", "ProtectHome", "ProtectKernelTunables",
        "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality",
    },
    "Timer": {"OnCalendar", "Persistent", "RandomizedDelaySec", "AccuracySec", "Unit"},
    "Install": {"WantedBy"},
}  # fmt: skip


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    return parse_unit(path.read_text(), path.name)


def exec_start(service: dict[str, list[str]]) -> tuple[str, dict[str, object]]:
    """ExecStart's program and its ``collect`` arguments, parsed by the real parser."""
    (line,) = service["ExecStart"]
    program, *argv = shlex.split(unescape_specifiers(line))
    return program, parse_collect_args(argv)


def test_every_unit_directive_is_known_and_in_its_section() -> None:
    for path in (SERVICE, USER_SERVICE, TIMER):
        for section, keys in unit(path).items():
            assert section in KNOWN, f"{path.name}: unknown section [{section}]"
            unknown = set(keys) - KNOWN[section]
            assert not unknown, f"{path.name} [{section}]: unknown {unknown}"


def test_system_service_is_a_oneshot_running_the_weekly_report() -> None:
    service = unit(SERVICE)["Service"]
    assert service["Type"] == ["oneshot"]
    assert service["SuccessExitStatus"] == ["1"]  # findings are a normal outcome
    assert service["User"] == ["homelab-collector"]
    program, params = exec_start(service)
    assert program == SYSTEM_PROGRAM
    assert params["quiet"] is True
    (output,) = params["output"]  # --output may be repeated: a list
    assert isinstance(output, str) and output.startswith("/var/lib/homelab-collector/")
    check_template(output)
    assert dated(output) and "{date:%G-W%V}" in output and output.endswith(".md")
    env = dict(item.split("=", 1) for item in service["Environment"])
    state_dir = Path(env["XDG_STATE_HOME"]) / service["StateDirectory"][0]
    assert output.startswith(str(state_dir))  # the reports live in the writable state folder
    assert env["COLLECT_CONFIG"] == "/etc/homelab-collector/config.toml"


def test_system_service_passes_the_token_as_a_credential_the_config_can_name() -> None:
    service = unit(SERVICE)["Service"]
    assert service["LoadCredential"] == ["pve-token:/etc/homelab-collector/pve-token"]
    # The comment tells what the config must say, in the form the config check accepts.
    assert 'token_secret_file = "$CREDENTIALS_DIRECTORY/pve-token"' in SERVICE.read_text()
    assert service["EnvironmentFile"] == ["-/etc/homelab-collector/secrets.env"]  # optional


def test_user_service_runs_the_weekly_report_as_you_beside_pipx() -> None:
    sections = unit(USER_SERVICE)
    service = sections["Service"]
    assert "User" not in service and "Install" not in sections  # the timer is what is enabled
    assert service["Type"] == ["oneshot"] and service["SuccessExitStatus"] == ["1"]
    program, params = exec_start(service)
    assert program == USER_PROGRAM
    assert params["quiet"] is True
    assert params["output"] == ["%h/homelab-reports/{date:%G-W%V}.md"]
    env = dict(item.split("=", 1) for item in service["Environment"])
    # The path `collect init` writes to and `collect` reads by default.
    assert env == {"COLLECT_CONFIG": "%h/.config/homelab-collector/config.toml"}
    assert service["EnvironmentFile"] == ["-%h/.config/homelab-collector/secrets.env"]


def test_timer_is_weekly_persistent_and_randomised() -> None:
    timer = unit(TIMER)
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["RandomizedDelaySec"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    (calendar,) = timer["Timer"]["OnCalendar"]
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \*-\*-\* \d\d:\d\d:\d\d", calendar)
    assert TIMER.stem == SERVICE.stem == USER_SERVICE.stem  # the timer starts that service


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
    assert words[0] == USER_PROGRAM.replace("%h", "/home/me")  # pipx's ~/.local/bin
    params = parse_collect_args(words[1:])
    assert params["quiet"] is True
    (output,) = params["output"]
    assert isinstance(output, str) and dated(output) and "{date:%G-W%V}" in output
    check_template(output)


def test_parser_check_catches_a_renamed_option() -> None:
    with pytest.raises(Exception, match="No such option: --quite"):
        parse_collect_args(["report", "--quite"])


@pytest.mark.parametrize(
    ("template", "placeholder", "user"),
    [(SERVICE, SYSTEM_PROGRAM, False), (USER_SERVICE, USER_PROGRAM, True)],
    ids=["system", "user"],
)
def test_systemd_analyze_verify_accepts_the_units(
    template: Path, placeholder: str, user: bool, tmp_path: Path
) -> None:
    # verify insists that ExecStart's program exists: point it at this machine's `collect`
    # (beside the interpreter running the tests; a venv need not be on PATH).
    collect = Path(sys.executable).with_name("collect")
    assert collect.is_file(), "the package is installed, so its `collect` script exists"
    units = tmp_path / "units"
    units.mkdir()
    text = template.read_text().replace(placeholder, str(collect))
    assert str(collect) in text
    (units / SERVICE.name).write_text(text)
    (units / TIMER.name).write_text(TIMER.read_text())
    found = systemd_verify(
        [units / SERVICE.name, units / TIMER.name], user=user, runtime_dir=tmp_path / "run"
    )
    assert found == []


def test_systemd_analyze_verify_reports_a_misspelt_key(tmp_path: Path) -> None:
    """The check above could pass by not looking: the same call names a typo."""
    collect = Path(sys.executable).with_name("collect")
    broken = tmp_path / SERVICE.name
    text = SERVICE.read_text().replace(SYSTEM_PROGRAM, str(collect))
    broken.write_text(text.replace("NoNewPrivileges=", "NoNewPrivilegez="))
    found = systemd_verify([broken], user=False, runtime_dir=tmp_path / "run")
    assert len(found) == 1 and "Unknown key 'NoNewPrivilegez'" in found[0]


def test_the_timer_calendar_is_one_systemd_understands() -> None:
    calendar = subprocess.run(
        [systemd_analyze(), "calendar", unit(TIMER)["Timer"]["OnCalendar"][0]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert calendar.returncode == 0 and "Next elapse:" in calendar.stdout
