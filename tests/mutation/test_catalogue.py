"""The mutation catalogue covers every threshold: each numeric bound of the CTCAE and PSA seeds, and each
threshold that clinical-rules.md names, moved both ways (a harness run: tests/dbt/test_mutation_harness.py).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.mutation.catalogue import REPO, SEED_READERS, all_mutants
from tests.mutation.harness import Batch, dbt_seed_rows, is_seed_mutant, seed_readers

SEEDS = REPO / "dbt_project" / "seeds"
SPEC = REPO.parent / "shared" / "spec" / "clinical-rules.md"

# Each threshold clinical-rules.md names, as the spec spells it, and the catalogue's label for it.
SPEC_THRESHOLDS = {
    "Months = days / 30.4375": "months = days / 30.4375",
    "baseline_window_days = 60": "setting baseline_window_days = 60",
    "ECOG uses 90": "setting ecog_baseline_window_days = 90",
    "post_window_days = 84": "setting post_window_days = 84",
    "hemoglobin 13.5–17.5 g/dL": "reference range hemoglobin M lln = 13.5",
    "wbc 4.0–10.0": "reference range wbc M uln = 10.0",
    "platelets 150–400": "reference range platelets M lln = 150",
    "neutrophils 1.8–7.7": "reference range neutrophils M uln = 7.7",
    "lymphocytes 1.0–4.8": "reference range lymphocytes M lln = 1.0",
    "creatinine 0.7–1.2 mg/dL": "reference range creatinine M uln = 1.2",
    "egfr LLN 90": "reference range egfr M lln = 90",
    "alp 40–130 U/L": "reference range alp M uln = 130",
    "psa ULN 4 ng/mL": "reference range psa M uln = 4",
    "`142 * min(Scr/k,1)^a": "CKD-EPI 2021: 142",
    "max(Scr/k,1)^-1.200": "CKD-EPI 2021: exponent -1.200",
    "0.9938^age": "CKD-EPI 2021: 0.9938^age",
    "(1.012 if female)": "CKD-EPI 2021: female factor 1.012",
    "k=0.9, a=-0.302 for\nmen": "CKD-EPI 2021: alpha -0.302 (men, U)",
    "k=0.7, a=-0.241 for women": "CKD-EPI 2021: alpha -0.241 (women)",
    "`PR` if change ≤ −50 %": "PSA psa_response/pr_max_change_pct = -50",
    "`PD` if change ≥ +25 %": "PSA psa_response/pd_min_change_pct = 25",
    "`psa50` (≤ −50 %)": "PSA psa_response/psa50_max_change_pct = -50",
    "`psa90`": "PSA psa_response/psa90_max_change_pct = -90",
    "t0 + 84 days within ±21 days": "PSA psa_response/week12/window_days = 21",
    "≥ 25 % and ≥ 2 ng/mL above the nadir": "PSA psa_progression/pcwg3/min_rise_ng_ml = 2",
    "next PSA ≥ 21 days later": "PSA psa_progression/pcwg3/confirmation_days = 21",
    "rises before t0 + 84 days": "PSA psa_progression/pcwg3/early_rise_ignored_days = 84",
    "`rise25`: the first post-t0 PSA ≥ 25 %": "PSA psa_progression/rise25/min_rise_pct = 25",
    "smallest t with S(t) ≤ 0.5": "KM median: S(t) <= 0.5",
    "Its 95 % CI": "KM 95 % log-log CI",
    "#(follow-up ≥ t)": "number at risk: follow-up >= t",
    "Wald 95 % CI": "Cox Wald 95 % CI",
    "expected count is < 5": "Fisher where an expected count < 5",
    "n ≥ 65 y": "Table 1: n >= 65 y",
    "n < 13.5 g/dL": "Table 1: n < 13.5 g/dL",
}
# the same numbers, which the table above names by one of two labels
ALSO = [
    "CKD-EPI 2021: kappa 0.9 (men, U)",
    "CKD-EPI 2021: kappa 0.7 (women)",
    "PSA psa_progression/pcwg3/min_rise_pct = 25",
    "PSA psa_response/week12/target_day = 84",
]


def _changed_cells(path: Path) -> dict[tuple[int, str], set[str]]:
    """For each cell of a seed that some mutant changes: the values it takes."""
    text = path.read_text(encoding="utf-8")
    before = list(csv.DictReader(io.StringIO(text)))
    relative = str(path.relative_to(REPO))
    out: dict[tuple[int, str], set[str]] = {}
    for mutant in all_mutants():
        if mutant.path != relative:
            continue
        after = list(csv.DictReader(io.StringIO(mutant.mutate(text))))
        changes = [(i, c) for i, row in enumerate(before) for c in row if row[c] != after[i][c]]
        assert len(changes) == 1, f"{mutant.name} changes {changes}, not one cell"
        out.setdefault(changes[0], set()).add(after[changes[0][0]][changes[0][1]])
    return out


def test_every_ctcae_bound_moved_both_ways_and_every_comparison_flipped() -> None:
    path = SEEDS / "ctcae_v5_lab_criteria.csv"
    changed = _changed_cells(path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    flip = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
    for i, row in enumerate(rows):
        # the numbers a grade depends on: the constant of an absolute bound; the multiple of LLN / ULN /
        # baseline, and its added constant when there is one
        bounds = ["constant"] if row["ref"] == "abs" else ["multiplier"]
        if row["ref"] != "abs" and float(row["constant"]) != 0:
            bounds.append("constant")
        for column in bounds:
            values = {float(v) for v in changed.get((i, column), set())}
            old = float(row[column])
            assert any(v < old for v in values) and any(v > old for v in values), (i, column, values)
        assert changed.get((i, "op")) == {flip[row["op"]]}, (i, row["op"])


def test_every_psa_threshold_moved_both_ways() -> None:
    path = SEEDS / "psa_thresholds.csv"
    changed = _changed_cells(path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows):
        values = {float(v) for v in changed.get((i, "value"), set())}
        old = float(row["value"])
        assert any(v < old for v in values) and any(v > old for v in values), (row, values)


def test_every_threshold_of_clinical_rules_has_mutants_both_ways() -> None:
    by_threshold: dict[str, int] = {}
    for mutant in all_mutants():
        by_threshold[mutant.threshold] = by_threshold.get(mutant.threshold, 0) + 1
    comparison_only = {"number at risk: follow-up >= t"}  # no number to move: `>=` flipped to `>`
    for label in [*SPEC_THRESHOLDS.values(), *ALSO]:
        least = 1 if label in comparison_only else 2  # a number moved down and up
        assert by_threshold.get(label, 0) >= least, f"{label}: {by_threshold.get(label, 0)} mutants"


def test_the_quoted_thresholds_are_those_of_clinical_rules() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is not beside this clone (the spec lives outside the repository)")
    spec = SPEC.read_text(encoding="utf-8")
    missing = [quote for quote in SPEC_THRESHOLDS if quote not in spec]
    assert not missing


def test_seed_mutants_reach_a_unit_test_that_reads_the_seed() -> None:
    readers = seed_readers(REPO)
    for mutant in all_mutants():
        if not is_seed_mutant(mutant):
            continue
        names = {t["name"] for t in readers.get(Path(mutant.path).stem, [])}
        for check in mutant.checks:
            if check.startswith("dbt:") and check != SEED_READERS:
                assert set(check.removeprefix("dbt:").split()) <= names, (mutant.name, check)


def test_a_batched_unit_test_reads_the_rows_dbt_reads_from_the_mutated_seed() -> None:
    import yaml

    mutant = next(m for m in all_mutants() if "Neutrophil count decreased g3" in m.name)
    text = mutant.mutate((REPO / mutant.path).read_text(encoding="utf-8"))
    test = next(t for t in seed_readers(REPO)["ctcae_v5_lab_criteria"]
                if t["name"] == "ctcae_every_grade_edge_both_sides")
    batch = Batch("ctcae_v5_lab_criteria")
    batch.add(7, test, text)
    # dbt's own reading of a seed for a unit test: csv.DictReader over the file, strings as they stand
    with io.StringIO(text) as f:
        assert batch.tables == {"ctcae_v5_lab_criteria__m7": list(csv.DictReader(f))}
    assert dbt_seed_rows(text) == batch.tables["ctcae_v5_lab_criteria__m7"]
    loaded = yaml.safe_load(batch.yaml())["unit_tests"][0]
    seed_inputs = [g for g in loaded["given"] if g["input"] == "ref('ctcae_v5_lab_criteria')"]
    assert seed_inputs == [{"input": "ref('ctcae_v5_lab_criteria')", "format": "sql",
                            "rows": "select * from mutation_fixtures.ctcae_v5_lab_criteria__m7"}]
    assert loaded["name"] == "ctcae_every_grade_edge_both_sides__m7"
    assert {k: v for k, v in loaded.items() if k not in {"name", "config", "given"}} == {
        k: v for k, v in test.items() if k not in {"name", "description", "given"}
    }
    others = [g for g in loaded["given"] if g["input"] != "ref('ctcae_v5_lab_criteria')"]
    assert others == [g for g in test["given"] if g["input"] != "ref('ctcae_v5_lab_criteria')"]
