"""Table 1 (patient characteristics) of one cohort, rows as in the paper plus a treatment section.

Conventions (see formatting.py for how numbers print):
- n (%) rows: value_numeric = the count, percent = count / cohort n (missing counts as "no"), n = cohort n.
- median / mean rows: value_numeric = the median / mean, n = number of non-missing values used
  (activity per cycle: number of administrations).
- An empty cohort keeps every row except the ECOG values, with statistic `–` and no value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .formatting import DASH, format_count_percent, format_mean_sd_range, format_median_range
from .group_tests import WILCOXON, categorical_test, wilcoxon_rank_sum

TABLE1_COLUMNS = [
    "row_order", "section", "characteristic", "indent", "statistic", "value_numeric", "percent", "n",
]
COMPARISON_COLUMNS = [
    "row_order", "section", "characteristic", "statistic_a", "statistic_b", "test", "p_value",
]


@dataclass(frozen=True)
class _TestData:
    """What a row's two-cohort test compares: `continuous` values (Wilcoxon), a `binary` flag of the
    patients whose value is known (Fisher 2 x 2), or a `category` of a multi-row section (one test on
    the section's first row; missing values are not a category)."""

    kind: str
    values: np.ndarray

# (column of marts.dim_patient, label, indent) in the paper's order; group rows have indent 0.
PRIOR_THERAPY_ROWS: list[tuple[str, str, int]] = [
    ("prior_prostatectomy", "Prostatectomy", 0),
    ("prior_radiotherapy", "Radiation", 0),
    ("prior_adt", "ADT", 0),
    ("prior_naad", "NAAD", 0),
    ("prior_abiraterone", "Abiraterone", 1),
    ("prior_enzalutamide", "Enzalutamide", 1),
    ("prior_apalutamide", "Apalutamide", 1),
    ("prior_darolutamide", "Darolutamide", 1),
    ("prior_chemotherapy", "Chemotherapy", 0),
    ("prior_docetaxel", "Docetaxel", 1),
    ("prior_cabazitaxel", "Cabazitaxel", 1),
    ("prior_cabazitaxel_2nd_line", "2nd line cabazitaxel", 1),
    ("prior_radium223", "[223Ra]Ra-dichloride", 0),
    ("prior_parp_inhibitor", "PARP inhibitor", 0),
    ("prior_other", "Other", 0),
]
OTHER_METASTASIS_COLUMNS = ["met_brain", "met_spinal", "met_other_visceral", "met_other"]
METASTASIS_ROWS: list[tuple[str, str, int]] = [
    ("met_bone", "Bone", 0),
    ("met_bone_diffuse", f"{DASH} diffuse", 1),
    ("met_lymph_node", "Lymph node", 0),
    ("met_liver", "Liver", 0),
    ("met_lung", "Lung", 0),
]
NUMERIC_COLUMNS = [
    "age_at_t0", "baseline_alp", "baseline_hemoglobin", "baseline_psa", "baseline_ecog",
    "n_cycles", "n_series", "cumulative_activity_gbq",
]
# Every dim_patient column Table 1 reads; nothing else is loaded.
PATIENT_COLUMNS: list[str] = (
    NUMERIC_COLUMNS
    + [c for c, _, _ in PRIOR_THERAPY_ROWS]
    + [c for c, _, _ in METASTASIS_ROWS]
    + OTHER_METASTASIS_COLUMNS
)
ECOG_SECTION = "ECOG performance status, n (%)"
NOT_RECORDED = "Not recorded"
AGE_THRESHOLD_YEARS = 65
ANEMIA_THRESHOLD_G_DL = 13.5  # the LLN for men used by the paper


@dataclass
class _Rows:
    rows: list[dict[str, object]]
    tests: list[_TestData | None]

    def add(self, section: str, characteristic: str, statistic: str, value: float | None, n: int,
            percent: float | None = None, indent: int = 0, test: _TestData | None = None) -> None:
        self.rows.append({
            "row_order": len(self.rows) + 1, "section": section, "characteristic": characteristic,
            "indent": indent, "statistic": statistic, "value_numeric": value, "percent": percent, "n": n,
        })
        self.tests.append(test)

    def count(
        self, section: str, characteristic: str, flags: pd.Series, cohort_n: int, indent: int = 0,
        known: pd.Series | None = None, test: _TestData | None = None,
    ) -> None:
        """n (%) of `flags` over the cohort (missing counts as no); the test compares the flag over the
        patients where it is `known` (default: flag not missing), unless a section `test` is given."""
        k = int(flags.astype("boolean").fillna(False).to_numpy(dtype=bool).sum())
        if test is None:
            mask = (flags.notna() if known is None else known).to_numpy(dtype=bool)
            test = _TestData("binary", flags.astype("boolean").to_numpy(dtype=bool, na_value=False)[mask])
        self.add(section, characteristic, format_count_percent(k, cohort_n),
                 float(k) if cohort_n else None, cohort_n, 100.0 * k / cohort_n if cohort_n else None, indent,
                 test)

    def median(self, section: str, characteristic: str, values: pd.Series) -> None:
        v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
        test = _TestData("continuous", v.to_numpy())
        if v.empty:
            self.add(section, characteristic, DASH, None, 0, test=test)
            return
        med = float(v.median())
        statistic = format_median_range(med, float(v.min()), float(v.max()))
        self.add(section, characteristic, statistic, med, len(v), test=test)

    def mean_sd(self, section: str, characteristic: str, values: pd.Series, testable: bool = True) -> None:
        v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
        test = _TestData("continuous", v.to_numpy()) if testable else None
        if v.empty:
            self.add(section, characteristic, DASH, None, 0, test=test)
            return
        mean = float(v.mean())
        sd = float(v.std(ddof=1)) if len(v) >= 2 else None
        self.add(section, characteristic, format_mean_sd_range(mean, sd, float(v.min()), float(v.max())),
                 mean, len(v), test=test)


def table1_rows(patients: pd.DataFrame, cycle_activity_gbq: pd.Series) -> pd.DataFrame:
    """Table 1 of one cohort from its dim_patient rows (PATIENT_COLUMNS) and its cycles' activities."""
    return _table1(patients, cycle_activity_gbq).frame()


def _table1(patients: pd.DataFrame, cycle_activity_gbq: pd.Series) -> _Table1:
    missing = [c for c in PATIENT_COLUMNS if c not in patients.columns]
    if missing:
        raise KeyError(f"marts.dim_patient lacks Table 1 columns: {', '.join(missing)}")
    n = len(patients)
    t = _Rows([], [])
    age = pd.to_numeric(patients["age_at_t0"], errors="coerce")
    t.median("Age", "Median [years], (range)", age)
    t.count("Age", f"Age ≥ {AGE_THRESHOLD_YEARS} years, n (%)", age >= AGE_THRESHOLD_YEARS, n,
            known=age.notna())
    t.median("ALP [U/L]", "Median (range)", patients["baseline_alp"])
    hb = pd.to_numeric(patients["baseline_hemoglobin"], errors="coerce")
    t.median("Hemoglobin [g/dL]", "Median (range)", hb)
    t.count("Hemoglobin [g/dL]", f"< {ANEMIA_THRESHOLD_G_DL} g/dL, n (%)", hb < ANEMIA_THRESHOLD_G_DL, n,
            known=hb.notna())

    section = ECOG_SECTION
    ecog = pd.to_numeric(patients["baseline_ecog"], errors="coerce")
    ecog_test = _TestData("category", ecog.dropna().astype(int).to_numpy())
    for value in sorted(int(v) for v in ecog.dropna().unique()):
        t.count(section, str(value), ecog == value, n, test=ecog_test)
    if n and ecog.isna().any():
        t.count(section, NOT_RECORDED, ecog.isna(), n, test=ecog_test)

    for column, label, indent in PRIOR_THERAPY_ROWS:
        t.count("Prior therapies, n (%)", label, patients[column], n, indent)

    t.median("PSA at baseline [ng/mL]", "Median (range)", patients["baseline_psa"])

    section = "Metastases, n (%)"
    for column, label, indent in METASTASIS_ROWS:
        t.count(section, label, patients[column], n, indent)
    other = patients[OTHER_METASTASIS_COLUMNS].astype("boolean").fillna(False).any(axis=1)
    t.count(section, "Other (cerebral, spinal, other visceral)", other, n)

    section = "Treatment"
    cycles = pd.to_numeric(patients["n_cycles"], errors="coerce")
    t.median(section, "Cycles per patient, median (range)", cycles)
    for k, label in ((1, "1 cycle"), (2, "2 cycles"), (3, "3 cycles")):
        t.count(section, f"{label}, n (%)", cycles == k, n, indent=1, known=cycles.notna())
    t.count(section, "≥ 4 cycles, n (%)", cycles >= 4, n, indent=1, known=cycles.notna())
    # administrations of one patient are not independent observations: no rank-sum test over them
    t.mean_sd(section, "Activity per cycle [GBq], mean ± SD (range)", cycle_activity_gbq, testable=False)
    t.mean_sd(section, "Cumulative activity [GBq], mean ± SD (range)", patients["cumulative_activity_gbq"])
    series = pd.to_numeric(patients["n_series"], errors="coerce")
    t.count(section, "> 1 series, n (%)", series > 1, n, known=series.notna())
    return _Table1(t, n)


@dataclass
class _Table1:
    rows: _Rows
    n: int

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows.rows, columns=TABLE1_COLUMNS)
        frame["value_numeric"] = frame["value_numeric"].astype(float)
        frame["percent"] = frame["percent"].astype(float)
        return frame.astype({"row_order": np.int64, "indent": np.int64, "n": np.int64})

    def by_key(self) -> dict[tuple[str, str], tuple[str, _TestData | None]]:
        return {
            (str(r["section"]), str(r["characteristic"])): (str(r["statistic"]), test)
            for r, test in zip(self.rows.rows, self.rows.tests, strict=True)
        }


