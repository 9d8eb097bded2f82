"""The ``[[pbs]]`` sources: Proxmox Backup Servers, read with a read-only API token.

As strict as ``[[proxmox]]``: the token is ``token_id = "user@realm!name"`` with its secret in
exactly one of ``token_secret_env`` / ``token_secret_file`` (never inline); the certificate is
checked against ``ca_bundle`` (or the system CAs), or pinned by its SHA-256 ``fingerprint``
(PBS's default certificate is self-signed; ``proxmox-backup-manager cert info`` shows it, and
PVE's ``pbs`` storages pin the same one). PBS speaks only HTTPS, on port 8007.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from collector.config.messages import TablePath
from collector.config.schema import Field, Kind, array_of_tables, check_table
from collector.config.sources import CREDENTIAL_PATH, unique_names

PBS_SECRET_KEYS = ("token_secret_env", "token_secret_file")


@dataclass(frozen=True, slots=True)
class PbsConfig:
    name: str
    host: str
    token_id: str
    """``user@realm!tokenname``, as PBS shows it (``proxmox-backup-manager user list-tokens``)."""
    token_secret_env: str | None = None
    token_secret_file: str | None = None
    port: int = 8007
    verify_ssl: bool = True
    ca_bundle: str | None = None
    fingerprint: str | None = None
    """SHA-256 of the certificate, ``aa:bb:...`` (lower case): pinned instead of a CA."""
    timeout: float = 10.0
    concurrency: int = 8

    @property
    def user(self) -> str:
        return self.token_id.split("!", 1)[0]


PBS_FIELDS = (
    Field("name", Kind.STR, required=True),
    Field("host", Kind.STR, required=True),
    Field(
        "token_id",
        Kind.STR,
        required=True,
        about="the API token as user@realm!tokenname",
        aliases=("tokenid", "token", "user"),
    ),
    *(Field(key, Kind.STR, secret=True) for key in PBS_SECRET_KEYS),
    Field("port", Kind.INT, positive=True, maximum=65535),
    Field("verify_ssl", Kind.BOOL),
    Field("ca_bundle", Kind.STR),
    Field("fingerprint", Kind.STR, aliases=("cert_fingerprint", "pin")),
    Field("timeout", Kind.FLOAT, positive=True, maximum=3600),
    Field("concurrency", Kind.INT, positive=True, maximum=64),
)

_DEFAULT = PbsConfig(name="", host="", token_id="")
_TOKEN_ID = re.compile(r"^[^@!:\s]+@[^@!:\s]+![^@!:\s]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


def parse_pbs(doc: Mapping[str, object], file: str) -> tuple[PbsConfig, ...]:
    """``[[pbs]]`` tables; names are unique among them."""
    servers = tuple(_pbs(raw, at) for at, raw in array_of_tables(doc, file, "pbs"))
    unique_names([s.name for s in servers], "pbs", file)
    return servers


def normalise_fingerprint(text: str) -> str | None:
    """``AA:BB:...`` or plain hex → ``aa:bb:...``; None unless it is 32 bytes (SHA-256)."""
    digits = text.strip().lower().replace(":", "")
    if not _HEX.match(digits):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 64, 2))


def _pbs(raw: Mapping[str, object], at: TablePath) -> PbsConfig:
    values = check_table(raw, PBS_FIELDS, at)
    secrets = [k for k in PBS_SECRET_KEYS if k in values]
    if len(secrets) != 1:
        raise at.error(
            f"{at} needs exactly one of {', '.join(PBS_SECRET_KEYS)} (found {len(secrets)}); "
            "secrets are never written inline"
        )
    token_id = values.text("token_id")
    if not _TOKEN_ID.match(token_id):
        raise at.error(
            f"{at.key('token_id')} must be user@realm!tokenname, e.g. 'collector@pbs!collector' "
            "(the token's name after '!'; PBS has no password login here)"
        )
    env = values.opt_text("token_secret_env")
    if env is not None and not _ENV_NAME.match(env):
        # Most likely the secret itself was pasted here; the message must not repeat it.
        raise at.error(
            f"{at.key('token_secret_env')} must name an environment variable (letters, digits, "
            "_), not hold the secret itself"
        )
    secret_file = values.opt_text("token_secret_file")
    if secret_file is not None and "$" in secret_file and not CREDENTIAL_PATH.match(secret_file):
        raise at.error(
            f"{at.key('token_secret_file')} may use $ only as $CREDENTIALS_DIRECTORY/<name> (a "
            "systemd credential, LoadCredential=<name>:<file>); write any other path out in full"
        )
    host = values.text("host")
    if "://" in host or "/" in host:
        raise at.error(
            f"{at.key('host')} must be a host name or address without scheme or path; PBS is "
            "always https, use port = ... for the port"
        )
    fingerprint = None
    if "fingerprint" in values:
        fingerprint = normalise_fingerprint(values.text("fingerprint"))
        if fingerprint is None:
            raise at.error(
                f"{at.key('fingerprint')} must be the certificate's SHA-256 fingerprint, 32 "
                "hex bytes such as 'ab:cd:...' (proxmox-backup-manager cert info | grep "
                "Fingerprint)"
            )
        if "ca_bundle" in values:
            raise at.error(
                f"{at} has both ca_bundle and fingerprint; pick one (the fingerprint pins the "
                "certificate itself, the CA bundle checks who signed it)"
            )
    verify = values.flag("verify_ssl", _DEFAULT.verify_ssl)
    if not verify and ("fingerprint" in values or "ca_bundle" in values):
        raise at.error(
            f"{at.key('verify_ssl')} = false contradicts ca_bundle/fingerprint; remove one"
        )
    return PbsConfig(
        name=values.text("name"),
        host=host,
        token_id=token_id,
        token_secret_env=env,
        token_secret_file=secret_file,
        port=values.integer("port", _DEFAULT.port),
        verify_ssl=verify,
        # ~ expanded once, here, as for [[proxmox]]: the TLS libraries do not expand it.
        ca_bundle=_home(values.opt_text("ca_bundle")),
        fingerprint=fingerprint,
        timeout=values.number("timeout", _DEFAULT.timeout),
        concurrency=values.integer("concurrency", _DEFAULT.concurrency),
    )


def _home(path: str | None) -> str | None:
    return None if path is None else str(Path(path).expanduser())
