"""Table 1's two cut-offs of clinical-rules.md on both sides: age >= 65 years and hemoglobin < 13.5 g/dL."""

from __future__ import annotations

import pandas as pd

from orchestration.analysis.table1 import NUMERIC_COLUMNS, PATIENT_COLUMNS, table1_rows


def _patients(ages: list[int], hemoglobin: list[float]) -> pd.DataFrame:
    n = len(ages)
    frame = pd.DataFrame({c: [False] * n for c in PATIENT_COLUMNS if c not in NUMERIC_COLUMNS})
    for c in NUMERIC_COLUMNS:
        frame[c] = [1.0] * n
    frame["age_at_t0"] = ages
    frame["baseline_hemoglobin"] = hemoglobin
    return frame


def _count_row(table: pd.DataFrame, section: str) -> pd.Series:
    # the n (%) row right after the section's median row; found by position, not by its label (which
    # prints the threshold), so that the count decides
    rows = table[table.section == section]
    assert list(rows.statistic.str.contains("–|\\(", regex=True))[:2] == [True, True]
    return rows.iloc[1]


def test_age_65_counts_and_64_does_not() -> None:
    # ages 64, 65, 66, 50: >= 65 are 65 and 66 -> 2 of 4 (50 %)
    table = table1_rows(_patients([64, 65, 66, 50], [14.0] * 4), pd.Series([7.4]))
    row = _count_row(table, "Age")
    assert (row.value_numeric, row.percent, row.n) == (2.0, 50.0, 4)
    assert row.characteristic == "Age ≥ 65 years, n (%)"


def test_hemoglobin_13_5_does_not_count_13_4_and_13_49_do() -> None:
    # < 13.5 g/dL: 13.4 and 13.49 -> 2 of 4; 13.5 itself and 14.0 do not count
    table = table1_rows(_patients([70] * 4, [13.5, 13.4, 13.49, 14.0]), pd.Series([7.4]))
    row = _count_row(table, "Hemoglobin [g/dL]")
    assert (row.value_numeric, row.percent, row.n) == (2.0, 50.0, 4)
    assert row.characteristic == "< 13.5 g/dL, n (%)"
