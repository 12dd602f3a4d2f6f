"""Cohort report rendering: `quarto render` when available, else the project's own `.qmd` renderer."""

from orchestration.reporting.render import (
    DEFAULT_QMD,
    ReportRenderError,
    render_cohort_reports,
    render_export_reports,
    render_one_report,
    render_report,
    safe_file_stem,
)

__all__ = [
    "DEFAULT_QMD",
    "ReportRenderError",
    "render_cohort_reports",
    "render_export_reports",
    "render_one_report",
    "render_report",
    "safe_file_stem",
]
