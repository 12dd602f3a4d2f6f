"""The refresh asset graph end to end: definitions, in-process run, publish rules, skip, failure."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat

import duckdb
import pytest

from orchestration.refresh import RefreshFailed, run_refresh
from orchestration.settings import ClinicalSettings


def test_definitions_load_with_every_group():
    import dagster as dg

    from orchestration.definitions import defs as load_definitions

    defs = load_definitions()
    job = defs.resolve_job_def("registry_refresh")
    assert job is not None
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    for expected in (
        "raw/lab_results",
        "marts/dim_patient",
        "marts/fct_survival",
        "analysis/km_summary",
        "analysis/table1",
        "published_warehouse",
        "cohort_reports",
        "registry_export",
    ):
        assert expected in keys
    checks = defs.resolve_asset_graph().asset_check_keys
    assert any(c.asset_key == dg.AssetKey(["marts", "fct_survival"]) for c in checks), "dbt tests as checks"


def test_refresh_publishes_every_schema(refreshed):
    assert not refreshed.skipped
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        schemas = {
            r[0]
            for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
        assert {"raw", "quarantine", "staging", "intermediate", "marts", "analysis", "audit"} <= schemas
        runs = con.execute("select export_id, settings, code_version from audit.runs").fetchall()
        n_all = con.execute("select n_patients from marts.cohorts where cohort = 'all'").fetchone()[0]
        n_dim = con.execute("select count(*) from marts.dim_patient").fetchone()[0]
    assert len(runs) == 1
    assert json.loads(runs[0][1])["psa_progression_rule"] == "pcwg3"
    assert n_all == n_dim > 100
    assert stat.S_IMODE(os.stat(refreshed.published).st_mode) == 0o600
    assert not list(refreshed.published.parent.glob("*.building-*")), "no build file left behind"


def test_same_export_again_is_skipped(refreshed, small_export):
    again = run_refresh(small_export, refreshed.published, ClinicalSettings(), render_reports=False)
    assert again.skipped


def _rewrite_manifest(export):
    manifest = json.loads((export / "manifest.json").read_text())
    for name, meta in manifest["files"].items():
        data = (export / name).read_bytes()
        meta["sha256"] = hashlib.sha256(data).hexdigest()
    (export / "manifest.json").write_text(json.dumps(manifest, indent=2))


def test_failing_dbt_test_stops_publish_and_keeps_previous_warehouse(
    refreshed, small_export, tmp_path, monkeypatch
):
    """A dbt data test that fails stops the publish. No single bad cell of an export can make one fail any
    more (ingestion quarantines it: issue 16.4), so the failure is forced: ingestion's age derivation
    patched to give every cycle an age of -1, which int_patients_indexed's age_at_t0 range test refuses."""
    published = tmp_path / "registry.duckdb"
    shutil.copy(refreshed.published, published)
    before = published.read_bytes()
    import polars as pl

    from orchestration.ingest import validation

    monkeypatch.setattr(validation, "full_years", lambda born, on: pl.lit(-1, pl.Int32))
    bad = small_export

    with pytest.raises(RefreshFailed, match="dbt"):
        run_refresh(bad, published, ClinicalSettings(), render_reports=False, force=True)
    assert published.read_bytes() == before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_patient").fetchone()[0] > 0
    assert not list(tmp_path.glob("*.building-*.wal"))


def test_export_failing_as_a_whole_names_the_file(refreshed, small_export, tmp_path):
    published = tmp_path / "registry.duckdb"
    shutil.copy(refreshed.published, published)
    before = published.read_bytes()
    bad = tmp_path / "tampered"
    shutil.copytree(small_export, bad)
    with open(bad / "vital_status.csv", "a", encoding="utf-8") as f:
        f.write("P999999,2024-01-01,\n")  # the manifest's checksum no longer matches
    # no force: the manifest is unchanged, but the skip check hashes the files, so this is not taken for
    # the export already published (issue 18.9)
    with pytest.raises(RefreshFailed, match="vital_status"):
        run_refresh(bad, published, ClinicalSettings(), render_reports=False)
    assert published.read_bytes() == before


def test_settings_reach_dbt(refreshed, small_export, tmp_path, monkeypatch):
    """--set psa_progression_rule=rise25 is recorded with the run and changes what dbt computes. The export
    is read once, ahead of the run (orchestration/ingest/read_ahead.py), and the load takes that read."""
    from orchestration.ingest import loader

    reads = []
    real = loader.read_export
    monkeypatch.setattr(loader, "read_export", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    published = tmp_path / "rise25.duckdb"
    run_refresh(
        small_export,
        published,
        ClinicalSettings().with_overrides(["psa_progression_rule=rise25"]),
        render_reports=False,
    )
    query = (
        "select count(*) from marts.fct_survival where endpoint = 'pfs' and event_type = 'psa_progression'"
    )
    with duckdb.connect(str(published), read_only=True) as con:
        rise25 = con.execute(query).fetchone()[0]
        recorded = json.loads(con.execute("select settings from audit.runs").fetchone()[0])
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        pcwg3 = con.execute(query).fetchone()[0]
    assert recorded["psa_progression_rule"] == "rise25"
    assert reads == [small_export]
    # rise25 drops PCWG3's +2 ng/mL, confirmation and 12-week conditions, so it finds at least as many
    # progressions, and on a registry with early rises strictly more.
    assert rise25 > pcwg3
