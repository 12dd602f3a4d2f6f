"""The seed lab_reference_ranges holds the default ranges of clinical-rules.md ("Lab normalisation")."""

from __future__ import annotations

import csv

from orchestration.contract.seeds import SEEDS_DIR

# clinical-rules.md, defaults for men: (LLN, ULN), None where the spec names no limit.
SPEC_MEN = {
    "hemoglobin": (13.5, 17.5),
    "wbc": (4.0, 10.0),
    "platelets": (150.0, 400.0),
    "neutrophils": (1.8, 7.7),
    "lymphocytes": (1.0, 4.8),
    "creatinine": (0.7, 1.2),
    "egfr": (90.0, None),
    "alp": (40.0, 130.0),
    "psa": (None, 4.0),
}


def _ranges(sex: str) -> dict[str, tuple[float | None, float | None]]:
    with open(SEEDS_DIR / "lab_reference_ranges.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["sex"] == sex and r["analyte"] in SPEC_MEN]
    return {r["analyte"]: tuple(float(r[c]) if r[c] else None for c in ("lln", "uln")) for r in rows}


def test_men_have_the_spec_defaults() -> None:
    assert _ranges("M") == SPEC_MEN


def test_unknown_sex_uses_the_mens_defaults() -> None:
    # as CKD-EPI does for sex U (clinical-rules.md)
    assert _ranges("U") == SPEC_MEN
