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
from tests.reporting.test_cohort_report import SECTIONS, text


@pytest.fixture(scope="module")
def handmade(handmade_refreshed) -> dict[str, Any]:
    """The session's refresh of the hand-worked export, with reports (tests/conftest.py)."""
    assert handmade_refreshed.reports_dir is not None
    folder = Path(handmade_refreshed.reports_dir) / safe_file_stem("handmade-2024-09-16")
    return {"warehouse": handmade_refreshed.published, "folder": folder}


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
    # Every expected sentence is worked out by hand from tests/fixtures/handmade_export, not read from the
    # warehouse under test. ECOG 3 at baseline: P02 (ECOG 3 on 2023-03-01 = t0) and P09 (ECOG 3 on
    # 2023-05-20, t0 2023-06-01).
    n = one(handmade["warehouse"], "select n_patients from marts.cohorts where cohort = ?", ["ecog_3"])
    assert n == 2
    assert "Registry HANDMADE" in plain and "The cohort has 2 patients." in plain
    assert re.search(r'<svg[^>]*role="img"', page)  # vector figures
    # P02's only PSA before t0 (2022-11-01) is outside the 60-day baseline window and P09 has no PSA: no
    # PSA change to show
    assert "No patient in this cohort has an evaluable PSA change" in plain
    # PFS and OS: P02 died 2023-08-15 (no baseline PSA, so PFS ends at death too); P09 is alive, censored
    # at last contact 2024-01-15 -> one event in two patients for each endpoint
    for label in ("Progression-free survival", "Overall survival"):
        assert f"{label}: median" in plain and "; 1 event in 2 patients" in plain.split(f"{label}: median")[1]
    # before/after pairs: only P09 has labs besides PSA, WBC and platelets on 2023-05-25 (baseline) and
    # 2023-07-01 (post); no hemoglobin, no creatinine or eGFR in the cohort
    assert (
        "No patient in this cohort has both a baseline and a post-treatment value for: "
        "Hemoglobin [g/dL], eGFR [mL/min/1.73 m²]."
    ) in plain
    # P09's platelets 200 at baseline (grade 0) and 49.9 after (< 50: grade 3): one treatment-emergent
    # grade >= 3 event; WBC 2.5 after is grade 2; no adverse event is recorded for P02 or P09
    assert "1 treatment-emergent grade ≥ 3 event" in plain and " in 1 patient" in plain
    assert "No treatment-emergent grade ≥ 3 event occurred in this cohort." not in plain


def test_handmade_reports_exist_for_every_cohort(handmade: dict[str, Any]) -> None:
    for cohort in ("all", "ecog_0_2", "ecog_3"):
        page = (handmade["folder"] / f"{cohort}.html").read_text(encoding="utf-8")
        assert "<script" not in page.lower()
        assert "analysis.table1 has no" not in page
