"""Recorders: tee proxies around the live clients that write what ``adapters.replay`` reads.

``RecordingPveApi`` wraps a proxmoxer API object, ``RecordingDockerClient`` the Docker client.
Every call goes to the real client first; its answer is redacted (``collector.recording.redact``)
and written atomically to the file the replay client will look for, then returned *unredacted*
to the adapter, so the live report of a ``collect record`` run is exactly a ``collect report``.

An error answer from the engine (proxmoxer ``ResourceException``, docker ``APIError``) is
written as ``<name>.error.json`` ``{"status", "message"}`` and re-raised, so a replay fails the
same way. Transport failures (refused, TLS, timeout) are not recordings of an answer and write
nothing; replay then answers like an engine that lacks the path (PVE 501, Docker 404).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxmoxer.core import ResourceException

from adapters.proxmox import PveApi
from adapters.replay import recording_file
from collector.recording.redact import redact_text
from collector.recording.store import write_json

if TYPE_CHECKING:
    from adapters.docker import DockerApi

Redact = Callable[[Any], Any]


def _write(base: Path, data: Any) -> None:
    # A retried call may have failed first: the last answer is the one a replay must give.
    base.with_name(base.name + ".error.json").unlink(missing_ok=True)
    write_json(base.with_name(base.name + ".json"), data)


def _write_error(base: Path, status: int, message: str) -> None:
    base.with_name(base.name + ".json").unlink(missing_ok=True)
    error = {"status": status, "message": redact_text(message.strip())}
    write_json(base.with_name(base.name + ".error.json"), error)


class RecordingPveApi:
    """``get(path, **params)`` answered by ``api`` and recorded under ``root``."""

    def __init__(self, api: PveApi, root: Path, redact: Redact) -> None:
        self._api = api
        self.root = root
        self._redact = redact

    def get(self, path: str, **params: Any) -> Any:
        base = recording_file(self.root, path, params)
        try:
            answer = self._api.get(path, **params)
        except ResourceException as exc:
            # proxmoxer puts PVE's message (the HTTP reason) into ``content``.
            message = str(exc.content or exc.status_message or "")
            _write_error(base, int(exc.status_code), message)
            raise
        _write(base, self._redact(answer))
        return answer


class RecordingDockerClient:
    """The five read calls of ``DockerApi``, answered by ``client`` and recorded under ``root``."""

    def __init__(self, client: DockerApi, root: Path, redact: Redact) -> None:
        from docker import errors  # lazily: only labs with Docker engines pay for the SDK

        self._api_error = errors.APIError
        self._client = client
        self.root = root
        self._redact = redact

    def _tee(self, name: str, call: Callable[[], Any]) -> Any:
        base = self.root / name
        try:
            answer = call()
        except self._api_error as exc:
            if exc.status_code is not None:
                _write_error(base, int(exc.status_code), str(exc.explanation or exc))
            raise
        _write(base, self._redact(answer))
        return answer

    def version(self) -> Any:
        return self._tee("version", self._client.version)

    def info(self) -> Any:
        return self._tee("info", self._client.info)

    def containers(self, all: bool = False) -> Any:
        return self._tee("containers", lambda: self._client.containers(all=all))

    def inspect_container(self, container: str) -> Any:
        return self._tee(
            f"containers/{container}", lambda: self._client.inspect_container(container)
        )

    def inspect_image(self, image: str) -> Any:
        # The replay client's file name for an image id: "sha256:ab.." -> "images/sha256-ab..".
        return self._tee(
            f"images/{image.replace(':', '-')}", lambda: self._client.inspect_image(image)
        )
