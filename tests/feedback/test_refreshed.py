"""The nightly graph writes the feedback: on the session's refreshed warehouse (first publish, so no
previous export), every finding is new, nothing changed, and the reports folder holds a page and a CSV
per site, linked from the index."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow  # shares the session's full refresh with reports (tests/conftest.py)


def test_first_publish_has_only_new_findings_and_site_pages(refreshed) -> None:
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        statuses = con.execute(
            "select distinct status, first_seen_export_id from audit.dq_findings"
        ).fetchall()
        changes = con.execute("select count(*) from audit.changes").fetchone()
        sites = [
            r[0] for r in con.execute("select distinct site_id from marts.dim_patient order by 1").fetchall()
        ]
    assert statuses == [("new", refreshed.export_id)]
    assert changes == (0,)
    folder = refreshed.reports_dir / refreshed.export_id / "sites"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{s}{x}" for s in sites for x in (".html", ".csv")
    )
    index = (refreshed.reports_dir / "index.html").read_text(encoding="utf-8")
    assert "No previous export to compare with." in index
    assert all(f'href="{refreshed.export_id}/sites/{s}.html"' in index for s in sites)