def table1_comparison_rows(
    patients_a: pd.DataFrame, activity_a: pd.Series, patients_b: pd.DataFrame, activity_b: pd.Series
) -> pd.DataFrame:
    """Table 1 of cohorts a and b side by side (COMPARISON_COLUMNS) with gtsummary add_p's tests.

    Rows are the union of both tables (an ECOG value only one cohort has prints `0 (0)` in the other).
    Continuous rows: Wilcoxon rank-sum; n (%) rows: Fisher's exact on the 2 x 2 table of patients with a
    known value; the ECOG distribution (known values): one test on the section's first row, Fisher for
    2 x 2, chi-square for larger tables unless an expected count is < 5 (then Fisher). Activity per cycle
    has no test (cycles of one patient are not independent).
    """
    ta, tb = _table1(patients_a, activity_a), _table1(patients_b, activity_b)
    a, b = ta.by_key(), tb.by_key()
    keys = _merged_keys(list(a), list(b))
    rows: list[dict[str, object]] = []
    tested_sections: set[str] = set()
    for section, characteristic in keys:
        stat_a, test_a = a.get((section, characteristic), (_zero_count(ta.n), None))
        stat_b, test_b = b.get((section, characteristic), (_zero_count(tb.n), None))
        kind = (test_a or test_b).kind if (test_a or test_b) else None
        name: str | None = None
        p: float | None = None
        if kind == "continuous" and test_a and test_b:
            name, p = WILCOXON, wilcoxon_rank_sum(test_a.values, test_b.values)
        elif kind == "binary" and test_a and test_b:
            table = np.array([[v.sum(), v.size - v.sum()] for v in (test_a.values, test_b.values)])
            name, p = categorical_test(table)
        elif kind == "category" and section not in tested_sections:
            tested_sections.add(section)
            values_a = test_a.values if test_a else _category_values(ta)
            values_b = test_b.values if test_b else _category_values(tb)
            levels = np.union1d(values_a, values_b)
            table = np.array([[np.sum(v == level) for level in levels] for v in (values_a, values_b)])
            name, p = categorical_test(table)
        rows.append({
            "row_order": len(rows) + 1, "section": section, "characteristic": characteristic,
            "statistic_a": stat_a, "statistic_b": stat_b, "test": name if p is not None else None,
            "p_value": p,
        })
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS).astype({"p_value": float})


def _merged_keys(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """a's rows in order, each row only b has inserted after the last merged row of its section (ECOG
    levels sorted, "Not recorded" last)."""
    merged = list(a)
    for key in b:
        if key in merged:
            continue
        same = [i for i, k in enumerate(merged) if k[0] == key[0]]
        merged.insert(same[-1] + 1 if same else len(merged), key)
    ecog = [k for k in merged if k[0] == ECOG_SECTION]
    if ecog:
        start = merged.index(ecog[0])
        ordered = sorted(ecog, key=lambda k: (k[1] == NOT_RECORDED, k[1]))
        merged[start:start + len(ordered)] = ordered
    return merged


def _category_values(table: _Table1) -> np.ndarray:
    for test in table.rows.tests:
        if test is not None and test.kind == "category":
            return test.values
    return np.empty(0)


def _zero_count(n: int) -> str:
    return format_count_percent(0, n) if n else DASH
