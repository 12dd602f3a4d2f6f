"""Ingest group: the export files, and the raw, quarantine and audit tables loaded from them."""

from pathlib import Path

import dagster as dg

from orchestration.assets.retry import deterministic, final
from orchestration.catalog import INGEST_TABLES, table_description
from orchestration.faults import checkpoint
from orchestration.ingest import load_export
from orchestration.publish import start_build
from orchestration.redcap.inbox import create_import_table, imported, record_import
from orchestration.resources import RefreshRun, WarehouseResource
from orchestration.writer import WRITER_POOL, connect_build

registry_export = dg.AssetSpec(
    key="registry_export",
    group_name="ingest",
    description="A registry export (folder or zip with manifest.json) in the inbox, per export-contract.md.",
    kinds={"csv", "parquet"},
)

INGEST_KEYS = [dg.AssetKey([schema, name]) for schema, name in INGEST_TABLES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, deps=[registry_export], kinds={"duckdb"}, description=table_description(*key.path))
        for key in INGEST_KEYS
    ],
    group_name="ingest",
    pool=WRITER_POOL,
)
def registry_raw(context: dg.AssetExecutionContext, refresh: RefreshRun, warehouse: WarehouseResource):
    """Validate the export and load it into a new build database beside the published warehouse.

    Loaded rows go to raw.<table> with lineage; bad rows to quarantine.<table> with column and reason;
    per-file accounting to audit.export_loads. An export that fails as a whole raises with one message
    naming the file, and nothing is published.
    """
    if not refresh.export_path:
        raise final(
            "registry_raw needs the export to load: set export_path in the `refresh` resource's config "
            "(Launchpad: resources → refresh → config)"
        )
    with deterministic("loading the export", warehouse.published()):
        build = start_build(warehouse.published(), context.run.run_id)
        # a REDCap export is imported into a contract export first (orchestration/redcap)
        with (
            imported(Path(refresh.export_path), warehouse.published()) as (export, redcap),
            connect_build(build) as con,
        ):
            if redcap is not None:
                context.log.info(redcap.format(details=False))
            summary = load_export(export, con, progress=context.log.info)
            create_import_table(con)
            if redcap is not None:
                record_import(con, redcap)
            checkpoint("ingest")
    context.log.info(summary.format())
    by_table = {counts.table: counts for counts in summary.files.values()}
    for key in INGEST_KEYS:
        schema, name = key.path
        counts = by_table.get(name) if schema == "raw" else None
        metadata: dict[str, object] = {"export_id": summary.export_id}
        if counts is not None:
            metadata |= {
                "file": counts.file,
                "rows_read": counts.rows_read,
                "rows_loaded": counts.rows_loaded,
                "rows_quarantined": counts.rows_quarantined,
                "rows_duplicate": counts.rows_duplicate,
                "rows_excluded_consent": counts.rows_excluded_consent,
            }
        elif schema == "quarantine" and name in by_table:
            metadata["rows"] = by_table[name].rows_quarantined
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
