"""Which failures a retry could cure, and which it cannot.

The refresh job retries a step (RetryPolicy) only for what may pass on a second try: a locked or briefly
unreadable file, a full disk being cleared. A bad export, a failing dbt data test, invalid settings or a
build unfit to publish fail the same way every time: they become `dg.Failure(allow_retries=False)` whose
description is the cause itself, so the run's failure message says what is wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from orchestration.dbt_runner import DbtRunError
from orchestration.ingest import ExportError
from orchestration.publish import PublishError
from orchestration.redcap.mapping import RedcapError
from orchestration.settings import SettingError

REFRESH_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def final(message: str) -> dg.Failure:
    """A failure no retry can cure; the message is what the run's failure shows."""
    return dg.Failure(description=message, allow_retries=False)


@contextlib.contextmanager
def deterministic(step: str) -> Iterator[None]:
    """Turn the errors that repeat on every try into a final failure naming the step and the cause."""
    try:
        yield
    except (ExportError, SettingError, PublishError, DbtRunError, RedcapError) as exc:
        cause = str(exc)
        raise final(cause if cause.startswith(step) else f"{step} failed: {cause}") from exc


def require_build(build: Path, step: str) -> Path:
    """This run's build file, or a final failure that says what to run instead."""
    if not build.exists():
        raise final(
            f"{step} works on this run's build file, which only registry_raw creates: run the whole "
            "registry_refresh job with an export_path (or `rlt refresh EXPORT`); to recompute statistics "
            "or reports of the published warehouse, run refresh_statistics or render_reports"
        )
    return build
