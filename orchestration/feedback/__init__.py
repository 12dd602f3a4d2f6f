"""Data-quality feedback to the treating centres and what changed since the last export (issue 13).

Pure functions over DuckDB connections (no Dagster): `build_feedback_tables` writes audit.dq_findings and
audit.changes into the build, comparing with the published warehouse; `render_site_pages` writes
`<reports>/<export_id>/sites/<site>.html|.csv` from the published warehouse; `changes_summary` is the
index page's "since export X" line.
"""

from orchestration.feedback.build import FeedbackSummary, build_feedback_tables

__all__ = ["FeedbackSummary", "build_feedback_tables"]
