"""Which step failures the refresh job may retry (orchestration/assets/retry.py), without running a job.

A retry waits 30 s, then 60 s: for a failure that needs a person it only delays the message. Each case
raises the exception a real failure raises and looks at what `deterministic` lets through.
"""

from __future__ import annotations

import errno
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.retry import deterministic
from orchestration.ingest import ExportError

WAREHOUSE = Path("/data/rlt/registry.duckdb")


def _raised_through(exc: BaseException, warehouse: Path | None = WAREHOUSE) -> BaseException:
    with pytest.raises(BaseException) as info, deterministic("publishing", warehouse):
        raise exc
    return info.value


@pytest.mark.parametrize(
    "code",
    [errno.EROFS, errno.ENOSPC, errno.EACCES, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.EDQUOT],
)
def test_machine_errors_that_need_a_person_are_final(code):
    raised = _raised_through(OSError(code, "os text", "/data/rlt/reports"), warehouse=None)
    assert isinstance(raised, dg.Failure) and raised.allow_retries is False
    assert raised.description == f"publishing failed: [Errno {code}] os text: '/data/rlt/reports'"


@pytest.mark.parametrize("code", [errno.EBUSY, errno.EAGAIN, errno.EINTR, errno.EIO])
def test_errors_a_retry_may_cure_pass_through_for_the_retry_policy(code):
    exc = OSError(code, "briefly unavailable")
    assert _raised_through(exc) is exc


def test_duckdb_disk_full_is_named_with_the_warehouse_folder():
    raised = _raised_through(duckdb.IOException("IO Error: Could not write file: No space left on device"))
    assert isinstance(raised, dg.Failure) and raised.allow_retries is False
    assert raised.description.startswith("the disk holding /data/rlt is full")
    assert raised.description.endswith("The published warehouse was not changed.")


def test_read_only_cause_deep_in_the_chain_is_named():
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system")
        except OSError as inner:
            raise RuntimeError("could not open the build") from inner
    except RuntimeError as outer:
        raised = _raised_through(outer)
    assert isinstance(raised, dg.Failure) and raised.allow_retries is False
    assert raised.description.startswith("cannot write beside the warehouse: /data/rlt is on a read-only")


def test_a_bad_export_is_final_and_keeps_its_own_message():
    raised = _raised_through(ExportError("patients.csv: checksum mismatch"))
    assert isinstance(raised, dg.Failure) and raised.allow_retries is False
    assert raised.description == "publishing failed: patients.csv: checksum mismatch"


def test_an_unknown_error_is_left_to_the_retry_policy():
    exc = ValueError("something new")
    assert _raised_through(exc) is exc
