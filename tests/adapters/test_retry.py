"""The retry policy and the run deadline, without a network: what is retried, and how often."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from docker import errors as docker_errors
from proxmoxer.core import ResourceException

from adapters import docker_errors as docker_policy
from adapters import pve_errors as pve_policy
from adapters.docker import DockerAdapter
from adapters.retry import with_retry
from collector.config import Config
from collector.errors import ConfigError, SourceDeadlineError
from collector.limits import Deadline, RunLimits, run_limits


def _api_error(status: int) -> docker_errors.APIError:
    response = requests.Response()
    response.status_code = status
    return docker_errors.APIError("x", response=response)


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (ResourceException(502, "Bad Gateway", ""), True),
        (ResourceException(503, "Service Unavailable", ""), True),
        (ResourceException(504, "Gateway Timeout", ""), True),
        (ResourceException(500, "Internal Server Error", "agent not running"), False),
        (ResourceException(501, "Not Implemented", ""), False),
        (ResourceException(595, "No route to host", ""), False),
        (ResourceException(401, "Unauthorized", ""), False),
        (requests.exceptions.ConnectionError("refused"), True),
        (requests.exceptions.ReadTimeout("slow"), True),
        (requests.exceptions.SSLError("certificate verify failed"), False),
        (ValueError("Expecting value"), False),
    ],
)
def test_pve_retry_policy(exc: BaseException, retry: bool) -> None:
    assert pve_policy.retryable(exc) is retry


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (_api_error(503), True),
        (_api_error(500), False),
        (_api_error(404), False),
        (requests.exceptions.ConnectionError("reset"), True),
        (requests.exceptions.SSLError("bad cert"), False),
        (docker_errors.DockerException("Error while fetching server API version"), False),
    ],
)
def test_docker_retry_policy(exc: BaseException, retry: bool) -> None:
    assert docker_policy.retryable(exc) is retry


class _Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def _always(_: BaseException) -> bool:
    return True


def test_with_retry_retries_at_most_n_times() -> None:
    call = _Flaky([OSError("1")])
    assert with_retry(call, retries=1, retryable=_always, deadline=None, what="x") == "ok"
    call = _Flaky([OSError("1"), OSError("2")])
    with pytest.raises(OSError, match="2"):
        with_retry(call, retries=1, retryable=_always, deadline=None, what="x")
    assert call.calls == 2


def test_with_retry_never_retries_what_the_policy_refuses() -> None:
    call = _Flaky([OSError("deterministic")])
    with pytest.raises(OSError):
        with_retry(call, retries=3, retryable=lambda _: False, deadline=None, what="x")
    assert call.calls == 1


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_deadline_refuses_to_start_a_request_once_passed() -> None:
    clock = _Clock()
    deadline = Deadline(10, clock=clock)
    assert deadline.remaining() == 10 and not deadline.expired()
    clock.now = 10
    call = _Flaky([])
    with pytest.raises(SourceDeadlineError, match="deadline of 10 s"):
        with_retry(call, retries=1, retryable=_always, deadline=deadline, what="lab: GET x")
    assert call.calls == 0


def test_no_retry_when_the_deadline_would_cut_it_short() -> None:
    clock = _Clock()
    deadline = Deadline(10, clock=clock)
    clock.now = 9.95
    call = _Flaky([OSError("slow")])
    with pytest.raises(OSError):
        with_retry(call, retries=1, retryable=_always, deadline=deadline, what="x")
    assert call.calls == 1


class _Client:
    """Docker client whose listing fails once with a dropped connection."""

    def __init__(self) -> None:
        self.listings = 0

    def version(self) -> Any:
        return {"Version": "28.2.2", "ApiVersion": "1.50"}

    def info(self) -> Any:
        return {"Name": "host"}

    def containers(self, all: bool = False) -> Any:
        self.listings += 1
        if self.listings == 1:
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return []

    def inspect_container(self, container: str) -> Any:
        raise AssertionError("nothing listed")

    def inspect_image(self, image: str) -> Any:
        raise AssertionError("nothing listed")


def test_docker_adapter_retries_a_dropped_connection() -> None:
    client = _Client()
    result = DockerAdapter("e", "unix:///x", client, retries=1).collect()
    assert result.status.complete and result.status.error is None
    assert client.listings == 2 and result.status.requests == 4


def test_docker_adapter_past_the_deadline_reads_nothing() -> None:
    clock = _Clock()
    deadline = Deadline(1, clock=clock)
    clock.now = 2
    result = DockerAdapter("e", "unix:///x", _Client(), deadline=deadline).collect()
    assert result.status.complete is False and "deadline" in (result.status.error or "")
    assert result.status.requests == 0


def test_run_limits_defaults_and_errors() -> None:
    assert run_limits(Config()) == RunLimits()
    assert run_limits(
        Config(extra={"collect": {"deadline_seconds": 30, "retries": 0}})
    ) == RunLimits(30.0, 0)
    for bad in ({"deadline_seconds": float("nan")}, {"retries": True}, {"x": 1}):
        with pytest.raises(ConfigError, match=r"\[collect\]"):
            run_limits(Config(extra={"collect": bad}))
    with pytest.raises(ConfigError, match="must be a table"):
        run_limits(Config(extra={"collect": [1]}))
