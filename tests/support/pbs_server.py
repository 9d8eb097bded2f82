"""A Proxmox Backup Server API test server that replays a PBS lab over real HTTPS.

No real PBS can run in the test environment, so the PBS source is tested against this server
through the real client stack (proxmoxer with ``service="PBS"``, requests, TLS). Every behaviour
below is taken from PBS's sources; ``docs/pbs-api.md`` cites file and commit for each.

What it serves is a folder in the recording layout (``fixtures/README.md``): ``<api path>.json``
holds the ``data`` member of the answer, ``<api path>@k=v&k2=v2.json`` the same with query
parameters (keys sorted, values percent-encoded as ``adapters.replay.recording_file`` does) and
``<api path>[@query].error.json`` an error answer ``{"status": 400, "message": "..."}``.
``fixtures/pbs/generate.py`` writes such a folder.

PBS semantics it reproduces:

- ``Authorization: PBSAPIToken=<user@realm!name>:<secret>`` (also with a space after the
  prefix; the secret is percent-decoded). PBS separates id and secret with ``:`` where PVE uses
  ``=``; a PVE-style header is refused like any other bad credential. ``GET /ping`` needs none.
- Errors are *plain text* bodies, not JSON: ``401 authentication failed`` (PBS before Jan 2026:
  ``authentication failed - <reason>``, ``auth_error_detail=True``), ``403 permission check
  failed`` (router check) or ``permission check failed - missing <privs> on <path>`` (handler
  check), ``404 Path '/api2/json/<path>' not found.`` for an unknown path *and* for every method
  but GET (PBS routes methods per path; the test server never writes, but logs the attempt).
  PBS delays a 401 by 3 s and a router-level 403 by 0.5 s; ``unauthorized_delay_s`` and
  ``forbidden_delay_s`` reproduce that when a test wants it (default 0, for speed).
- Privileges: the token's ACL (``pbs_acl.Acl``) decides, per endpoint as PBS does: list answers
  (datastores, jobs, GC, usage, namespaces) silently drop what the token may not see; snapshots
  and groups answer 403 without ``Datastore.Audit`` or ``Datastore.Backup`` on the namespace
  (with only ``Backup``: owned groups only); ``.../gc`` answers 403 without ``Datastore.Audit``.
- Answers are ``{"data": ...}``; the job lists and ``/config/datastore`` also carry ``digest``.

Test hooks: a request log (never a secret), faults matched by path glob (``hang``, ``malformed``,
``error``, ``close``; see ``pve_server.Fault``), a per-request latency. Typical use::

    with PbsServer(FIXTURES / "pbs" / "lab") as pbs:
        api = ProxmoxAPI(**pbs.proxmoxer_kwargs())
        api.admin.datastore("backup").snapshots.get(ns="homelab")
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, quote, unquote

from tests.support.certs import ServerCerts
from tests.support.pbs_acl import Acl, AclEntry
from tests.support.pbs_views import Denied, view
from tests.support.pve_server import AuthKind, Fault, FaultKind, LoggedRequest
from tests.support.tls_http import TlsHTTPServer, TlsServerBase

__all__ = [
    "DEFAULT_ACL",
    "DEFAULT_TOKEN_ID",
    "DEFAULT_TOKEN_SECRET",
    "PBS_FORBIDDEN_DELAY_S",
    "PBS_UNAUTHORIZED_DELAY_S",
    "Fault",
    "LoggedRequest",
    "PbsServer",
    "pbs_endpoint",
    "pbs_recording_key",
]

API_PREFIX = "/api2/json/"
DEFAULT_TOKEN_ID = "collector@pbs!collector"
DEFAULT_TOKEN_SECRET = "0b1c2d3e-4f50-4617-8a9b-c0d1e2f30415"  # PBS secrets are UUIDs too
#: The documented least privilege: DatastoreAudit on /datastore, RemoteAudit for sync jobs.
DEFAULT_ACL: tuple[AclEntry, ...] = (
    AclEntry("/datastore", "DatastoreAudit"),
    AclEntry("/remote", "RemoteAudit"),
)
PBS_UNAUTHORIZED_DELAY_S = 3.0  # proxmox-rest-server delay_unauth_time()
PBS_FORBIDDEN_DELAY_S = 0.5  # proxmox-rest-server access_forbidden_time()

_JSON = "application/json;charset=UTF-8"
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
_WITH_DIGEST = re.compile(r"^(admin/(verify|prune|sync)|config/datastore)$")


def pbs_recording_key(path: str, query: Iterable[tuple[str, str]]) -> str:
    """Recording file stem: ``path@k=v&...``, keys sorted, values as ``recording_file`` quotes."""
    # PBS ignores ExtJS's cache buster "_dc", and parses "ns=" as the root namespace (the key
    # without ns). Both are dropped so such requests find the answer a plain request finds.
    pairs = sorted((k, v) for k, v in query if k != "_dc" and (k, v) != ("ns", ""))
    if not pairs:
        return path
    return path + "@" + "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


def pbs_endpoint(path: str, query: Mapping[str, str] | None = None) -> str:
    """Group a request: the datastore becomes ``{store}``; the query stays (it is a question)."""
    path = re.sub(r"^admin/(datastore|gc)/[^/]+", r"admin/\1/{store}", path)
    return pbs_recording_key(path, (query or {}).items())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as proxmox-backup-proxy (hyper) does
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 60.0

    def log_message(self, format: str, *args: Any) -> None:
        return  # silent: tests must not spray stderr

    def _any(self) -> None:
        pbs = cast(PbsServer, cast(TlsHTTPServer, self.server).owner)
        try:
            pbs._dispatch(self)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a server bug must reach the test visibly
            pbs._record_error(exc)
            self.close_connection = True
            self.answer(500, f"test server error: {type(exc).__name__}: {exc}".encode())

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any

    def answer(self, status: int, body: bytes, extra: Mapping[str, str] | None = None) -> None:
        """Write one answer; the status line has the canonical phrase, as hyper writes it."""
        headers = {"Content-Type": _JSON, **(extra or {})}
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""  # hyper has no reason phrase for a non-standard code
        head = f"HTTP/1.1 {status} {phrase}\r\n"
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            if value:
                head += f"{name}: {value}\r\n"
        head += f"Date: {self.date_time_string()}\r\n"
        head += "Connection: close\r\n\r\n" if self.close_connection else "\r\n"
        self.wfile.write(head.encode("latin-1") + (b"" if self.command == "HEAD" else body))


class PbsServer(TlsServerBase):
    """Serves one PBS lab folder over HTTPS on 127.0.0.1 with PBS's auth, ACLs and errors."""

    handler_class = _Handler
    thread_name = "pbs-test-server"

    def __init__(
        self,
        lab_dir: Path | str,
        *,
        tokens: Mapping[str, str] | None = None,
        acl: Mapping[str, Iterable[AclEntry | tuple[str, str] | tuple[str, str, bool]]]
        | None = None,
        latency_s: float = 0.0,
        faults: Iterable[Fault] = (),
        unauthorized_delay_s: float = 0.0,
        forbidden_delay_s: float = 0.0,
        auth_error_detail: bool = False,
        certs: ServerCerts | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(certs=certs, host=host, port=port)
        self.root = Path(lab_dir)
        if not self.root.is_dir():
            raise FileNotFoundError(f"PBS lab folder {self.root} does not exist")
        self._tokens = (
            dict(tokens) if tokens is not None else {DEFAULT_TOKEN_ID: DEFAULT_TOKEN_SECRET}
        )
        for token_id in self._tokens:
            if not re.fullmatch(r"[^@!:\s]+@[^@!:\s]+![^@!:\s]+", token_id):
                raise ValueError(f"token id {token_id!r} must look like user@realm!tokenname")
        self.acl = Acl(acl if acl is not None else dict.fromkeys(self._tokens, DEFAULT_ACL))
        self.latency_s = latency_s
        self.unauthorized_delay_s = unauthorized_delay_s
        self.forbidden_delay_s = forbidden_delay_s
        self.auth_error_detail = auth_error_detail
        self._lock = threading.Lock()
        self._faults: tuple[Fault, ...] = tuple(faults)
        self._log: list[LoggedRequest] = []
        self._errors: list[BaseException] = []

    # -- client settings and runtime configuration ---------------------------------------------

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX.rstrip("/")

    def proxmoxer_kwargs(
        self, token_id: str | None = None, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """``ProxmoxAPI`` keyword arguments for ``token_id`` (default: the first token)."""
        token_id = token_id or next(iter(self._tokens))
        user, name = token_id.split("!", 1)
        return {
            "host": self.host,
            "port": self.port,
            "service": "PBS",
            "user": user,
            "token_name": name,
            "token_value": self._tokens[token_id],
            "verify_ssl": self.ca_path,  # a str: wins over REQUESTS_CA_BUNDLE
            "timeout": timeout,
        }

    def set_acl(self, auth_id: str, entries: Iterable[AclEntry | tuple[str, str]]) -> None:
        """Replace ``auth_id``'s ACL entries (e.g. to take a privilege away mid-test)."""
        with self._lock:
            self.acl = self.acl.replaced(auth_id, entries)

    def add_fault(self, glob: str, kind: FaultKind, **kwargs: Any) -> Fault:
        """Add a ``Fault(glob, kind, **kwargs)`` (seconds, status, message, body, times)."""
        fault = Fault(glob, kind, **kwargs)
        with self._lock:
            self._faults = (*self._faults, fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = ()

    @property
    def request_log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    def requests_by_endpoint(self, method: str | None = "GET") -> Counter[str]:
        return Counter(
            pbs_endpoint(r.path, r.query)
            for r in self.request_log
            if method is None or r.method == method
        )

    @property
    def handler_errors(self) -> list[BaseException]:
        with self._lock:
            return list(self._errors)

    def _record_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)

    # -- request handling ----------------------------------------------------------------------

    def _dispatch(self, h: _Handler) -> None:
        if h.headers.get("Transfer-Encoding"):
            h.close_connection = True  # nothing the collector sends is chunked; do not parse it
        else:  # read (and ignore) a body, so the keep-alive connection stays usable
            h.rfile.read(int(h.headers.get("Content-Length") or 0))
        raw_path, _, raw_query = h.path.partition("?")
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        in_api = raw_path.startswith(API_PREFIX)
        path = unquote(raw_path[len(API_PREFIX) :]).strip("/") if in_api else raw_path
        kind, credential = self._credential(h)
        with self._lock:
            self._log.append(LoggedRequest(h.command, path, dict(pairs), kind))
        if self.latency_s > 0:
            self._stopping.wait(self.latency_s)
        key = pbs_recording_key(path, pairs)
        if self._faults and self._apply_fault(h, path, key):
            return
        if not in_api:
            h.answer(404, f"no such file: '{raw_path.strip('/')}'".encode())
            return
        if path == "ping" and h.command == "GET":  # Permission::World: no credentials needed
            h.answer(200, b'{"data":{"pong":true}}')
            return
        auth_id, reason = self._authenticate(kind, credential)
        if auth_id is None:
            self._stopping.wait(self.unauthorized_delay_s)
            text = (
                f"authentication failed - {reason}"
                if self.auth_error_detail
                else "authentication failed"
            )
            # An Err out of the auth check skips the formatter: no Content-Type, cookie cleared.
            cookie = f"PBSAuthCookie=; Expires={_EPOCH}; Secure; SameSite=Lax; HttpOnly; Path=/;"
            h.answer(401, text.encode(), {"Content-Type": "", "Set-Cookie": cookie})
            return
        not_found = f"Path '{API_PREFIX}{path}' not found.".encode()
        if h.command != "GET":
            h.answer(404, not_found)  # PBS routes per method; nothing but GET is served here
            return
        try:
            data = view(self.acl, auth_id, path, dict(pairs), lambda: self._recorded(key))
        except Denied as denied:
            if denied.router:
                self._stopping.wait(self.forbidden_delay_s)
            h.answer(403, str(denied).encode())
            return
        except LookupError:
            h.answer(404, not_found)
            return
        except _RecordedError as err:
            h.answer(err.status, err.message.encode())
            return
        envelope: dict[str, Any] = {"data": data}
        if _WITH_DIGEST.match(path):
            envelope["digest"] = hashlib.sha256(self._file(key).read_bytes()).hexdigest()
        h.answer(200, json.dumps(envelope, separators=(",", ":")).encode())

    def _apply_fault(self, h: _Handler, path: str, key: str) -> bool:
        with self._lock:
            fault = next((f for f in self._faults if f.matches(path, key)), None)
            if fault is None:
                return False
            fault.fired += 1
            if fault.times is not None and fault.fired >= fault.times:
                self._faults = tuple(f for f in self._faults if f is not fault)
        if fault.kind == "hang":
            self._stopping.wait(fault.seconds)
            return False  # then answer normally, as a slow PBS eventually would
        if fault.kind == "malformed":
            h.answer(200, fault.body)
        elif fault.kind == "error":
            h.answer(fault.status, fault.message.encode())
        else:  # close
            h.close_connection = True
        return True

    @staticmethod
    def _credential(h: _Handler) -> tuple[AuthKind, str]:
        header = h.headers.get("Authorization", "")
        # extract_auth_data: the prefix, then exactly one ' ' or '=', then "<tokenid>:<secret>".
        prefix, sep, value = header[:11], header[11:12], header[12:]
        if prefix == "PBSAPIToken" and sep in (" ", "="):
            return "token", value
        for cookie in h.headers.get("Cookie", "").split(";"):
            name, _, value = cookie.strip().partition("=")
            if name in ("PBSAuthCookie", "__Host-PBSAuthCookie"):
                return "ticket", value
        return "none", ""

    def _authenticate(self, kind: AuthKind, credential: str) -> tuple[str | None, str]:
        """(auth id, "") for a valid token, else (None, PBS's reason for the legacy body)."""
        if kind == "none":
            return None, "no authentication credentials provided."
        if kind == "ticket":
            return None, "ticket with invalid signature"  # this server issues no tickets
        token_id, sep, secret = credential.partition(":")
        if not sep:
            return None, "failed to split API token header"
        expected = self._tokens.get(token_id)
        if expected is None:
            return None, "user account or token disabled or expired."
        if unquote(secret) != expected:
            return None, "invalid credentials"
        return token_id, ""

    # -- answers and privilege checks ----------------------------------------------------------

    def _file(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def _recorded(self, key: str) -> Any:
        data_file, error_file = self._file(key), self.root / f"{key}.error.json"
        if data_file.is_file():
            return json.loads(data_file.read_text(encoding="utf-8"))
        if error_file.is_file():
            raw = json.loads(error_file.read_text(encoding="utf-8"))
            raise _RecordedError(int(raw["status"]), str(raw["message"]))
        raise LookupError(key)


class _RecordedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
