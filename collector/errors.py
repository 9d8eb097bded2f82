"""The project's exception tree.

Only the CLI prints these or turns them into exit codes. Adapters translate SDK exceptions into
``SourceError`` subclasses at their boundary so the core never sees a proxmoxer or docker type.
Messages are one line, name the file/key/source, and say what to do next. They never hold secrets.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the Unicode line separators: anything that could break a message's line.
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


class CollectorError(Exception):
    """Root of every error this project raises on purpose.

    The message is kept to one line whatever went into it (a TOML key may hold a newline):
    control characters are shown escaped, as Python writes them (``\\n``).
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(_CONTROL.sub(_escape, str(message)))


class ConfigError(CollectorError):
    """The configuration (or a replay folder) is unusable: exit code 2."""


class SourceError(CollectorError):
    """A source (PVE cluster, Docker engine) could not be read.

    Clients raise these at their boundary, never a library's exception type; retries, gaps and
    messages key on the class. ``status`` and ``reason`` keep what the source itself answered
    (HTTP status and its own error text) for an answer that was an error, so a recording can
    store that answer and a replay can give it back; both are None for a transport failure.
    """

    def __init__(
        self, message: object = "", *, status: int | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class SourceConnectionError(SourceError):
    """Network-level failure: refused, reset, unreachable. Worth one retry."""


class SourceTimeoutError(SourceConnectionError):
    """No answer within the source's ``timeout``. Worth one retry (not for guest-agent calls)."""


class SourceHandshakeError(SourceConnectionError):
    """The TLS or ssh handshake failed: certificates and keys do not change between two
    attempts, so this is never retried."""


class SourceAuthError(SourceError):
    """The source answered but refused our credentials or privileges (401/403)."""


class SourceResponseError(SourceError):
    """The source answered something we cannot use (an error status, a malformed body)."""


class SourceDeadlineError(SourceError):
    """The run's deadline (``[collect] deadline_seconds``) passed before a request could start."""
