"""audit.runs is the warehouse's history: a publish carries every earlier run into the new file, or does
not publish at all. It must never drop the history silently (an older audit.runs layout, a published
file another process holds open for writing)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from orchestration.publish import publish, published_run, start_build
from tests.fixtures.minimal_build import fill_minimal_build, run_record

from .support import wait_for


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
    fill_minimal_build(build, "new-1")
    publish(build, published, run_record("new-1"))
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
    fill_minimal_build(first, "export-1")
    publish(first, published, run_record("export-1"))
    before = published.read_bytes()

    holding = tmp_path / "holding"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(published), str(holding)])
    try:
        wait_for(holding.exists, "the process holding the warehouse open", holder, timeout=60)
        second = start_build(published, "second")
        fill_minimal_build(second, "export-2")
        with pytest.raises(duckdb.Error):
            publish(second, published, run_record("export-2"))
    finally:
        holder.kill()
        holder.wait()
    assert published.read_bytes() == before
    assert published_run(published)["export_id"] == "export-1"
