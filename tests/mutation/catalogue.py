"""The mutants: every clinical threshold of clinical-rules.md, wherever it is kept, moved a small step up and
down, and every comparison flipped between strict and non-strict.

- Thresholds that are data (the seeds ctcae_v5_lab_criteria, psa_thresholds, lab_reference_ranges) are
  mutated in the seed, never in SQL text, so that a rewrite of the SQL keeps the mutants meaningful.
- Constants that live in code (CKD-EPI 2021 in the macro ckd_epi_2021, months = days / 30.4375 in the
  macro survival_time_columns, the statistics' 0.5 / 95 % / 65 y / 13.5 g/dL) are mutated in that code,
  found by an exact snippet that must occur exactly as many times as declared, so that a moved constant
  fails loudly here instead of silently escaping the harness.

A step is 1 % of the value, or one unit for whole days and years. A comparison that the seed does not
spell (psa_thresholds holds values only; the operator of each is the spec's) is flipped by moving its
value by 1e-6 across the equality (`<= -50` becomes `<= -50.000001`, i.e. `< -50` at the data's six
decimals); for whole days a flip is the one-day step.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEEDS = "dbt_project/seeds"
STEP = 0.01
NUDGE = 1e-6
FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}

# The checks, tried in order until one fails: `dbt:` a selection of dbt unit tests (for a seed mutant: unit
# tests by name, each of which must read that seed from disk; SEED_READERS: every other unit test that
# does); `pyfunc:` the test functions of a fixture-free test module, called directly; `pytest:` test files
# run by pytest (when they need fixtures). A seed mutant meets its boundary unit test first, then the
# seed's pin (cheap), then the seed's other unit tests (only the pin's survivors: about one dbt unit test
# run a second per mutant and test, so this order keeps the run within CI's 5 minutes).
SEED_READERS = "dbt:*"
CTCAE_SEED_TEST = "pyfunc:tests/dbt/test_ctcae_seed.py"
CTCAE_UNIT = "dbt:ctcae_every_grade_edge_both_sides"
PSA_PROGRESSION_UNIT = "dbt:psa_progression_thresholds_both_sides"
PSA_RESPONSE_UNIT = "dbt:psa_response_thresholds_both_sides"
PSA_SEED_TEST = "pyfunc:tests/dbt/test_psa_thresholds_seed.py"
RANGES_SEED_TEST = "pyfunc:tests/dbt/test_reference_ranges_seed.py"
CKD_EPI_UNIT = "dbt:ckd_epi_2021_women_and_creatinine_at_or_below_kappa"
CKD_EPI_ALL = "dbt:test_type:unit,int_lab_results_normalised"
SURVIVAL_UNIT = "dbt:test_type:unit,fct_survival test_type:unit,fct_pfs_by_rule"
KM_TESTS = "pyfunc:tests/analysis/test_km.py"
BUILD_TESTS = "pytest:tests/analysis/test_build.py"
TABLE1_TESTS = "pyfunc:tests/analysis/test_table1_thresholds.py"
DURABILITY_TESTS = "pyfunc:tests/orchestration/test_publish_durability.py"


@dataclass(frozen=True)
class Mutant:
    """One change of one file; `checks` are tried in order until one fails (the mutant is killed)."""

    name: str
    threshold: str  # the rule it breaks, as the report groups them
    path: str  # relative to the repository
    mutate: Callable[[str], str] = field(compare=False)
    checks: tuple[str, ...] = ()
    equivalent: str = ""  # why no test can tell this mutant apart (then surviving is not a failure)


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _steps(value: float, whole: bool) -> list[tuple[str, float]]:
    if whole:
        return [("-1", value - 1), ("+1", value + 1)]
    return [("-1%", value * (1 - STEP)), ("+1%", value * (1 + STEP))]


def _read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _csv_cell_mutation(index: int, column: str, new: str, expect_old: str) -> Callable[[str], str]:
    """Set one cell of a seed CSV (data row `index`), checking that it still holds `expect_old`."""

    def mutate(text: str) -> str:
        header, rows = _read_csv(text)
        if rows[index][column] != expect_old:
            raise AssertionError(
                f"seed row {index} column {column} is {rows[index][column]!r}, not {expect_old!r}"
            )
        rows[index][column] = new
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    return mutate


def _replace(old: str, new: str, count: int, occurrence: int | None = None) -> Callable[[str], str]:
    """Replace `old` by `new` (only its `occurrence`-th appearance when given); `old` must appear
    exactly `count` times."""

    def mutate(text: str) -> str:
        found = text.count(old)
        if found != count:
            raise AssertionError(f"{old!r} occurs {found} times, the harness expects {count}")
        if occurrence is None:
            return text.replace(old, new)
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(old, start + 1)
        return text[:start] + new + text[start + len(old) :]

    return mutate


# Comparisons of the seed that cannot change any grade (equivalent mutants), with the reason. The NCI
# condition of creatinine grade 2 is `value > 1.5*uln OR (value > 1.5*baseline AND value <= 3.0*uln AND
# value <= 3.0*baseline)`: a value above 3.0 x ULN already meets `value > 1.5*uln`, so the cap `<= 3.0*uln`
# (moved or made strict) never changes the grade; likewise `<= 6.0*uln` of grade 3 beside `value > 3.0*uln`.
# The NCI reference's own condition has the same redundancy, so its check cannot see them either.
CTCAE_REDUNDANT = {
    ("Creatinine increased", "2", "2", "uln", "<="): "redundant: above 3.0 x ULN, value > 1.5 x ULN holds",
    ("Creatinine increased", "3", "2", "uln", "<="): "redundant: above 6.0 x ULN, value > 3.0 x ULN holds",
}


def ctcae_mutants() -> list[Mutant]:
    path = f"{SEEDS}/ctcae_v5_lab_criteria.csv"
    _, rows = _read_csv((REPO / path).read_text(encoding="utf-8"))
    checks = (CTCAE_UNIT, CTCAE_SEED_TEST, SEED_READERS)
    out: list[Mutant] = []
    for i, r in enumerate(rows):
        label = f"{r['term']} g{r['grade']} c{r['clause']} {r['baseline_condition']}: value {r['op']} "
        label += r["constant"] if r["ref"] == "abs" else f"{r['multiplier']} x {r['ref']} + {r['constant']}"
        threshold = f"CTCAE {label}"
        equivalent = CTCAE_REDUNDANT.get((r["term"], r["grade"], r["clause"], r["ref"], r["op"]), "")
        bounds = [("constant", r["constant"])] if r["ref"] == "abs" else [("multiplier", r["multiplier"])]
        if r["ref"] != "abs" and float(r["constant"]) != 0:
            bounds.append(("constant", r["constant"]))
        for column, old in bounds:
            for tag, new in _steps(float(old), whole=False):
                out.append(
                    Mutant(
                        f"{label} [{column} {old} -> {_fmt(new)} ({tag})]",
                        threshold,
                        path,
                        _csv_cell_mutation(i, column, _fmt(new), old),
                        checks,
                        equivalent,
                    )
                )
        flipped = FLIP[r["op"]]
        out.append(
            Mutant(
                f"{label} [op {r['op']} -> {flipped}]",
                threshold,
                path,
                _csv_cell_mutation(i, "op", flipped, r["op"]),
                checks,
                equivalent,
            )
        )
    return out


PROGRESSION = (PSA_PROGRESSION_UNIT, SEED_READERS)
RESPONSE = (PSA_RESPONSE_UNIT, SEED_READERS)
# psa_thresholds: (criterion, rule, threshold) -> (the spec's comparison of the value, whole days, checks)
PSA_SPEC: dict[tuple[str, str, str], tuple[str, bool, tuple[str, ...]]] = {
    ("psa_progression", "pcwg3", "min_rise_pct"): (">=", False, PROGRESSION),
    ("psa_progression", "pcwg3", "min_rise_ng_ml"): (">=", False, PROGRESSION),
    ("psa_progression", "pcwg3", "confirmation_days"): (">=", True, PROGRESSION),
    # rises on days < 84 are ignored: the flip `<=` is the +1 day step
    ("psa_progression", "pcwg3", "early_rise_ignored_days"): ("<", True, PROGRESSION),
    ("psa_progression", "rise25", "min_rise_pct"): (">=", False, PROGRESSION),
    ("psa_response", "", "pr_max_change_pct"): ("<=", False, RESPONSE),
    ("psa_response", "", "psa50_max_change_pct"): ("<=", False, RESPONSE),
    ("psa_response", "", "pd_min_change_pct"): (">=", False, RESPONSE),
    ("psa_response", "", "psa90_max_change_pct"): ("<=", False, RESPONSE),
    ("psa_response", "week12", "target_day"): ("=", True, RESPONSE),
    ("psa_response", "week12", "window_days"): ("<=", True, RESPONSE),
}


def psa_mutants() -> list[Mutant]:
    path = f"{SEEDS}/psa_thresholds.csv"
    _, rows = _read_csv((REPO / path).read_text(encoding="utf-8"))
    out: list[Mutant] = []
    for i, r in enumerate(rows):
        key = (r["criterion"], r["rule"], r["threshold"])
        if key not in PSA_SPEC:
            raise AssertionError(f"psa_thresholds row {key} has no entry in the harness: add one")
        op, whole, dbt_checks = PSA_SPEC[key]
        checks = (dbt_checks[0], PSA_SEED_TEST, *dbt_checks[1:])
        old = r["value"]
        label = f"{'/'.join(k for k in key if k)} = {old}"
        threshold = f"PSA {label}"
        for tag, new in _steps(float(old), whole):
            out.append(
                Mutant(
                    f"{label} [{_fmt(new)} ({tag})]",
                    threshold,
                    path,
                    _csv_cell_mutation(i, "value", _fmt(new), old),
                    checks,
                )
            )
        if not whole:
            # value >= t -> value > t is value >= t + e; value <= t -> value < t is value <= t - e
            new = float(old) + (NUDGE if op == ">=" else -NUDGE)
            out.append(
                Mutant(
                    f"{label} [flip {op} -> {FLIP[op]}: {_fmt(new)}]",
                    threshold,
                    path,
                    _csv_cell_mutation(i, "value", _fmt(new), old),
                    checks,
                )
            )
    return out


# The defaults of clinical-rules.md ("Defaults for men"; sex U uses them too).
SPEC_RANGES = (
    "hemoglobin",
    "wbc",
    "platelets",
    "neutrophils",
    "lymphocytes",
    "creatinine",
    "egfr",
    "alp",
    "psa",
)


def reference_range_mutants() -> list[Mutant]:
    path = f"{SEEDS}/lab_reference_ranges.csv"
    _, rows = _read_csv((REPO / path).read_text(encoding="utf-8"))
    out: list[Mutant] = []
    for i, r in enumerate(rows):
        if r["sex"] not in {"M", "U"} or r["analyte"] not in SPEC_RANGES:
            continue
        for column in ("lln", "uln"):
            old = r[column]
            if not old:
                continue
            label = f"reference range {r['analyte']} {r['sex']} {column} = {old}"
            for tag, new in _steps(float(old), whole=False):
                out.append(
                    Mutant(
                        f"{label} [{_fmt(new)} ({tag})]",
                        label,
                        path,
                        _csv_cell_mutation(i, column, _fmt(new), old),
                        (RANGES_SEED_TEST,),
                    )
                )
    return out


CKD_EPI_MACRO = "dbt_project/macros/clinical.sql"
# (snippet, occurrences in the macro file, what it is); each occurrence is mutated on its own.
CKD_EPI_CONSTANTS = [
    ("142\n", 1, "CKD-EPI 2021: 142"),
    ("then 0.7 else", 2, "CKD-EPI 2021: kappa 0.7 (women)"),
    ("else 0.9 end, 1.0)", 2, "CKD-EPI 2021: kappa 0.9 (men, U)"),
    ("then -0.241 else", 1, "CKD-EPI 2021: alpha -0.241 (women)"),
    ("else -0.302 end", 1, "CKD-EPI 2021: alpha -0.302 (men, U)"),
    ("1.0), -1.200)", 1, "CKD-EPI 2021: exponent -1.200"),
    ("pow(0.9938,", 1, "CKD-EPI 2021: 0.9938^age"),
    ("then 1.012 else", 1, "CKD-EPI 2021: female factor 1.012"),
]


def _number_in(snippet: str) -> str:
    import re

    match = re.search(r"-?\d+\.\d+|\d+", snippet)
    assert match, snippet
    return match.group(0)


def ckd_epi_mutants() -> list[Mutant]:
    out: list[Mutant] = []
    for snippet, count, label in CKD_EPI_CONSTANTS:
        number = _number_in(snippet)
        for occurrence in range(count):
            where = f" (occurrence {occurrence + 1} of {count})" if count > 1 else ""
            for tag, new in _steps(float(number), whole=False):
                mutated = snippet.replace(number, _fmt(new), 1)
                out.append(
                    Mutant(
                        f"{label}{where} [{number} -> {_fmt(new)} ({tag})]",
                        label,
                        CKD_EPI_MACRO,
                        _replace(snippet, mutated, count, occurrence),
                        (CKD_EPI_UNIT, CKD_EPI_ALL),
                    )
                )
    return out


def code_constant_mutants() -> list[Mutant]:
    """Constants of the rules kept in code: months in SQL and Python, the statistics' levels, Table 1."""
    out: list[Mutant] = []
    # both survival marts take their time columns from this one macro
    path = "dbt_project/macros/survival.sql"
    for tag, new in _steps(30.4375, whole=False):
        out.append(
            Mutant(
                f"{path}: months = days / 30.4375 [{_fmt(new)} ({tag})]",
                "months = days / 30.4375",
                path,
                _replace("/ 30.4375 as time_months", f"/ {_fmt(new)} as time_months", 1),
                (SURVIVAL_UNIT,),
            )
        )
    km = "orchestration/analysis/km.py"
    for tag, new in _steps(30.4375, whole=False):
        out.append(
            Mutant(
                f"{km}: DAYS_PER_MONTH 30.4375 [{_fmt(new)} ({tag})]",
                "months = days / 30.4375",
                km,
                _replace("DAYS_PER_MONTH = 30.4375", f"DAYS_PER_MONTH = {_fmt(new)}", 1),
                (BUILD_TESTS,),
            )
        )
    for tag, new in _steps(0.5, whole=False):
        out.append(
            Mutant(
                f"{km}: median S(t) <= 0.5 [{_fmt(new)} ({tag})]",
                "KM median: S(t) <= 0.5",
                km,
                _replace("p: float = 0.5", f"p: float = {_fmt(new)}", 1),
                (KM_TESTS,),
            )
        )
    for tag, new in (("95 % -> 94.95 %", 0.0505), ("95 % -> 95.05 %", 0.0495)):
        out.append(
            Mutant(
                f"{km}: CI level alpha 0.05 [{tag}]",
                "KM 95 % log-log CI",
                km,
                _replace("alpha=0.05", f"alpha={new}", 1),
                (KM_TESTS,),
            )
        )
    out.append(
        Mutant(
            f"{km}: at risk = #(follow-up >= t) [flip: > t]",
            "number at risk: follow-up >= t",
            km,
            _replace('grid, side="left")).astype', 'grid, side="right")).astype', 1),
            (KM_TESTS,),
        )
    )
    t1 = "orchestration/analysis/table1.py"
    for tag, new in (("-1", 64), ("+1", 66)):
        out.append(
            Mutant(
                f"{t1}: age >= 65 y [{new} ({tag})]",
                "Table 1: n >= 65 y",
                t1,
                _replace("AGE_THRESHOLD_YEARS = 65", f"AGE_THRESHOLD_YEARS = {new}", 1),
                (TABLE1_TESTS,),
            )
        )
    out.append(
        Mutant(
            f"{t1}: age >= 65 y [flip: > 65]",
            "Table 1: n >= 65 y",
            t1,
            _replace("age >= AGE_THRESHOLD_YEARS", "age > AGE_THRESHOLD_YEARS", 1),
            (TABLE1_TESTS,),
        )
    )
    for tag, new in _steps(13.5, whole=False):
        out.append(
            Mutant(
                f"{t1}: hemoglobin < 13.5 g/dL [{_fmt(new)} ({tag})]",
                "Table 1: n < 13.5 g/dL",
                t1,
                _replace("ANEMIA_THRESHOLD_G_DL = 13.5", f"ANEMIA_THRESHOLD_G_DL = {_fmt(new)}", 1),
                (TABLE1_TESTS,),
            )
        )
    out.append(
        Mutant(
            f"{t1}: hemoglobin < 13.5 g/dL [flip: <=]",
            "Table 1: n < 13.5 g/dL",
            t1,
            _replace("hb < ANEMIA_THRESHOLD_G_DL", "hb <= ANEMIA_THRESHOLD_G_DL", 1),
            (TABLE1_TESTS,),
        )
    )
    return out


