"""Which failures a retry could cure, and which it cannot.

The refresh job retries a step (RetryPolicy) only for what may pass on a second try: a file briefly
locked or busy, an interrupted call. A bad export, a failing dbt data test, invalid settings, a build
unfit to publish, and the machine failures that need a person (a read-only file system, a full disk, a
missing permission, a file where a folder should be) fail the same way every time: they become
`dg.Failure(allow_retries=False)` whose description is the cause itself, so the run's failure message
says what is wrong at once instead of after two delayed retries.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from orchestration.dbt_runner import DbtRunError
from orchestration.failures import exception_chain, explain, os_error_messages
from orchestration.ingest import ExportError
from orchestration.publish import PublishError
from orchestration.redcap.mapping import RedcapError
from orchestration.settings import SettingError

REFRESH_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)
# OSErrors that a retry 30 s later meets again: they need someone to change the machine or a path
_NEEDS_A_PERSON = frozenset(
    {
        errno.EROFS,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EACCES,
        errno.EPERM,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)


def final(message: str) -> dg.Failure:
    """A failure no retry can cure; the message is what the run's failure shows."""
    return dg.Failure(description=message, allow_retries=False)


def _needs_a_person(exc: BaseException) -> bool:
    """An OSError of the kinds in _NEEDS_A_PERSON, itself or anywhere in its cause/context chain."""
    return any(isinstance(e, OSError) and e.errno in _NEEDS_A_PERSON for e in exception_chain(exc))


@contextlib.contextmanager
def deterministic(step: str, warehouse: Path | None = None) -> Iterator[None]:
    """Turn the errors that repeat on every try into a final failure naming the step and the cause.

    With `warehouse` (the published path), a read-only file system or a full disk beside it, however it
    surfaced (OSError, a DuckDB IO error, a dbt failure), fails once with `failures.explain`'s sentence.
    """
    try:
        yield
    except dg.Failure:
        raise
    except Exception as exc:
        machine = explain(os_error_messages(exc), warehouse) if warehouse is not None else None
        if machine is not None:
            raise final(machine) from exc
        if isinstance(exc, (ExportError, SettingError, PublishError, DbtRunError, RedcapError)) or (
            _needs_a_person(exc)
        ):
            cause = str(exc)
            raise final(cause if cause.startswith(step) else f"{step} failed: {cause}") from exc
        raise


def require_build(build: Path, step: str) -> Path:
    """This run's build file, or a final failure that says what to run instead."""
    if not build.exists():
        raise final(
            f"{step} works on this run's build file, which only registry_raw creates: run the whole "
            "registry_refresh job with an export_path (or `rlt refresh EXPORT`); to recompute statistics "
            "or reports of the published warehouse, run refresh_statistics or render_reports"
        )
    return build
