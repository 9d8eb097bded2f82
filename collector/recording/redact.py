"""What a recording never holds: secrets, container environments and command lines.

Applied to every answer before it is written, in both plain and ``--anonymise`` mode:

- a value whose key is in the redaction list is replaced by ``REDACTED`` (the key stays, so a
  reader can see that something was there). A key matches when it equals a listed word or one
  of its parts does (``DB_PASSWORD``, ``api-token``, ``homelab.secret``), case-insensitively.
  The list is ``DEFAULT_REDACT_KEYS`` plus ``[record] redact_keys`` from the config;
- Docker ``Env``, ``Cmd``, ``Entrypoint``, ``Args`` and ``Command`` are dropped, and Podman's
  ``CreateCommand`` (the whole ``podman run`` line): environments and command lines are where
  containers get their passwords, and the collector reads none of them;
- credentials inside URLs (``https://user:pass@host``, proxies in ``/info``) become
  ``REDACTED@``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "REDACTED"

DEFAULT_REDACT_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "ticket",
    "csrfpreventiontoken",
    "cookie",
    "authorization",
    "cipassword",
    "sshkeys",
    "apikey",
    "api_key",
    "private_key",
)
#: Docker keys dropped outright (not just blanked): the model never reads them.
DOCKER_DROP_KEYS = frozenset({"Env", "Cmd", "Entrypoint", "Args", "Command", "CreateCommand"})

_PARTS = re.compile(r"[^a-z0-9]+")
# user:password@ only: a bare user name (ssh://root@host) is an address, not a secret.
_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@")


def redact_keys(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The defaults plus ``extra`` (the config's ``[record] redact_keys``), each once."""
    return tuple(dict.fromkeys([*DEFAULT_REDACT_KEYS, *(k.strip().lower() for k in extra)]))


class Redactor:
    """Callable that returns a redacted deep copy of a JSON value."""

    def __init__(self, keys: Iterable[str] = DEFAULT_REDACT_KEYS, *, docker: bool = False) -> None:
        self.keys = frozenset(k.lower() for k in keys)
        self.drop = DOCKER_DROP_KEYS if docker else frozenset()

    def for_docker(self) -> Redactor:
        return Redactor(self.keys, docker=True)

    def secret_key(self, key: str) -> bool:
        lowered = key.lower()
        return lowered in self.keys or any(p in self.keys for p in _PARTS.split(lowered) if p)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                str(k): REDACTED if self.secret_key(str(k)) else self(v)
                for k, v in value.items()
                if str(k) not in self.drop
            }
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, str):
            return redact_text(value)
        return value


def redact_text(text: str) -> str:
    """Remove credentials embedded in URLs; everything else is left as it is."""
    return _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text) if "@" in text else text
