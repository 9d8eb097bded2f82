"""Transport safety: refuse clear-text connections unless the config allows them, and say so.

- PVE with ``scheme = "http"`` sends the API token (or the password) unencrypted: refused unless
  ``allow_insecure_http = true``.
- Docker over ``tcp://`` without ``tls_ca``/``tls_cert`` is the engine's unauthenticated API, as
  good as root on that host for anyone on the network: refused unless ``allow_plain_tcp = true``.
- ``verify_ssl = false`` is common in labs (self-signed PVE certificates) and allowed, but noted;
  for PBS too (``[[pbs]]`` is always https; ``fingerprint`` is the better answer to a
  self-signed certificate).

Every weakness that is allowed becomes a ``security`` gap on the source, so the report says it.
The checks run only when a live source is built (and in ``collect doctor``): a replayed recording
never connects anywhere, so its config may name any URL.
"""

from __future__ import annotations

from pathlib import Path

from collector.config import DockerConfig, PbsConfig, ProxmoxConfig
from collector.errors import ConfigError
from collector.model import Gap

SECURITY = "security"


def proxmox_transport(cfg: ProxmoxConfig, origin: Path | None = None) -> tuple[Gap, ...]:
    """The security notes for a PVE source; ``ConfigError`` (naming the config file
    ``origin``) if its transport is refused."""
    subject = f"pve:{cfg.name}"
    where = f"{origin}: [[proxmox]] '{cfg.name}'" if origin else f"[[proxmox]] '{cfg.name}'"
    if cfg.scheme == "http":
        if not cfg.token_name:
            raise ConfigError(
                f'{where}: scheme = "http" works only with an API token '
                "(token_name and token_secret_env/_file); a password login needs https"
            )
        if not cfg.allow_insecure_http:
            raise ConfigError(
                f'{where}: scheme = "http" would send the API secret in clear '
                "text; use https (PVE's default), or set allow_insecure_http = true to accept that"
            )
        return (
            Gap(
                subject,
                SECURITY,
                "plain HTTP (allow_insecure_http = true): the API secret and every answer "
                "cross the network unencrypted",
            ),
        )
    if not cfg.verify_ssl:
        return (
            Gap(
                subject,
                SECURITY,
                "TLS certificate not verified (verify_ssl = false): anyone on the path could "
                "impersonate PVE and read the token; set ca_bundle to the PVE CA instead",
            ),
        )
    return ()


def docker_transport(cfg: DockerConfig, origin: Path | None = None) -> tuple[Gap, ...]:
    """The security notes for a Docker source; ``ConfigError`` (naming the config file
    ``origin``) if its transport is refused."""
    where = f"{origin}: [[docker]] '{cfg.name}'" if origin else f"[[docker]] '{cfg.name}'"
    if not cfg.url.startswith("tcp://") or cfg.tls_ca or cfg.tls_cert:
        return ()
    if not cfg.allow_plain_tcp:
        raise ConfigError(
            f"{where}: {cfg.url} without tls_ca/tls_cert is Docker's "
            "unauthenticated API (root on that host for anyone who can reach it); use ssh:// or "
            "TLS, or set allow_plain_tcp = true to accept that"
        )
    return (
        Gap(
            f"docker:{cfg.name}",
            SECURITY,
            "plain tcp:// without TLS (allow_plain_tcp = true): the engine's API is open to "
            "anyone who can reach it",
        ),
    )


def pbs_transport(cfg: PbsConfig) -> tuple[Gap, ...]:
    """The security notes for a PBS source (it is always https, so nothing is refused)."""
    if cfg.verify_ssl:
        return ()
    return (
        Gap(
            f"pbs:{cfg.name}",
            SECURITY,
            "TLS certificate not verified (verify_ssl = false): anyone on the path could "
            "impersonate PBS and read the token; pin its certificate with fingerprint instead",
        ),
    )
