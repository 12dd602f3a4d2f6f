"""Schedule and sensor decisions, evaluated with Dagster's context builders."""

from __future__ import annotations

import shutil

import dagster as dg

from orchestration.automation import build_nightly_schedule, new_export_sensor
from orchestration.resources import WarehouseResource


def _resource(tmp_path, published=None):
    return WarehouseResource(
        warehouse_path=str(published or tmp_path / "none.duckdb"), inbox_path=str(tmp_path / "inbox")
    )


def test_sensor_starts_one_run_per_new_export_even_if_seen_twice(small_export, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copytree(small_export, inbox / "export-a")
    shutil.make_archive(str(inbox / "export-a-copy"), "zip", small_export)  # same content as a zip
    warehouse = _resource(tmp_path)
    context = dg.build_sensor_context(resources={"warehouse": warehouse})
    result = new_export_sensor(context)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.run_config["resources"]["refresh"]["config"]["settings"]["psa_progression_rule"] == "pcwg3"
    # the next tick, with the cursor of the first, starts nothing
    again = new_export_sensor(
        dg.build_sensor_context(cursor=result.cursor, resources={"warehouse": warehouse})
    )
    assert isinstance(again, dg.SkipReason)


def test_sensor_and_schedule_skip_an_export_already_published(refreshed, small_export, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copytree(small_export, inbox / "export")
    warehouse = _resource(tmp_path, refreshed.published)
    assert isinstance(
        new_export_sensor(dg.build_sensor_context(resources={"warehouse": warehouse})), dg.SkipReason
    )
    schedule = build_nightly_schedule("0 2 * * *")
    outcome = schedule(dg.build_schedule_context(resources={"warehouse": warehouse}))
    assert isinstance(outcome, dg.SkipReason)


def test_schedule_requests_the_newest_export(small_export, tmp_path):
    (tmp_path / "inbox").mkdir()
    shutil.copytree(small_export, tmp_path / "inbox" / "export")
    schedule = build_nightly_schedule("30 1 * * *")
    assert schedule.cron_schedule == "30 1 * * *"
    outcome = schedule(dg.build_schedule_context(resources={"warehouse": _resource(tmp_path)}))
    assert isinstance(outcome, dg.RunRequest)
    assert outcome.run_config["resources"]["refresh"]["config"]["export_path"].endswith("export")


def test_empty_inbox_skips(tmp_path):
    schedule = build_nightly_schedule("0 2 * * *")
    assert isinstance(
        schedule(dg.build_schedule_context(resources={"warehouse": _resource(tmp_path)})), dg.SkipReason
    )


def test_nightly_schedule_follows_rlt_refresh_cron(monkeypatch):
    from orchestration.definitions import defs as load_definitions

    monkeypatch.delenv("RLT_REFRESH_CRON", raising=False)
    assert load_definitions().resolve_schedule_def("nightly_refresh").cron_schedule == "0 2 * * *"
    monkeypatch.setenv("RLT_REFRESH_CRON", "15 3 * * *")
    assert load_definitions().resolve_schedule_def("nightly_refresh").cron_schedule == "15 3 * * *"
