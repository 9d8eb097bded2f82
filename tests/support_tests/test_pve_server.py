"""Tests of the PVE API test server, driven through real proxmoxer over real HTTPS.

The server is the ground truth other suites rely on, so these tests pin down each PVE behaviour
it claims (auth, envelope, error texts, status codes) plus its test hooks (request log, latency,
faults). They run with the machine's ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` pointing at the
system bundle, which requests would let override ``verify=True``: passing the test CA path
explicitly must still win.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from proxmoxer import AuthenticationError, ProxmoxAPI, ResourceException

from tests.support.certs import (
    issue_client,
    issue_server,
    make_ca,
    make_server_certs,
    write_unrelated_ca,
)
from tests.support.pve_server import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN_SECRET,
    Fault,
    LoggedRequest,
    PveServer,
    endpoint_template,
    permission_message,
    recording_key,
)

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

RECORDING: dict[str, Any] = {
    "version.json": {"version": "8.4.1", "release": "8.4", "repoid": "2a5fa54a8503f96d"},
    "cluster/status.json": [{"type": "cluster", "name": "lab", "quorate": 1}],
    "cluster/resources@type=vm.json": [{"vmid": 100, "node": "pve1", "type": "qemu"}],
    "cluster/resources@type=storage.json": [{"storage": "local", "node": "pve1"}],
    "nodes/pve1/qemu/100/config.json": {"name": "web", "memory": "2048", "agent": "1"},
    "nodes/pve1/qemu/100/agent/network-get-interfaces.error.json": {
        "status": 500,
        "message": "QEMU guest agent is not running",
    },
    "nodes/pve1/lxc/200/interfaces.json": None,
    "nodes/pve2/lxc/201/config.json": {"hostname": "ct"},
    "nodes/pve1/storage/local/content@content=backup&vmid=100.json": [{"volid": "local:x"}],
    "cluster/resources@type=bogus.error.json": {
        "status": 400,
        "message": "Parameter verification failed.",
        "errors": {"type": "value 'bogus' does not have a value in the enumeration"},
    },
}


def write_recording(root: Path, files: dict[str, Any]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _system_ca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pin the environment this machine has, so the tests prove the explicit CA path wins even
    # where these variables are set (and behave the same where they are not).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)
    monkeypatch.setenv("CURL_CA_BUNDLE", SYSTEM_BUNDLE)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return write_recording(tmp_path / "pve" / "lab", RECORDING)


@pytest.fixture
def server(recording: Path) -> Iterator[PveServer]:
    with PveServer(recording) as srv:
        yield srv


def token_api(server: PveServer, **overrides: Any) -> Any:
    return ProxmoxAPI(**{**server.proxmoxer_kwargs("token"), **overrides})


def raw_get(server: PveServer, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(f"{server.api_url}/{path}", verify=server.ca_path, timeout=5, **kwargs)


def token_header(secret: str = DEFAULT_TOKEN_SECRET) -> dict[str, str]:
    return {"Authorization": f"PVEAPIToken=collector@pve!collector={secret}"}


# -- auth -------------------------------------------------------------------------------------


def test_token_auth(server: PveServer) -> None:
    api = ProxmoxAPI(
        host="127.0.0.1",
        port=server.port,
        user="collector@pve",
        token_name="collector",
        token_value=DEFAULT_TOKEN_SECRET,
        verify_ssl=server.ca_path,
    )
    assert api.version.get()["version"] == "8.4.1"
    assert server.request_log == [LoggedRequest("GET", "version", {}, "token")]


def test_ticket_login_then_cookie(server: PveServer) -> None:
    api = ProxmoxAPI(
        host="127.0.0.1",
        port=server.port,
        user="collector@pve",
        password=DEFAULT_PASSWORD,
        verify_ssl=server.ca_path,
    )
    assert api.cluster.status.get()[0]["quorate"] == 1
    assert server.request_log == [
        LoggedRequest("POST", "access/ticket", {}, "none"),
        LoggedRequest("GET", "cluster/status", {}, "ticket"),
    ]


def test_ticket_answer_shape_and_renewal(server: PveServer) -> None:
    url = f"{server.api_url}/access/ticket"
    login = {"username": "collector", "realm": "pve", "password": DEFAULT_PASSWORD}
    first = requests.post(url, data=login, verify=server.ca_path, timeout=5)
    assert first.status_code == 200
    data = first.json()["data"]
    assert data["username"] == "collector@pve"
    assert data["ticket"].startswith("PVE:collector@pve:")
    assert data["CSRFPreventionToken"]
    # proxmoxer renews a ticket by posting it as the password
    renew = {"username": "collector@pve", "password": data["ticket"]}
    second = requests.post(url, data=renew, verify=server.ca_path, timeout=5)
    assert second.status_code == 200
    assert second.json()["data"]["ticket"] != data["ticket"]


def test_wrong_token_secret_is_401(server: PveServer) -> None:
    api = token_api(server, token_value="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ResourceException) as exc:
        api.version.get()
    assert exc.value.status_code == 401
    assert exc.value.content == "Authentication failed!"


def test_unknown_token_id_is_401(server: PveServer) -> None:
    with pytest.raises(ResourceException) as exc:
        token_api(server, token_name="other").version.get()
    assert exc.value.status_code == 401


def test_no_credentials_is_no_ticket(server: PveServer) -> None:
    resp = raw_get(server, "version")
    assert (resp.status_code, resp.reason) == (401, "No ticket")
    assert resp.json() == {"data": None, "message": "No ticket\n"}


def test_bad_cookie_is_401(server: PveServer) -> None:
    resp = raw_get(server, "version", cookies={"PVEAuthCookie": "PVE:collector@pve:0::forged"})
    assert (resp.status_code, resp.reason) == (401, "Authentication failed!")


def test_wrong_password_raises_authentication_error(server: PveServer) -> None:
    with pytest.raises(AuthenticationError, match="code: 401"):
        ProxmoxAPI(**{**server.proxmoxer_kwargs("password"), "password": "wrong"})
    resp = requests.post(
        f"{server.api_url}/access/ticket",
        data={"username": "collector@pve", "password": "wrong"},
        verify=server.ca_path,
        timeout=5,
    )
    assert (resp.status_code, resp.reason) == (401, "authentication failure")


def test_ticket_post_without_password_is_400(server: PveServer) -> None:
    resp = requests.post(
        f"{server.api_url}/access/ticket",
        data={"username": "collector@pve"},
        verify=server.ca_path,
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json()["errors"] == {"password": "property is missing and it is not optional"}


def test_custom_tokens_and_users(recording: Path) -> None:
    with PveServer(recording, tokens={"ro@pam!t1": "s1"}, users={"ro@pam": "p1"}) as srv:
        assert srv.proxmoxer_kwargs()["user"] == "ro@pam"
        assert token_api(srv).version.get()["release"] == "8.4"
        assert ProxmoxAPI(**srv.proxmoxer_kwargs("password")).version.get()["release"] == "8.4"
        with pytest.raises(ResourceException):
            token_api(srv, user="collector@pve", token_name="collector").version.get()


def test_bad_token_id_rejected_at_construction(recording: Path) -> None:
    with pytest.raises(ValueError, match="user@realm!tokenname"):
        PveServer(recording, tokens={"collector": "x"})


# -- serving the recording ----------------------------------------------------------------------


def test_query_params_map_to_recording_suffix(server: PveServer) -> None:
    api = token_api(server)
    assert api.cluster.resources.get(type="vm") == [{"vmid": 100, "node": "pve1", "type": "qemu"}]
    assert api.cluster.resources.get(type="storage")[0]["storage"] == "local"
    # keys are sorted whatever order the client sends them in
    content = api.nodes("pve1").storage("local").content.get(vmid=100, content="backup")
    assert content == [{"volid": "local:x"}]
    assert server.request_log[-1].query == {"vmid": "100", "content": "backup"}


def test_unrecorded_query_is_not_answered_from_plain_path(server: PveServer) -> None:
    # No fallback to cluster/resources.json: a filtered question needs its own recording.
    with pytest.raises(ResourceException) as exc:
        token_api(server).cluster.resources.get(type="node")
    assert exc.value.status_code == 501
    assert exc.value.content == "Method 'GET /cluster/resources' not implemented"


def test_recording_key() -> None:
    assert recording_key("version", []) == "version"
    assert recording_key("a/b", [("z", "1"), ("a", "x y")]) == "a/b@a=x y&z=1"


def test_recorded_error(server: PveServer) -> None:
    api = token_api(server)
    with pytest.raises(ResourceException) as exc:
        api.nodes("pve1").qemu(100).agent("network-get-interfaces").get()
    assert exc.value.status_code == 500
    assert exc.value.status_message == "Internal Server Error"
    assert exc.value.content == "QEMU guest agent is not running"
    resp = raw_get(
        server, "nodes/pve1/qemu/100/agent/network-get-interfaces", headers=token_header()
    )
    assert resp.json() == {"data": None, "message": "QEMU guest agent is not running\n"}


def test_recorded_400_carries_errors(server: PveServer) -> None:
    with pytest.raises(ResourceException) as exc:
        token_api(server).cluster.resources.get(type="bogus")
    assert exc.value.status_code == 400
    assert exc.value.content == "Parameter verification failed."
    assert exc.value.errors == {"type": "value 'bogus' does not have a value in the enumeration"}


def test_legacy_error_body(recording: Path) -> None:
    with PveServer(recording, legacy_error_body=True) as srv:
        resp = raw_get(
            srv, "nodes/pve1/qemu/100/agent/network-get-interfaces", headers=token_header()
        )
        assert resp.json() == {"data": None}
        # the reason phrase still carries the text, so proxmoxer users see it either way
        with pytest.raises(ResourceException) as exc:
            token_api(srv).nodes("pve1").qemu(100).agent("network-get-interfaces").get()
        assert exc.value.content == "QEMU guest agent is not running"
        srv.legacy_error_body = False
        assert "message" in raw_get(srv, "nodes/x", headers=token_header()).json()


def test_unknown_path_is_501(server: PveServer) -> None:
    with pytest.raises(ResourceException) as exc:
        token_api(server).nodes("pve1").qemu(999).config.get()
    assert exc.value.status_code == 501
    assert exc.value.content == "Method 'GET /nodes/pve1/qemu/999/config' not implemented"


def test_null_data_for_stopped_ct_interfaces(server: PveServer) -> None:
    assert token_api(server).nodes("pve1").lxc(200).interfaces.get() is None
    resp = raw_get(server, "nodes/pve1/lxc/200/interfaces", headers=token_header())
    assert resp.status_code == 200
    assert resp.content == b'{"data":null}'


def test_values_keep_wire_types(server: PveServer) -> None:
    assert token_api(server).nodes("pve1").qemu(100).config.get()["memory"] == "2048"


def test_recording_with_both_data_and_error_is_rejected(tmp_path: Path) -> None:
    write_recording(tmp_path, {"version.json": {}, "version.error.json": {"status": 500}})
    with pytest.raises(ValueError, match="version"):
        PveServer(tmp_path)


def test_missing_recording_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        PveServer(tmp_path / "nope")


def test_writes_are_logged_and_refused(server: PveServer) -> None:
    api = token_api(server)
    with pytest.raises(ResourceException) as exc:
        api.nodes("pve1").qemu(100).status.start.post()
    assert exc.value.status_code == 501
    assert exc.value.content == "Method 'POST /nodes/pve1/qemu/100/status/start' not implemented"
    with pytest.raises(ResourceException):
        api.nodes("pve1").qemu(100).config.put(memory=4096)
    with pytest.raises(ResourceException):
        api.nodes("pve1").qemu(100).delete(purge=1)
    assert [(r.method, r.path, r.query) for r in server.request_log] == [
        ("POST", "nodes/pve1/qemu/100/status/start", {}),
        ("PUT", "nodes/pve1/qemu/100/config", {}),
        ("DELETE", "nodes/pve1/qemu/100", {"purge": "1"}),
    ]


def test_ticket_write_without_csrf_token_is_401(server: PveServer) -> None:
    api = ProxmoxAPI(**server.proxmoxer_kwargs("password"))
    ticket, _csrf = api.get_tokens()
    resp = requests.post(
        f"{server.api_url}/nodes/pve1/qemu/100/status/start",
        cookies={"PVEAuthCookie": ticket},
        verify=server.ca_path,
        timeout=5,
    )
    assert (resp.status_code, resp.reason) == (401, "Permission denied - invalid csrf token")
    # with the token (as proxmoxer sends it) the write reaches the 501
    with pytest.raises(ResourceException) as exc:
        api.nodes("pve1").qemu(100).status.start.post()
    assert exc.value.status_code == 501


# -- 403 and 595 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("nodes/pve1/qemu/100/config", "Permission check failed (/vms/100, VM.Audit)"),
        ("nodes/pve1/lxc/201/interfaces", "Permission check failed (/vms/201, VM.Audit)"),
        (
            "nodes/pve1/qemu/100/agent/network-get-interfaces",
            "Permission check failed (/vms/100, VM.GuestAgent.Audit)",
        ),
        (
            "nodes/pve1/storage/local/content",
            "Permission check failed (/storage/local, Datastore.Audit)",
        ),
        ("nodes/pve1/status", "Permission check failed (/nodes/pve1, Sys.Audit)"),
        ("cluster/backup", "Permission check failed (/, Sys.Audit)"),
        ("pools/prod", "Permission check failed (/pool/prod, Pool.Audit)"),
    ],
)
def test_permission_message(path: str, expected: str) -> None:
    assert permission_message(path) == expected


def test_forbidden_globs(recording: Path) -> None:
    with PveServer(recording, forbidden={"nodes/*/qemu/*/config"}) as srv:
        api = token_api(srv)
        with pytest.raises(ResourceException) as exc:
            api.nodes("pve1").qemu(100).config.get()
        assert exc.value.status_code == 403
        assert exc.value.content == "Permission check failed (/vms/100, VM.Audit)"
        assert api.nodes("pve2").lxc(201).config.get() == {"hostname": "ct"}

        srv.forbid("cluster/resources@type=storage", "Permission check failed (/, Sys.Audit)")
        assert api.cluster.resources.get(type="vm")
        with pytest.raises(ResourceException) as exc:
            api.cluster.resources.get(type="storage")
        assert exc.value.status_code == 403

        srv.allow("nodes/*/qemu/*/config")
        assert api.nodes("pve1").qemu(100).config.get()["name"] == "web"


def test_offline_node_is_595(recording: Path) -> None:
    with PveServer(recording, offline_nodes={"pve2"}) as srv:
        api = token_api(srv)
        with pytest.raises(ResourceException) as exc:
            api.nodes("pve2").lxc(201).config.get()
        assert exc.value.status_code == 595
        assert exc.value.content == "No route to host"
        assert "connection establishment" in exc.value.status_message
        # the cluster-wide view and other nodes still answer
        assert api.cluster.resources.get(type="vm")
        assert api.nodes("pve1").qemu(100).config.get()["name"] == "web"

        srv.set_node_offline("pve2", offline=False)
        assert api.nodes("pve2").lxc(201).config.get() == {"hostname": "ct"}
        srv.set_node_offline("pve1")
        assert srv.offline_nodes == {"pve1"}
        with pytest.raises(ResourceException, match="595"):
            api.nodes("pve1").qemu(100).config.get()


def test_offline_wins_over_forbidden(recording: Path) -> None:
    with PveServer(recording, offline_nodes={"pve1"}, forbidden={"nodes/*"}) as srv:
        resp = raw_get(srv, "nodes/pve1/qemu/100/config", headers=token_header())
        assert resp.status_code == 595


# -- request log --------------------------------------------------------------------------------


def test_request_log_and_endpoints(server: PveServer) -> None:
    api = token_api(server)
    api.version.get()
    api.cluster.resources.get(type="vm")
    api.nodes("pve1").qemu(100).config.get()
    api.nodes("pve2").lxc(201).config.get()
    api.nodes("pve1").lxc(200).interfaces.get()
    with pytest.raises(ResourceException):
        api.nodes("pve1").qemu(100).agent("network-get-interfaces").get()
    log = server.request_log
    assert [r.path for r in log] == [
        "version",
        "cluster/resources",
        "nodes/pve1/qemu/100/config",
        "nodes/pve2/lxc/201/config",
        "nodes/pve1/lxc/200/interfaces",
        "nodes/pve1/qemu/100/agent/network-get-interfaces",
    ]
    assert log[1] == LoggedRequest("GET", "cluster/resources", {"type": "vm"}, "token")
    assert {r.auth for r in log} == {"token"}
    assert server.requests_by_endpoint() == {
        "version": 1,
        "cluster/resources@type=vm": 1,
        "nodes/{node}/qemu/{vmid}/config": 1,
        "nodes/{node}/lxc/{vmid}/config": 1,
        "nodes/{node}/lxc/{vmid}/interfaces": 1,
        "nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": 1,
    }
    server.clear_request_log()
    assert server.request_log == []


def test_requests_by_endpoint_method_filter(server: PveServer) -> None:
    api = ProxmoxAPI(**server.proxmoxer_kwargs("password"))
    api.version.get()
    assert server.requests_by_endpoint() == {"version": 1}
    assert server.requests_by_endpoint(method=None) == {"version": 1, "access/ticket": 1}
    assert server.requests_by_endpoint(method="POST") == {"access/ticket": 1}


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("nodes/pve-a/qemu/100/config", {}, "nodes/{node}/qemu/{vmid}/config"),
        (
            "nodes/n1/storage/nas-backup/content",
            {"content": "backup", "vmid": "101"},
            "nodes/{node}/storage/{storage}/content@content=backup&vmid={id}",
        ),
        ("cluster/backup-info/not-backed-up", {}, "cluster/backup-info/not-backed-up"),
        ("pools/prod", {}, "pools/{poolid}"),
        ("cluster/ha/resources", {}, "cluster/ha/resources"),
        ("cluster/something/42", {}, "cluster/something/{id}"),
        ("", {}, ""),
    ],
)
def test_endpoint_template(path: str, query: dict[str, str], expected: str) -> None:
    assert endpoint_template(path, query) == expected


def test_no_secret_in_request_log(server: PveServer) -> None:
    token_api(server).version.get()
    api = ProxmoxAPI(**server.proxmoxer_kwargs("password"))
    api.version.get()
    ticket, csrf = api.get_tokens()
    with pytest.raises(ResourceException):
        api.nodes("pve1").qemu(100).status.start.post()
    dumped = repr(server.request_log) + repr(server.requests_by_endpoint(method=None))
    for secret in (DEFAULT_TOKEN_SECRET, DEFAULT_PASSWORD, ticket, csrf):
        assert secret not in dumped
    assert [r.auth for r in server.request_log] == ["token", "none", "ticket", "ticket"]


# -- TLS ----------------------------------------------------------------------------------------


def test_env_ca_bundle_does_not_override_explicit_ca(server: PveServer) -> None:
    assert os.environ["REQUESTS_CA_BUNDLE"] == SYSTEM_BUNDLE
    resp = raw_get(server, "version", headers=token_header())
    assert resp.status_code == 200
    # ...while verify=True does pick up the env bundle, which does not trust the test CA
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.api_url}/version", timeout=5)


def test_wrong_ca_fails(server: PveServer, tmp_path: Path) -> None:
    other = str(write_unrelated_ca(tmp_path))
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.api_url}/version", verify=other, timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        token_api(server, verify_ssl=other).version.get()
    # the failed handshakes did not disturb the server
    assert token_api(server).version.get()["release"] == "8.4"


def test_hostname_mismatch_fails(recording: Path, tmp_path: Path) -> None:
    certs = issue_server(make_ca(), tmp_path, hosts=("pve.example.invalid",))
    with PveServer(recording, certs=certs) as srv:
        assert srv.ca_path == str(certs.ca)
        with pytest.raises(requests.exceptions.SSLError):
            raw_get(srv, "version", headers=token_header())


def test_given_certs_survive_stop(recording: Path, tmp_path: Path) -> None:
    certs = make_server_certs(tmp_path / "tls")
    with PveServer(recording, certs=certs) as srv:
        assert raw_get(srv, "version", headers=token_header()).ok
    assert certs.ca.exists()


def test_generated_certs_cleaned_up(recording: Path) -> None:
    with PveServer(recording) as srv:
        ca = Path(srv.ca_path)
        assert ca.exists()
        assert Path(srv.cert_path).exists()
        assert Path(srv.key_path).exists()
    assert not ca.exists()


def test_client_cert_issued_by_ca(tmp_path: Path) -> None:
    from cryptography import x509

    ca = make_ca()
    cert, key = issue_client(ca, tmp_path)
    assert (cert.name, key.name) == ("cert.pem", "key.pem")
    assert (tmp_path / "ca.pem").exists()  # a DOCKER_CERT_PATH-style directory
    leaf = x509.load_pem_x509_certificate(cert.read_bytes())
    root = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    leaf.verify_directly_issued_by(root)
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in usages


# -- connection handling ------------------------------------------------------------------------


def test_keep_alive_reuses_connection(server: PveServer) -> None:
    api = token_api(server)
    for _ in range(20):
        api.version.get()
    with pytest.raises(ResourceException):
        api.nodes.unknown.get()  # an error answer keeps the connection too
    api.version.get()
    assert server.connection_count == 1
    resp = raw_get(server, "nodes/x", headers=token_header())
    assert resp.headers["Content-Length"] == str(len(resp.content))


def test_concurrent_clients(server: PveServer) -> None:
    def worker(_: int) -> int:
        api = token_api(server)
        return sum(api.cluster.resources.get(type="vm")[0]["vmid"] for _ in range(25))

    with ThreadPoolExecutor(max_workers=8) as pool:
        # list() re-raises any worker's exception here
        assert list(pool.map(worker, range(8))) == [2500] * 8
    assert server.requests_by_endpoint() == {"cluster/resources@type=vm": 200}
    assert server.connection_count == 8
    assert server.handler_errors == []


def test_stop_closes_keep_alive_connections(recording: Path, tmp_path: Path) -> None:
    # given certs, so the CA file outlives stop() and the failure below is the connection's
    srv = PveServer(recording, certs=make_server_certs(tmp_path)).start()
    session = requests.Session()
    url, ca = f"{srv.api_url}/version", srv.ca_path
    assert session.get(url, headers=token_header(), verify=ca, timeout=5).ok
    # a raw keep-alive connection opened before stop() must not be served afterwards
    ctx = ssl.create_default_context(cafile=ca)
    raw = ctx.wrap_socket(socket.create_connection((srv.host, srv.port)), server_hostname=srv.host)
    request = (
        f"GET /api2/json/version HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {token_header()['Authorization']}\r\n\r\n"
    ).encode()
    raw.sendall(request)
    assert raw.recv(65536).startswith(b"HTTP/1.1 200 OK")
    srv.stop()
    raw.settimeout(5)
    with contextlib.suppress(OSError):
        raw.sendall(request)
    with contextlib.suppress(ConnectionResetError):  # a reset is as good as an EOF here
        assert raw.recv(65536) == b""
    raw.close()
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(url, headers=token_header(), verify=ca, timeout=5)
    srv.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = srv.url


def test_silent_on_stderr(server: PveServer, capfd: pytest.CaptureFixture[str]) -> None:
    raw_get(server, "version")
    raw_get(server, "nodes/x", headers=token_header())
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.api_url}/version", timeout=5)
    server.add_fault("version", "close")
    with pytest.raises(requests.exceptions.ConnectionError):
        raw_get(server, "version", headers=token_header())
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_non_api_path_is_404(server: PveServer) -> None:
    resp = requests.get(f"{server.url}/pve2/index.html", verify=server.ca_path, timeout=5)
    assert resp.status_code == 404
    assert server.request_log[-1].path == "/pve2/index.html"


# -- latency and faults -------------------------------------------------------------------------


def test_latency_injection(recording: Path) -> None:
    with PveServer(recording, latency_s=0.2) as srv:
        api = token_api(srv)
        api.version.get()  # the first request also pays the TLS handshake; measure the second
        started = time.perf_counter()
        api.version.get()
        assert time.perf_counter() - started >= 0.2
        srv.latency_s = 0.0
        started = time.perf_counter()
        api.version.get()
        assert time.perf_counter() - started < 0.2


def test_fault_hang_outlasts_client_timeout(server: PveServer) -> None:
    fault = server.add_fault("nodes/*/qemu/*/config", "hang", seconds=3)
    api = token_api(server, timeout=0.3)
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.nodes("pve1").qemu(100).config.get()
    assert time.perf_counter() - started < 2
    assert fault.fired == 1
    assert api.version.get()["release"] == "8.4"  # other paths are unaffected


def test_fault_hang_then_answers(server: PveServer) -> None:
    server.add_fault("version", "hang", seconds=0.2)
    started = time.perf_counter()
    assert token_api(server).version.get()["release"] == "8.4"
    assert time.perf_counter() - started >= 0.2


def test_fault_malformed_json(server: PveServer) -> None:
    server.add_fault("cluster/resources@type=vm", "malformed")
    api = token_api(server)
    # proxmoxer does not raise on an unparsable 200: it returns {"errors": <raw bytes>}
    answer = api.cluster.resources.get(type="vm")
    assert answer == {"errors": b'{"data":[{"vmid":100,"name":'}
    assert api.cluster.resources.get(type="storage")[0]["storage"] == "local"
    server.clear_faults()
    server.add_fault("version", "malformed", body=b"<html>proxy error</html>")
    assert api.version.get() == {"errors": b"<html>proxy error</html>"}


def test_fault_error_status(server: PveServer) -> None:
    server.add_fault(
        "nodes/*/agent/*", "error", status=500, message="VM 100 qga command failed - got timeout"
    )
    with pytest.raises(ResourceException) as exc:
        token_api(server).nodes("pve1").qemu(100).agent("network-get-interfaces").get()
    assert exc.value.status_code == 500
    assert exc.value.content == "VM 100 qga command failed - got timeout"


def test_fault_close_connection(server: PveServer) -> None:
    server.add_fault("cluster/status", "close")
    api = token_api(server)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.cluster.status.get()
    assert api.version.get()["release"] == "8.4"


def test_fault_times_and_removal(server: PveServer) -> None:
    api = token_api(server)
    once = server.add_fault("version", "error", status=503, message="busy", times=1)
    with pytest.raises(ResourceException, match="503"):
        api.version.get()
    assert api.version.get()["release"] == "8.4"  # fired once, then gone
    assert once.fired == 1
    assert server.faults == ()
    always = server.add_fault("version", "error", message="x")
    for _ in range(3):
        with pytest.raises(ResourceException):
            api.version.get()
    server.remove_fault(always)
    assert api.version.get()["release"] == "8.4"
    assert always.fired == 3


def test_faults_at_construction(recording: Path) -> None:
    faults = [Fault("cluster/*", "error", status=596, message="Connection timed out")]
    with PveServer(recording, faults=faults) as srv:
        with pytest.raises(ResourceException) as exc:
            token_api(srv).cluster.status.get()
        assert exc.value.status_code == 596
        assert exc.value.content == "Connection timed out"


def test_unknown_fault_kind_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("x", "explode")  # type: ignore[arg-type]


def test_fault_on_ticket_endpoint(server: PveServer) -> None:
    server.add_fault("access/ticket", "error", status=500, message="cluster not ready - no quorum?")
    with pytest.raises(AuthenticationError):
        ProxmoxAPI(**server.proxmoxer_kwargs("password"))


def test_broken_fixture_is_a_visible_500(tmp_path: Path) -> None:
    (tmp_path / "version.json").write_text("{not json", encoding="utf-8")
    write_recording(tmp_path, {"pools.error.json": {"status": 500}})  # no "message"
    with PveServer(tmp_path) as srv:
        for path in ("version", "pools"):
            resp = raw_get(srv, path, headers=token_header())
            assert resp.status_code == 500
            assert resp.reason.startswith("test server error:")
        assert [type(e) for e in srv.handler_errors] == [json.JSONDecodeError, ValueError]
