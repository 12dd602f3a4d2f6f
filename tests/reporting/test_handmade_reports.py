"""The reports of the hand-written 10-patient export (tests/fixtures/handmade_export): tiny cohorts must
render, and say in words why a section is short or empty, instead of failing."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.reporting import safe_file_stem
from orchestration.settings import ClinicalSettings
from tests.fixtures.handmade import write_handmade_export
from tests.reporting.test_cohort_report import SECTIONS, text


@pytest.fixture(scope="module")
def handmade(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from orchestration.refresh import run_refresh

    tmp = tmp_path_factory.mktemp("handmade")
    export = write_handmade_export(tmp / "export")
    result = run_refresh(export, tmp / "w.duckdb", ClinicalSettings(), reports_dir=tmp / "r", force=True)
    folder = Path(result.reports_dir or tmp / "r") / safe_file_stem("handmade-2024-09-16")
    return {"warehouse": result.published, "folder": folder}


def one(warehouse: Path, sql: str, params: list[Any]) -> Any:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(sql, params).fetchone()
        return None if row is None else row[0]
    finally:
        con.close()


def test_handmade_ecog3_report_renders_and_explains_itself(handmade: dict[str, Any]) -> None:
    page = (handmade["folder"] / "ecog_3.html").read_text(encoding="utf-8")
    headings = [html.unescape(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
    assert headings == SECTIONS
    plain = text(page)
    wh = handmade["warehouse"]
    n = one(wh, "select n_patients from marts.cohorts where cohort = ?", ["ecog_3"])
    # by hand: P02 (ECOG 3 on 2023-03-01) and P09 (ECOG 3 on 2023-05-20) have ECOG 3 at baseline
    assert n == 2
    assert "Registry HANDMADE" in plain and "The cohort has 2 patients." in plain
    if n == 0:
        assert "has 0 patients at this data cut-off. Every section below is empty." in plain
        assert plain.count("so there is nothing to show.") == 7
        assert "<svg" not in page
        return
    assert re.search(r'<svg[^>]*role="img"', page)  # vector figures
    # neither has a post-treatment PSA in the hand-made export: the response section says so
    assert "No patient in this cohort has an evaluable PSA change" in plain
    for endpoint, label in (("pfs", "Progression-free survival"), ("os", "Overall survival")):
        events = one(wh, "select events from analysis.km_summary where cohort = ? and endpoint = ?",
                     ["ecog_3", endpoint])
        word = "event" if events == 1 else "events"
        assert f"{label}: median" in plain and f"; {events} {word} in 2 patients" in plain
        if events == 0:
            sentence = f"No {label.lower()} events occurred in this cohort, so the median is not reached."
            assert sentence in plain
    pairs = one(wh, "select count(*) from analysis.lab_before_after where cohort = ? and n_pairs > 0",
                ["ecog_3"])
    if pairs < 4:
        assert "No patient in this cohort has both a baseline and a post-treatment value for:" in plain
    te = one(wh, "select count(*) from marts.fct_toxicity t join marts.cohort_membership m "
                 "using (patient_id) where m.cohort = ? and t.treatment_emergent_grade3plus", ["ecog_3"])
    if te == 0:
        assert "No treatment-emergent grade ≥ 3 event occurred in this cohort." in plain
    else:
        assert f"{te} treatment-emergent grade ≥ 3 events in" in plain


def test_handmade_reports_exist_for_every_cohort(handmade: dict[str, Any]) -> None:
    for cohort in ("all", "ecog_0_2", "ecog_3"):
        page = (handmade["folder"] / f"{cohort}.html").read_text(encoding="utf-8")
        assert "<script" not in page.lower()
        assert "analysis.table1 has no" not in page
