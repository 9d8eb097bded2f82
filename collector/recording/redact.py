"""What a recording never holds: secrets, container environments and command lines.

Applied to every answer before it is written, in both plain and ``--anonymise`` mode:

- a value whose key is secret by the one redaction policy (``collector/redaction.py``: secret
  words and their parts, known credential labels, ``[record] redact_keys``) is replaced by
  ``REDACTED`` (the key stays, so a reader can see that something was there);
- Docker ``Env``, ``Cmd``, ``Entrypoint``, ``Args`` and ``Command`` are dropped, and Podman's
  ``CreateCommand`` (the whole ``podman run`` line): environments and command lines are where
  containers get their passwords, and the collector reads none of them;
- credentials inside URLs (``https://user:pass@host``, proxies in ``/info``) become
  ``REDACTED@``;
- a ``key=value`` string in a list (``/info`` daemon ``Labels``) whose key is secret becomes
  ``key=REDACTED``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from collector.redaction import (
    DEFAULT_REDACT_KEYS,
    REDACTED,
    RedactionPolicy,
    redact_keys,
    redact_text,
)

__all__ = ["DEFAULT_REDACT_KEYS", "REDACTED", "Redactor", "redact_keys", "redact_text"]

#: Docker keys dropped outright (not just blanked): the model never reads them.
DOCKER_DROP_KEYS = frozenset({"Env", "Cmd", "Entrypoint", "Args", "Command", "CreateCommand"})


class Redactor:
    """Callable that returns a redacted deep copy of a JSON value."""

    def __init__(self, keys: Iterable[str] = DEFAULT_REDACT_KEYS, *, docker: bool = False) -> None:
        self.keys = tuple(keys)
        self.policy = RedactionPolicy(self.keys)
        self.drop = DOCKER_DROP_KEYS if docker else frozenset()

    def for_docker(self) -> Redactor:
        return Redactor(self.keys, docker=True)

    def secret_key(self, key: str) -> bool:
        return self.policy.secret_key(key)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                str(k): REDACTED if self.secret_key(str(k)) else self(v)
                for k, v in value.items()
                if str(k) not in self.drop
            }
        if isinstance(value, list | tuple):
            return [self._item(v) for v in value]
        if isinstance(value, str):
            return redact_text(value)
        return value

    def _item(self, value: Any) -> Any:
        if isinstance(value, str) and "=" in value:
            key, _, _ = value.partition("=")
            if self.secret_key(key.strip()):
                return f"{redact_text(key)}={REDACTED}"  # a URL key keeps no password
        return self(value)
