"""Address helpers shared by placement and anonymisation."""

from __future__ import annotations

import ipaddress


def is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 address (no prefix length, no scope id)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
