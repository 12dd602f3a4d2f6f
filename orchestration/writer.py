"""The single-writer rule: every step that writes DuckDB runs in one Dagster pool, one at a time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

WRITER_POOL = "duckdb_writer"


@contextlib.contextmanager
def connect_build(build: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to this run's build file, checkpointed and closed on exit."""
    con = duckdb.connect(str(build))
    try:
        yield con
        con.execute("checkpoint")
    finally:
        con.close()
