"""The one Dagster entry point: assets, checks, jobs, schedule, sensor and resources.

`rlt refresh` runs the `registry_refresh` job of these same definitions (built by `build_defs` with the
CLI's warehouse paths), so the CLI, the schedule and the sensor run one job. The dbt assets are built
when the definitions are (they need the parsed dbt project), never at import.
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.analysis import analysis_tables
from orchestration.assets.feedback import feedback_tables
from orchestration.assets.ingest import registry_export, registry_raw
from orchestration.assets.publish import published_warehouse, remove_failed_build
from orchestration.assets.reports import cohort_reports
from orchestration.assets.retry import REFRESH_RETRY
from orchestration.automation import REFRESH_JOB, build_nightly_schedule, new_export_sensor, nightly_cron
from orchestration.progress import log_file_logger, progress_logger
from orchestration.resources import REFRESH_RESOURCE, RefreshRun, WarehouseResource

STATISTICS_JOB = "refresh_statistics"
REPORTS_JOB = "render_reports"


def refresh_assets() -> list[dg.AssetsDefinition]:
    from orchestration.assets.transform import dbt_models

    return [registry_raw, dbt_models, analysis_tables, feedback_tables, published_warehouse, cohort_reports]


def _asset_job(
    name: str, assets: list[dg.AssetsDefinition], description: str, *, writes: bool = True
) -> dg.UnresolvedAssetJobDefinition:
    """An in-process job of `assets`. A job that writes the warehouse retries transient errors only
    (deterministic ones raise dg.Failure(allow_retries=False)) and removes its build file when it fails."""
    return dg.define_asset_job(
        name,
        selection=dg.AssetSelection.assets(*assets),
        description=description,
        executor_def=dg.in_process_executor,
        op_retry_policy=REFRESH_RETRY if writes else None,
        hooks={remove_failed_build} if writes else None,
    )


def jobs(assets: list[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        _asset_job(
            REFRESH_JOB,
            assets,
            "Load an export, dbt build, statistics, publish atomically, render reports. Give the export "
            "and the clinical settings once, in the `refresh` resource's config.",
        ),
        _asset_job(
            STATISTICS_JOB,
            [analysis_tables, published_warehouse, cohort_reports],
            "Recompute the statistics from the published warehouse's marts (same settings), publish and "
            "re-render the reports. No export needed.",
        ),
        _asset_job(
            REPORTS_JOB,
            [cohort_reports],
            "Re-render every cohort report from the published warehouse. No export needed.",
            writes=False,
        ),
    ]


def build_defs(warehouse: WarehouseResource | None = None) -> dg.Definitions:
    """The definitions; `warehouse` fixes the paths (the CLI), else they come from the environment."""
    assets = refresh_assets()
    return dg.Definitions(
        assets=[registry_export, *assets],
        jobs=jobs(assets),
        schedules=[build_nightly_schedule(nightly_cron())],
        sensors=[new_export_sensor],
        resources={
            "warehouse": warehouse or WarehouseResource(),
            REFRESH_RESOURCE: RefreshRun.configure_at_launch(),
        },
        # used only when a run's config names them (the CLI); Dagster's console logger otherwise
        loggers={
            "progress": progress_logger,
            "log_file": log_file_logger,
            "console": dg.colored_console_logger,
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded lazily by Dagster's tools, so RLT_REFRESH_CRON is read when the code location loads, not at
    import."""
    return build_defs()
