"""TLS settings and wording shared by the sources' clients."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

_CERT_FAILED = re.compile(r"certificate verify failed: ([^()'\"]+?)(?: \(|'|\"|\)|$)")
_SSL_REASON = re.compile(r"\[SSL: ([A-Z_]+)\][^()'\"]*?(certificate verify failed: [^()'\"]+)?")


def tls_reason(text: str) -> str:
    """Pull the useful part ("certificate verify failed: self-signed ...") out of library noise."""
    match = _CERT_FAILED.search(text)
    if match:
        return f"certificate verify failed: {match.group(1).strip()}"
    match = _SSL_REASON.search(text)
    return match.group(0).strip() if match else "TLS handshake failed"


def client_context(verify: bool | str) -> ssl.SSLContext:
    """A client ``SSLContext``: no verification for ``False``, else trusting the CA file (or
    hashed CA folder) ``verify`` names."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        raise ValueError("client_context needs a CA path; resolve True to one first")
    path = Path(verify)
    if path.is_dir():
        return ssl.create_default_context(capath=str(path))
    return ssl.create_default_context(cafile=str(path))
