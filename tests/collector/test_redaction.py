"""The one redaction policy (``collector.redaction``) and the lab-text pass over the model
(``collector.collection.safe_text``)."""

from __future__ import annotations

import pytest

from collector.collection.safe_text import safe_results
from collector.model import (
    BackupServer,
    Container,
    Engine,
    Gap,
    SourceKind,
    SourceResult,
    SourceStatus,
)
from collector.redaction import REDACTED, RedactionPolicy, redact_keys


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("my.db.password", True),
        ("DB_PASSWORD", True),
        ("MY-API-KEY", True),  # a two-word key matches a run of parts, whatever the separators
        ("api.keyring", False),
        ("traefik.http.middlewares.auth.basicauth.users", True),
        ("traefik.http.middlewares.dash.digestauth.users", True),
        ("traefik.http.middlewares.auth.basicauth.realm", False),
        ("caddy.basic_auth.admin", True),
        ("caddy_1.basicauth.bob", True),
        ("com.docker.compose.project", False),
        ("homelab.owner", False),
        ("splunk-token", True),
        ("tokenizer.model", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert RedactionPolicy().secret_key(key) is secret


def test_configured_keys_are_added() -> None:
    policy = RedactionPolicy(redact_keys(["Homelab.Owner", " notes "]))
    assert policy.secret_key("homelab.owner") and policy.secret_key("NOTES")
    assert policy.mapping({"homelab.owner": "alice", "url": "https://u:p@h/x"}) == {
        "homelab.owner": REDACTED,
        "url": "https://REDACTED@h/x",
    }


def _container(name: str, labels: dict[str, str]) -> Container:
    return Container(
        f"docker:e/{name}", "e", "cid", name, "nginx:1", None, None, "running", None,
        "no", 0, "json-file", {"splunk-token": "t0k", "max-size": "10m"}, labels,
    )  # fmt: skip


def test_safe_results_redact_clean_and_rename_consistently() -> None:
    dirty = _container("web\x00\u202e", {"db.password": "hunter2", "homelab.role": "service"})
    clean = _container("ok", {"homelab.role": "service"})
    engine = Engine("docker:e", "e", "e", "ssh://e", containers=(dirty, clean), labels=None)
    gap = Gap("docker:e/web\x00\u202e", "inspect", "GET https://u:pw@h/x failed\n")
    result = SourceResult(SourceStatus.finished("e", SourceKind.DOCKER, [gap], 3), engine=engine)
    (safe,) = safe_results([result], RedactionPolicy())
    assert safe.engine is not None
    web, ok = safe.engine.containers
    assert (web.id, web.name) == ("docker:e/web", "web")
    assert web.labels == {"db.password": REDACTED, "homelab.role": "service"}
    assert web.log_options == {"splunk-token": REDACTED, "max-size": "10m"}
    assert ok.log_options == {"splunk-token": REDACTED, "max-size": "10m"}
    assert safe.engine.labels is None  # unknown stays unknown
    (safe_gap,) = safe.status.gaps
    assert safe_gap.subject == "docker:e/web"  # follows the renamed container
    assert safe_gap.reason == "GET https://REDACTED@h/x failed "


def test_an_object_with_nothing_to_change_is_not_copied() -> None:
    engine = Engine("docker:e", "e", "e", "ssh://e", containers=(), labels={"a": "b"})
    result = SourceResult(SourceStatus.finished("e", SourceKind.DOCKER, [], 3), engine=engine)
    assert safe_results([result], RedactionPolicy())[0] is result


def test_every_part_of_a_result_is_kept_and_cleaned() -> None:
    """A backup server (or any part a source adds later) goes through the same pass."""
    server = BackupServer("pbs:pbs", "pbs\u202e", "pbs", "pbs.lan", version="4.1\x00")
    status = SourceStatus.finished("pbs", SourceKind.PBS, [Gap("pbs:pbs", "x", "y\n")], 2)
    (safe,) = safe_results([SourceResult(status, backup_server=server)], RedactionPolicy())
    assert safe.backup_server is not None
    assert (safe.backup_server.name, safe.backup_server.version) == ("pbs", "4.1")
    assert safe.status.gaps[0].reason == "y "
