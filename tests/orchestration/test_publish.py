import os
import stat

import duckdb
import pytest

from orchestration.publish import (
    PublishError,
    build_path,
    publish,
    published_run,
    start_build,
)
from tests.fixtures.minimal_build import fill_minimal_build, run_record


def test_publish_swaps_in_the_build_and_keeps_run_history(tmp_path):
    published = tmp_path / "registry.duckdb"
    for n in (1, 2):
        build = start_build(published, f"run{n}")
        assert build.parent == published.parent
        fill_minimal_build(build, f"export-{n}")
        publish(build, published, run_record(f"export-{n}"))
        assert not build.exists()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select marker from marts.dim_patient").fetchone()[0] == "export-2"
        assert [
            r[0] for r in con.execute("select export_id from audit.runs order by finished_at").fetchall()
        ] == [
            "export-1",
            "export-2",
        ]
    assert stat.S_IMODE(os.stat(published).st_mode) == 0o600
    assert published_run(published)["export_fingerprint"] == "fp-export-2"


def test_incomplete_build_is_refused_and_published_file_untouched(tmp_path):
    published = tmp_path / "registry.duckdb"
    good = start_build(published, "good")
    fill_minimal_build(good, "good")
    publish(good, published, run_record("good"))
    before = published.read_bytes()

    bad = start_build(published, "bad")
    with duckdb.connect(str(bad)) as con:
        con.execute("create schema marts; create table marts.dim_patient as select 1 as x")
    with pytest.raises(PublishError, match="analysis.km_summary"):
        publish(bad, published, run_record("bad"))
    assert published.read_bytes() == before


def test_start_build_removes_stale_builds_of_crashed_runs(tmp_path):
    published = tmp_path / "registry.duckdb"
    stale = build_path(published, "crashed")
    stale.write_bytes(b"half written")
    stale.with_name(stale.name + ".wal").write_bytes(b"wal")
    fresh = start_build(published, "next")
    assert not stale.exists()
    assert fresh.exists()
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600
