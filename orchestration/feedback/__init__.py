"""Data-quality feedback to the treating centres and what changed since the last export (issue 13).

Pure functions over DuckDB connections (no Dagster): `build_feedback_tables` writes audit.dq_findings and
audit.changes into the build, comparing with the published warehouse; `render_site_pages` writes
`<reports>/<export_id>/sites/<site>.html|.csv` from the published warehouse; `feedback_index_html` is the
index page's "since export X" section.
"""

from orchestration.feedback.build import FeedbackSummary, build_feedback_tables
from orchestration.feedback.index import changes_sentence, feedback_index_html
from orchestration.feedback.site_pages import render_site_pages

__all__ = [
    "FeedbackSummary",
    "build_feedback_tables",
    "changes_sentence",
    "feedback_index_html",
    "render_site_pages",
]
