"""Failures of the machine rather than of the data, told in one true sentence.

A read-only file system, a full disk and a termination signal surface as many different exceptions
(OSError from Python, "IO Error" or a follow-on "TransactionContext Error" from DuckDB, an error deep in a
Dagster step). `explain` looks at the whole chain of messages of a failure and, when one of these is the
cause, names it; otherwise it returns None and the caller shows the failure's own message.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterable
from pathlib import Path

NOT_CHANGED = "The published warehouse was not changed."

_READ_ONLY = ("read-only file system", f"[errno {errno.EROFS}]")
_DISK_FULL = ("no space left on device", f"[errno {errno.ENOSPC}]", "disk full", "out of disk space")
_QUOTA = ("disk quota exceeded", f"[errno {errno.EDQUOT}]")


class Terminated(BaseException):
    """SIGTERM reached `rlt refresh`: stop, clean up, exit 2 (a BaseException so that no step swallows
    it as an ordinary failure)."""


def explain(messages: Iterable[str], warehouse: Path) -> str | None:
    """One sentence naming a machine-level cause found in `messages`, or None."""
    text = "\n".join(messages).lower()
    folder = warehouse.absolute().parent
    if any(s in text for s in _READ_ONLY):
        return f"cannot write beside the warehouse: {folder} is on a read-only file system. {NOT_CHANGED}"
    if any(s in text for s in _DISK_FULL + _QUOTA):
        return (
            f"the disk holding {folder} is full (no space left on device); the unfinished build was "
            f"removed. Free some space and run the refresh again. {NOT_CHANGED}"
        )
    return None


def exception_chain(exc: BaseException) -> list[BaseException]:
    """An exception and every exception it was raised from or during (each once)."""
    out: list[BaseException] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        out.append(current)
        todo += [current.__cause__, current.__context__]
    return out


def os_error_messages(exc: BaseException) -> list[str]:
    """The messages of an exception and of every exception it was raised from or during."""
    return [f"{type(current).__name__}: {current}" for current in exception_chain(exc)]


def _children(pid: int) -> list[int]:
    """Live child processes of `pid`, from /proc (Linux); empty elsewhere."""
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in out:
                out.append(child)
                todo.append(child)
    return out


def stop_children(grace_s: float = 5.0) -> None:
    """SIGTERM every process this one started (dbt, a Quarto render, …), then SIGKILL what is left after
    `grace_s`: a stopped refresh leaves nothing running behind it."""
    import os
    import signal
    import time

    # multiprocessing's resource tracker is not work of the run: it exits by itself with this process,
    # and killing it early makes Python print a warning at exit
    pids = [p for p in descendants(os.getpid()) if b"resource_tracker" not in _cmdline(p)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    # reap our own children so that none is left as a zombie
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
