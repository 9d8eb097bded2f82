"""The retry policy and the run deadline, without a network: what is retried, and how often; and
the clients' boundary, where library exceptions become the collector's error types."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import urllib3.exceptions

from adapters.common.http import transport_error
from adapters.common.retry import retryable, with_retry
from adapters.docker import errors as docker_errors
from adapters.docker.adapter import DockerAdapter
from adapters.proxmox import errors as pve_errors
from collector.config import Config, parse_config
from collector.contract import Deadline, RunLimits
from collector.errors import (
    ConfigError,
    SourceAuthError,
    SourceConnectionError,
    SourceDeadlineError,
    SourceError,
    SourceHandshakeError,
    SourceResponseError,
    SourceTimeoutError,
)


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (SourceResponseError("x", status=502), True),
        (SourceResponseError("x", status=503), True),
        (SourceResponseError("x", status=504), True),
        (SourceResponseError("agent not running", status=500), False),
        (SourceResponseError("x", status=501), False),
        (SourceResponseError("node offline", status=595), False),
        (SourceResponseError("not found", status=404), False),
        (SourceResponseError("malformed JSON"), False),
        (SourceAuthError("x", status=401), False),
        (SourceConnectionError("refused"), True),
        (SourceTimeoutError("slow"), True),
        (SourceHandshakeError("certificate verify failed"), False),
        (SourceDeadlineError("too late"), False),
        (ValueError("Expecting value"), False),
    ],
)
def test_retry_policy_keys_on_the_collectors_error_types(exc: BaseException, retry: bool) -> None:
    assert retryable(exc) is retry


_TIMEOUT = urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out.")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (
            urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.SSLError("bad")),
            SourceHandshakeError,
        ),  # type: ignore[arg-type]
        (_TIMEOUT, SourceTimeoutError),
        (urllib3.exceptions.ProtocolError("Connection aborted."), SourceConnectionError),
        (ConnectionRefusedError("Connection refused"), SourceConnectionError),
    ],
)
def test_pve_client_translates_transport_failures(exc: Exception, kind: type) -> None:
    error = transport_error(pve_errors.WORDING, "lab", "version", exc)
    assert type(error) is kind and error.status is None and str(error).startswith("lab: ")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (requests.exceptions.ConnectionError("Connection reset by peer"), SourceConnectionError),
        (
            requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] bad cert"),
            SourceHandshakeError,
        ),
        (requests.exceptions.ReadTimeout("Read timed out."), SourceTimeoutError),
        (FileNotFoundError(2, "No such file or directory"), SourceConnectionError),
    ],
)
def test_docker_client_translates_transport_failures(exc: Exception, kind: type) -> None:
    error = docker_errors.transport_error("apps", "/info", exc)
    assert type(error) is kind and error.status is None and str(error).startswith("apps: ")


def test_http_errors_keep_the_sources_own_words() -> None:
    error: SourceError = docker_errors.http_error("apps", "/info", 403, "denied by proxy\nmore")
    assert isinstance(error, SourceAuthError)
    assert (error.status, error.reason) == (403, "denied by proxy")


class _Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_with_retry_retries_at_most_n_times() -> None:
    call = _Flaky([SourceConnectionError("1")])
    assert with_retry(call, retries=1, deadline=None, what="x") == "ok"
    call = _Flaky([SourceConnectionError("1"), SourceConnectionError("2")])
    with pytest.raises(SourceConnectionError, match="2"):
        with_retry(call, retries=1, deadline=None, what="x")
    assert call.calls == 2


def test_with_retry_never_retries_what_the_policy_refuses() -> None:
    call = _Flaky([SourceResponseError("deterministic", status=500)])
    with pytest.raises(SourceResponseError):
        with_retry(call, retries=3, deadline=None, what="x")
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
        with_retry(call, retries=1, deadline=deadline, what="lab: GET x")
    assert call.calls == 0


def test_no_retry_when_the_deadline_would_cut_it_short() -> None:
    clock = _Clock()
    deadline = Deadline(10, clock=clock)
    clock.now = 9.95
    call = _Flaky([SourceTimeoutError("slow")])
    with pytest.raises(SourceTimeoutError):
        with_retry(call, retries=1, deadline=deadline, what="x")
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
            raise SourceConnectionError("e: cannot connect to the engine (connection reset)")
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
    assert result.status.complete is False and result.status.error is not None
    assert "deadline" in result.status.error
    assert result.status.requests == 0


def test_run_limits_defaults_and_errors() -> None:
    assert Config().collect == RunLimits()
    collect = parse_config({"collect": {"deadline_seconds": 30, "retries": 0}}).collect
    assert collect == RunLimits(30.0, 0)
    for bad in ({"deadline_seconds": float("nan")}, {"retries": True}, {"x": 1}):
        with pytest.raises(ConfigError, match=r"\[collect\]"):
            parse_config({"collect": bad})
    with pytest.raises(ConfigError, match="must be a table"):
        parse_config({"collect": [1]})
