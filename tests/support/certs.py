"""Throwaway TLS material for tests, made with ``trustme``.

The test servers speak real HTTPS so that the clients' certificate handling (``verify_ssl`` set to a
CA path, wrong CA, hostname mismatch, client certificates for Docker's TLS) is exercised for real.
Everything is written as PEM files because that is what the clients are configured with in
production: proxmoxer/requests take a CA *path*, docker-py takes a directory holding ``ca.pem``,
``cert.pem`` and ``key.pem``.

Typical use::

    ca = make_ca()
    server = issue_server(ca, tmp_path)            # ServerCerts(ca=..., cert=..., key=...)
    cert, key = issue_client(ca, tmp_path)         # for a Docker engine with --tlsverify
    other_ca = write_unrelated_ca(tmp_path / "x")  # verifies nothing the servers present
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = [
    "DEFAULT_SERVER_HOSTS",
    "ServerCerts",
    "issue_client",
    "issue_server",
    "make_ca",
    "make_server_certs",
    "write_ca",
    "write_unrelated_ca",
]

#: The identities a local test server is reachable as. Both are listed because clients may be
#: configured with either, and an IP identity must be an IP SAN (not a DNS name) to verify.
DEFAULT_SERVER_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class ServerCerts:
    """PEM files for one TLS server: the CA that verifies it, its certificate chain and key."""

    ca: Path
    cert: Path
    key: Path


def make_ca(organization: str = "homelab-collector test CA") -> trustme.CA:
    """Create a fresh, in-memory certificate authority (nothing is written yet)."""
    return trustme.CA(organization_name=organization)


def write_ca(ca: trustme.CA, directory: Path, name: str = "ca.pem") -> Path:
    """Write ``ca``'s certificate (the trust anchor clients need) to ``directory/name``.

    The default name is the one docker-py expects in a ``DOCKER_CERT_PATH``-style directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    ca.cert_pem.write_to_path(str(path))
    return path


def issue_server(
    ca: trustme.CA,
    directory: Path,
    hosts: Sequence[str] = DEFAULT_SERVER_HOSTS,
    *,
    prefix: str = "server-",
    not_after: dt.datetime | None = None,
) -> ServerCerts:
    """Issue a server certificate for ``hosts`` signed by ``ca`` and write it to ``directory``.

    Writes ``ca.pem``, ``<prefix>cert.pem`` (leaf plus any intermediates) and ``<prefix>key.pem``.
    The ``server-`` prefix follows dockerd's documented file names. ``not_after`` lets a test make
    an already-expired certificate.
    """
    directory.mkdir(parents=True, exist_ok=True)
    leaf = ca.issue_cert(*hosts, not_after=not_after)
    cert = directory / f"{prefix}cert.pem"
    key = directory / f"{prefix}key.pem"
    # The whole chain goes into the cert file: with a child CA a server must present the
    # intermediates itself, and ssl.SSLContext.load_cert_chain reads them from the same file.
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return ServerCerts(ca=write_ca(ca, directory), cert=cert, key=key)


def issue_client(
    ca: trustme.CA,
    directory: Path,
    common_name: str = "homelab-collector",
    *,
    prefix: str = "",
) -> tuple[Path, Path]:
    """Issue a client certificate signed by ``ca``; return ``(cert_path, key_path)``.

    The default file names (``cert.pem``/``key.pem``, next to ``ca.pem``) make ``directory``
    usable directly as a docker-py ``DOCKER_CERT_PATH``. trustme's leaf certificates carry both
    the clientAuth and serverAuth extended key usages, so they pass Go's (dockerd's) checks.
    """
    directory.mkdir(parents=True, exist_ok=True)
    leaf = ca.issue_cert(common_name, common_name=common_name)
    cert = directory / f"{prefix}cert.pem"
    key = directory / f"{prefix}key.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    write_ca(ca, directory)
    return cert, key


def write_unrelated_ca(directory: Path, name: str = "unrelated-ca.pem") -> Path:
    """Write the certificate of a brand-new CA that has signed nothing.

    Used to prove that a client configured with the wrong trust anchor refuses the connection
    (rather than, say, silently falling back to the system bundle).
    """
    return write_ca(make_ca("unrelated test CA"), directory, name)


def make_server_certs(directory: Path, hosts: Sequence[str] = DEFAULT_SERVER_HOSTS) -> ServerCerts:
    """Shortcut: a new CA plus a server certificate for ``hosts``, written to ``directory``."""
    return issue_server(make_ca(), directory, hosts)
