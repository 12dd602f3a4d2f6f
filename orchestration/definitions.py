"""The one Dagster entry point: assets, checks, job, schedule, sensor and resources."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.analysis import analysis_tables
from orchestration.assets.feedback import feedback_tables
from orchestration.assets.ingest import registry_export, registry_raw
from orchestration.assets.publish import published_warehouse
from orchestration.assets.reports import cohort_reports
from orchestration.assets.transform import dbt_models
from orchestration.automation import REFRESH_JOB, build_nightly_schedule, new_export_sensor, nightly_cron
from orchestration.resources import WarehouseResource

REFRESH_ASSETS = [
    registry_raw,
    dbt_models,
    analysis_tables,
    feedback_tables,
    published_warehouse,
    cohort_reports,
]

refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.assets(*REFRESH_ASSETS),
    description="Load an export, dbt build, statistics, publish atomically, render reports.",
    executor_def=dg.in_process_executor,
    op_retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
)


def resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(),
    }


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded lazily by Dagster's tools, so RLT_REFRESH_CRON is read when the code location loads, not at
    import."""
    return dg.Definitions(
        assets=[registry_export, *REFRESH_ASSETS],
        jobs=[refresh_job],
        schedules=[build_nightly_schedule(nightly_cron())],
        sensors=[new_export_sensor],
        resources=resources(),
    )
