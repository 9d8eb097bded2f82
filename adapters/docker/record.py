"""A tee around a live Docker client that records every answer where ``ReplayDockerClient``
reads it (redacted on disk, unredacted to the adapter; error answers as ``.error.json``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.common.recording import Recorder
from adapters.docker.adapter import DockerApi
from adapters.docker.replay import image_file
from collector.errors import SourceError


class RecordingDockerClient:
    def __init__(self, client: DockerApi, recorder: Recorder) -> None:
        self._client = client
        self._recorder = recorder

    def _tee(self, name: str, call: Callable[[], Any]) -> Any:
        base = self._recorder.root / name
        try:
            answer = call()
        except SourceError as exc:
            if exc.status is not None:
                self._recorder.error(base, exc.status, exc.reason or "")
            raise
        self._recorder.answer(base, answer)
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
        return self._tee(image_file(image), lambda: self._client.inspect_image(image))

    def pods(self) -> Any:
        return self._tee("libpod/pods", self._client.pods)

    def inspect_podman_container(self, container: str) -> Any:
        return self._tee(
            f"libpod/containers/{container}",
            lambda: self._client.inspect_podman_container(container),
        )
