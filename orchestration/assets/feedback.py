"""Audit group: data-quality findings with their status since the last export, and what changed."""

import dagster as dg

from orchestration.assets.retry import deterministic
from orchestration.catalog import table_description
from orchestration.contract.tables import TABLES
from orchestration.feedback import build_feedback_tables
from orchestration.resources import WarehouseResource
from orchestration.writer import WRITER_POOL, connect_build

FEEDBACK_KEYS = [dg.AssetKey(["audit", "dq_findings"]), dg.AssetKey(["audit", "changes"])]
_UPSTREAM = [
    *(dg.AssetKey(["quarantine", name]) for name in TABLES),
    dg.AssetKey(["intermediate", "int_dq_warnings_detected"]),
    *(
        dg.AssetKey(["marts", name])
        for name in ("dim_patient", "cohort_membership", "fct_psa_response", "fct_survival", "fct_toxicity")
    ),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, deps=_UPSTREAM, kinds={"duckdb"}, description=table_description(*key.path))
        for key in FEEDBACK_KEYS
    ],
    group_name="audit",
    pool=WRITER_POOL,
)
def feedback_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """audit.dq_findings (quarantined rows and rule warnings, each new / open / resolved against the
    published warehouse, attached read-only) and audit.changes (per patient since that export)."""
    with (
        deterministic("data-quality findings", warehouse.published()),
        connect_build(warehouse.build(context.run.run_id)) as con,
    ):
        summary = build_feedback_tables(con, warehouse.published())
    context.log.info(summary.format())
    yield dg.MaterializeResult(
        asset_key=FEEDBACK_KEYS[0],
        metadata={"previous_export_id": summary.previous_export_id or "", **summary.findings_by_status},
    )
    yield dg.MaterializeResult(
        asset_key=FEEDBACK_KEYS[1],
        metadata={"previous_export_id": summary.previous_export_id or "", **summary.changes_by_item},
    )
