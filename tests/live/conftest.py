"""Session fixtures for the live suite: real ``dockerd`` engines, an ``sshd`` in front of one, and
a real Podman engine.

``live_lab`` yields a :class:`~tests.support.dockerd.LiveLab` (engines ``alpha``: unix socket only,
``bravo``: unix socket + ``tcp://127.0.0.1`` with mutual TLS), ``live_ssh`` a
:class:`~tests.support.dockerd.LiveSSH` whose sessions reach engine ``alpha``, ``live_podman`` a
:class:`~tests.support.podman.LivePodman` (``podman system service`` on a private unix socket) and
``live_podman_ssh`` an sshd whose remote ``docker`` is podman (as with Debian's podman-docker).
Each is started once per session (a few seconds) and is shared: tests must not change them.

The fixtures skip only when the machine cannot run them at all (not root, Debian packages
missing); any other failure to start is an error, with the daemon's log in the message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.dockerd import (
    LiveLab,
    LiveSSH,
    missing_prerequisites,
    start_lab,
    start_sshd,
)
from tests.support.podman import LivePodman, podman_docker_shim, start_podman
from tests.support.podman import missing_prerequisites as podman_missing


def _skip_or_fail(reason: str) -> None:
    """Skip on a developer machine without the packages; fail in CI, where skipping would hide
    that the live tests never ran (.ci/run sets COLLECT_REQUIRE_LIVE=1)."""
    if os.environ.get("COLLECT_REQUIRE_LIVE") == "1":
        pytest.fail(f"live tests are required here but cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_lab() -> Iterator[LiveLab]:
    """Two running Docker engines populated with known containers (see ``LiveEngine``)."""
    reason = missing_prerequisites()
    if reason:
        _skip_or_fail(reason)
    lab = start_lab()
    # try/finally: the engines must go even when a test (or the session) fails; start_lab also
    # registered lab.close with atexit in case this generator is never resumed.
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="session")
def live_ssh(live_lab: LiveLab) -> Iterator[LiveSSH]:
    """An sshd on 127.0.0.1 whose ``docker system dial-stdio`` reaches engine ``alpha``."""
    reason = missing_prerequisites(sshd=True)
    if reason:
        _skip_or_fail(reason)
    ssh = start_sshd(live_lab.alpha)
    try:
        yield ssh
    finally:
        ssh.close()


@pytest.fixture(scope="session")
def live_podman() -> Iterator[LivePodman]:
    """A running Podman engine populated with known containers and pods (see ``LivePodman``)."""
    reason = podman_missing()
    if reason:
        _skip_or_fail(reason)
    podman = start_podman()
    # start_podman also registered podman.close with atexit in case this is never resumed.
    try:
        yield podman
    finally:
        podman.close()


@pytest.fixture(scope="session")
def live_podman_ssh(live_podman: LivePodman) -> Iterator[LiveSSH]:
    """An sshd on 127.0.0.1 whose ``docker system dial-stdio`` is ``podman system dial-stdio``."""
    reason = missing_prerequisites(sshd=True)
    if reason:
        _skip_or_fail(reason)
    ssh = start_sshd(live_podman, docker_cli_path=podman_docker_shim(live_podman))
    try:
        yield ssh
    finally:
        ssh.close()
