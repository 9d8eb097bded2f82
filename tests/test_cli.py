"""The command line: every exit code and every bad-input case, through typer's CliRunner."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.render import Format

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "fixtures" / "scenarios"
runner = CliRunner()

GOOD_PVE = """
[[proxmox]]
name = "lab"
host = "127.0.0.1"
user = "collector@pve"
token_name = "collector"
token_secret_env = "TEST_PVE_SECRET_XYZ"
"""


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_version_and_help_list_every_command() -> None:
    code, out, _ = _invoke("--version")
    assert code == 0 and out.startswith("collect (homelab-collector) ")
    code, out, _ = _invoke("--help")
    assert code == 0
    assert "report" in out and "Exit codes" in out


def test_clean_lab_exits_zero(time_zone: Callable[[str], None]) -> None:
    time_zone("UTC")  # the headline shows local time
    lab = str(SCENARIOS / "compliant-lab")
    code, out, _ = _invoke("report", "--replay", lab)
    assert code == 0, out
    assert out.splitlines()[0] == (
        "homelab report 2026-11-26 12:00 UTC: 4/4 workloads comply (100%); 0 open findings; "
        "collection complete"
    )
    code, out, _ = _invoke("report", "--replay", lab, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["findings"] == []
    assert doc["summary"]["findings_by_severity"] == {"info": 0, "warning": 0, "error": 0}
    assert (doc["summary"]["compliant"], doc["summary"]["workloads"]) == (4, 4)


def test_a_replay_does_not_age_with_the_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenario's recording.json pins the clock: two years on, its backups are as fresh."""
    two_years = 2 * 365 * 86400
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + two_years)
    code, out, _ = _invoke("report", "--replay", str(SCENARIOS / "compliant-lab"), "-f", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["generated_at"] == "2026-11-26T12:00:00Z"
    assert doc["findings"] == []


def test_error_finding_exits_one_and_fail_on_lowers_the_bar() -> None:
    code, _, _ = _invoke("report", "--replay", str(SCENARIOS / "docker-on-node"))
    assert code == 1
    code, _, _ = _invoke("report", "--replay", str(SCENARIOS / "service-in-vm"))
    assert code == 0  # warnings only: below the default --fail-on error
    code, _, _ = _invoke(
        "report", "--replay", str(SCENARIOS / "service-in-vm"), "--fail-on", "warning"
    )
    assert code == 1


def test_incomplete_collection_exits_three_and_still_writes(tmp_path: Path) -> None:
    out_file = tmp_path / "r.json"
    code, out, err = _invoke(
        "report",
        "--replay",
        str(SCENARIOS / "failing-source-keeps-others"),
        "-f",
        "json",
        "-o",
        str(out_file),
    )
    assert code == 3
    doc = json.loads(out_file.read_text())
    assert any(i["id"] == "docker:apps/web" for i in doc["inventory"])
    (lab,) = [s for s in doc["sources"] if s["name"] == "lab"]
    assert lab["complete"] is False and "401" in lab["error"]
    assert "401" in err  # the failing source is named on stderr too
    assert f"wrote {out_file}" in out


# What each format shows of the docker-on-node scenario: the finding with its subject, its
# count as a metric, or (an inventory of hosts has no findings) the guest as a host.
EVIDENCE = {
    Format.TABLE: ("docker-on-node", "pve:lab/node/pve2"),
    Format.MARKDOWN: ("docker-on-node", "pve:lab/node/pve2"),
    Format.JSON: ("docker-on-node", "pve:lab/node/pve2"),
    Format.PROMETHEUS: (
        'homelab_findings_open{rule="docker-on-node",severity="error",layer="engine"} 1',
    ),
    Format.ANSIBLE: ('"fw":\n      homelab_id: "pve:lab/qemu/100"', '"node_pve1":'),
}


@pytest.mark.parametrize("fmt", list(Format))
def test_every_format_renders(fmt: Format) -> None:
    code, out, _ = _invoke("report", "--replay", str(SCENARIOS / "docker-on-node"), "-f", fmt.value)
    assert code == 1
    for evidence in EVIDENCE[fmt]:
        assert evidence in out


def test_unknown_format_is_a_usage_error() -> None:
    code, _, err = _invoke("report", "--replay", str(SCENARIOS / "compliant-lab"), "-f", "xml")
    assert code == 2
    assert "xml" in err


def test_config_from_env_var(tmp_path: Path) -> None:
    path = _write(tmp_path, "[[proxmox]]\nname='x'\n")
    code, _, err = _invoke("report", env={"COLLECT_CONFIG": str(path)})
    assert code == 2
    assert str(path) in err and "missing required key 'host'" in err


BAD_CONFIGS = [
    ("[[proxmox]]\nname = 'a'\n", "missing required key 'host'"),
    (GOOD_PVE + "colour = 'blue'\n", "unknown key [[proxmox]][0].colour"),
    (GOOD_PVE.replace('"127.0.0.1"', "8006"), "[[proxmox]][0].host must be a string"),
    (GOOD_PVE + "port = '8006'\n", "[[proxmox]][0].port must be an integer"),
    (GOOD_PVE + "verify_ssl = 'no'\n", "verify_ssl must be true or false"),
    (GOOD_PVE + "password_env = 'X'\n", "needs exactly one of"),
    (GOOD_PVE.replace('user = "collector@pve"', 'user = "collector"'), "user@realm"),
    (GOOD_PVE + GOOD_PVE, "used twice"),
    ("[[docker]]\nname = 'd'\nurl = 'http://x'\n", "must start with unix://, tcp:// or ssh://"),
    (
        "[[docker]]\nname = 'd'\nurl = 'tcp://127.0.0.1:2376'\ntls_cert = 'c.pem'\n",
        "both tls_cert and tls_key",
    ),
    ("proxmox = 3\n", "must be an array of tables"),
    ("nonsense = 1\n", "unknown top-level key 'nonsense'"),
    ("[[rules.classify]]\nrole = 'platform'\n", "nothing to match on"),
    ("[[rules.classify]]\nrole = 'boss'\nname = 'x'\n", "is not one of platform, service"),
    ("[rules.no-such-rule]\nenabled = false\n", "unknown rule id [rules.no-such-rule]"),
    ("[rules.docker-on-node]\nseverity = 'fatal'\n", "severity must be info, warning or error"),
    ("this is = not toml [", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    code, out, err = _invoke("report", "-c", str(path))
    assert code == 2
    assert err.startswith(f"collect: error: {path}: ")  # names the file first
    assert message in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_missing_config_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    code, _, err = _invoke("report", "-c", str(missing))
    assert code == 2
    assert f"config file {missing} does not exist" in err


def test_missing_secret_env_var_names_the_variable(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_PVE)
    code, _, err = _invoke("report", "-c", str(path), env={"TEST_PVE_SECRET_XYZ": ""})
    assert code == 2
    assert "TEST_PVE_SECRET_XYZ is not set" in err


def test_secret_file_missing_empty_and_world_readable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "secret"
    path = _write(
        tmp_path,
        GOOD_PVE.replace(
            'token_secret_env = "TEST_PVE_SECRET_XYZ"', f'token_secret_file = "{secret}"'
        ).replace('host = "127.0.0.1"', 'host = "127.0.0.1"\nport = 9\ntimeout = 2'),
    )
    code, _, err = _invoke("report", "-c", str(path))
    assert code == 2 and f"cannot read secret file {secret}" in err
    secret.write_text("\n")
    secret.chmod(0o600)
    code, _, err = _invoke("report", "-c", str(path))
    assert code == 2 and f"secret file {secret} is empty" in err
    secret.write_text("not-a-real-token\n")
    secret.chmod(0o644)
    # Port 9 on loopback refuses the connection: the run is incomplete, but warned first.
    code, out, err = _invoke("report", "-c", str(path), "--no-history")
    assert code == 3
    # The warning is logged (stderr in a real process; tests/faults/test_secrets.py runs one).
    assert f"secret file {secret} is readable by other users; run chmod 600" in caplog.text
    assert "not-a-real-token" not in out + err + caplog.text


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (('token_name = "collector"\n', ""), "token_secret_env needs token_name"),
        (
            ('token_secret_env = "TEST_PVE_SECRET_XYZ"', 'password_env = "X"'),
            "has token_name but a password secret",
        ),
        (('user = "collector@pve"', 'user = "   "'), "[[proxmox]][0].user must not be empty"),
    ],
)
def test_auth_method_mistakes(tmp_path: Path, replace: tuple[str, str], message: str) -> None:
    path = _write(tmp_path, GOOD_PVE.replace(*replace))
    code, _, err = _invoke("report", "-c", str(path))
    assert code == 2
    assert message in err


def test_a_config_path_that_is_a_folder(tmp_path: Path) -> None:
    code, _, err = _invoke("report", "-c", str(tmp_path))
    assert code == 2
    assert f"cannot read config file {tmp_path}" in err


def test_a_bug_is_exit_70_with_one_line_unless_verbose(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("collector.cli.report.run_job", broken)
    lab = str(SCENARIOS / "compliant-lab")
    code, out, err = _invoke("report", "--replay", lab)
    assert code == 70
    assert err.strip() == (
        "collect: error: internal error: RuntimeError: simulated bug "
        "(run with --verbose and report it)"
    )
    assert "Traceback" not in out + err
    code, _, err = _invoke("--verbose", "report", "--replay", lab)
    assert code == 70 and "Traceback" in err


def test_unreadable_replay_folder(tmp_path: Path) -> None:
    code, _, err = _invoke("report", "--replay", str(tmp_path / "missing"))
    assert code == 2
    assert "does not exist" in err
    code, _, err = _invoke("report", "--replay", str(tmp_path))
    assert code == 2 and "config.toml is missing" in err


def test_source_missing_from_recording_is_incomplete_not_invented(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_PVE)
    code, out, _ = _invoke("report", "-c", str(path), "--replay", str(tmp_path), "-f", "json")
    assert code == 3
    (source,) = json.loads(out)["sources"]
    assert "not in recording" in source["error"]


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "nonsense = 1\n")
    code, _, err = _invoke("--verbose", "report", "-c", str(path))
    assert code == 2
    assert "Traceback" in err


def test_replay_is_judged_as_of_its_recording(tmp_path: Path) -> None:
    """recording.json pins the clock: the demo lab's backups do not turn stale with the calendar."""
    code, out, _ = _invoke(
        "report", "--replay", str(ROOT / "fixtures" / "demo-lab"), "-f", "json", "--no-history"
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["generated_at"] == "2026-11-26T09:30:00Z"
    lab = tmp_path / "lab"
    import shutil

    shutil.copytree(SCENARIOS / "compliant-lab", lab)
    (lab / "recording.json").write_text('{"recorded_at": "last tuesday"}')
    code, _, err = _invoke("report", "--replay", str(lab))
    assert code == 2
    assert "recording.json" in err and "recorded_at" in err


def test_demo_is_the_shipped_demo_lab_with_the_same_output_as_its_replay(
    time_zone: Callable[[str], None],
) -> None:
    time_zone("UTC")  # the terminal shows the local time
    demo = runner.invoke(app, ["report", "--demo"])
    replay = runner.invoke(app, ["report", "--replay", str(ROOT / "fixtures" / "demo-lab")])
    assert demo.exit_code == replay.exit_code == 1  # the demo lab has error findings
    assert demo.stdout == replay.stdout
    # The demo lab's own counts are pinned by tests/collector/test_demo_lab.py.
    headline = " ".join(demo.stdout.split("\n\n")[0].split())  # it wraps at the width
    assert headline.startswith("homelab report 2026-11-26 09:30 UTC: ")
    assert headline.endswith("; collection complete")
    code, out, _ = _invoke("report", "--demo", "-f", "json")
    assert code == 1 and json.loads(out)["schema_version"] == 1


def test_demo_and_replay_together_are_a_usage_error() -> None:
    code, out, err = _invoke("report", "--demo", "--replay", str(SCENARIOS / "compliant-lab"))
    assert (code, out) == (2, "")
    assert err == "collect: error: --demo and --replay both name a recording; pick one\n"


def test_version_names_the_sdks_and_every_format_version() -> None:
    from importlib.metadata import version

    from collector import __version__
    from collector.history.schema import DB_SCHEMA_VERSION
    from collector.recording.meta import RECORDING_FORMAT_VERSION
    from collector.report.document import JSON_SCHEMA_VERSION

    code, out, _ = _invoke("--version")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"collect (homelab-collector) {__version__}"
    assert lines[1].startswith(
        f"  proxmoxer {version('proxmoxer')}, docker SDK {version('docker')}, Python 3."
    )
    assert lines[2] == (
        f"  JSON report schema {JSON_SCHEMA_VERSION}, history database schema "
        f"{DB_SCHEMA_VERSION}, recording format {RECORDING_FORMAT_VERSION}"
    )


def test_a_recording_of_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    import shutil

    lab = tmp_path / "lab"
    shutil.copytree(SCENARIOS / "compliant-lab", lab)
    (lab / "recording.json").write_text(
        '{"recorded_at": "2026-11-26T09:30:00Z", "format_version": 99}'
    )
    code, _, err = _invoke("report", "--replay", str(lab))
    assert code == 2
    assert err == (
        f"collect: error: {lab / 'recording.json'}: recording format 99 is newer than this "
        "collect understands (1); upgrade homelab-collector\n"
    )


def test_new_recordings_carry_the_format_version() -> None:
    from datetime import UTC, datetime

    from collector.recording.meta import RECORDING_FORMAT_VERSION, meta_text

    meta = json.loads(meta_text(datetime(2026, 11, 26, 9, 30, tzinfo=UTC)))
    assert meta["format_version"] == RECORDING_FORMAT_VERSION == 1
    assert meta["recorded_at"] == "2026-11-26T09:30:00Z"
