"""Publish: swap the verified build in for the published warehouse, atomically."""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from orchestration.assets.analysis import ANALYSIS_KEYS
from orchestration.assets.failures import deterministic, final, require_build
from orchestration.catalog import table_description
from orchestration.code_version import code_version
from orchestration.dictionary import all_entries, comment_build
from orchestration.exports import fingerprint_of
from orchestration.ingest.pseudonym import key_id
from orchestration.publish import RunRecord, publish
from orchestration.resources import RefreshRun, WarehouseResource
from orchestration.writer import WRITER_POOL

RUNS_KEY = dg.AssetKey(["audit", "runs"])
CURRENT_RUN_KEY = dg.AssetKey(["audit", "current_run"])


def loaded_export(build) -> tuple[str, str]:
    """(export_id, fingerprint) of what the build actually loaded: raw.export_manifest and the
    checksums in audit.export_loads, never the run config."""
    with duckdb.connect(str(build), read_only=True) as con:
        row = con.execute("select export_id from raw.export_manifest").fetchone()
        checksums = con.execute("select file, sha256 from audit.export_loads").fetchall()
    if row is None:
        raise final(f"{build.name} holds no raw.export_manifest row: nothing was loaded")
    return row[0], fingerprint_of(row[0], [(f, s) for f, s in checksums])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RUNS_KEY, deps=ANALYSIS_KEYS, kinds={"duckdb"}, description=table_description("audit", "runs")
        ),
        dg.AssetSpec(
            CURRENT_RUN_KEY,
            deps=[RUNS_KEY],
            kinds={"duckdb"},
            description=table_description("audit", "current_run"),
        ),
        dg.AssetSpec(
            "published_warehouse",
            deps=[RUNS_KEY],
            kinds={"duckdb"},
            description="The warehouse analysts query (RLT_WAREHOUSE), replaced atomically only after "
            "ingest, dbt build and the statistics succeeded.",
        ),
    ],
    group_name="publish",
    pool=WRITER_POOL,
)
def published_warehouse(context: dg.AssetExecutionContext, refresh: RefreshRun, warehouse: WarehouseResource):
    """Record the run in audit.runs and swap the build in for the published warehouse.

    audit.runs names what this run loaded (raw.export_manifest) and the settings it passed to dbt (the
    run's one `refresh` resource), so the record and the reports cannot name another export."""
    build = require_build(warehouse.build(context.run.run_id), "publishing")
    export_id, fingerprint = loaded_export(build)
    started = datetime.fromtimestamp(context.instance.get_run_stats(context.run.run_id).start_time or 0, UTC)
    published = warehouse.published()
    with deterministic("publishing"):
        publish(
            build,
            published,
            RunRecord(
                export_id=export_id,
                started_at=started,
                code_version=code_version(),
                settings_json=refresh.settings.to_json(),
                export_fingerprint=fingerprint,
                pseudonym_key_id=key_id(),
            ),
            # the data dictionary's descriptions as COMMENTs, so analysts read them in the warehouse
            describe=lambda con: comment_build(con, all_entries()),
        )
    yield dg.MaterializeResult(asset_key=RUNS_KEY, metadata={"export_id": export_id})
    yield dg.MaterializeResult(asset_key=CURRENT_RUN_KEY, metadata={"export_id": export_id})
    yield dg.MaterializeResult(
        asset_key="published_warehouse",
        metadata={"path": str(published), "export_id": export_id, "code_version": code_version()},
    )
