"""Publish: swap the verified build in for the published warehouse, atomically."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.assets.analysis import ANALYSIS_TABLES
from orchestration.assets.feedback import FEEDBACK_KEYS
from orchestration.code_version import code_version
from orchestration.exports import identify_export
from orchestration.ingest.pseudonym import key_id
from orchestration.publish import RunRecord, publish
from orchestration.resources import RefreshConfig, WarehouseResource
from orchestration.writer import WRITER_POOL


@dg.asset(
    key="published_warehouse",
    deps=[dg.AssetKey(["analysis", name]) for name in ANALYSIS_TABLES] + FEEDBACK_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    pool=WRITER_POOL,
)
def published_warehouse(
    context: dg.AssetExecutionContext, config: RefreshConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The warehouse analysts query (RLT_WAREHOUSE), replaced only after ingest, dbt build and analysis
    succeeded. Records the run (export, settings, code version) in audit.runs."""
    export = identify_export(Path(config.export_path))
    if export is None:
        raise dg.Failure(f"{config.export_path}: manifest.json is missing or unreadable")
    started = datetime.fromtimestamp(context.instance.get_run_stats(context.run.run_id).start_time or 0, UTC)
    published = warehouse.published()
    publish(
        warehouse.build(context.run.run_id),
        published,
        RunRecord(
            export_id=export.export_id,
            started_at=started,
            code_version=code_version(),
            settings_json=config.clinical_settings().to_json(),
            export_fingerprint=export.fingerprint,
            pseudonym_key_id=key_id(),
        ),
    )
    return dg.MaterializeResult(
        metadata={"path": str(published), "export_id": export.export_id, "code_version": code_version()}
    )
