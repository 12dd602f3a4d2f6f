"""Reports group: one self-contained HTML cohort report per cohort after each publish."""

import dagster as dg

from orchestration.assets.retry import deterministic, final
from orchestration.faults import checkpoint
from orchestration.feedback import render_site_pages
from orchestration.reporting import render_export_reports
from orchestration.resources import RefreshRun, WarehouseResource


@dg.asset(key="cohort_reports", deps=["published_warehouse"], group_name="reports", kinds={"html"})
def cohort_reports(
    context: dg.AssetExecutionContext, refresh: RefreshRun, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """reports/cohort_report.qmd rendered for every cohort of marts.cohorts from the published warehouse,
    into RLT_REPORTS/<export_id>/<cohort>.html with an index.html linking the latest. Runs on its own
    (the render_reports job) to re-render the published warehouse's reports."""
    if not refresh.render_reports:
        return dg.MaterializeResult(metadata={"skipped": "render_reports is false"})
    if not warehouse.published().exists():
        raise final(f"no published warehouse at {warehouse.published()}: run registry_refresh first")
    checkpoint("reports")
    with deterministic("rendering the reports"):
        paths = render_export_reports(warehouse.published(), warehouse.reports())
        paths += render_site_pages(warehouse.published(), warehouse.reports())  # issue 13: site feedback
    context.log.info("reports: " + ", ".join(str(p) for p in paths))
    return dg.MaterializeResult(metadata={"reports": [str(p) for p in paths]})
