"""One run at a time: an exclusive ``flock`` on a file next to the history database.

``flock`` is released by the kernel when the holder exits, however it exits (SIGKILL included),
so a crashed run never leaves a stale lock behind. A second run polls for a bounded time, then
gives up with ``RunLocked`` (exit code 4) instead of interleaving its writes with the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from collector.history.errors import HistoryError, RunLocked

POLL_SECONDS = 0.1


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


@contextlib.contextmanager
def run_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold the lock at ``path`` for the ``with`` block, waiting at most ``timeout`` seconds."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise HistoryError(
            f"cannot create the lock file {path}: {exc.strerror}; "
            "check [history] path or --history-db"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RunLocked(
                        f"another collect run{_holder(fd)} holds the lock {path}; gave up after "
                        f"waiting {timeout:g}s. Let it finish, or raise --lock-timeout "
                        "([history] lock_timeout)"
                    ) from None
                time.sleep(min(POLL_SECONDS, remaining))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
