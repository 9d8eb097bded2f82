"""Tests of the PBS API test server, driven through real proxmoxer (``service="PBS"``) over HTTPS.

The server stands in for Proxmox Backup Server in every PBS test, so each PBS behaviour it claims
(token header, envelope, plain-text errors, per-endpoint privilege rules) is pinned here, with
the client-side consequence the adapter has to handle: proxmoxer puts a PBS error text into
``ResourceException.errors == {"errors": b"<text>"}`` (the body is not JSON) and returns a
malformed 200 answer as ``{"errors": b"..."}`` instead of raising.

The machine exports ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (requests lets them override
``verify=True``); the tests pin them to the system bundle and pass the test CA path explicitly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from proxmoxer import ProxmoxAPI, ResourceException

from tests.support.certs import write_unrelated_ca
from tests.support.pbs_acl import AclEntry
from tests.support.pbs_lab import answers, write_pbs_lab
from tests.support.pbs_server import (
    DEFAULT_TOKEN_ID,
    DEFAULT_TOKEN_SECRET,
    LoggedRequest,
    PbsServer,
    pbs_endpoint,
)

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
LAB = Path(__file__).resolve().parents[2] / "fixtures" / "pbs" / "lab"
TOKEN = DEFAULT_TOKEN_ID
AUDITOR = "audit@pbs!ro"
AUDITOR_SECRET = "7d3c9a1e-2b4f-4c6d-8e0a-1f2b3c4d5e6f"


@pytest.fixture(autouse=True)
def _system_ca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)
    monkeypatch.setenv("CURL_CA_BUNDLE", SYSTEM_BUNDLE)


@pytest.fixture(scope="module")
def pbs() -> Iterator[PbsServer]:
    """One server for the read-only tests (they do not change its ACL or faults)."""
    with PbsServer(LAB) as server:
        yield server


@pytest.fixture
def fresh() -> Iterator[PbsServer]:
    """A server of its own, for tests that change ACLs, faults or delays."""
    with PbsServer(LAB) as server:
        yield server


def api(server: PbsServer, token_id: str | None = None, **overrides: Any) -> Any:
    return ProxmoxAPI(**{**server.proxmoxer_kwargs(token_id), **overrides})


def raw_get(server: PbsServer, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", {"Authorization": f"PBSAPIToken={TOKEN}:{DEFAULT_TOKEN_SECRET}"})
    return requests.get(f"{server.api_url}/{path}", verify=server.ca_path, timeout=5, **kwargs)


def pbs_error(exc: pytest.ExceptionInfo[ResourceException]) -> tuple[int, str]:
    """(status, PBS's text) as an adapter would take them from proxmoxer's exception."""
    return exc.value.status_code, exc.value.errors["errors"].decode()


def lab(key: str) -> Any:
    return json.loads((LAB / f"{key}.json").read_text(encoding="utf-8"))


def restricted(*entries: AclEntry | tuple[str, str]) -> PbsServer:
    """A server whose only token ``AUDITOR`` has exactly ``entries``."""
    return PbsServer(LAB, tokens={AUDITOR: AUDITOR_SECRET}, acl={AUDITOR: list(entries)})


# -- every endpoint of the lab -----------------------------------------------------------------


def _split(key: str) -> tuple[str, dict[str, str]]:
    path, _, query = key.partition("@")
    return path, dict(pair.split("=", 1) for pair in query.split("&") if pair)


@pytest.mark.parametrize("key", sorted(answers()))
def test_proxmoxer_reads_every_lab_answer(pbs: PbsServer, key: str) -> None:
    path, params = _split(key)
    assert api(pbs)(path).get(**params) == lab(key)


def test_envelope_is_data_and_job_lists_carry_a_digest(pbs: PbsServer) -> None:
    version = raw_get(pbs, "version")
    assert version.status_code == 200
    assert version.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert version.json() == {"data": lab("version")}
    for path in ("admin/verify", "admin/prune", "admin/sync", "config/datastore"):
        body = raw_get(pbs, path).json()
        assert set(body) == {"data", "digest"}
        assert len(body["digest"]) == 64


def test_root_namespace_as_empty_ns_parameter(pbs: PbsServer) -> None:
    store = api(pbs).admin.datastore("backup")
    assert (
        store.snapshots.get(ns="")
        == store.snapshots.get()
        == lab("admin/datastore/backup/snapshots")
    )


def test_ping_needs_no_credentials_and_version_does(pbs: PbsServer) -> None:
    assert raw_get(pbs, "ping", headers={}).json() == {"data": {"pong": True}}
    assert raw_get(pbs, "version", headers={}).status_code == 401


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("separator", ["=", " "])
def test_token_header_is_id_colon_secret(pbs: PbsServer, separator: str) -> None:
    header = f"PBSAPIToken{separator}{TOKEN}:{DEFAULT_TOKEN_SECRET}"
    assert raw_get(pbs, "version", headers={"Authorization": header}).status_code == 200


def test_pve_style_token_header_is_refused(pbs: PbsServer) -> None:
    # What proxmoxer sends with service="PVE": PVEAPIToken=user@realm!name=secret
    with pytest.raises(ResourceException) as exc:
        api(pbs, service="PVE").version.get()
    assert pbs_error(exc) == (401, "authentication failed")
    pve_separator = {"Authorization": f"PBSAPIToken={TOKEN}={DEFAULT_TOKEN_SECRET}"}
    assert raw_get(pbs, "version", headers=pve_separator).status_code == 401


def test_wrong_secret_raises_like_a_real_pbs(pbs: PbsServer) -> None:
    with pytest.raises(ResourceException) as exc:
        api(pbs, token_value="00000000-0000-0000-0000-000000000000").version.get()
    assert pbs_error(exc) == (401, "authentication failed")
    assert exc.value.content == "Unauthorized"  # proxmoxer's "content" is the reason phrase
    resp = raw_get(pbs, "version", headers={"Authorization": f"PBSAPIToken={TOKEN}:wrong"})
    assert (resp.status_code, resp.reason, resp.text) == (
        401,
        "Unauthorized",
        "authentication failed",
    )
    assert "Content-Type" not in resp.headers  # the auth error bypasses the JSON formatter
    assert resp.headers["Set-Cookie"].startswith("PBSAuthCookie=;")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({}, "no authentication credentials provided."),
        ({"Authorization": f"PBSAPIToken={TOKEN}:wrong"}, "invalid credentials"),
        (
            {"Authorization": f"PBSAPIToken=x@pbs!y:{DEFAULT_TOKEN_SECRET}"},
            "user account or token disabled or expired.",
        ),
        ({"Authorization": f"PBSAPIToken={TOKEN}"}, "failed to split API token header"),
        ({"Cookie": "PBSAuthCookie=PBS:root@pam:0::forged"}, "ticket with invalid signature"),
    ],
)
def test_legacy_auth_error_bodies_carry_the_reason(header: dict[str, str], reason: str) -> None:
    with PbsServer(LAB, auth_error_detail=True) as server:
        resp = raw_get(server, "version", headers=header)
    assert (resp.status_code, resp.text) == (401, f"authentication failed - {reason}")


def test_secret_is_percent_decoded(pbs: PbsServer) -> None:
    encoded = DEFAULT_TOKEN_SECRET.replace("-", "%2D")
    assert raw_get(pbs, "version", headers={"Authorization": f"PBSAPIToken={TOKEN}:{encoded}"}).ok


def test_unauthorized_answer_can_be_delayed_like_pbs() -> None:
    with PbsServer(LAB, unauthorized_delay_s=0.3) as server:
        started = time.monotonic()
        assert raw_get(server, "version", headers={}).status_code == 401
        assert time.monotonic() - started >= 0.3


# -- privileges --------------------------------------------------------------------------------


def test_default_token_sees_everything_with_least_privilege(pbs: PbsServer) -> None:
    assert api(pbs).access.permissions.get() == {
        "/datastore": {"Datastore.Audit": True},
        "/remote": {"Remote.Audit": True},
    }


def test_token_limited_to_one_store_gets_403_and_filtered_lists() -> None:
    with restricted(("/datastore/offsite", "DatastoreAudit")) as server:
        client = api(server)
        with pytest.raises(ResourceException) as exc:
            client.admin.datastore("backup").snapshots.get(ns="homelab")
        missing = "missing Datastore.Audit|Datastore.Backup on /datastore/backup/homelab"
        assert pbs_error(exc) == (403, f"permission check failed - {missing}")
        with pytest.raises(ResourceException) as exc:
            client.admin.datastore("backup").gc.get()
        assert pbs_error(exc) == (403, "permission check failed")
        with pytest.raises(ResourceException) as exc:
            client.admin.datastore("backup").status.get()
        assert pbs_error(exc) == (403, "permission check failed")
        assert [d["store"] for d in client.admin.datastore.get()] == ["offsite"]
        assert [d["store"] for d in client.status("datastore-usage").get()] == ["offsite"]
        assert [g["store"] for g in client.admin.gc.get()] == ["offsite"]
        assert client.admin.verify.get() == []
        assert [p["id"] for p in client.admin.prune.get()] == ["p-offsite"]
        assert client.admin.sync.get() == []  # s-nas needs Remote.Audit, s-homelab the source


def test_namespace_only_token_sees_the_store_name_but_not_its_sizes() -> None:
    with restricted(("/datastore/backup/homelab", "DatastoreAudit")) as server:
        store = api(server).admin.datastore("backup")
        assert api(server).admin.datastore.get() == [{**lab("admin/datastore")[0], "comment": None}]
        assert store.snapshots.get(ns="homelab") == lab(
            "admin/datastore/backup/snapshots@ns=homelab"
        )
        with pytest.raises(ResourceException) as exc:
            store.snapshots.get()
        assert pbs_error(exc)[1].endswith("on /datastore/backup")
        assert store.namespace.get() == [{"ns": "homelab"}]
        status = store.status.get(verbose=1)
        assert (status["total"], status["used"], status["avail"]) == (0, 0, 0)
        assert "gc-status" not in status
        usage = api(server).status("datastore-usage").get()
        assert usage == [
            {"store": "backup", "mount-status": "nonremovable", "backend-type": "filesystem"}
        ]


def test_backup_privilege_lists_only_owned_groups() -> None:
    with PbsServer(
        LAB,
        tokens={"pve@pbs!edge": AUDITOR_SECRET},
        acl={"pve@pbs!edge": [("/datastore", "DatastoreBackup")]},
    ) as server:
        snapshots = api(server).admin.datastore("backup").snapshots.get()
    assert {s["owner"] for s in snapshots} == {"pve@pbs!edge"}
    assert len(snapshots) == 2


def test_sync_jobs_need_remote_audit_for_remote_sources() -> None:
    with restricted(("/datastore", "DatastoreAudit")) as server:
        assert [j["id"] for j in api(server).admin.sync.get()] == ["s-homelab"]
        assert api(server).access.permissions.get() == {"/datastore": {"Datastore.Audit": True}}


def test_more_specific_acl_replaces_the_inherited_one() -> None:
    with restricted(("/datastore", "DatastoreAudit"), ("/datastore/offsite", "NoAccess")) as server:
        assert [d["store"] for d in api(server).admin.datastore.get()] == ["backup"]


def test_acl_without_propagation_covers_only_its_own_path() -> None:
    with restricted(AclEntry("/datastore/backup", "DatastoreAudit", propagate=False)) as server:
        store = api(server).admin.datastore("backup")
        assert store.snapshots.get() == lab("admin/datastore/backup/snapshots")
        with pytest.raises(ResourceException) as exc:
            store.snapshots.get(ns="homelab")
        assert pbs_error(exc)[0] == 403


def test_acl_can_change_while_running(fresh: PbsServer) -> None:
    fresh.set_acl(TOKEN, [])
    assert api(fresh).admin.datastore.get() == []


# -- what PBS does not serve -------------------------------------------------------------------


def test_writes_are_404_and_logged(fresh: PbsServer) -> None:
    client = api(fresh)
    with pytest.raises(ResourceException) as exc:
        client.admin.datastore("backup").gc.post(comment="x")
    assert pbs_error(exc) == (404, "Path '/api2/json/admin/datastore/backup/gc' not found.")
    assert fresh.request_log == [LoggedRequest("POST", "admin/datastore/backup/gc", {}, "token")]
    assert client.version.get() == lab("version")  # the body was consumed: keep-alive intact
    assert fresh.connection_count == 1


def test_unknown_path_is_404(pbs: PbsServer) -> None:
    with pytest.raises(ResourceException) as exc:
        api(pbs).nodes.localhost.status.get()
    assert pbs_error(exc) == (404, "Path '/api2/json/nodes/localhost/status' not found.")


def test_recorded_error_answers_with_status_and_plain_text(tmp_path: Path) -> None:
    write_pbs_lab(tmp_path)
    error = {"status": 400, "message": "no such datastore 'gone'"}
    (tmp_path / "admin/datastore/gone").mkdir()
    (tmp_path / "admin/datastore/gone/status.error.json").write_text(json.dumps(error))
    with PbsServer(tmp_path) as server, pytest.raises(ResourceException) as exc:
        api(server).admin.datastore("gone").status.get()
    assert pbs_error(exc) == (400, "no such datastore 'gone'")


# -- faults, log, TLS, lifecycle ---------------------------------------------------------------


def test_fault_error_status(fresh: PbsServer) -> None:
    fresh.add_fault("admin/datastore/*/snapshots*", "error", status=503, message="overloaded")
    with pytest.raises(ResourceException) as exc:
        api(fresh).admin.datastore("backup").snapshots.get(ns="homelab")
    assert pbs_error(exc) == (503, "overloaded")


def test_fault_malformed_json_is_not_raised_by_proxmoxer(fresh: PbsServer) -> None:
    fresh.add_fault("version", "malformed", body=b'{"data":{"version":')
    assert api(fresh).version.get() == {"errors": b'{"data":{"version":'}


def test_fault_hang_times_out_then_answers_once_removed(fresh: PbsServer) -> None:
    fault = fresh.add_fault("admin/gc", "hang", seconds=2.0, times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api(fresh, timeout=0.3).admin.gc.get()
    assert fault.fired == 1
    assert api(fresh).admin.gc.get() == lab("admin/gc")


def test_fault_close_drops_the_connection(fresh: PbsServer) -> None:
    fresh.add_fault("admin/verify", "close")
    with pytest.raises(requests.exceptions.ConnectionError):
        api(fresh).admin.verify.get()


def test_request_log_and_endpoints_never_hold_the_secret(fresh: PbsServer) -> None:
    client = api(fresh)
    for store in ("backup", "offsite"):
        client.admin.datastore(store).snapshots.get(ns="homelab")
    assert fresh.requests_by_endpoint() == {"admin/datastore/{store}/snapshots@ns=homelab": 2}
    assert DEFAULT_TOKEN_SECRET not in repr(fresh.request_log)
    assert fresh.handler_errors == []
    assert fresh.connection_count == 1  # keep-alive: one TLS connection for both requests
    assert pbs_endpoint("admin/gc/backup") == "admin/gc/{store}"


def test_unrelated_ca_is_refused(pbs: PbsServer, tmp_path: Path) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        api(pbs, verify_ssl=str(write_unrelated_ca(tmp_path))).version.get()


def test_lifecycle_and_validation() -> None:
    server = PbsServer(LAB)
    with pytest.raises(RuntimeError):
        _ = server.port
    with server:
        assert server.proxmoxer_kwargs()["service"] == "PBS"
        with pytest.raises(RuntimeError):
            server.start()
    with pytest.raises(RuntimeError):
        _ = server.url
    with pytest.raises(FileNotFoundError):
        PbsServer(LAB / "missing")
    with pytest.raises(ValueError, match="user@realm!tokenname"):
        PbsServer(LAB, tokens={"collector@pbs": "x"})
