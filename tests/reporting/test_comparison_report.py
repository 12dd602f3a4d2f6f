"""The comparison report and the file permissions, from the fake warehouse (values written by hand in
fake_warehouse.py)."""

from __future__ import annotations

import html
import re
import stat
from pathlib import Path

import pytest

from orchestration.reporting.files import write_private
from tests.reporting.fake_warehouse import SCRIPT
from tests.reporting.test_cohort_report import text


def test_comparison_report(rendered: dict[str, Path]) -> None:
    raw = rendered["comparison"].read_text(encoding="utf-8")
    page = text(raw)
    assert "<title>ecog_3 vs ecog_0_2</title>" in raw
    assert "<script" not in raw.lower() and 'src="http' not in raw
    assert stat.S_IMODE(rendered["comparison"].stat().st_mode) == 0o600
    # header and links back to both cohort reports and the index
    assert "Cohort ecog_3 Baseline ECOG performance status 3 (n = 2)" in page
    for href in ("ecog_3.html", "ecog_0_2.html", "index.html"):
        assert f'<a href="{href}">' in raw
    # Table 1 side by side with the stored test and p (0.6667 -> 0.667)
    assert "Age Median [years], (range) 69.5 (58–81) 69 (66–72) Wilcoxon rank-sum 0.667" in page
    # response: % of each cohort's evaluable (ecog_3: P3 PD of 1; ecog_0_2: P1 PR, P2 SD of 2)
    # with the stored test and p: the PR/SD/PD distribution's on the PR row, PSA50's on its own row
    assert "Partial response (PR) 0 (0.0) 1 (50.0) Fisher's exact 1.000" in page
    pd_row = "Progressive disease (PD) 1 (100.0) 0 (0.0)"
    assert f"{pd_row} PSA50 (fall ≥ 50 %) 0 (0.0) 1 (50.0) Fisher's exact 1.000" in page
    assert "ecog_3, n (%) of 1 evaluable" in page and "ecog_0_2, n (%) of 2 evaluable" in page
    assert "No test of the response difference" not in page
    # at risk and censored so far under the overlaid curves (ecog_0_2 PFS censored at 14 months)
    assert "ecog_0_2 censored" in raw and "ecog_3 at risk" in raw
    # the HR is not estimable (ecog_0_2 has no event) and says why; log-rank p as stored (0.0421, 0.1234)
    assert "not estimable: one cohort has no event (monotone likelihood) – 0.042" in page
    assert "0.123" in page
    # two overlaid KM figures, vector, with the result in the accessible name
    labels = [html.unescape(x) for x in re.findall(r'<svg[^>]*aria-label="([^"]+)"', raw)]
    assert labels[0].startswith("Progression-free survival: ecog_3 median 3.1 months")
    assert "ecog_0_2 median not reached" in labels[0]
    assert len(labels) == 2
    # toxicity of both cohorts: anemia ecog_3 (P3 worsened, P4 unchanged; P3 grade >= 3)
    assert "Anemia 0 / 1 / 1 (0) / 1 0 / 0 / 2 (1) / 0" in page


def test_comparison_and_index_escape_data(rendered: dict[str, Path]) -> None:
    raw = rendered["comparison"].read_text(encoding="utf-8")
    assert SCRIPT not in raw and html.escape(SCRIPT) in raw  # a Table 1 characteristic from the data
    index = rendered["index"].read_text(encoding="utf-8")
    assert "<b>cohort</b>" not in index and "no such &lt;b&gt;cohort&lt;/b&gt;" in index
    assert "<script" not in index.lower()


@pytest.mark.parametrize(("env", "mode"), [(None, 0o600), ("1", 0o640), ("0", 0o600)])
def test_reports_group_readable_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, mode: int
) -> None:
    if env is None:
        monkeypatch.delenv("RLT_REPORTS_GROUP_READABLE", raising=False)
    else:
        monkeypatch.setenv("RLT_REPORTS_GROUP_READABLE", env)
    target = tmp_path / "page.html"
    write_private(target, b"<p>x</p>")
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_comparison_of_a_warehouse_without_response_comparison(fake_warehouse: Path, tmp_path: Path) -> None:
    """A warehouse built before analysis.response_comparison existed still renders, and says so."""
    import shutil

    import duckdb

    from orchestration.reporting import render_cohort_reports

    old = tmp_path / "old.duckdb"
    shutil.copy(fake_warehouse, old)
    with duckdb.connect(str(old)) as con:
        con.execute("drop table analysis.response_comparison")
    render_cohort_reports(old, tmp_path / "out", ["ecog_3", "ecog_0_2"])
    page = (tmp_path / "out" / "ecog_3-vs-ecog_0_2.html").read_text(encoding="utf-8")
    assert "analysis.response_comparison has no rows for this pair." in page
