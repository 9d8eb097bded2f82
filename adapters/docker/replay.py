"""A Docker client that answers from a recording folder instead of the network.

It fails the way the live client fails (``errors.py``): a recorded error answer raises the same
error, a call that was never recorded answers like an engine without that object (404).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.common.recording import Malformed, read_answer
from adapters.docker import errors
from adapters.docker.errors import LISTING


def image_file(image: str) -> str:
    """The recording's file name for an image id: ``sha256:ab..`` → ``images/sha256-ab..``."""
    return f"images/{image.replace(':', '-')}"


class ReplayDockerClient:
    """The reads of ``DockerClient``, from the files under ``root``."""

    def __init__(self, root: Path, source: str) -> None:
        self.root = root
        self.source = source

    def _answer(self, name: str, what: str) -> Any:
        try:
            found, data = read_answer(self.root / name)
        except Malformed:
            raise errors.malformed(self.source, what) from None
        if found:
            return data
        if not isinstance(data, dict):
            raise errors.http_error(self.source, what, 404, "page not found")
        status = data.get("status", 500)
        status = status if isinstance(status, int) and not isinstance(status, bool) else 500
        raise errors.http_error(self.source, what, status, str(data.get("message", "")))

    def version(self) -> Any:
        return self._answer("version", "/version")

    def info(self) -> Any:
        return self._answer("info", "/info")

    def containers(self, all: bool = False) -> Any:
        return self._answer("containers", LISTING)

    def inspect_container(self, container: str) -> Any:
        return self._answer(f"containers/{container}", f"/containers/{container[:12]}/json")

    def inspect_image(self, image: str) -> Any:
        return self._answer(image_file(image), f"/images/{image[:19]}/json")

    def pods(self) -> Any:
        return self._answer("libpod/pods", "/libpod/pods/json")

    def inspect_podman_container(self, container: str) -> Any:
        return self._answer(
            f"libpod/containers/{container}", f"/libpod/containers/{container[:12]}/json"
        )
