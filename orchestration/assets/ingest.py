"""Ingest group: the export files, and the raw, quarantine and audit tables loaded from them."""

from pathlib import Path

import dagster as dg

from orchestration.contract.tables import TABLES
from orchestration.faults import checkpoint
from orchestration.ingest import load_export
from orchestration.publish import start_build
from orchestration.redcap.inbox import imported, record_import
from orchestration.resources import RefreshConfig, WarehouseResource
from orchestration.writer import WRITER_POOL, connect_build

registry_export = dg.AssetSpec(
    key="registry_export",
    group_name="ingest",
    description="A registry export (folder or zip with manifest.json) in the inbox, per export-contract.md.",
    kinds={"csv", "parquet"},
)

RAW_KEYS = [dg.AssetKey(["raw", name]) for name in TABLES] + [dg.AssetKey(["raw", "export_manifest"])]
AUDIT_KEYS = [dg.AssetKey(["audit", "export_loads"]), dg.AssetKey(["audit", "quarantine_summary"])]
QUARANTINE_KEY = dg.AssetKey(["quarantine", "rows"])


@dg.multi_asset(
    specs=[dg.AssetSpec(key, deps=[registry_export], kinds={"duckdb"}) for key in RAW_KEYS]
    + [dg.AssetSpec(key, deps=[registry_export], kinds={"duckdb"}) for key in AUDIT_KEYS]
    + [
        dg.AssetSpec(
            QUARANTINE_KEY,
            deps=[registry_export],
            kinds={"duckdb"},
            description="Rows set aside, one quarantine table per contract table, with reasons.",
        )
    ],
    group_name="ingest",
    pool=WRITER_POOL,
)
def registry_raw(context: dg.AssetExecutionContext, config: RefreshConfig, warehouse: WarehouseResource):
    """Validate the export and load it into a new build database beside the published warehouse.

    Loaded rows go to raw.<table> with lineage; bad rows to quarantine.<table> with column and reason;
    per-file accounting to audit.export_loads. An export that fails as a whole raises with one message
    naming the file, and nothing is published.
    """
    build = start_build(warehouse.published(), context.run.run_id)
    # a REDCap export is imported into a contract export first (orchestration/redcap)
    with (
        imported(Path(config.export_path), warehouse.published()) as (export, redcap),
        connect_build(build) as con,
    ):
        if redcap is not None:
            context.log.info(redcap.format(details=False))
        summary = load_export(export, con, progress=context.log.info)
        if redcap is not None:
            record_import(con, redcap)
        checkpoint("ingest")
    context.log.info(summary.format())
    by_table = {counts.table: counts for counts in summary.files.values()}
    total_loaded = sum(f.rows_loaded for f in summary.files.values())
    total_quarantined = sum(f.rows_quarantined for f in summary.files.values())
    for key in RAW_KEYS + AUDIT_KEYS + [QUARANTINE_KEY]:
        counts = by_table.get(key.path[-1]) if key.path[0] == "raw" else None
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
        else:
            metadata |= {"rows_loaded": total_loaded, "rows_quarantined": total_quarantined}
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
