"""Which lab text is a secret: one policy for every output, recordings included.

A key is secret when it names one (``password``, ``token``, ``api_key``: ``DEFAULT_REDACT_KEYS``
plus the config's ``[record] redact_keys``) or is a label known to carry credentials
(``CREDENTIAL_LABELS``: traefik's basic/digest auth users, caddy's basic_auth). A listed word
matches a whole key or a run of its parts, case-insensitively, whatever separates them:
``password`` matches ``DB_PASSWORD`` and ``my.db.password``, ``api_key`` matches ``MY-API-KEY``.
A secret value is replaced by ``REDACTED`` (the key stays, so a reader sees something was
there); any other value only loses credentials embedded in URLs (``https://user:pass@host``).

``collect record`` applies it to every answer before writing (``collector/recording/redact.py``);
``collect report`` applies it once to what the sources returned, before anything is joined,
judged or printed (``collector/collection/safe_text.py``), so every output inherits it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

REDACTED = "REDACTED"

DEFAULT_REDACT_KEYS = (
    "password",
    "passwd",
    "passphrase",
    "htpasswd",
    "secret",
    "token",
    "ticket",
    "csrfpreventiontoken",
    "cookie",
    "authorization",
    "credentials",
    "cipassword",
    "sshkeys",
    "apikey",
    "api_key",
    "private_key",
)
CREDENTIAL_LABELS = (
    "*.basicauth.users",  # traefik: user:hash pairs
    "*.digestauth.users",
    "caddy*.basicauth.*",  # caddy-docker-proxy: user -> hash
    "caddy*.basic_auth.*",
)
"""Label keys (globs, lower case) whose values are credentials although no part says so."""

_PARTS = re.compile(r"[^a-z0-9]+")
# user:password@ only: a bare user name (ssh://root@host) is an address, not a secret.
_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@")


def redact_keys(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The defaults plus ``extra`` (the config's ``[record] redact_keys``), each once."""
    return tuple(dict.fromkeys([*DEFAULT_REDACT_KEYS, *(k.strip().lower() for k in extra)]))


def has_url_credentials(text: str) -> bool:
    return "@" in text and _URL_CREDENTIALS.search(text) is not None


def redact_text(text: str) -> str:
    """Remove credentials embedded in URLs; everything else is left as it is."""
    return _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text) if "@" in text else text


def _joined(key: str) -> str:
    """``My.DB-Password`` -> ``_my_db_password_``: parts, lower case, fenced by ``_``."""
    return "_" + "_".join(p for p in _PARTS.split(key.lower()) if p) + "_"


class RedactionPolicy:
    """Decides which keys are secret; callable on a mapping of labels or options."""

    def __init__(
        self,
        keys: Iterable[str] = DEFAULT_REDACT_KEYS,
        credential_labels: Iterable[str] = CREDENTIAL_LABELS,
    ) -> None:
        self.keys = tuple(dict.fromkeys(_joined(k) for k in keys if _joined(k) != "__"))
        self.patterns = tuple(credential_labels)
        self._known: dict[str, bool] = {}  # label keys repeat across containers: decide once

    @classmethod
    def from_config(cls, extra_keys: Iterable[str]) -> RedactionPolicy:
        return cls(redact_keys(extra_keys))

    def secret_key(self, key: str) -> bool:
        known = self._known.get(key)
        if known is None:
            joined = _joined(key)
            lowered = key.lower()
            known = any(k in joined for k in self.keys) or any(
                fnmatchcase(lowered, p) for p in self.patterns
            )
            self._known[key] = known
        return known

    def value(self, key: str, value: str) -> str:
        return REDACTED if self.secret_key(key) else redact_text(value)

    def mapping(self, values: Mapping[str, str]) -> dict[str, str]:
        return {k: self.value(k, v) for k, v in values.items()}
