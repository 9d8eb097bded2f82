"""homelab-collector: what really runs in a homelab, checked against its written architecture."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("homelab-collector")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
