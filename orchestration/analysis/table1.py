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

TABLE1_COLUMNS = [
    "row_order", "section", "characteristic", "indent", "statistic", "value_numeric", "percent", "n",
]

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
AGE_THRESHOLD_YEARS = 65
ANEMIA_THRESHOLD_G_DL = 13.5  # the LLN for men used by the paper


@dataclass
class _Rows:
    rows: list[dict[str, object]]

    def add(self, section: str, characteristic: str, statistic: str, value: float | None, n: int,
            percent: float | None = None, indent: int = 0) -> None:
        self.rows.append({
            "row_order": len(self.rows) + 1, "section": section, "characteristic": characteristic,
            "indent": indent, "statistic": statistic, "value_numeric": value, "percent": percent, "n": n,
        })

    def count(
        self, section: str, characteristic: str, flags: pd.Series, cohort_n: int, indent: int = 0
    ) -> None:
        k = int(flags.astype("boolean").fillna(False).to_numpy(dtype=bool).sum())
        self.add(section, characteristic, format_count_percent(k, cohort_n),
                 float(k) if cohort_n else None, cohort_n, 100.0 * k / cohort_n if cohort_n else None, indent)

    def median(self, section: str, characteristic: str, values: pd.Series) -> None:
        v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
        if v.empty:
            self.add(section, characteristic, DASH, None, 0)
            return
        med = float(v.median())
        statistic = format_median_range(med, float(v.min()), float(v.max()))
        self.add(section, characteristic, statistic, med, len(v))

    def mean_sd(self, section: str, characteristic: str, values: pd.Series) -> None:
        v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
        if v.empty:
            self.add(section, characteristic, DASH, None, 0)
            return
        mean = float(v.mean())
        sd = float(v.std(ddof=1)) if len(v) >= 2 else None
        self.add(section, characteristic, format_mean_sd_range(mean, sd, float(v.min()), float(v.max())),
                 mean, len(v))


def table1_rows(patients: pd.DataFrame, cycle_activity_gbq: pd.Series) -> pd.DataFrame:
    """Table 1 of one cohort from its dim_patient rows (PATIENT_COLUMNS) and its cycles' activities."""
    missing = [c for c in PATIENT_COLUMNS if c not in patients.columns]
    if missing:
        raise KeyError(f"marts.dim_patient lacks Table 1 columns: {', '.join(missing)}")
    n = len(patients)
    t = _Rows([])
    age = pd.to_numeric(patients["age_at_t0"], errors="coerce")
    t.median("Age", "Median [years], (range)", age)
    t.count("Age", f"Age ≥ {AGE_THRESHOLD_YEARS} years, n (%)", age >= AGE_THRESHOLD_YEARS, n)
    t.median("ALP [U/L]", "Median (range)", patients["baseline_alp"])
    hb = pd.to_numeric(patients["baseline_hemoglobin"], errors="coerce")
    t.median("Hemoglobin [g/dL]", "Median (range)", hb)
    t.count("Hemoglobin [g/dL]", f"< {ANEMIA_THRESHOLD_G_DL} g/dL, n (%)", hb < ANEMIA_THRESHOLD_G_DL, n)

    section = "ECOG performance status, n (%)"
    ecog = pd.to_numeric(patients["baseline_ecog"], errors="coerce")
    for value in sorted(int(v) for v in ecog.dropna().unique()):
        t.count(section, str(value), ecog == value, n)
    if n and ecog.isna().any():
        t.count(section, "Not recorded", ecog.isna(), n)

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
        t.count(section, f"{label}, n (%)", cycles == k, n, indent=1)
    t.count(section, "≥ 4 cycles, n (%)", cycles >= 4, n, indent=1)
    t.mean_sd(section, "Activity per cycle [GBq], mean ± SD (range)", cycle_activity_gbq)
    t.mean_sd(section, "Cumulative activity [GBq], mean ± SD (range)", patients["cumulative_activity_gbq"])
    series = pd.to_numeric(patients["n_series"], errors="coerce")
    t.count(section, "> 1 series, n (%)", series > 1, n)
    frame = pd.DataFrame(t.rows, columns=TABLE1_COLUMNS)
    frame["value_numeric"] = frame["value_numeric"].astype(float)
    frame["percent"] = frame["percent"].astype(float)
    return frame.astype({"row_order": np.int64, "indent": np.int64, "n": np.int64})
