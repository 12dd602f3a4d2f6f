"""Analysts query the published warehouse while a refresh runs and publishes: never an error, never a
half-built state — every answer comes from the old or the new snapshot."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time

import duckdb

from orchestration.refresh import run_refresh
from orchestration.settings import ClinicalSettings

READER = textwrap.dedent(
    """
    import json, sys, time, duckdb
    path, stop, out = sys.argv[1:4]
    answers, errors = [], []
    import os
    while not os.path.exists(stop):
        try:
            with duckdb.connect(path, read_only=True) as con:
                answers.append(con.execute(
                    "select m.export_id, (select count(*) from marts.dim_patient), "
                    "(select count(*) from analysis.km_summary) from raw.export_manifest m").fetchone())
        except Exception as exc:  # any reader error is a test failure
            errors.append(repr(exc))
    json.dump({"answers": answers, "errors": errors}, open(out, "w"))
    """
)


def _snapshot(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return list(
            con.execute(
                "select m.export_id, (select count(*) from marts.dim_patient), "
                "(select count(*) from analysis.km_summary) from raw.export_manifest m"
            ).fetchone()
        )


def test_readers_see_old_or_new_snapshot_during_refresh(refreshed, tmp_path):
    from orchestration.synthetic import generate_export

    published = tmp_path / "registry.duckdb"
    shutil.copy(refreshed.published, published)
    old = _snapshot(published)
    second = generate_export(tmp_path / "second", patients=90, seed=12)

    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop), str(out)])
    try:
        time.sleep(0.5)
        run_refresh(second, published, ClinicalSettings(), render_reports=False)
        time.sleep(0.5)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    new = _snapshot(published)
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert old != new
    assert len(result["answers"]) > 10
    assert all(answer in (old, new) for answer in result["answers"])
    assert result["answers"][-1] == new
