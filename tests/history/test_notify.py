"""Notifications against an HTTP server the test starts on 127.0.0.1 (never any other address).

The server answers each request with the next status of a script (then 200), records what it
got, and can be told to stall longer than the client's timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from collector.cli import app
from collector.config import load_config
from collector.errors import ConfigError
from tests.history.lab import quiet_lab, write_lab

runner = CliRunner()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Hook:
    url: str
    statuses: list[int] = field(default_factory=list)
    stall_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received("POST", self.path, dict(self.headers.items()), body))
            if state.stall_seconds:
                time.sleep(state.stall_seconds)
            status = state.statuses.pop(0) if state.statuses else 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up: that is the point of the stall

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_retry_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("collector.notify.send.RETRY_DELAY_SECONDS", 0.01)


def notify_block(kind: str, url: str, **keys: object) -> str:
    lines = ["", "[[notify]]", f'kind = "{kind}"', f'url = "{url}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def run(
    lab: Path, db: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["report", "--replay", str(lab), "--history-db", str(db), *extra], env=env
    )
    return result.exit_code, result.stdout, result.stderr


def test_webhook_gets_the_summary_with_changes_and_the_report_path(
    hook: Hook, tmp_path: Path
) -> None:
    block = notify_block("webhook", hook.url + "/hook")
    db = tmp_path / "h.sqlite3"
    last = write_lab(tmp_path / "last", this_week=False, extra_config=block)
    this = write_lab(tmp_path / "this", this_week=True, extra_config=block)
    assert run(last, db, "--no-notify")[0] == 0
    assert hook.received == []  # --no-notify
    report = tmp_path / "out" / "weekly.md"
    code, _, err = run(this, db, "-o", str(report))
    assert code == 0 and err == ""
    (request,) = hook.received
    assert request.path == "/hook" and request.headers["Content-Type"] == "application/json"
    doc = request.json()
    assert doc["report"] == str(report)
    assert doc["complete"] is True and doc["summary"]["workloads"] == 7
    changes = doc["changes"]
    assert changes["counts"]["added"] == 1 and changes["counts"]["removed"] == 1
    assert [f["subject"] for f in changes["new_findings"]] == ["pve:lab/qemu/130"]
    assert [f["subject"] for f in changes["resolved_findings"]] == ["pve:lab/qemu/110"]
    assert "New findings:" in doc["text"] and f"Report: {report}" in doc["text"]


def test_when_changes_sends_only_when_something_changed(hook: Hook, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    block = notify_block("webhook", hook.url)
    clean = quiet_lab(tmp_path / "clean", extra_config=block)
    broken = quiet_lab(tmp_path / "broken", broken=True, extra_config=block)
    run(clean, db)  # first run: there is no "before", so it is news
    run(clean, db)  # nothing changed: silence
    assert len(hook.received) == 1
    run(broken, db)  # a new finding
    assert len(hook.received) == 2
    assert hook.received[1].json()["changes"]["new_findings"][0]["rule"] == "service-in-vm"


def test_when_always_sends_every_run(hook: Hook, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    lab = quiet_lab(tmp_path / "lab", extra_config=notify_block("webhook", hook.url, when="always"))
    for _ in range(3):
        run(lab, db)
    assert len(hook.received) == 3


def test_ntfy_plain_text_with_title_priority_and_token(hook: Hook, tmp_path: Path) -> None:
    block = notify_block("ntfy", hook.url + "/homelab", token_env="TEST_NTFY_TOKEN", title="Lab")
    lab = write_lab(tmp_path / "lab", this_week=False, extra_config=block, drop_docker=True)
    code, _, _ = run(lab, tmp_path / "h.sqlite3", env={"TEST_NTFY_TOKEN": "tk_secret"})
    assert code == 3
    (request,) = hook.received
    assert request.path == "/homelab"
    assert request.headers["Title"] == "Lab"
    assert request.headers["Authorization"] == "Bearer tk_secret"
    assert request.headers["Priority"] == "high"  # an incomplete run is urgent
    body = request.body.decode()
    assert "collection INCOMPLETE" in body.splitlines()[0]


def test_gotify_posts_to_message_with_the_app_token(hook: Hook, tmp_path: Path) -> None:
    block = notify_block("gotify", hook.url, token_env="TEST_GOTIFY_TOKEN")
    lab = quiet_lab(tmp_path / "lab", extra_config=block)
    run(lab, tmp_path / "h.sqlite3", env={"TEST_GOTIFY_TOKEN": "A1b2"})
    (request,) = hook.received
    assert request.path == "/message"
    assert request.headers["X-Gotify-Key"] == "A1b2"
    body = request.json()
    assert body["title"] == "homelab report" and "workloads comply" in body["message"]
    assert isinstance(body["priority"], int)


def test_slack_url_from_the_environment(hook: Hook, tmp_path: Path) -> None:
    block = '\n[[notify]]\nkind = "slack"\nurl_env = "TEST_SLACK_URL"\n'
    lab = quiet_lab(tmp_path / "lab", extra_config=block)
    code, _, err = run(
        lab, tmp_path / "h.sqlite3", env={"TEST_SLACK_URL": hook.url + "/services/T0/B0/secret"}
    )
    assert code == 0 and err == ""
    (request,) = hook.received
    assert request.path == "/services/T0/B0/secret"
    assert request.json()["text"].startswith("*homelab report*\n")


def test_one_retry_after_a_server_error_then_success(hook: Hook, tmp_path: Path) -> None:
    hook.statuses = [503]
    lab = quiet_lab(tmp_path / "lab", extra_config=notify_block("webhook", hook.url))
    code, _, err = run(lab, tmp_path / "h.sqlite3")
    assert code == 0 and err == ""
    assert len(hook.received) == 2


def test_failing_notification_is_logged_and_changes_nothing_else(
    hook: Hook, tmp_path: Path
) -> None:
    hook.statuses = [500, 502, 200]  # both attempts fail; a third is never made
    db = tmp_path / "h.sqlite3"
    report = tmp_path / "r.md"
    lab = quiet_lab(
        tmp_path / "lab", extra_config=notify_block("webhook", hook.url + "/x?k=s3cret")
    )
    code, out, err = run(lab, db, "-o", str(report))
    assert code == 0  # the run's own exit code
    assert len(hook.received) == 2
    assert report.is_file() and out.startswith(f"wrote {report}")
    listing = runner.invoke(app, ["history", "--history-db", str(db)]).stdout
    assert "#1" in listing
    assert err.startswith("collect: warning: [[notify]][0] webhook http://127.0.0.1:")
    assert "HTTP 502 after 2 attempt(s)" in err and "report and the history are saved" in err
    assert "s3cret" not in err and "/x" not in err  # the URL's path and query can be secrets


def test_timeout_counts_as_a_failure_with_one_retry(hook: Hook, tmp_path: Path) -> None:
    hook.stall_seconds = 0.5
    block = notify_block("webhook", hook.url, timeout=0.1)
    lab = quiet_lab(tmp_path / "lab", extra_config=block)
    started = time.monotonic()
    code, _, err = run(lab, tmp_path / "h.sqlite3", "-q", "-o", str(tmp_path / "r.md"))
    assert code == 0
    assert "timed out after 2 attempt(s)" in err
    assert time.monotonic() - started < 5
    assert len(hook.received) == 2


def test_client_error_is_not_retried(hook: Hook, tmp_path: Path) -> None:
    hook.statuses = [401]
    lab = quiet_lab(tmp_path / "lab", extra_config=notify_block("webhook", hook.url))
    _, _, err = run(lab, tmp_path / "h.sqlite3")
    assert len(hook.received) == 1
    assert "HTTP 401; check token_env and the URL after 1 attempt(s)" in err


def test_missing_token_variable_skips_the_target_with_a_warning(hook: Hook, tmp_path: Path) -> None:
    block = notify_block("ntfy", hook.url, token_env="TEST_UNSET_TOKEN_XYZ")
    lab = quiet_lab(tmp_path / "lab", extra_config=block)
    code, _, err = run(lab, tmp_path / "h.sqlite3")
    assert code == 0 and hook.received == []
    config = lab / "config.toml"
    assert f"{config}: [[notify]][0] ntfy http://127.0.0.1:" in err  # the file that asked
    assert "environment variable TEST_UNSET_TOKEN_XYZ is not set; export it" in err


def test_unreachable_server_is_a_warning(tmp_path: Path) -> None:
    lab = quiet_lab(tmp_path / "lab", extra_config=notify_block("webhook", "http://127.0.0.1:9"))
    code, _, err = run(lab, tmp_path / "h.sqlite3")
    assert code == 0 and "ConnectError" in err


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('kind = "email"\nurl = "http://x"', "kind = 'email' is not one of webhook, ntfy"),
        ('kind = "ntfy"', "needs exactly one of url or url_env"),
        ('kind = "ntfy"\nurl = "ftp://x"', "must start with http:// or https://"),
        ('kind = "gotify"\nurl = "http://x"', "needs token_env"),
        ('kind = "slack"\nurl = "http://x"\ntoken_env = "T"', "token_env is not used by slack"),
        ('kind = "ntfy"\nurl = "http://x"\nwhen = "sometimes"', "when = 'sometimes'"),
        ('kind = "ntfy"\nurl = "http://x"\ntimeout = 0', "timeout must be positive"),
        ('kind = "ntfy"\nurl = "http://x"\ntoken = "inline"', "unknown key [[notify]][0].token"),
        ('kind = "ntfy"\nurl = "http://x"\nlink = "{nope}"', "unknown placeholder {nope}"),
    ],
)
def test_bad_notify_config_names_file_and_key(block: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "lab.toml"
    path.write_text("[[notify]]\n" + block + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_bad_notify_config_exits_two_before_collecting(tmp_path: Path) -> None:
    lab = quiet_lab(
        tmp_path / "lab", extra_config='\n[[notify]]\nkind = "pager"\nurl = "http://x"\n'
    )
    db = tmp_path / "h.sqlite3"
    code, out, err = run(lab, db)
    assert code == 2 and out == "" and "[[notify]][0].kind" in err and "config.toml" in err
    assert not db.exists()


def test_link_template_replaces_the_report_path(hook: Hook, tmp_path: Path) -> None:
    block = notify_block("ntfy", hook.url, link="https://wiki.lan/r/{date:%G-W%V}")
    lab = quiet_lab(tmp_path / "lab", extra_config=block)
    run(lab, tmp_path / "h.sqlite3", "-o", str(tmp_path / "r.md"))
    (request,) = hook.received
    assert request.headers["Click"].startswith("https://wiki.lan/r/20")
    assert "Report: https://wiki.lan/r/20" in request.body.decode()
