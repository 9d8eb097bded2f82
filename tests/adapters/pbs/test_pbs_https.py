"""The PBS source against a PBS that answers over real HTTPS (``PbsServer``: PBS's token header,
ACLs, plain-text errors), through the real client (``adapters/common/http.py``).

What is pinned: the request budget per endpoint, GET only, the token header, replay giving the
same model as the live read, PBS's error shapes turned into the collector's messages (401, a
403 on one namespace, a 400 from PBS < 3.3 for ``sync-direction``), certificate pinning by
fingerprint and a 401 that PBS delays beyond the timeout.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.pbs.adapter import PbsAdapter
from adapters.pbs.client import open_client
from adapters.pbs.replay import ReplayPbsApi
from collector.config.pbs import PbsConfig
from collector.model import SourceResult, VerifyState
from tests.support.budget import PBS_FIXED_ENDPOINTS, pbs_budget
from tests.support.pbs_acl import AclEntry
from tests.support.pbs_server import DEFAULT_TOKEN_ID, DEFAULT_TOKEN_SECRET, PbsServer

LAB = Path(__file__).resolve().parents[3] / "fixtures" / "pbs" / "lab"


@pytest.fixture
def pbs() -> Iterator[PbsServer]:
    with PbsServer(LAB) as server:
        yield server


def _config(server: PbsServer, **extra: Any) -> PbsConfig:
    settings: dict[str, Any] = {
        "name": "pbs",
        "host": server.host,
        "port": server.port,
        "token_id": DEFAULT_TOKEN_ID,
        "token_secret_env": "PBS_TOKEN_SECRET",
        "ca_bundle": server.ca_path,
        "timeout": 5.0,
        "concurrency": 4,
    }
    settings |= extra
    if "fingerprint" in extra or extra.get("verify_ssl") is False:
        settings.pop("ca_bundle")
    return PbsConfig(**settings)


def _collect(cfg: PbsConfig, secret: str = DEFAULT_TOKEN_SECRET) -> SourceResult:
    client = open_client(cfg, secret)
    adapter = PbsAdapter(cfg.name, client, host=cfg.host, port=cfg.port, concurrency=4)
    return adapter.collect()


def _fingerprint(server: PbsServer) -> str:
    pem = ssl.get_server_certificate((server.host, server.port))
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def test_reads_the_lab_within_the_budget_with_gets_and_the_token_only(pbs: PbsServer) -> None:
    result = _collect(_config(pbs))
    server = result.backup_server
    assert server is not None and result.status.complete and result.status.gaps == ()
    seen = pbs.requests_by_endpoint(method=None)
    assert seen == Counter(
        {
            **dict.fromkeys(PBS_FIXED_ENDPOINTS, 1),
            "admin/datastore/{store}/namespace": 2,  # backup, offsite
            "admin/datastore/{store}/snapshots": 2,  # each store's root namespace
            "admin/datastore/{store}/snapshots@ns=homelab": 2,
        }
    )
    assert sum(seen.values()) == pbs_budget(server) == result.status.requests == 14
    assert {r.method for r in pbs.request_log} == {"GET"}
    assert {r.auth for r in pbs.request_log} == {"token"}


def test_replay_of_the_lab_gives_the_model_the_live_read_gave(pbs: PbsServer) -> None:
    live = _collect(_config(pbs))
    replayed = PbsAdapter("pbs", ReplayPbsApi(LAB, "pbs"), host=pbs.host, port=pbs.port).collect()
    assert replayed == live


def test_the_lab_reads_as_its_readme_says(pbs: PbsServer) -> None:
    server = _collect(_config(pbs)).backup_server
    assert server is not None and server.version == "4.1.4"
    backup, offsite = server.datastores
    newest = {
        f"{s.backup_type}/{s.backup_id}": s
        for s in sorted(backup.namespaces["homelab"], key=lambda s: s.time)  # type: ignore[index]
    }
    assert {k: v.verification for k, v in newest.items()} == {
        "vm/100": VerifyState.OK,
        "vm/101": VerifyState.FAILED,
        "ct/200": VerifyState.NEVER,
    }
    assert newest["vm/101"].verified_at == 1795663800  # the verify job's UPID: Nov 26 03:30
    assert (backup.gc_still_bad, offsite.gc_still_bad) == (0, 3)
    assert backup.estimated_full is not None and offsite.estimated_full is not None
    failed = {job.id: job.last_state for job in server.jobs if job.failed}
    assert failed == {
        "pbs:pbs/verify/v-homelab": "verification failed - please check the log for details",
        "pbs:pbs/sync/s-homelab": "sync failed with some errors.",
    }
    never = [job.id for job in server.jobs if job.failed is None]
    assert never == ["pbs:pbs/prune/p-offsite"]  # created today: only next-run
    pushed = [job for job in server.sync_jobs or () if job.name == "s-cloud"]
    assert pushed and pushed[0].detail == "push to cloud:homelab-copy"  # sync-direction=all


def test_a_wrong_secret_fails_the_source_with_pbs_text_and_never_shows_the_secret(
    pbs: PbsServer,
) -> None:
    result = _collect(_config(pbs), secret="not-the-secret")
    assert result.backup_server is None and not result.status.complete
    assert result.status.error == (
        "pbs: GET admin/datastore: 401 authentication failed; check token_id and the secret, "
        "and that the token is enabled and not expired"
    )
    assert "not-the-secret" not in repr(result) and DEFAULT_TOKEN_SECRET not in repr(result)


def test_a_401_that_pbs_delays_beyond_the_timeout_is_a_timeout(pbs: PbsServer) -> None:
    pbs.unauthorized_delay_s = 3.0
    result = _collect(_config(pbs, timeout=1.0), secret="wrong")
    assert result.status.error is not None
    assert result.status.error.startswith("pbs: GET ")
    assert (
        "timed out; raise timeout or check the host (PBS answers a bad token only after 3 s)"
        in (result.status.error)
    )


def test_a_token_limited_to_one_namespace_sees_only_it_and_the_report_says_why(
    pbs: PbsServer,
) -> None:
    pbs.set_acl(DEFAULT_TOKEN_ID, [AclEntry("/datastore/backup/homelab", "DatastoreAudit")])
    result = _collect(_config(pbs))
    server = result.backup_server
    assert server is not None and result.status.complete
    (backup,) = server.datastores  # PBS leaves offsite out, without an error
    assert backup.namespaces is not None and set(backup.namespaces) == {"homelab"}
    # Jobs are filtered the same way: only the one on that namespace is left.
    assert server.verify_jobs is not None
    assert [job.name for job in server.verify_jobs] == ["v-homelab"]
    reasons = sorted(g.reason for g in result.status.gaps if g.what == "permissions")
    assert [r.split(":")[0] for r in reasons] == [
        "no Remote.Audit on /remote",
        "the token holds Datastore.Audit only on /datastore/backup/homelab",
    ]


def test_a_403_on_one_namespace_is_a_gap_and_the_others_are_read(pbs: PbsServer) -> None:
    denied = (
        "permission check failed - missing Datastore.Audit|Datastore.Backup on "
        "/datastore/backup/homelab"
    )
    pbs.add_fault(
        "admin/datastore/backup/snapshots@ns=homelab", "error", status=403, message=denied
    )
    result = _collect(_config(pbs))
    server = result.backup_server
    assert server is not None and result.status.complete  # a coverage gap only
    backup = server.datastores[0]
    assert backup.namespaces is not None and set(backup.namespaces) == {""}  # root still read
    (gap,) = result.status.gaps
    assert (gap.subject, gap.what) == (
        "pbs:pbs/datastore/backup",
        "snapshots in namespace 'homelab'",
    )
    assert gap.reason == (
        f"pbs: GET admin/datastore/backup/snapshots?ns=homelab: 403 {denied}; grant the token "
        "(and its user) DatastoreAudit on /datastore (see docs/reliability.md)"
    )


def test_pbs_before_3_3_refuses_sync_direction_and_is_asked_again_without(
    pbs: PbsServer,
) -> None:
    message = (
        "parameter verification failed - 'sync-direction': schema does not allow additional "
        "properties."
    )
    pbs.add_fault("admin/sync@sync-direction=all", "error", status=400, message=message)
    result = _collect(_config(pbs))
    assert result.status.gaps == () and result.backup_server is not None
    assert result.backup_server.sync_jobs is not None
    assert [j.name for j in result.backup_server.sync_jobs] == ["s-homelab", "s-nas"]
    seen = pbs.requests_by_endpoint()
    assert (seen["admin/sync@sync-direction=all"], seen["admin/sync"]) == (1, 1)
    assert result.status.requests == 15


def test_the_certificate_pinned_by_fingerprint_is_accepted(pbs: PbsServer) -> None:
    result = _collect(_config(pbs, fingerprint=_fingerprint(pbs)))
    assert result.status.complete and result.backup_server is not None


def test_another_fingerprint_is_refused_before_any_request(pbs: PbsServer) -> None:
    result = _collect(_config(pbs, fingerprint=":".join(["0f"] * 32)))
    assert result.status.error == (
        "pbs: GET admin/datastore: TLS error (the certificate's fingerprint is not the configured "
        "one); check "
        "fingerprint against proxmox-backup-manager cert info on the PBS host"
    )
    assert pbs.request_log == []


def test_an_unrelated_ca_is_a_tls_error_that_suggests_pinning(
    pbs: PbsServer, tmp_path: Path
) -> None:
    from tests.support.certs import write_unrelated_ca

    other = write_unrelated_ca(tmp_path)
    result = _collect(_config(pbs, ca_bundle=str(other)))
    assert result.status.error is not None
    assert result.status.error.startswith(
        "pbs: GET admin/datastore: TLS error (certificate verify failed"
    )
    assert result.status.error.endswith(
        "set ca_bundle to the CA that signed the PBS certificate, or pin it with fingerprint "
        "(PBS's certificate is self-signed by default)"
    )
    assert pbs.request_log == []


def test_a_refused_connection_fails_the_source() -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        free_port = int(sock.getsockname()[1])
    cfg = PbsConfig(
        name="pbs",
        host="127.0.0.1",
        port=free_port,
        token_id=DEFAULT_TOKEN_ID,
        token_secret_env="X",
        timeout=2.0,
    )
    result = _collect(cfg)
    assert result.status.error == (
        "pbs: GET admin/datastore: cannot connect (connection refused); check host and port "
        "(PBS: 8007)"
    )


def test_verify_ssl_false_connects_and_the_report_is_told(pbs: PbsServer) -> None:
    from collector.collection.security import pbs_transport

    cfg = _config(pbs, verify_ssl=False)
    assert _collect(cfg).status.complete
    (note,) = pbs_transport(cfg)
    assert (note.subject, note.what, note.incomplete) == ("pbs:pbs", "security", False)
    assert note.reason == (
        "TLS certificate not verified (verify_ssl = false): anyone on the path could "
        "impersonate PBS and read the token; pin its certificate with fingerprint instead"
    )
    assert pbs_transport(_config(pbs)) == ()
