"""In-memory clients: answer the adapters from dicts of recorded answers, with no I/O at all.

``MemoryPveApi`` and ``MemoryDockerClient`` take the ``{recording key: answer}`` dicts that
``RecordingBuilder._pve_files`` / ``_docker_files`` produce (the same keys as the files of a
recording), so the CPU-only benchmark and the algorithmic-shape tests can run the real adapters
on labs of any size without writing them to disk or serving them.
"""

from __future__ import annotations

from typing import Any

from adapters.docker import errors as docker_errors
from adapters.docker.errors import LISTING
from adapters.docker.replay import image_file
from adapters.proxmox import errors
from tests.support.pve_server import recording_key


class MemoryPveApi:
    """``get(path, **params)`` like ``ReplayPveApi``, from a dict instead of files."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self._answers = answers

    def get(self, path: str, **params: Any) -> Any:
        key = recording_key(path.strip("/"), [(k, str(v)) for k, v in params.items()])
        if key not in self._answers:
            raise errors.http_error("lab", path, 501, f"Method 'GET /{path}' not implemented")
        return self._answers[key]


class MemoryDockerClient:
    """The five reads the Docker adapter makes, like ``ReplayDockerClient``, from a dict."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self._answers = answers

    def _answer(self, key: str, what: str) -> Any:
        if key not in self._answers:
            raise docker_errors.http_error("apps", what, 404, "page not found")
        return self._answers[key]

    def info(self) -> Any:
        return self._answer("info", "/info")

    def version(self) -> Any:
        return self._answer("version", "/version")

    def containers(self, all: bool = False) -> Any:
        return self._answer("containers", LISTING)

    def inspect_container(self, container: str) -> Any:
        return self._answer(f"containers/{container}", f"/containers/{container[:12]}/json")

    def inspect_image(self, image: str) -> Any:
        return self._answer(image_file(image), f"/images/{image[:19]}/json")
