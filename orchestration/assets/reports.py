"""Reports group: one self-contained HTML cohort report per cohort after each publish."""

import dagster as dg

from orchestration.faults import checkpoint
from orchestration.feedback import render_site_pages
from orchestration.reporting import render_export_reports
from orchestration.resources import RefreshConfig, WarehouseResource


@dg.asset(key="cohort_reports", deps=["published_warehouse"], group_name="reports", kinds={"html"})
def cohort_reports(
    context: dg.AssetExecutionContext, config: RefreshConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """reports/cohort_report.qmd rendered for every cohort of marts.cohorts from the published warehouse,
    into RLT_REPORTS/<export_id>/<cohort>.html with an index.html linking the latest."""
    if not config.render_reports:
        return dg.MaterializeResult(metadata={"skipped": "render_reports is false"})
    checkpoint("reports")
    paths = render_export_reports(warehouse.published(), warehouse.reports())
    paths += render_site_pages(warehouse.published(), warehouse.reports())  # issue 13: site feedback
    context.log.info("reports: " + ", ".join(str(p) for p in paths))
    return dg.MaterializeResult(metadata={"reports": [str(p) for p in paths]})
