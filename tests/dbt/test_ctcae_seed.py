"""The CTCAE seed encodes the NCI criteria of tests/fixtures/reference/ctcae-v5-lab-criteria.csv exactly.

The reference (public NCI CTCAE v5.0 data, copied into the repository so that this check runs in every clone
and in CI) states each grade as an SQL-like condition (`value >= 10.0 AND value < lln`). DuckDB evaluates
those conditions as written, and the seed's structured comparisons (the form the dbt grade lookup reads)
translated to SQL, over one grid; they must agree at every point. The grid holds every threshold of the
reference (each constant, and each multiple of LLN, ULN or baseline at several limits) and the points 0.2 %
either side of it, so that moving any bound of the seed by more than 0.2 %, or turning `<` into `<=`, is seen.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.contract.seeds import SEEDS_DIR

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "ctcae-v5-lab-criteria.csv"
SEED = SEEDS_DIR / "ctcae_v5_lab_criteria.csv"
CLINICAL_ONLY = "(clinical only"

# Reference limits the grid uses for LLN / ULN and for the baseline value (values of the real ranges and some
# that make the ULN and baseline arms of creatinine disagree).
LIMITS = [1.2, 4.0, 13.5, 90.0, 130.0, 150.0]
BASELINES = [0.8, 1.0, 100.0, 260.0]
# Relative distance of the points beside each threshold; the mutation harness moves bounds by 1 %.
NEAR = 0.002


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        pytest.fail(f"{path} is missing: the CTCAE reference must be in the repository (public NCI data)")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _thresholds(reference: list[dict[str, str]]) -> list[float]:
    """Every value at which some reference condition can change truth, over the grid's limits."""
    points: set[float] = set()
    for row in reference:
        cond = row["grade_if"]
        for k in re.findall(r"(\d+(?:\.\d+)?)\*(?:uln|baseline_value)", cond):
            points.update(float(k) * x for x in LIMITS + BASELINES)
        for c in re.findall(r"uln \+ (\d+(?:\.\d+)?)", cond):
            points.update(float(c) + x for x in LIMITS)
        for c in re.findall(r"value [<>]=? (\d+(?:\.\d+)?)(?![\d.]*\*)", cond):
            points.add(float(c))
    points.update(LIMITS + BASELINES)
    return sorted({p * f for p in points for f in (1 - NEAR, 1.0, 1 + NEAR)})


def _sql_list(values: list[float]) -> str:
    return "[" + ", ".join(f"{v!r}::double" for v in values) + "]"


def _seed_sql(rows: list[dict[str, str]]) -> str:
    """The seed rows of one term and grade as one SQL condition: OR over clauses, AND over comparisons."""
    refs = {"abs": "0.0", "lln": "lln", "uln": "uln", "baseline": "baseline_value"}
    conditions = {"any": "true", "normal": "not high", "high": "high"}
    clauses: dict[str, list[str]] = {}
    for r in rows:
        assert r["op"] in {"<", "<=", ">", ">="}, r
        threshold = f"({float(r['constant'])!r} + {float(r['multiplier'])!r} * {refs[r['ref']]})"
        clauses.setdefault(r["clause"], []).append(
            f"({conditions[r['baseline_condition']]} and value {r['op']} {threshold})"
        )
    return " or ".join("(" + " and ".join(c) + ")" for c in clauses.values())


def test_reference_is_in_the_repository() -> None:
    reference = _read(REFERENCE)
    terms = {r["term"] for r in reference}
    assert len(reference) == 39 and len(terms) == 9, "not the CTCAE v5.0 lab table the seed was made from"


def test_seed_has_exactly_the_reference_grades() -> None:
    reference = [r for r in _read(REFERENCE) if not r["grade_if"].startswith(CLINICAL_ONLY)]
    seed = _read(SEED)
    assert {(r["term"], r["grade"]) for r in seed} == {(r["term"], r["grade"]) for r in reference}
    analyte = {(r["term"], r["analyte"], r["direction"]) for r in reference}
    assert {(r["term"], r["analyte"], r["direction"]) for r in seed} == analyte
    # Anemia grade 4 is clinical only: never derived from a lab value.
    assert not [r for r in seed if r["term"] == "Anemia" and r["grade"] == "4"]


def test_seed_matches_reference_conditions() -> None:
    reference = [r for r in _read(REFERENCE) if not r["grade_if"].startswith(CLINICAL_ONLY)]
    seed = _read(SEED)
    con = duckdb.connect()
    values = _thresholds(reference)
    con.execute(
        "create table grid as select v.value, l.lln, u.uln, b.baseline_value, h.high "
        f"from unnest({_sql_list(values)}) v(value), unnest({_sql_list(LIMITS)}) l(lln), "
        f"unnest({_sql_list(LIMITS)}) u(uln), unnest({_sql_list(BASELINES)}) b(baseline_value), "
        "unnest([false, true]) h(high)"
    )
    assert con.execute("select count(*) from grid").fetchone() == (len(values) * 288,)
    for row in reference:
        expected = (
            row["grade_if"]
            .replace("baseline_range_indicator <> 'HIGH'", "not high")
            .replace("baseline_range_indicator = 'HIGH'", "high")
        )
        branch = None
        if "baseline_range_indicator" in row["grade_if"]:
            # ALP has one reference row per baseline branch; compare the seed's clauses of that branch
            branch = "high" if "= 'HIGH'" in row["grade_if"] else "normal"
        rows = [
            r for r in seed
            if r["term"] == row["term"] and r["grade"] == row["grade"]
            and (branch is None or r["baseline_condition"] == branch)
        ]
        assert rows, f"seed lacks {row['term']} grade {row['grade']} ({branch or 'any baseline'})"
        where = f"(not high) = {branch == 'normal'}" if branch else "true"
        got = _seed_sql(rows)
        mismatch = con.execute(
            f"select value, lln, uln, baseline_value, high, ({expected}) as nci, ({got}) as seed "
            f"from grid where {where} and ({expected}) is distinct from ({got}) limit 1"
        ).fetchone()
        assert mismatch is None, (
            f"{row['term']} grade {row['grade']}: seed and NCI differ at (value, lln, uln, baseline, "
            f"baseline high, NCI, seed) = {mismatch}"
        )
    assert len(values) > 200
