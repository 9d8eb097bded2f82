"""What the HTTPS clients (PVE, PBS) share: which CAs to trust, which proxy, how failures read."""

from __future__ import annotations

import os
import urllib.request

import certifi


def ca_path(verify_ssl: bool, ca_bundle: str | None) -> bool | str:
    """False, or the CA file/folder a certificate is checked against: ``ca_bundle``; without
    one, the bundle named by ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` when set (as curl and
    requests do), else certifi's public CAs."""
    if not verify_ssl:
        return False
    return (
        ca_bundle
        or os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("CURL_CA_BUNDLE")
        or certifi.where()
    )


def proxy_for(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme://host``, unless ``no_proxy`` exempts it."""
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy


def first_line(text: object) -> str:
    stripped = str(text).strip()
    return stripped.splitlines()[0] if stripped else ""


def connection_reason(exc: BaseException) -> str:
    text = str(exc)
    for needle in (
        "Connection refused",
        "Name or service not known",
        "No route to host",
        "timed out",
        "Network is unreachable",
        "Connection reset",
        "Remote end closed connection",
    ):
        if needle in text:
            return needle.lower()
    return "connection failed"
