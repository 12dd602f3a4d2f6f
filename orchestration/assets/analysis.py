"""Analysis group: Kaplan–Meier, paired lab tests, log-rank and Table 1 written to `analysis.*`."""

import os
import re
import shutil
from functools import cache
from pathlib import Path

import dagster as dg

import orchestration.analysis as analysis_package
from orchestration.analysis import build_analysis_tables
from orchestration.assets.retry import deterministic, final
from orchestration.catalog import analysis_tables as analysis_table_names
from orchestration.catalog import table_description
from orchestration.faults import checkpoint
from orchestration.publish import OWNER_ONLY, published_run, start_build
from orchestration.resources import RefreshRun, WarehouseResource
from orchestration.writer import WRITER_POOL, connect_build

_READ = re.compile(r"\b(marts|seeds)\.([a-z_][a-z0-9_]*)\b")


@cache
def tables_read() -> tuple[dg.AssetKey, ...]:
    """The marts and seeds the statistics read, taken from the SQL in the analysis package's source.

    Read from the code itself, so a mart the statistics start to read becomes a dependency without a
    hand-kept list."""
    found: set[tuple[str, str]] = set()
    for path in Path(analysis_package.__file__).parent.glob("*.py"):
        found |= set(_READ.findall(path.read_text(encoding="utf-8")))
    return tuple(dg.AssetKey([schema, name]) for schema, name in sorted(found))


ANALYSIS_KEYS = [dg.AssetKey(["analysis", name]) for name in analysis_table_names()]


def _build_from_published(run_id: str, warehouse: WarehouseResource, refresh: RefreshRun) -> None:
    """Statistics without a refresh: start this run's build as a copy of the published warehouse.

    Its marts were computed with the published run's settings, so other settings are refused: they
    need dbt, i.e. a full refresh."""
    published = warehouse.published()
    last = published_run(published)
    if last is None:
        raise final(f"no published warehouse at {published}: run registry_refresh (or `rlt refresh EXPORT`)")
    if last["settings"] != refresh.settings.as_dbt_vars():
        raise final(
            f"the published marts were computed with {last['settings']}; statistics with other settings "
            "need dbt: run registry_refresh with an export_path (or `rlt refresh EXPORT --set ...`)"
        )
    # the warehouse lock and stale-build sweep of a refresh, then the published file as the build
    build = start_build(published, run_id)
    shutil.copyfile(published, build)
    os.chmod(build, OWNER_ONLY)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key, deps=tables_read(), kinds={"python", "duckdb"}, description=table_description(*key.path)
        )
        for key in ANALYSIS_KEYS
    ],
    group_name="analysis",
    pool=WRITER_POOL,
)
def analysis_tables(context: dg.AssetExecutionContext, refresh: RefreshRun, warehouse: WarehouseResource):
    """Statistics per clinical-rules.md from the marts of this run's build database.

    Kaplan–Meier per cohort and endpoint (median by R's midpoint rule, log-log CI), number at risk,
    paired t / Shapiro–Wilk / Wilcoxon for labs before and after, log-rank between disjoint cohorts, and
    Table 1 rows as printed. Run without registry_raw (the refresh_statistics job), it recomputes them
    on a copy of the published warehouse.
    """
    build = warehouse.build(context.run.run_id)
    with deterministic("statistics", warehouse.published()):
        if not build.exists():
            _build_from_published(context.run.run_id, warehouse, refresh)
        with connect_build(build) as con:
            rows = build_analysis_tables(con)
            checkpoint("analysis")
            medians = con.execute(
                "select cohort || ' ' || endpoint, median_months from analysis.km_summary order by 1"
            ).fetchall()
            patients = con.execute("select cohort, n_patients from marts.cohorts order by cohort").fetchall()
    for key in ANALYSIS_KEYS:
        name = key.path[-1]
        metadata: dict[str, object] = {"rows": rows.get(name, 0)}
        if name == "km_summary":
            metadata["median_months"] = {k: (None if v is None else round(v, 2)) for k, v in medians}
        if name == "table1":
            metadata["patients_per_cohort"] = dict(patients)
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
