"""Publish: swap the verified build in for the published warehouse, atomically."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.assets.analysis import ANALYSIS_KEYS
from orchestration.assets.feedback import FEEDBACK_KEYS
from orchestration.assets.retry import deterministic, final, require_build
from orchestration.catalog import table_description
from orchestration.code_version import code_version
from orchestration.dictionary import all_entries, comment_build
from orchestration.exports import identify_export
from orchestration.publish import RunRecord, abandon_build, publish, published_run, warehouse_key_id
from orchestration.resources import RefreshRun, WarehouseResource
from orchestration.writer import WRITER_POOL

RUNS_KEY = dg.AssetKey(["audit", "runs"])
CURRENT_RUN_KEY = dg.AssetKey(["audit", "current_run"])


def loaded_export_id(build: Path) -> str:
    """The export id the build actually loaded (raw.export_manifest), never the run config's."""
    with duckdb.connect(str(build), read_only=True) as con:
        row = con.execute("select export_id from raw.export_manifest").fetchone()
    if row is None:
        raise final(f"{build.name} holds no raw.export_manifest row: nothing was loaded")
    return str(row[0])


def loaded_fingerprint(build: Path, export_id: str, refresh: RefreshRun, warehouse: WarehouseResource) -> str:
    """The fingerprint of the export the build holds.

    A statistics-only run (the build is a copy of the published file) keeps the published run's. A full
    refresh fingerprints the export at export_path, refusing to record it when it is no longer the one
    loaded (another export id, or files that no longer match their manifest)."""
    if not refresh.export_path:
        last = published_run(warehouse.published())
        if last is None or last["export_id"] != export_id:
            raise final("the build's export is not the published one: run registry_refresh")
        return str(last["export_fingerprint"])
    ref = identify_export(Path(refresh.export_path))
    if ref is None or ref.export_id != export_id or not ref.complete:
        raise final(
            f"{refresh.export_path} changed while the run loaded it (loaded {export_id}): nothing published; "
            "run the refresh again"
        )
    return ref.fingerprint


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RUNS_KEY,
            deps=[*ANALYSIS_KEYS, *FEEDBACK_KEYS],
            kinds={"duckdb"},
            description=table_description("audit", "runs"),
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
    export_id = loaded_export_id(build)
    fingerprint = loaded_fingerprint(build, export_id, refresh, warehouse)
    started = datetime.fromtimestamp(context.instance.get_run_stats(context.run.run_id).start_time or 0, UTC)
    published = warehouse.published()
    with deterministic("publishing", published):
        publish(
            build,
            published,
            RunRecord(
                export_id=export_id,
                started_at=started,
                code_version=code_version(),
                settings_json=refresh.settings.to_json(),
                export_fingerprint=fingerprint,
                pseudonym_key_id=warehouse_key_id(published),
            ),
            allow_shrink=warehouse.allow_shrink,
            # the data dictionary's descriptions as COMMENTs, so analysts read them in the warehouse
            describe=lambda con: comment_build(con, all_entries()),
        )
    yield dg.MaterializeResult(asset_key=RUNS_KEY, metadata={"export_id": export_id})
    yield dg.MaterializeResult(asset_key=CURRENT_RUN_KEY, metadata={"export_id": export_id})
    yield dg.MaterializeResult(
        asset_key="published_warehouse",
        metadata={"path": str(published), "export_id": export_id, "code_version": code_version()},
    )


@dg.failure_hook(required_resource_keys={"warehouse"})
def remove_failed_build(context: dg.HookContext) -> None:
    """A failed step of a refresh run: its build file and .wal are removed and the warehouse lock given
    up at once (not left until the next run)."""
    abandon_build(context.resources.warehouse.published(), context.run_id)
