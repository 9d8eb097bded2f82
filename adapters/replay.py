"""Clients that answer from a recording folder instead of the network (see fixtures/README.md).

They raise the same exception types the real clients raise (proxmoxer ``ResourceException``,
docker ``APIError``/``NotFound``), so the adapters' error handling runs unchanged in replay.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from proxmoxer.core import ResourceException


def recording_file(root: Path, path: str, params: dict[str, Any] | None = None) -> Path:
    """Where the answer to ``GET path?params`` lives: ``<root>/<path>[@k=v&...]``, no suffix."""
    name = path.strip("/")
    if params:
        query = "&".join(
            f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()) if v is not None
        )
        if query:
            name = f"{name}@{query}"
    return root / name


def _load(base: Path) -> tuple[bool, Any]:
    """(True, data) for a recorded answer, (False, {status, message}) for a recorded error."""
    answer = base.with_name(base.name + ".json")
    if answer.is_file():
        return True, json.loads(answer.read_text(encoding="utf-8"))
    error = base.with_name(base.name + ".error.json")
    if error.is_file():
        return False, json.loads(error.read_text(encoding="utf-8"))
    return False, None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class ReplayPveApi:
    """Answers ``get(path, **params)`` like ``proxmoxer.ProxmoxAPI`` does, from files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, path: str, **params: Any) -> Any:
        found, data = _load(recording_file(self.root, path, params))
        if found:
            return data
        if data is None:
            status, message = 501, f"Method 'GET /{path.strip('/')}' not implemented"
        else:
            status, message = int(data.get("status", 500)), str(data.get("message", "")).strip()
        raise ResourceException(status, _phrase(status), message)


class ReplayDockerClient:
    """Answers the four ``docker.APIClient`` calls the Docker adapter makes, from files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _answer(self, name: str) -> Any:
        found, data = _load(self.root / name)
        if found:
            return data
        status = 404 if data is None else int(data.get("status", 500))
        message = "page not found" if data is None else str(data.get("message", ""))
        response = requests.Response()
        response.status_code = status
        response.reason = _phrase(status)
        from docker import errors as docker_errors  # lazily: the SDK costs ~0.2 s to import

        error = docker_errors.NotFound if status == 404 else docker_errors.APIError
        raise error(message, response=response, explanation=message)

    def info(self) -> Any:
        return self._answer("info")

    def version(self) -> Any:
        return self._answer("version")

    def containers(self, all: bool = False) -> Any:
        return self._answer("containers")

    def inspect_container(self, container: str) -> Any:
        return self._answer(f"containers/{container}")

    def inspect_image(self, image: str) -> Any:
        return self._answer(f"images/{image.replace(':', '-')}")
