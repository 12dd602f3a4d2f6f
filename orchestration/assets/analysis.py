"""Analysis group: Kaplan–Meier, paired lab tests, log-rank and Table 1 written to `analysis.*`."""

import dagster as dg

from orchestration.analysis import build_analysis_tables
from orchestration.faults import checkpoint
from orchestration.resources import WarehouseResource
from orchestration.writer import WRITER_POOL, connect_build

MART_KEYS = [
    dg.AssetKey(["marts", name])
    for name in (
        "dim_patient",
        "fct_survival",
        "fct_toxicity",
        "fct_rlt_cycle",
        "cohorts",
        "cohort_membership",
    )
]
ANALYSIS_TABLES = (
    "km_curve",
    "km_risk_table",
    "km_summary",
    "lab_before_after",
    "cohort_comparison",
    "table1",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["analysis", name], deps=MART_KEYS, kinds={"python", "duckdb"})
        for name in ANALYSIS_TABLES
    ],
    group_name="analysis",
    pool=WRITER_POOL,
)
def analysis_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Statistics per clinical-rules.md from the marts of this run's build database.

    Kaplan–Meier per cohort and endpoint (median by R's midpoint rule, log-log CI), number at risk,
    paired t / Shapiro–Wilk / Wilcoxon for labs before and after, log-rank between disjoint cohorts, and
    Table 1 rows as printed.
    """
    build = warehouse.build(context.run.run_id)
    with connect_build(build) as con:
        rows = build_analysis_tables(con)
        checkpoint("analysis")
        medians = con.execute(
            "select cohort || ' ' || endpoint, median_months from analysis.km_summary order by 1"
        ).fetchall()
        patients = con.execute("select cohort, n_patients from marts.cohorts order by cohort").fetchall()
    for name in ANALYSIS_TABLES:
        metadata: dict[str, object] = {"rows": rows.get(name, 0)}
        if name == "km_summary":
            metadata["median_months"] = {k: (None if v is None else round(v, 2)) for k, v in medians}
        if name == "table1":
            metadata["patients_per_cohort"] = dict(patients)
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["analysis", name]), metadata=metadata)
