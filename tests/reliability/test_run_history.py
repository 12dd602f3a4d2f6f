"""audit.runs is the warehouse's history: a publish carries every earlier run into the new file, or does
not publish at all. It must never drop the history silently (an older audit.runs layout, a published
file another process holds open for writing)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import duckdb
import pytest

from orchestration.publish import REQUIRED_TABLES, RunRecord, publish, published_run, start_build

from .support import wait_for


def _fill(build, export_id: str) -> None:
    with duckdb.connect(str(build)) as con:
        for schema, table in REQUIRED_TABLES:
            con.execute(f"create schema if not exists {schema}")
            if (schema, table) == ("raw", "export_manifest"):
                con.execute(
                    "create table raw.export_manifest as "
                    "select ? as export_id, date '2024-09-15' as data_cutoff, 'TEST' as registry",
                    [export_id],
                )
            else:
                con.execute(f"create table {schema}.{table} as select 1 as x")


def _run(export_id: str) -> RunRecord:
    return RunRecord(export_id, datetime(2024, 9, 16, 2, tzinfo=UTC), "test+0", "{}", "fp-" + export_id)


def test_history_written_by_an_older_version_is_carried_over(tmp_path):
    """A warehouse published before audit.runs had a `registry` column keeps its runs."""
    published = tmp_path / "registry.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute("create schema audit")
        con.execute(
            """create table audit.runs (export_id varchar, data_cutoff date, started_at timestamptz,
            finished_at timestamptz, code_version varchar, settings json, export_fingerprint varchar)"""
        )
        con.execute(
            "insert into audit.runs values ('old-1', date '2024-06-01', timestamptz '2024-06-02 02:00:00+00',"
            " timestamptz '2024-06-02 02:10:00+00', 'v0', '{}', 'fp-old-1')"
        )
    build = start_build(published, "next")
    _fill(build, "new-1")
    publish(build, published, _run("new-1"))
    with duckdb.connect(str(published), read_only=True) as con:
        runs = con.execute("select export_id, registry from audit.runs order by finished_at").fetchall()
    assert runs == [("old-1", None), ("new-1", "TEST")]


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb, pathlib
    con = duckdb.connect(sys.argv[1])  # read-write: holds the file's exclusive lock
    pathlib.Path(sys.argv[2]).touch()
    time.sleep(120)
    """
)


def test_unreadable_history_stops_the_publish_instead_of_dropping_it(tmp_path):
    published = tmp_path / "registry.duckdb"
    first = start_build(published, "first")
    _fill(first, "export-1")
    publish(first, published, _run("export-1"))
    before = published.read_bytes()

    holding = tmp_path / "holding"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(published), str(holding)])
    try:
        wait_for(holding.exists, "the process holding the warehouse open", holder, timeout=60)
        second = start_build(published, "second")
        _fill(second, "export-2")
        with pytest.raises(duckdb.Error):
            publish(second, published, _run("export-2"))
    finally:
        holder.kill()
        holder.wait()
    assert published.read_bytes() == before
    assert published_run(published)["export_id"] == "export-1"
