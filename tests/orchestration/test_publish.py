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


def _publish_patients(published, run_id, n, **kwargs):
    """A minimal build whose marts.dim_patient holds `n` patients, published."""
    build = start_build(published, run_id)
    fill_minimal_build(build, run_id)
    with duckdb.connect(str(build)) as con:
        con.execute(
            "create or replace table marts.dim_patient as select range as patient_id from range(?)", [n]
        )
    publish(build, published, run_record(run_id), **kwargs)


def test_shrink_by_more_than_half_is_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("RLT_MAX_SHRINK", raising=False)
    published = tmp_path / "registry.duckdb"
    _publish_patients(published, "full", 100)
    _publish_patients(published, "half", 50)  # exactly half gone: allowed (not *more* than half)
    before = published.read_bytes()
    with pytest.raises(PublishError, match=r"from 50 to 24 patients.*--allow-shrink"):
        _publish_patients(published, "emptied", 24)
    assert published.read_bytes() == before
    _publish_patients(published, "meant", 0, allow_shrink=True)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_patient").fetchone()[0] == 0


def test_rlt_max_shrink_sets_the_limit(tmp_path, monkeypatch):
    published = tmp_path / "registry.duckdb"
    _publish_patients(published, "full", 100)
    monkeypatch.setenv("RLT_MAX_SHRINK", "0.1")
    with pytest.raises(PublishError, match="from 100 to 89 patients"):
        _publish_patients(published, "minus-11", 89)
    _publish_patients(published, "minus-10", 90)
    monkeypatch.setenv("RLT_MAX_SHRINK", "half")
    with pytest.raises(PublishError, match="RLT_MAX_SHRINK='half' is not a fraction"):
        _publish_patients(published, "bad-setting", 90)


def test_stale_builds_are_only_removed_under_the_lock(tmp_path, monkeypatch):
    """A build file of a live run in another process is never deleted: sweeping needs the warehouse
    lock, which that run holds (here: a child process holds it while we try)."""
    import subprocess
    import sys

    published = tmp_path / "registry.duckdb"
    live = build_path(published, "live")
    live.write_bytes(b"being written")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from orchestration import warehouse_lock as w; "
            f"w.acquire(Path({str(published)!r})); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        from orchestration.publish import remove_stale_builds
        from orchestration.warehouse_lock import LockTimeout, warehouse_lock_level

        with (
            pytest.raises(LockTimeout, match=f"another refresh \\(pid {holder.pid}\\)"),
            warehouse_lock_level(published, timeout=0.5),
        ):
            pass
        monkeypatch.setenv("RLT_LOCK_TIMEOUT", "0.5")
        with pytest.raises(LockTimeout):
            remove_stale_builds(published)
        monkeypatch.delenv("RLT_LOCK_TIMEOUT")
        assert live.exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead: the kernel released its lock, and its build file is now stale
    from orchestration.publish import remove_stale_builds

    assert remove_stale_builds(published) == [live]


def test_dagster_failure_hook_removes_the_failed_runs_build_and_wal(tmp_path):
    """Runs launched by Dagster (schedule, sensor, Launchpad): a failed step removes its run's build and
    .wal at once and gives up the lock; another run's build (a later one) is not touched."""
    import dagster as dg

    from orchestration.assets.publish import remove_failed_build
    from orchestration.definitions import jobs, refresh_assets
    from orchestration.resources import WarehouseResource
    from orchestration.warehouse_lock import held

    published = tmp_path / "registry.duckdb"
    build = start_build(published, "failed-run")
    wal = build.with_name(build.name + ".wal")
    wal.write_bytes(b"wal")
    other = build_path(published, "other-run")
    other.write_bytes(b"not this run's")
    assert held(published)
    resource = WarehouseResource(warehouse_path=str(published))
    remove_failed_build(dg.build_hook_context(resources={"warehouse": resource}, run_id="failed-run"))
    assert not build.exists() and not wal.exists()
    assert other.exists()
    assert not held(published)
    refresh, statistics, _ = jobs(refresh_assets())
    assert remove_failed_build in refresh.hooks and remove_failed_build in statistics.hooks
