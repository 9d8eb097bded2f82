"""Deterministic pseudonyms for ``collect record --anonymise``.

The same input always gets the same pseudonym within a recording (and across recordings made
with the same ``--salt``), so every join the collector makes survives anonymisation: an engine's
URL host still equals its guest's IP, an engine's hostname its guest's name, a configured MAC the
guest's MAC, and a node name in a file path the node name in the answers. A replay of the
anonymised recording therefore has the same shape, placements and findings as the original.

Pseudonyms come from HMAC-SHA256 keyed with a salt that is random per recording and never
written. A plain hash would not do: homelab names and private addresses are a small space, and
hashing ``pve1``..``pve9`` or all of 192.168.0.0/16 would reverse it in seconds.

Kept on purpose, because checks depend on it and it identifies nobody:

- IPv4: loopback, unspecified, multicast and netmasks as they are; the host octet (``.1`` stays
  the gateway); addresses of one /24 stay in one /24 (moved into 10.0.0.0/8; link-local stays in
  169.254.0.0/16, so "is this a useful address" answers the same);
- IPv6: loopback, unspecified, multicast; link-local stays in fe80::/64; the rest moves into
  fd00::/8 keeping addresses of one /64 together;
- MACs: the vendor half (``bc:24:11`` is Proxmox's), the case and the separator;
- names: what a ``[[rules.classify]]`` name pattern spells out: with ``k3s-*`` configured,
  ``k3s-master`` becomes ``k3s-7f3a9c``, so the same rules match the same guests. A name whose
  pattern matches cannot be kept by any pseudonym is left as it is (very rare; never silently
  reclassified);
- domains: well-known private suffixes (``lan``, ``home.arpa``, ``internal``, ...).

Not thread-safe: the anonymiser runs once, after collection.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase

from collector.netaddr import is_ip

_ATTEMPTS = 32
_KEEP_DOMAINS = frozenset(
    {
        "lan",
        "local",
        "localdomain",
        "localhost",
        "home",
        "home.arpa",
        "internal",
        "intranet",
        "private",
        "corp",
        "example",
        "test",
        "invalid",
    }
)
_KEEP_MACS = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})

_MAC = re.compile(
    r"(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])"
)
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:.])")
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")


class Pseudonymiser:
    """Maps names, addresses and free text to stable pseudonyms (see the module docstring)."""

    def __init__(self, salt: bytes, name_patterns: Iterable[str] = ()) -> None:
        if not salt:
            raise ValueError("a pseudonymiser needs a non-empty salt")
        self._salt = salt
        self._patterns = tuple(dict.fromkeys(p.lower() for p in name_patterns if p))
        self._memo: dict[tuple[str, str], str] = {}
        self._taken: dict[str, set[str]] = defaultdict(set)

    # -- machinery -----------------------------------------------------------------------------

    def _digest(self, kind: str, value: str, attempt: int) -> bytes:
        message = f"{kind}\0{attempt}\0{value}".encode()
        return hmac.new(self._salt, message, hashlib.sha256).digest()

    def _pick(
        self, kind: str, value: str, make: Callable[[bytes, int], str | None], fallback: str
    ) -> str:
        """The memoised pseudonym of ``value``; collisions within ``kind`` are re-drawn."""
        key = (kind, value)
        found = self._memo.get(key)
        if found is not None:
            return found
        taken = self._taken[kind]
        result = fallback
        for attempt in range(_ATTEMPTS):
            candidate = make(self._digest(kind, value, attempt), attempt)
            if candidate is not None and candidate not in taken:
                result = candidate
                break
        taken.add(result)
        self._memo[key] = result
        return result

    def _matches(self, value: str) -> tuple[str, ...]:
        return tuple(p for p in self._patterns if fnmatchcase(value, p))

    # -- names ---------------------------------------------------------------------------------

    def host(self, text: str) -> str:
        """A host or guest name (one label or an FQDN), or an IP address."""
        if not text:
            return text
        if is_ip(text):
            return self.ip(text)
        label, dot, domain = text.partition(".")
        return self._label(label) + (dot + self.domain(domain) if dot else "")

    def _label(self, label: str) -> str:
        lowered = label.lower()
        matched = self._matches(lowered)

        def make(digest: bytes, attempt: int) -> str | None:
            if matched:
                candidate = _shaped(matched[attempt % len(matched)], lowered, digest)
            else:  # two shapes, in case a pattern like "*-*" claims every "host-..."
                candidate = ("host-" if attempt % 2 == 0 else "h") + digest.hex()[:6]
            if candidate is None or self._matches(candidate) != matched:
                return None
            return candidate

        return self._pick("name", lowered, make, fallback=lowered)

    def domain(self, text: str) -> str:
        lowered = text.lower().strip(".")
        if not lowered or lowered in _KEEP_DOMAINS:
            return text
        kept = next(
            (s for s in sorted(_KEEP_DOMAINS, key=len, reverse=True) if lowered.endswith("." + s)),
            "example",
        )
        label = self._pick("domain", lowered, lambda d, _: "dom-" + d.hex()[:6], lowered)
        return f"{label}.{kept}"

    # -- addresses -----------------------------------------------------------------------------

    def ip(self, text: str) -> str:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return text
        if isinstance(address, ipaddress.IPv4Address):
            return self._ipv4(address, text)
        return self._ipv6(address, text)

    def _ipv4(self, address: ipaddress.IPv4Address, text: str) -> str:
        if address.is_loopback or address.is_unspecified or address.is_multicast:
            return text
        if _is_netmask(address):
            return text
        octets = address.packed
        network = ".".join(str(o) for o in octets[:3])
        if address.is_link_local:
            net = self._pick("net4", network, lambda d, _: f"169.254.{d[0]}", network)
        else:
            net = self._pick("net4", network, lambda d, _: f"10.{d[0]}.{d[1]}", network)
        return f"{net}.{octets[3]}"

    def _ipv6(self, address: ipaddress.IPv6Address, text: str) -> str:
        if address.is_loopback or address.is_unspecified or address.is_multicast:
            return text
        if address.ipv4_mapped is not None:
            return "::ffff:" + self._ipv4(address.ipv4_mapped, str(address.ipv4_mapped))
        full = str(address)
        iid = self._pick(
            "iid6", full, lambda d, _: d[:8].hex(), f"{int(address) & (2**64 - 1):016x}"
        )
        if address.is_link_local:
            prefix = "fe80" + "0" * 12
        else:
            network = str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
            prefix = self._pick("net6", network, lambda d, _: "fd" + d[:7].hex(), "fd" + "0" * 14)
        return str(ipaddress.IPv6Address(int(prefix + iid, 16)))

    def mac(self, text: str) -> str:
        normalised = text.lower().replace("-", ":")
        if normalised in _KEEP_MACS or not re.fullmatch(
            r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", normalised
        ):
            return text
        vendor = normalised[:8]
        result = self._pick(
            "mac",
            normalised,
            lambda d, _: vendor + "".join(f":{b:02x}" for b in d[:3]),
            normalised,
        )
        if "-" in text:
            result = result.replace(":", "-")
        return result.upper() if any(c.isupper() for c in text) else result

    # -- free text -----------------------------------------------------------------------------

    def text(self, value: str) -> str:
        """Every MAC and IP address inside ``value`` rewritten; the rest left as it is."""
        if not any(c.isdigit() for c in value):
            return value
        value = _MAC.sub(lambda m: self.mac(m.group(0)), value)
        if ":" in value:
            value = _IPV6.sub(lambda m: self.ip(m.group(0)), value)
        return _IPV4.sub(lambda m: self.ip(m.group(0)), value)

    @staticmethod
    def placeholder(value: str) -> str:
        """Free text (descriptions, notes) replaced, keeping only whether and how long it was."""
        if not value.strip():
            return value
        lines = value.rstrip("\n").split("\n")
        return "\n".join("(anonymised)" for _ in lines) + ("\n" if value.endswith("\n") else "")


def _is_netmask(address: ipaddress.IPv4Address) -> bool:
    inverted = ~int(address) & 0xFFFFFFFF
    return int(address) != 0 and inverted & (inverted + 1) == 0


# -- classify patterns -------------------------------------------------------------------------


def _glob_tokens(pattern: str) -> list[tuple[str, str]]:
    """``fnmatch`` syntax as tokens: ("lit", c), ("star", ""), ("one", ""), ("set", body)."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if not tokens or tokens[-1][0] != "star":
                tokens.append(("star", ""))
        elif char == "?":
            tokens.append(("one", ""))
        elif char == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 1
            if j < len(pattern):
                tokens.append(("set", pattern[i + 1 : j]))
                i = j
            else:  # an unclosed "[" is a literal, as in fnmatch
                tokens.append(("lit", char))
        else:
            tokens.append(("lit", char))
        i += 1
    return tokens


def _shaped(pattern: str, value: str, digest: bytes) -> str | None:
    """A new value that ``pattern`` still matches: its literal parts kept, wildcards hashed."""
    tokens = _glob_tokens(pattern)
    regex = ""
    for kind, body in tokens:
        if kind == "lit":
            regex += re.escape(body)
        elif kind == "star":
            regex += "(.*)"
        elif kind == "one":
            regex += "(.)"
        else:
            inner = "^" + body[1:] if body.startswith("!") else body
            regex += "([" + inner.replace("\\", "\\\\") + "])"
    try:
        match = re.fullmatch(regex, value, re.DOTALL)
    except re.error:
        return None
    if match is None:
        return None
    stream = itertools.cycle(digest.hex())
    groups = iter(match.groups())
    out = []
    for kind, body in tokens:
        if kind == "lit":
            out.append(body)
            continue
        original = next(groups)
        if kind == "star":
            out.append("".join(next(stream) for _ in range(6)) if original else "")
        elif kind == "one":
            out.append(next(stream))
        else:  # a character class: keep the character, it is what the pattern asks for
            out.append(original)
    return "".join(out)
