"""The Dagster definitions: one settings model given once, one job, a lineage that is the warehouse's."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from orchestration.definitions import build_defs
from orchestration.resources import WarehouseResource, refresh_run_config
from orchestration.settings import ClinicalSettings

PROJECT = Path(__file__).resolve().parents[2]
SETTING_NAMES = set(ClinicalSettings.model_fields)


def _defs(tmp_path: Path, published: Path | None = None) -> dg.Definitions:
    return build_defs(
        WarehouseResource(
            warehouse_path=str(published or tmp_path / "registry.duckdb"),
            reports_dir=str(tmp_path / "reports"),
        )
    )


def test_dbt_project_var_defaults_are_the_settings_model_defaults():
    project = yaml.safe_load((PROJECT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"] == ClinicalSettings().as_dbt_vars()


def _paths_to(config_type, name: str, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path in a run config schema that ends in a field called `name`."""
    found = []
    for field_name, field in (getattr(config_type, "fields", None) or {}).items():
        here = (*path, field_name)
        if field_name == name:
            found.append(here)
        found += _paths_to(field.config_type, name, here)
    return found


def test_the_launchpad_asks_for_each_setting_once_and_offers_the_choices(tmp_path):
    job = _defs(tmp_path).resolve_job_def("registry_refresh")
    schema = job.run_config_schema.config_type
    for name in [*SETTING_NAMES, "export_path"]:
        paths = _paths_to(schema, name)
        assert len(paths) == 1, (name, paths)
        assert paths[0][:3] == ("resources", "refresh", "config")
    rule = schema.fields["resources"].config_type.fields["refresh"].config_type.fields["config"]
    rule_type = rule.config_type.fields["settings"].config_type.fields["psa_progression_rule"].config_type
    assert sorted(v.config_value for v in rule_type.enum_values) == ["pcwg3", "rise25"]


def test_a_launch_with_a_second_copy_of_the_settings_is_refused(tmp_path, small_export):
    """The old shape (settings in an op's config besides the resource) cannot be launched."""
    job = _defs(tmp_path).resolve_job_def("registry_refresh")
    config = refresh_run_config(small_export, ClinicalSettings())
    config["ops"] = {"dbt_models": {"config": {"psa_progression_rule": "rise25"}}}
    assert dg.validate_run_config(job, refresh_run_config(small_export, ClinicalSettings())) is not None
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, config)


def test_a_choice_outside_the_enum_is_refused_before_launch(tmp_path, small_export):
    job = _defs(tmp_path).resolve_job_def("registry_refresh")
    config = refresh_run_config(small_export, ClinicalSettings())
    config["resources"]["refresh"]["config"]["settings"]["psa_progression_rule"] = "rise26"
    with pytest.raises(dg.DagsterInvalidConfigError, match="rise26"):
        job.execute_in_process(run_config=config)
    assert not (tmp_path / "registry.duckdb").exists()


def _step_events(result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.event_type_value for e in result.all_events if e.event_type_value.startswith("STEP_")]


def test_a_bad_export_fails_once_with_its_cause(tmp_path, small_export):
    """A checksum mismatch cannot pass on a retry: no STEP_UP_FOR_RETRY, the failure names the file."""
    bad = tmp_path / "tampered"
    shutil.copytree(small_export, bad)
    with open(bad / "vital_status.csv", "a", encoding="utf-8") as f:
        f.write("P999999,2024-01-01,\n")
    job = _defs(tmp_path).resolve_job_def("registry_refresh")
    result = job.execute_in_process(
        run_config=refresh_run_config(bad, ClinicalSettings()), raise_on_error=False
    )
    assert not result.success
    events = _step_events(result)
    assert "STEP_UP_FOR_RETRY" not in events and events.count("STEP_FAILURE") == 1
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "vital_status" in failure.step_failure_data.user_failure_data.description
    assert not (tmp_path / "registry.duckdb").exists(), "nothing published"


def test_a_setting_out_of_range_fails_the_run_without_retry(tmp_path, small_export):
    job = _defs(tmp_path).resolve_job_def("registry_refresh")
    config = refresh_run_config(small_export, ClinicalSettings())
    config["resources"]["refresh"]["config"]["settings"]["post_window_days"] = -5
    result = job.execute_in_process(run_config=config, raise_on_error=False)
    assert not result.success
    assert "STEP_UP_FOR_RETRY" not in _step_events(result)
    assert not (tmp_path / "registry.duckdb").exists()


