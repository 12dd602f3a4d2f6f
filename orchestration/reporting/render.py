"""Which reports to render, and where: one per cohort of the published warehouse, beside its export.

`quarto render` (reporting/quarto.py) when a Quarto CLI is on PATH, else the project's own renderer
(reporting/fallback.py); files are written owner-only and atomically (reporting/files.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import duckdb

from orchestration.feedback.index import feedback_index_html
from orchestration.reporting.errors import ReportRenderError
from orchestration.reporting.fallback import KernelSession
from orchestration.reporting.files import file_names, safe_file_stem, write_private
from orchestration.reporting.index_page import index_html, read_index_facts
from orchestration.reporting.quarto import render_with_quarto
from orchestration.reporting.style import REPORT_CSS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_QMD = REPO_ROOT / "reports" / "cohort_report.qmd"
COMPARISON_QMD_NAME = "comparison_report.qmd"

__all__ = ["DEFAULT_QMD", "ReportRenderError", "safe_file_stem"]


def render_report(
    qmd: Path, output_html: Path, params: Mapping[str, object], title: str | None = None
) -> Path:
    """Render `qmd` with `params` into `output_html` (written atomically, owner-only unless
    RLT_REPORTS_GROUP_READABLE=1); `title` replaces the front matter's title. Returns its path."""
    qmd = Path(qmd).resolve()
    output_html = Path(output_html).resolve()
    if shutil.which("quarto"):
        return render_with_quarto(qmd, output_html, params, title)
    with KernelSession(qmd.parent) as session:
        return session.render(qmd, output_html, params, title)


def render_cohort_reports(
    warehouse: Path, out_dir: Path, cohorts: list[str] | None = None, qmd: Path = DEFAULT_QMD
) -> list[Path]:
    """One report per cohort (all of `marts.cohorts` when None) as `out_dir/<cohort>.html`, one comparison
    report per pair of seeds.cohort_comparisons among them (`<cohort_a>-vs-<cohort_b>.html`), plus
    `out_dir/index.html` linking them. Returns the cohort reports' paths (in the order of `cohorts`), the
    comparison reports' paths and the index path."""
    warehouse = Path(warehouse).resolve()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptions = _read_cohorts(warehouse)
    names = list(descriptions) if cohorts is None else list(cohorts)
    targets = file_names(names)

    comparison_qmd = Path(qmd).resolve().parent / COMPARISON_QMD_NAME
    comparisons = _comparison_jobs(warehouse, out_dir, names) if comparison_qmd.is_file() else []
    paths: list[Path] = []
    if shutil.which("quarto"):
        for name in names:
            paths.append(render_report(qmd, out_dir / targets[name], _params(name, warehouse),
                                       cohort_title(name, descriptions)))
        for target, params, title in comparisons:
            paths.append(render_report(comparison_qmd, target, params, title))
    else:
        # one kernel for every page: starting a kernel and importing the plotting stack dominates
        with KernelSession(Path(qmd).resolve().parent) as session:
            for name in names:
                paths.append(session.render(Path(qmd), out_dir / targets[name], _params(name, warehouse),
                                            cohort_title(name, descriptions)))
            for target, params, title in comparisons:
                paths.append(session.render(comparison_qmd, target, params, title))
    index = out_dir / "index.html"
    extra = feedback_index_html(warehouse)  # issue 13: changes since the last export, site pages
    write_private(index, _index_html(names, targets, descriptions, extra, warehouse).encode("utf-8"))
    return [*paths, index]


def _export_dir(warehouse: Path) -> str:
    """The folder of the published export's reports: its export_id as a safe file name."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("select export_id from audit.runs order by finished_at desc limit 1").fetchone()
    finally:
        con.close()
    return safe_file_stem(str(row[0]) if row else "export")


def render_one_report(warehouse: Path, reports_root: Path, cohort: str, qmd: Path = DEFAULT_QMD) -> Path:
    """One cohort's report, on demand, beside the nightly ones (`reports_root/<export_id>/`); the index
    pages are left as the nightly run wrote them."""
    warehouse = Path(warehouse).resolve()
    target = Path(reports_root) / _export_dir(warehouse) / file_names([cohort])[cohort]
    title = cohort_title(cohort, _read_cohorts(warehouse))
    return render_report(qmd, target, _params(cohort, warehouse), title)


def cohort_title(cohort: str, descriptions: Mapping[str, tuple[str | None, int | None]]) -> str:
    """The page title of a cohort's report: its name and description."""
    description = (descriptions.get(cohort) or (None, None))[0]
    return f"{cohort}: {description}" if description else f"Cohort {cohort}"


