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
from orchestration.reporting.files import file_names, index_html, safe_file_stem, write_private
from orchestration.reporting.quarto import render_with_quarto

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_QMD = REPO_ROOT / "reports" / "cohort_report.qmd"

__all__ = ["DEFAULT_QMD", "ReportRenderError", "safe_file_stem"]


def render_report(qmd: Path, output_html: Path, params: Mapping[str, object]) -> Path:
    """Render `qmd` with `params` into `output_html` (mode 0600, written atomically); return its path."""
    qmd = Path(qmd).resolve()
    output_html = Path(output_html).resolve()
    if shutil.which("quarto"):
        return render_with_quarto(qmd, output_html, params)
    with KernelSession(qmd.parent) as session:
        return session.render(qmd, output_html, params)


def render_cohort_reports(
    warehouse: Path, out_dir: Path, cohorts: list[str] | None = None, qmd: Path = DEFAULT_QMD
) -> list[Path]:
    """One report per cohort (all of `marts.cohorts` when None) as `out_dir/<cohort>.html`, plus
    `out_dir/index.html` linking them. Returns the report paths followed by the index path."""
    warehouse = Path(warehouse).resolve()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptions = _read_cohorts(warehouse)
    names = list(descriptions) if cohorts is None else list(cohorts)
    targets = file_names(names)

    paths: list[Path] = []
    if shutil.which("quarto"):
        for name in names:
            paths.append(render_report(qmd, out_dir / targets[name], _params(name, warehouse)))
    else:
        # one kernel for every cohort: starting a kernel and importing the plotting stack dominates
        with KernelSession(Path(qmd).resolve().parent) as session:
            for name in names:
                paths.append(session.render(Path(qmd), out_dir / targets[name], _params(name, warehouse)))
    index = out_dir / "index.html"
    extra = feedback_index_html(warehouse)  # issue 13: changes since the last export, site pages
    write_private(index, index_html(names, targets, descriptions, extra).encode("utf-8"))
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
    return render_report(qmd, target, _params(cohort, warehouse))


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
    write_private(latest, index_html(names, targets, descriptions, extra).encode("utf-8"))
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
