"""Deliver a notification to each ``[[notify]]`` target over HTTP (httpx).

Each target gets ``timeout`` seconds per attempt and one retry after a transport error, a 5xx
or a 429. Nothing here raises: every outcome is a ``Delivery`` the CLI reports, so a dead ntfy
server can never cost the report, the history or the exit code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collector import __version__
from collector.errors import ConfigError
from collector.notify.message import Notification, build_notification, changed
from collector.notify.settings import NotifyKind, NotifyTarget, NotifyWhen
from collector.output import fill_template
from collector.render import Format
from collector.report.build import Report

if TYPE_CHECKING:
    import httpx

RETRY_DELAY_SECONDS = 1.0
ATTEMPTS = 2


@dataclass(frozen=True, slots=True)
class Delivery:
    target: str
    sent: bool
    detail: str


@dataclass(frozen=True, slots=True)
class _Request:
    url: str
    headers: dict[str, str]
    json: Any = None
    content: bytes | None = None


def _ascii(text: str) -> str:
    """HTTP header values must be Latin-1; keep titles plain."""
    return text.encode("ascii", "replace").decode("ascii")


def _request(target: NotifyTarget, note: Notification) -> _Request:
    url = target.resolve_url()
    token = target.token()
    headers = {"User-Agent": f"homelab-collector/{__version__}"}
    if target.kind is NotifyKind.NTFY:
        headers |= {
            "Title": _ascii(note.title),
            "Priority": "high" if note.urgent else "default",
            "Tags": "warning" if note.urgent else "clipboard",
        }
        link = note.document.get("report")
        if isinstance(link, str) and link.startswith(("http://", "https://")):
            headers["Click"] = link
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return _Request(url, headers, content=note.text.encode("utf-8"))
    if target.kind is NotifyKind.GOTIFY:
        if not url.rstrip("/").endswith("/message"):
            url = url.rstrip("/") + "/message"
        headers["X-Gotify-Key"] = token or ""
        body = {"title": note.title, "message": note.text, "priority": 8 if note.urgent else 4}
        return _Request(url, headers, json=body)
    if target.kind is NotifyKind.SLACK:
        return _Request(url, headers, json={"text": f"*{note.title}*\n{note.text}"})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return _Request(url, headers, json=note.document)


def _attempt(client: httpx.Client, request: _Request) -> tuple[bool, bool, str]:
    """(sent, worth retrying, detail)."""
    import httpx

    try:
        response = client.post(
            request.url, headers=request.headers, json=request.json, content=request.content
        )
    except httpx.TimeoutException:
        return False, True, "timed out"
    except httpx.HTTPError as exc:
        return False, True, f"{type(exc).__name__}: {exc}"
    if response.is_success:
        return True, False, f"HTTP {response.status_code}"
    retry = response.status_code >= 500 or response.status_code == 429
    hint = "; check token_env and the URL" if response.status_code in (401, 403, 404) else ""
    return False, retry, f"HTTP {response.status_code}{hint}"


def deliver(target: NotifyTarget, note: Notification, retry_delay: float | None = None) -> Delivery:
    try:
        request = _request(target, note)
    except ConfigError as exc:
        return Delivery(target.label, False, str(exc))
    import httpx  # imported here: most runs notify nobody (start-up: docs/performance.md)

    detail = ""
    with httpx.Client(timeout=target.timeout, follow_redirects=False) as client:
        for attempt in range(1, ATTEMPTS + 1):
            sent, retry, detail = _attempt(client, request)
            if sent:
                return Delivery(target.label, True, detail)
            if not retry or attempt == ATTEMPTS:
                break
            time.sleep(RETRY_DELAY_SECONDS if retry_delay is None else retry_delay)
    return Delivery(target.label, False, f"{detail} after {attempt} attempt(s)")


def notify_all(
    targets: tuple[NotifyTarget, ...],
    report: Report,
    *,
    report_path: str | None,
    fmt: Format,
    history: bool,
    retry_delay: float | None = None,
) -> list[Delivery]:
    """Send to every target whose ``when`` matches; never raises."""
    deliveries = []
    moment = datetime.fromisoformat(report.generated_at.replace("Z", "+00:00"))
    for target in targets:
        wanted = target.when is NotifyWhen.ALWAYS or not history or changed(report)
        if not wanted:
            continue
        location = fill_template(target.link, moment, fmt) if target.link else report_path
        note = build_notification(report, target.title, location)
        try:
            deliveries.append(deliver(target, note, retry_delay))
        except Exception as exc:  # noqa: BLE001 - a notification must never sink the run
            deliveries.append(Delivery(target.label, False, f"{type(exc).__name__}: {exc}"))
    return deliveries
