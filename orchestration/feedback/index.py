"""The index page's feedback section: what changed since the previous export, and the site pages."""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from orchestration.feedback.site_pages import (
    UNASSIGNED,
    has_table,
    read_findings,
    site_completeness,
    site_file_names,
)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def changes_sentence(con: duckdb.DuckDBPyConnection) -> str | None:
    """'Since export X: 12 new patients, 3 responses changed, 5 deaths recorded, …' (None without a previous
    export to compare with)."""
    if not has_table(con, "audit", "changes"):
        return None
    row = con.execute("select any_value(previous_export_id) from audit.changes").fetchone()
    previous = row[0] if row else None
    if previous is None and has_table(con, "audit", "runs"):
        # no change at all: the previous export is the last one published before this one
        row = con.execute(
            """select export_id from audit.runs
               where export_id <> (select export_id from audit.runs order by finished_at desc limit 1)
               order by finished_at desc limit 1"""
        ).fetchone()
        previous = row[0] if row else None
    if previous is None:
        return None
    counts = dict(
        con.execute(
            """select kind, count(*) from (
                select case
                    when item = 'os_event' and new_value = 'true' then 'death'
                    when item in ('pfs_event', 'pfs_time_days', 'os_time_days', 'os_event') then 'survival'
                    else item end as kind,
                    patient_id
                from audit.changes) group by kind"""
        ).fetchall()
    )
    parts = [
        _plural(counts.get("patient_added", 0), "new patient", "new patients"),
        _plural(counts.get("patient_removed", 0), "patient removed", "patients removed"),
        _plural(counts.get("response_category", 0), "response changed", "responses changed"),
        _plural(counts.get("death", 0), "death recorded", "deaths recorded"),
        _plural(counts.get("survival", 0), "other PFS/OS change", "other PFS/OS changes"),
        _plural(counts.get("cohort", 0), "cohort membership changed", "cohort memberships changed"),
        _plural(counts.get("post_grade", 0), "post-treatment grade changed", "post-treatment grades changed"),
    ]
    return f"Since export {previous}: " + ", ".join(parts) + "."


def feedback_index_html(warehouse: Path, prefix: str = "") -> str:
    """The section for index.html: the changes sentence and one link per site page with its counts.
    `prefix` is the path from the index to the export's folder ('' or '<export_id>/')."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sentence = changes_sentence(con)
        findings = read_findings(con)
        # every site with a page: those with findings and those with treated patients
        sites = set(site_completeness(con)) if has_table(con, "audit", "dq_findings") else set()
    if not findings and sentence is None and not sites:
        return ""
    counts: dict[str | None, dict[str, int]] = {s: {"new": 0, "open": 0, "resolved": 0} for s in sites}
    for f in findings:
        site = None if f["site_id"] is None else str(f["site_id"])
        counts.setdefault(site, {"new": 0, "open": 0, "resolved": 0})[str(f["status"])] += 1
    stems = site_file_names([s for s in counts if s is not None])
    rows = []
    for site in sorted(s for s in counts if s is not None) + ([None] if None in counts else []):
        stem = UNASSIGNED if site is None else stems[site]
        href = html.escape(f"{prefix}sites/{stem}.html", quote=True)
        csv_href = html.escape(f"{prefix}sites/{stem}.csv", quote=True)
        c = counts[site]
        label = "without a known site" if site is None else html.escape(site)
        rows.append(
            f'<tr><td><a href="{href}">{label}</a> (<a href="{csv_href}">CSV</a>)</td>'
            f'<td class="num">{c["new"]}</td><td class="num">{c["open"]}</td>'
            f'<td class="num">{c["resolved"]}</td></tr>'
        )
    since = f"<p>{html.escape(sentence)}</p>" if sentence else "<p>No previous export to compare with.</p>"
    return (
        '<section id="changes-and-data-quality"><h2>Changes and data quality</h2>'
        + since
        + '<div style="overflow-x:auto"><table class="report-table"><thead><tr><th>Site feedback</th>'
        "<th>New findings</th><th>Open</th><th>Resolved</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></section>"
    )