SETTINGS_TEST = "pytest:tests/orchestration/test_settings.py::test_defaults_are_those_of_clinical_rules"


def settings_mutants() -> list[Mutant]:
    """The windows of clinical-rules.md are settings: their defaults, each a day shorter and longer."""
    path = "orchestration/settings.py"
    out: list[Mutant] = []
    windows = (
        ("baseline_window_days", 60, "\n        default={},"),
        ("ecog_baseline_window_days", 90, "\n        default={}, ge=0,"),
        ("post_window_days", 84, "\n        default={},"),
    )
    for name, days, default in windows:
        for tag, new in _steps(days, whole=True):
            field_start = f"    {name}: int = Field("
            old, changed = field_start + default.format(days), field_start + default.format(f"{new:g}")
            label = f"settings: {name} default {days} [{new:g} ({tag})]"
            mutate = _replace(old, changed, 1)
            out.append(Mutant(label, f"setting {name} = {days}", path, mutate, (SETTINGS_TEST,)))
    return out


CATEGORICAL_BOUNDARY = "pyfunc:tests/analysis/test_categorical_test_boundary.py"


def comparison_mutants() -> list[Mutant]:
    """Cohort comparison: the Cox Wald 95 % CI (qnorm(0.975)); Fisher where an expected count < 5."""
    cox, groups = "orchestration/analysis/cox.py", "orchestration/analysis/group_tests.py"
    out: list[Mutant] = []
    for tag, new in _steps(0.975, whole=False):
        out.append(Mutant(f"stats-cmp: Cox CI qnorm(0.975) [{_fmt(new)} ({tag})]", "Cox Wald 95 % CI", cox,
                          _replace("stats.norm.ppf(0.975)", f"stats.norm.ppf({_fmt(new)})", 1),
                          ("pytest:tests/analysis/test_cox.py",)))
    for label, new in (("4 (-1)", "< 4"), ("6 (+1)", "< 6"), ("flip: <= 5", "<= 5")):
        out.append(Mutant(f"stats-cmp: Fisher where an expected count < 5 [{label}]",
                          "Fisher where an expected count < 5", groups,
                          _replace("np.any(expected < 5)", f"np.any(expected {new})", 1),
                          (CATEGORICAL_BOUNDARY, "pyfunc:tests/analysis/test_group_tests.py")))
    return out


def publish_mutants() -> list[Mutant]:
    """Not a threshold but the same kind of silent error: a publish that is not durable or not atomic."""
    path = "orchestration/publish.py"
    changes = [
        ("no fsync of the build file before the swap", "os.fsync(f.fileno())", "f.flush()"),
        ("no fsync of the directory after the swap", "os.fsync(dir_fd)", "os.fstat(dir_fd)"),
        (
            "swap by copy + unlink instead of os.replace",
            "os.replace(build, published)",
            '__import__("shutil").copyfile(build, published); os.unlink(build)',
        ),
    ]
    return [
        Mutant(
            f"publish: {label}",
            "publish durable and atomic",
            path,
            _replace(old, new, 1),
            (DURABILITY_TESTS,),
        )
        for label, old, new in changes
    ]


def all_mutants() -> list[Mutant]:
    return [
        *psa_mutants(),
        *ckd_epi_mutants(),
        *code_constant_mutants(),
        *reference_range_mutants(),
        *ctcae_mutants(),
        *comparison_mutants(),
        *publish_mutants(),
        *settings_mutants(),
    ]
