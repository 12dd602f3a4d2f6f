"""One refresh at a time per warehouse: an advisory lock file `<warehouse>.lock` holding the holder's pid.

The lock is `flock` on that file, so the kernel releases it when the holder dies however it dies
(SIGKILL included): a lock is never stale, and the pid in the file is only there to name the holder in
messages. A second refresh waits for it up to a timeout (`RLT_LOCK_TIMEOUT` seconds, default 300), then
refuses with a message naming the holder. The lock is re-entrant within one process (the CLI takes it
around the whole run; the ingest step, which is also the entry of Dagster-launched runs, takes it again).
While the lock is held, every build file beside the warehouse that is not this process's own belongs
to a dead run, so `remove_stale_builds` can delete it without touching a live run's file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TIMEOUT_ENV = "RLT_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 300.0
_POLL_S = 0.2


class LockTimeout(RuntimeError):
    """Another refresh holds the warehouse lock for longer than we were willing to wait."""


# path of the lock file -> (open fd, depth); guarded because Dagster may run steps in threads
_held: dict[Path, tuple[int, int]] = {}
_guard = threading.Lock()


def lock_path(published: Path) -> Path:
    return published.with_name(published.name + ".lock")


def holder(published: Path) -> str:
    """The pid written by the current (or last) holder, for messages."""
    try:
        return lock_path(published).read_text(encoding="ascii").strip() or "unknown"
    except OSError:
        return "unknown"


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def acquire(
    published: Path, timeout: float | None = None, on_wait: Callable[[str], None] | None = None
) -> None:
    """Take the warehouse lock (re-entrant), waiting up to `timeout` seconds for another holder."""
    path = lock_path(published).absolute()
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(
                    f"another refresh (pid {holder(published)}) is writing {published}; waited "
                    f"{timeout:.0f} s (set {TIMEOUT_ENV} to wait longer). The published warehouse was not "
                    "changed."
                ) from None
            if on_wait is not None and not told:
                on_wait(
                    f"another refresh (pid {holder(published)}) is writing {published}; waiting up to "
                    f"{timeout:.0f} s ..."
                )
                told = True
            time.sleep(_POLL_S)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    with _guard:
        _held[path] = (fd, 1)


def release(published: Path) -> None:
    """Give up one level of the lock; the last one unlocks. A no-op when this process does not hold it."""
    path = lock_path(published).absolute()
    with _guard:
        if path not in _held:
            return
        fd, depth = _held[path]
        if depth > 1:
            _held[path] = (fd, depth - 1)
            return
        del _held[path]
    # the file stays (unlinking a flock'ed file races with a waiter that opened it); only the lock goes
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def release_all(published: Path) -> None:
    """Give up the lock whatever its depth (a failed run, whose publish step never released it)."""
    path = lock_path(published).absolute()
    while path in _held:
        release(published)


def held(published: Path) -> bool:
    return lock_path(published).absolute() in _held


@contextlib.contextmanager
def warehouse_lock(
    published: Path, timeout: float | None = None, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    acquire(published, timeout, on_wait)
    try:
        yield
    finally:
        release_all(published)


@contextlib.contextmanager
def warehouse_lock_level(published: Path, timeout: float | None = None) -> Iterator[None]:
    """One more level of the lock for a block (the lock stays held if it was held before)."""
    acquire(published, timeout)
    try:
        yield
    finally:
        release(published)
