"""The ``[[notify]]`` config entries: where a report's summary is sent.

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
from urllib.parse import urlsplit

from collector.errors import ConfigError

DEFAULT_TIMEOUT = 10.0


class NotifyKind(StrEnum):
    WEBHOOK = "webhook"
    NTFY = "ntfy"
    GOTIFY = "gotify"
    SLACK = "slack"


class NotifyWhen(StrEnum):
    CHANGES = "changes"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    """One ``[[notify]]`` entry (checked by ``collector.config``); ``index`` is its position."""

    index: int
    kind: NotifyKind
    url: str | None = None
    url_env: str | None = None
    token_env: str | None = None
    when: NotifyWhen = NotifyWhen.CHANGES
    timeout: float = DEFAULT_TIMEOUT
    title: str = "homelab report"
    link: str | None = None
    file: str | None = None
    """The config file that names the target, for the messages about its secrets."""

    @property
    def label(self) -> str:
        """How messages name the target: never the URL's path or query (they can be secrets)."""
        where = f"${self.url_env}" if self.url_env else _origin(self.url or "")
        return f"[[notify]][{self.index}] {self.kind.value} {where}"

    def _unset(self, variable: str | None) -> ConfigError:
        where = f"{self.file}: " if self.file else ""
        return ConfigError(
            f"{where}{self.label}: environment variable {variable} is not set; export it, or "
            "pass it to the service (EnvironmentFile=, see docs/weekly.md)"
        )

    def resolve_url(self) -> str:
        url = self.url if self.url is not None else os.environ.get(self.url_env or "", "").strip()
        if not url:
            raise self._unset(self.url_env)
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{self.label}: the URL must start with http:// or https://")
        return url

    def token(self) -> str | None:
        if self.token_env is None:
            return None
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise self._unset(self.token_env)
        return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "(url)"
