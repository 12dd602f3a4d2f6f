"""Per-site feedback pages: `<reports>/<export_id>/sites/<site>.html` and `.csv`, from the published
warehouse (audit.dq_findings, seeds.dq_rules, marts), and the index page's "since export X" summary.

A site's files hold only findings whose site is that site, so they never name another site's patient;
findings without a known site (e.g. an orphan row whose patient id is in no patients row) go to
`_unassigned.*` for the registry's own data manager. Every text from the export is HTML-escaped; CSV cells
that a spreadsheet would run as a formula are prefixed with an apostrophe. Files are written 0600.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import duckdb

UNASSIGNED = "_unassigned"  # a site file stem never starts with "_" (see _stem), so this cannot collide
CSV_COLUMNS = (
    "status",
    "severity",
    "patient_id",
    "source_file",
    "line_number",
    "column_name",
    "value",
    "rule_id",
    "message",
    "what_to_correct",
    "first_seen_export_id",
)
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")

CSS = """
body { max-width: 62rem; margin: 0 auto; padding: 1.5rem; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, Arial, sans-serif; line-height: 1.45; color: #1a1a1a; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { margin-bottom: 0.3rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #555; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.new { color: #a40000; font-weight: 600; }
@media print { h2, h3 { break-after: avoid; } table { break-inside: auto; } }
"""


def _stem(site_id: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", site_id).strip("_")[:80]
    return stem or "site"


def site_file_names(sites: list[str]) -> dict[str, str]:
    """Distinct file stems per site id (letters, digits, '-', '_'; never starting with '_')."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for site in sorted(sites):
        stem, candidate, k = _stem(site), _stem(site), 2
        while candidate.lower() in used:
            candidate, k = f"{stem}-{k}", k + 1
        used.add(candidate.lower())
        out[site] = candidate
    return out


def site_page_files(con: duckdb.DuckDBPyConnection) -> dict[str | None, str]:
    """The page each site's findings are on, relative to the export's folder (`sites/<stem>.html`; the
    site None: `sites/_unassigned.html`), named as `render_site_pages` names them: the stems depend on
    every site that gets a page (those with findings and those with treated patients)."""
    findings = read_findings(con)
    sites = {str(f["site_id"]) for f in findings if f["site_id"] is not None} | set(site_completeness(con))
    stems = site_file_names(sorted(sites))
    pages: dict[str | None, str] = {s: f"sites/{stem}.html" for s, stem in stems.items()}
    pages[None] = f"sites/{UNASSIGNED}.html"
    return pages


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _NUMBER.match(text):
        return "'" + text
    return text


def _esc(value: object) -> str:
    return "–" if value is None else html.escape(str(value), quote=True)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(row and row[0])


def _export_id(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("select export_id from audit.runs order by finished_at desc limit 1").fetchone()
    return str(row[0]) if row else "export"


def read_findings(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    if not has_table(con, "audit", "dq_findings"):
        return []
    correct = "r.what_to_correct" if has_table(con, "seeds", "dq_rules") else "null"
    join = "left join seeds.dq_rules as r using (rule_id)" if has_table(con, "seeds", "dq_rules") else ""
    cur = con.execute(
        f"""select f.site_id, f.status, f.severity, f.patient_id, f.source_file, f.line_number, f.column_name,
                f.value, f.rule_id, f.message, {correct} as what_to_correct, f.first_seen_export_id
            from audit.dq_findings as f {join}
            order by f.site_id, f.patient_id nulls last, f.source_file, f.line_number nulls first,
                f.rule_id, f.fingerprint"""
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def site_completeness(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Per site: patients, with baseline PSA, with baseline ECOG, with an evaluable PSA response."""
    out: dict[str, dict[str, int]] = {}
    if not has_table(con, "marts", "dim_patient"):
        return out
    response = (
        "left join marts.fct_psa_response as r using (patient_id)"
        if has_table(con, "marts", "fct_psa_response")
        else "left join (select null::varchar as patient_id, null::varchar as response_category) as r "
        "using (patient_id)"
    )
    rows = con.execute(
        f"""select d.site_id, count(*), count(d.baseline_psa), count(d.baseline_ecog),
                count(*) filter (
                    where r.response_category is not null and r.response_category <> 'not_evaluable')
            from marts.dim_patient as d {response}
            where d.site_id is not null group by d.site_id"""
    ).fetchall()
    for site, n, psa, ecog, evaluable in rows:
        out[str(site)] = {"patients": n, "baseline_psa": psa, "baseline_ecog": ecog, "evaluable": evaluable}
    return out


def _pct(part: int, whole: int) -> str:
    return "–" if not whole else f"{part} ({100 * part / whole:.1f} %)"


def _finding_rows(findings: list[dict[str, object]], resolved: bool) -> str:
    out = []
    for f in findings:
        status = f["status"]
        flag = ' class="new"' if status == "new" else ""
        since = "" if resolved or status == "new" else f" (since {_esc(f['first_seen_export_id'])})"
        out.append(
            f"<tr><td{flag}>{_esc(status)}{since}</td><td>{_esc(f['severity'])}</td>"
            f'<td>{_esc(f["source_file"])}</td><td class="num">{_esc(f["line_number"])}</td>'
            f"<td>{_esc(f['column_name'])}</td><td>{_esc(f['value'])}</td><td>{_esc(f['message'])}</td>"
            + ("" if resolved else f"<td>{_esc(f['what_to_correct'])}</td>")
            + "</tr>"
        )
    return "".join(out)


_HEAD = (
    "<tr><th>Status</th><th>Severity</th><th>File</th><th>Line</th><th>Column</th><th>Value as exported</th>"
    "<th>Problem</th>{extra}</tr>"
)


def site_page_html(
    site: str, export_id: str, findings: list[dict[str, object]], completeness: dict[str, int] | None
) -> str:
    active = [f for f in findings if f["status"] in ("new", "open")]
    resolved = [f for f in findings if f["status"] == "resolved"]
    by_patient: dict[object, list[dict[str, object]]] = defaultdict(list)
    for f in active:
        by_patient[f["patient_id"]].append(f)
    counts = {s: sum(1 for f in findings if f["status"] == s) for s in ("new", "open", "resolved")}
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Data-quality feedback: site {_esc(site)}</title><style>{CSS}</style></head><body>",
        f"<h1>Data-quality feedback: site {_esc(site)}</h1>",
        f"<p>Export {_esc(export_id)}. {counts['new']} new, {counts['open']} still open and "
        f'{counts["resolved"]} resolved since the previous export. <a href="../index.html">Index</a></p>',
        "<p>Errors are rows that were set aside and are in no analysis; warnings were loaded but need a "
        "look. "
        "Line numbers count the header as line 1. A finding is recognised in the next export by its values, "
        "not its line, so it shows as resolved once the row is corrected or deleted.</p>",
        "<h2>Completeness</h2>",
    ]
    if completeness:
        n = completeness["patients"]
        parts.append(
            '<div class="scroll"><table><thead><tr><th>Treated patients</th><th>With baseline PSA</th>'
            "<th>With baseline ECOG</th><th>PSA response evaluable</th></tr></thead><tbody><tr>"
            f'<td class="num">{n}</td><td class="num">{_pct(completeness["baseline_psa"], n)}</td>'
            f'<td class="num">{_pct(completeness["baseline_ecog"], n)}</td>'
            f'<td class="num">{_pct(completeness["evaluable"], n)}</td></tr></tbody></table></div>'
        )
    else:
        parts.append("<p>No treated patient of this site is in the analyses.</p>")
    parts.append("<h2>To correct</h2>")
    if not active:
        parts.append("<p>Nothing to correct.</p>")
    for patient, items in by_patient.items():
        title = "Rows without a readable patient id" if patient is None else f"Patient {_esc(patient)}"
        parts.append(
            f'<h3>{title}</h3><div class="scroll"><table><thead>'
            + _HEAD.format(extra="<th>What to correct</th>")
            + f"</thead><tbody>{_finding_rows(items, resolved=False)}</tbody></table></div>"
        )
    parts.append("<h2>Resolved since the previous export</h2>")
    if resolved:
        parts.append(
            "<p>A patient who is no longer in the export (e.g. consent withdrawn) is not named.</p>"
            '<div class="scroll">'
            "<table><thead>"
            + _HEAD.format(extra="").replace("<th>Status</th>", "<th>Status</th><th>Patient</th>", 1)
            + "</thead><tbody>"
        )
        for f in resolved:
            row = _finding_rows([f], resolved=True)
            parts.append(row.replace("</td>", f"</td><td>{_esc(f['patient_id'])}</td>", 1))
        parts.append("</tbody></table></div>")
    else:
        parts.append("<p>None.</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def site_csv(findings: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in findings:
        writer.writerow([csv_cell(f[c]) for c in CSV_COLUMNS])
    # a BOM so that spreadsheet tools read the UTF-8 file as UTF-8
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_site_pages(warehouse: Path, reports_root: Path) -> list[Path]:
    """One HTML page and one CSV per site (and `_unassigned` when needed) for the published export into
    `reports_root/<export_id>/sites/`. Returns the paths written."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        export_id = _export_id(con)
        findings = read_findings(con)
        completeness = site_completeness(con)
    by_site: dict[str | None, list[dict[str, object]]] = defaultdict(list)
    for f in findings:
        by_site[None if f["site_id"] is None else str(f["site_id"])].append(f)
    sites = sorted({s for s in by_site if s is not None} | set(completeness))
    stems = site_file_names(sites)
    from orchestration.reporting.render import safe_file_stem  # the folder the cohort reports use

    out_dir = Path(reports_root) / safe_file_stem(export_id) / "sites"
    written: list[Path] = []
    for site in sites:
        page = site_page_html(site, export_id, by_site.get(site, []), completeness.get(site))
        for suffix, content in ((".html", page.encode("utf-8")), (".csv", site_csv(by_site.get(site, [])))):
            path = out_dir / f"{stems[site]}{suffix}"
            _write_private(path, content)
            written.append(path)
    if by_site.get(None):
        page = site_page_html("(unknown)", export_id, by_site[None], None)
        for suffix, content in ((".html", page.encode("utf-8")), (".csv", site_csv(by_site[None]))):
            path = out_dir / f"{UNASSIGNED}{suffix}"
            _write_private(path, content)
            written.append(path)
    return written