def comparison_label(a: str, b: str, descriptions: Mapping[str, tuple[str | None, int | None]]) -> str:
    """A comparison's link text in the index: the cohorts' descriptions, then their names."""
    words = [(descriptions.get(c) or (None, None))[0] for c in (a, b)]
    names = f"{a} vs {b}"
    return f"{words[0]} vs {words[1]} ({names})" if all(words) else names


def comparison_pairs(warehouse: Path, cohorts: list[str]) -> list[tuple[str, str]]:
    """The rows of seeds.cohort_comparisons whose two cohorts are both among `cohorts`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'seeds' "
                             "and table_name = 'cohort_comparisons'").fetchone()
        if not exists or not exists[0]:
            return []
        pairs = con.execute("select cohort_a, cohort_b from seeds.cohort_comparisons order by all").fetchall()
    finally:
        con.close()
    return [(str(a), str(b)) for a, b in pairs if a in cohorts and b in cohorts]


def _comparison_jobs(
    warehouse: Path, out_dir: Path, cohorts: list[str]
) -> list[tuple[Path, dict[str, object], str]]:
    """(target, parameters, title) of `out_dir/<cohort_a>-vs-<cohort_b>.html` for each pair of
    seeds.cohort_comparisons among `cohorts`."""
    return [(out_dir / f"{safe_file_stem(a)}-vs-{safe_file_stem(b)}.html",
             {"cohort_a": a, "cohort_b": b, "warehouse": str(warehouse)}, f"{a} vs {b}")
            for a, b in comparison_pairs(warehouse, cohorts)]


def _index_html(
    names: list[str],
    targets: dict[str, str],
    descriptions: Mapping[str, tuple[str | None, int | None]],
    extra: str,
    warehouse: Path,
    prefix: str = "",
    exports: list[tuple[str, str]] | None = None,
) -> str:
    """The index page (orchestration.reporting.index_page); `prefix` leads from the page to the export's
    folder, `exports` lists every export's index (the page over all exports)."""
    comparisons = [(f"{prefix}{safe_file_stem(a)}-vs-{safe_file_stem(b)}.html",
                    comparison_label(a, b, descriptions)) for a, b in comparison_pairs(warehouse, names)]
    sheet = DEFAULT_QMD.parent / "cohort_report.css"
    css = REPORT_CSS + (sheet.read_text(encoding="utf-8") if sheet.is_file() else "")
    return index_html(names, targets, descriptions, read_index_facts(warehouse), comparisons, extra,
                      exports or [], css)


def render_export_reports(warehouse: Path, reports_root: Path) -> list[Path]:
    """Every cohort's report into `reports_root/<export_id>/`, and `reports_root/index.html` linking the
    latest ones. Returns what `render_cohort_reports` returns."""
    warehouse = Path(warehouse).resolve()
    export_dir = _export_dir(warehouse)
    paths = render_cohort_reports(warehouse, Path(reports_root) / export_dir)
    descriptions = _read_cohorts(warehouse)
    names = list(descriptions)
    targets = {name: f"{export_dir}/{file}" for name, file in file_names(names).items()}
    latest = Path(reports_root) / "index.html"
    extra = feedback_index_html(warehouse, f"{export_dir}/")  # issue 13
    exports = sorted((f"{d.name}/index.html", d.name) for d in Path(reports_root).iterdir()
                     if d.is_dir() and (d / "index.html").is_file())
    page = _index_html(names, targets, descriptions, extra, warehouse, f"{export_dir}/", exports)
    write_private(latest, page.encode("utf-8"))
    return [*paths, latest]


def _read_cohorts(warehouse: Path) -> dict[str, tuple[str | None, int | None]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result = con.execute("select cohort, description, n_patients from marts.cohorts order by cohort")
        return {str(c): (d, n) for c, d, n in result.fetchall()}
    finally:
        con.close()


def _params(cohort: str, warehouse: Path) -> dict[str, object]:
    return {"cohort": cohort, "warehouse": str(warehouse)}