def test_published_provenance_is_what_the_build_loaded(tmp_path, small_export):
    """audit.runs takes the export id from the build's raw.export_manifest; an export_path that no longer
    holds that export is refused rather than recorded."""
    from orchestration.assets.publish import loaded_export_id, loaded_fingerprint
    from orchestration.exports import identify_export
    from orchestration.resources import RefreshRun

    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.export_manifest as select 'EXP-LOADED' as export_id")
    assert loaded_export_id(build) == "EXP-LOADED"
    warehouse = WarehouseResource(warehouse_path=str(tmp_path / "registry.duckdb"))
    other = RefreshRun(export_path=str(small_export))
    with pytest.raises(dg.Failure, match="changed while the run loaded it"):
        loaded_fingerprint(build, "EXP-LOADED", other, warehouse)
    real = identify_export(small_export)
    assert loaded_fingerprint(build, real.export_id, other, warehouse) == real.fingerprint


def test_every_asset_and_check_has_a_description(tmp_path):
    graph = _defs(tmp_path).resolve_asset_graph()
    missing = [
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if not (graph.get(key).description or "").strip()
    ]
    assert missing == []
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    assert specs, "dbt data tests appear as checks"
    assert [s.key for s in specs if not (s.description or "").strip()] == []
    seeds = [graph.get(k) for k in graph.get_all_asset_keys() if k.path[0] == "seeds"]
    assert seeds and all("Seed: dbt_project/seeds/" in (n.description or "") for n in seeds)


def test_the_graph_is_the_warehouse(refreshed, tmp_path):
    """Every table or view of the published warehouse is an asset, and every two-part asset key a table."""
    graph_tables = {tuple(key.path) for key in _defs(tmp_path).resolve_all_asset_keys() if len(key.path) == 2}
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        warehouse_tables = set(
            con.execute(
                "select table_schema, table_name from information_schema.tables where table_catalog = "
                "current_database()"
            ).fetchall()
        )
    assert graph_tables == warehouse_tables
    from orchestration.assets.analysis import tables_read

    assert dg.AssetKey(["marts", "fct_psa_response"]) in tables_read()


def test_reports_render_as_a_run_of_their_own(refreshed, tmp_path):
    published = tmp_path / "registry.duckdb"
    shutil.copy(refreshed.published, published)
    job = _defs(tmp_path, published).resolve_job_def("render_reports")
    result = job.execute_in_process(run_config={})  # no export_path demanded
    assert result.success
    assert list((tmp_path / "reports").glob("*/all.html"))


def test_statistics_recompute_from_the_published_warehouse(refreshed, tmp_path):
    published = tmp_path / "registry.duckdb"
    shutil.copy(refreshed.published, published)
    with duckdb.connect(str(published), read_only=True) as con:
        before = con.execute("select * from analysis.km_summary order by all").fetchall()
    defs = _defs(tmp_path, published)
    result = defs.resolve_job_def("refresh_statistics").execute_in_process(
        run_config=refresh_run_config(None, ClinicalSettings(), render_reports=False)
    )
    assert result.success
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select * from analysis.km_summary order by all").fetchall() == before
        runs = con.execute("select export_id from audit.runs order by finished_at").fetchall()
        current = con.execute("select export_id, finished_at from audit.current_run").fetchall()
    assert len(runs) == 2 and runs[0] == runs[1] == (refreshed.export_id,)
    assert len(current) == 1 and current[0][0] == refreshed.export_id
    # other settings need dbt: refused with what to run instead
    other = defs.resolve_job_def("refresh_statistics").execute_in_process(
        run_config=refresh_run_config(
            None, ClinicalSettings().with_overrides(["psa_progression_rule=rise25"]), False
        ),
        raise_on_error=False,
    )
    assert not other.success
    failure = next(e for e in other.all_events if e.event_type_value == "STEP_FAILURE")
    assert "registry_refresh" in failure.step_failure_data.user_failure_data.description


def test_dbt_alone_is_refused_with_what_to_run(tmp_path):
    defs = _defs(tmp_path)
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(["marts", "dim_patient"])}
    )
    result = job.execute_in_process(run_config={}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "registry_refresh" in failure.step_failure_data.user_failure_data.description
    assert "STEP_UP_FOR_RETRY" not in _step_events(result)
