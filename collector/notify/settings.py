"""The ``[[notify]]`` config entries.

```toml
[[notify]]
kind = "ntfy"                 # webhook | ntfy | gotify | slack
url = "https://ntfy.example/homelab"   # or url_env = "NAME": read the URL from $NAME
token_env = "NTFY_TOKEN"      # optional (gotify: required); the token is read from $NTFY_TOKEN
when = "changes"              # changes (default): only when something changed; always
timeout = 10                  # seconds per attempt; one retry after a failure
title = "homelab report"      # optional
link = "https://wiki.lan/reports/{date:%G-W%V}"  # optional: instead of the report's path
```

Secrets are never written inline: tokens come from the environment variable named by
``token_env``, and a webhook URL that is itself a secret (Slack's) can come from ``url_env``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from collector.config import Config, _Key, _validate
from collector.errors import ConfigError
from collector.output import check_template

DEFAULT_TIMEOUT = 10.0


class NotifyKind(StrEnum):
    WEBHOOK = "webhook"
    NTFY = "ntfy"
    GOTIFY = "gotify"
    SLACK = "slack"


class NotifyWhen(StrEnum):
    CHANGES = "changes"
    ALWAYS = "always"


_KEYS = (
    _Key("kind", "str", required=True, choices=tuple(k.value for k in NotifyKind)),
    _Key("url", "str"),
    _Key("url_env", "str"),
    _Key("token_env", "str"),
    _Key("when", "str", choices=tuple(w.value for w in NotifyWhen)),
    _Key("timeout", "float"),
    _Key("title", "str"),
    _Key("link", "str"),
)


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    index: int
    kind: NotifyKind
    url: str | None = None
    url_env: str | None = None
    token_env: str | None = None
    when: NotifyWhen = NotifyWhen.CHANGES
    timeout: float = DEFAULT_TIMEOUT
    title: str = "homelab report"
    link: str | None = None

    @property
    def label(self) -> str:
        """How messages name the target: never the URL's path or query (they can be secrets)."""
        where = f"${self.url_env}" if self.url_env else _origin(self.url or "")
        return f"[[notify]][{self.index}] {self.kind.value} {where}"

    def resolve_url(self) -> str:
        url = self.url if self.url is not None else os.environ.get(self.url_env or "", "").strip()
        if not url:
            raise ConfigError(f"{self.label}: environment variable {self.url_env} is not set")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{self.label}: the URL must start with http:// or https://")
        return url

    def token(self) -> str | None:
        if self.token_env is None:
            return None
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise ConfigError(f"{self.label}: environment variable {self.token_env} is not set")
        return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "(url)"


def _target(raw: Any, index: int, file: str) -> NotifyTarget:
    where = f"[[notify]][{index}]"
    values = _validate(raw, _KEYS, where, file)
    kind = NotifyKind(values["kind"])
    if ("url" in values) == ("url_env" in values):
        raise ConfigError(f"{file}: {where} needs exactly one of url or url_env")
    url = values.get("url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{file}: {where}.url = {url!r} must start with http:// or https://")
    if kind is NotifyKind.GOTIFY and "token_env" not in values:
        raise ConfigError(
            f"{file}: {where} (gotify) needs token_env: the name of the variable holding the "
            "application token"
        )
    if kind is NotifyKind.SLACK and "token_env" in values:
        raise ConfigError(
            f"{file}: {where}.token_env is not used by slack webhooks; put the secret URL in "
            "an environment variable and name it with url_env"
        )
    if "link" in values:
        check_template(values["link"], f"{file}: {where}.link")
    return NotifyTarget(
        index=index,
        kind=kind,
        url=url,
        url_env=values.get("url_env"),
        token_env=values.get("token_env"),
        when=NotifyWhen(values.get("when", NotifyWhen.CHANGES.value)),
        timeout=values.get("timeout", DEFAULT_TIMEOUT),
        title=values.get("title", "homelab report"),
        link=values.get("link"),
    )


def notify_targets(config: Config) -> tuple[NotifyTarget, ...]:
    """Validate ``[[notify]]``; every problem is a ``ConfigError`` naming the file and key."""
    file = str(config.path) if config.path is not None else "config"
    raw = config.extra.get("notify", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{file}: 'notify' must be an array of tables: write [[notify]]")
    return tuple(_target(entry, i, file) for i, entry in enumerate(raw))
