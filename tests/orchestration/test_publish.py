import os
import stat

import duckdb
import pytest

from orchestration.publish import (
    REQUIRED_TABLES,
    PublishError,
    RunRecord,
    build_path,
    publish,
    published_run,
    start_build,
)


def _fill(build, marker: str) -> None:
    with duckdb.connect(str(build)) as con:
        for schema, table in REQUIRED_TABLES:
            con.execute(f"create schema if not exists {schema}")
            if (schema, table) == ("raw", "export_manifest"):
                con.execute(
                    "create table raw.export_manifest as "
                    "select ? as export_id, date '2024-09-15' as data_cutoff, 'TEST' as registry",
                    [marker],
                )
            else:
                con.execute(f"create table {schema}.{table} as select ? as marker", [marker])


def _run(export_id: str) -> RunRecord:
    from datetime import UTC, datetime

    return RunRecord(export_id, datetime(2024, 9, 16, 2, tzinfo=UTC), "test+0", '{"a": 1}', "fp-" + export_id)


def test_publish_swaps_in_the_build_and_keeps_run_history(tmp_path):
    published = tmp_path / "registry.duckdb"
    for n in (1, 2):
        build = start_build(published, f"run{n}")
        assert build.parent == published.parent
        _fill(build, f"export-{n}")
        publish(build, published, _run(f"export-{n}"))
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
    _fill(good, "good")
    publish(good, published, _run("good"))
    before = published.read_bytes()

    bad = start_build(published, "bad")
    with duckdb.connect(str(bad)) as con:
        con.execute("create schema marts; create table marts.dim_patient as select 1 as x")
    with pytest.raises(PublishError, match="analysis.km_summary"):
        publish(bad, published, _run("bad"))
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
