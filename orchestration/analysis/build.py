"""Read the marts, compute the statistics, (re)create every `analysis.*` table."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .cox import hazard_ratio
from .group_tests import categorical_test
from .km import (
    CI_METHOD,
    DAYS_PER_MONTH,
    KM_CURVE_COLUMNS,
    RISK_TABLE_COLUMNS,
    kaplan_meier,
    median_survival,
    risk_table,
)
from .logrank import logrank
from .paired import PAIRED_COLUMNS, paired_comparison
from .table1 import PATIENT_COLUMNS, TABLE1_COLUMNS, table1_comparison_rows, table1_rows

ENDPOINTS = ("pfs", "os")
RESPONSE_CATEGORIES = ("PR", "SD", "PD", "not_evaluable")
# The marts (and the seed of cohort pairs) the statistics read: the analysis tables' upstream lineage.
MARTS_READ = (
    "dim_patient",
    "fct_survival",
    "fct_pfs_by_rule",
    "fct_psa_response",
    "fct_psa_response_by_basis",
    "fct_toxicity",
    "fct_rlt_cycle",
    "cohorts",
    "cohort_membership",
)
SEEDS_READ = ("cohort_comparisons",)
LAB_ANALYTES = ("hemoglobin", "wbc", "platelets", "egfr")
RISK_TABLE_STEP_MONTHS = 3.0

_INT = "INTEGER"
_DBL = "DOUBLE"
_TXT = "VARCHAR"
# Column types of every analysis table, in column order (the public interface of warehouse-contract.md
# plus km_risk_table and Table 1's row_order / indent / percent).
ANALYSIS_TABLES: dict[str, list[tuple[str, str]]] = {
    "km_curve": [
        ("cohort", _TXT),
        ("endpoint", _TXT),
        ("time_months", _DBL),
        ("survival", _DBL),
        ("ci_lower", _DBL),
        ("ci_upper", _DBL),
        ("at_risk", _INT),
        ("events", _INT),
        ("censored", _INT),
    ],
    "km_risk_table": [
        ("cohort", _TXT),
        ("endpoint", _TXT),
        ("time_months", _DBL),
        ("at_risk", _INT),
        ("cum_events", _INT),
        ("cum_censored", _INT),
    ],
    "km_summary": [
        ("cohort", _TXT),
        ("endpoint", _TXT),
        ("n", _INT),
        ("events", _INT),
        ("median_months", _DBL),
        ("median_ci_lower", _DBL),
        ("median_ci_upper", _DBL),
        ("ci_method", _TXT),
        ("events_psa_progression", _INT),
        ("events_death", _INT),
    ],
    "km_summary_by_definition": [
        ("cohort", _TXT),
        ("endpoint", _TXT),
        ("psa_progression_rule", _TXT),
        ("n", _INT),
        ("events", _INT),
        ("events_psa_progression", _INT),
        ("events_death", _INT),
        ("median_months", _DBL),
        ("median_ci_lower", _DBL),
        ("median_ci_upper", _DBL),
        ("is_selected", "BOOLEAN"),
    ],
    "lab_before_after": [("cohort", _TXT), ("analyte", _TXT), ("n_pairs", _INT)]
    + [(c, _DBL) for c in PAIRED_COLUMNS if c != "n_pairs"],
    "cohort_comparison": [
        ("cohort_a", _TXT),
        ("cohort_b", _TXT),
        ("endpoint", _TXT),
        ("logrank_statistic", _DBL),
        ("p_logrank", _DBL),
        ("hazard_ratio", _DBL),
        ("hr_ci_lower", _DBL),
        ("hr_ci_upper", _DBL),
        ("p_wald", _DBL),
        ("hr_note", _TXT),
    ],
    "psa_response_summary": [
        ("cohort", _TXT),
        ("response_basis", _TXT),
        ("n", _INT),
        ("n_pr", _INT),
        ("n_sd", _INT),
        ("n_pd", _INT),
        ("n_not_evaluable", _INT),
        ("n_psa50", _INT),
        ("n_psa90", _INT),
        ("n_with_change", _INT),
        ("mean_change_pct", _DBL),
        ("sd_change_pct", _DBL),
        ("median_change_pct", _DBL),
        ("min_change_pct", _DBL),
        ("max_change_pct", _DBL),
    ],
    "psa_response_by_basis": [
        ("cohort", _TXT),
        ("response_basis", _TXT),
        ("n", _INT),
        ("n_evaluable", _INT),
        ("n_pr", _INT),
        ("n_sd", _INT),
        ("n_pd", _INT),
        ("n_not_evaluable", _INT),
        ("n_psa50", _INT),
        ("n_psa90", _INT),
        ("is_selected", "BOOLEAN"),
    ],
    "table1": [
        ("cohort", _TXT),
        ("row_order", _INT),
        ("section", _TXT),
        ("characteristic", _TXT),
        ("indent", _INT),
        ("statistic", _TXT),
        ("value_numeric", _DBL),
        ("percent", _DBL),
        ("n", _INT),
    ],
    "response_comparison": [
        ("cohort_a", _TXT),
        ("cohort_b", _TXT),
        ("row_order", _INT),
        ("measure", _TXT),
        ("category", _TXT),
        ("n_a", _INT),
        ("n_b", _INT),
        ("n_evaluable_a", _INT),
        ("n_evaluable_b", _INT),
        ("test", _TXT),
        ("p_value", _DBL),
        ("note", _TXT),
    ],
    "table1_comparison": [
        ("cohort_a", _TXT),
        ("cohort_b", _TXT),
        ("row_order", _INT),
        ("section", _TXT),
        ("characteristic", _TXT),
        ("statistic_a", _TXT),
        ("statistic_b", _TXT),
        ("test", _TXT),
        ("p_value", _DBL),
    ],
}


def build_analysis_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Compute everything from `marts.*`, then replace the `analysis.*` tables in one transaction.

    Returns the number of rows written per table.
    """
    cohorts = [r[0] for r in con.sql("select cohort from marts.cohorts order by cohort").fetchall()]
    survival = _survival(con)
    members = _members(con)
    pairs = _comparisons(con)
    patients, cycles = _patients(con), _cycles(con)
    responses = _psa_responses(con)
    frames = {
        **survival_tables(cohorts, survival),
        "km_summary_by_definition": km_summary_by_definition(cohorts, _pfs_by_rule(con)),
        "cohort_comparison": cohort_comparison(pairs, survival, members),
        "lab_before_after": lab_before_after(cohorts, _lab_pairs(con)),
        "table1": table1(cohorts, patients, cycles),
        "table1_comparison": table1_comparison(pairs, patients, cycles),
        "psa_response_summary": psa_response_summary(cohorts, responses),
        "response_comparison": response_comparison(pairs, responses, members),
        "psa_response_by_basis": psa_response_by_basis(cohorts, _psa_responses_by_basis(con)),
    }
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists analysis")
        for name, columns in ANALYSIS_TABLES.items():
            counts[name] = _write(con, name, columns, frames[name])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def survival_tables(cohorts: list[str], survival: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """km_curve, km_risk_table and km_summary for every cohort × endpoint.

    `survival`: cohort, endpoint, time_months, event, event_type. An empty cohort gets a km_summary
    row (n = 0) and no curve or risk-table rows. Events are also counted by type (PSA progression, death).
    """
    groups = {key: g for key, g in survival.groupby(["cohort", "endpoint"], sort=False)}
    curves, risks, summaries = [], [], []
    for cohort in cohorts:
        for endpoint in ENDPOINTS:
            g = groups.get((cohort, endpoint))
            durations = g["time_months"].to_numpy(dtype=float) if g is not None else np.empty(0)
            events = g["event"].to_numpy(dtype=bool) if g is not None else np.empty(0, dtype=bool)
            curve = kaplan_meier(durations, events)
            risk = risk_table(durations, events, RISK_TABLE_STEP_MONTHS)
            for frame, out in ((curve, curves), (risk, risks)):
                out.append(frame.assign(cohort=cohort, endpoint=endpoint))
            summaries.append({"cohort": cohort, "endpoint": endpoint, **_km_summary(g, curve)})
    return {
        "km_curve": _concat(curves, ["cohort", "endpoint", *KM_CURVE_COLUMNS]),
        "km_risk_table": _concat(risks, ["cohort", "endpoint", *RISK_TABLE_COLUMNS]),
        "km_summary": pd.DataFrame(summaries, columns=[c for c, _ in ANALYSIS_TABLES["km_summary"]]),
    }


def _km_summary(g: pd.DataFrame | None, curve: pd.DataFrame) -> dict[str, object]:
    """n, events (also by type), median and its CI of one group of survival rows (None: no patient)."""
    median = median_survival(curve)
    types = g.loc[g["event"].astype(bool), "event_type"] if g is not None else pd.Series(dtype=object)
    return {
        "n": 0 if g is None else len(g),
        "events": int(types.size),
        "events_psa_progression": int((types == "psa_progression").sum()),
        "events_death": int((types == "death").sum()),
        "median_months": median.median,
        "median_ci_lower": median.ci_lower,
        "median_ci_upper": median.ci_upper,
        "ci_method": CI_METHOD,
    }


def km_summary_by_definition(cohorts: list[str], pfs: pd.DataFrame) -> pd.DataFrame:
    """PFS per cohort under every PSA progression rule (fct_pfs_by_rule), events split by type.

    `pfs`: cohort, psa_progression_rule, is_selected, time_months, event, event_type.
    """
    columns = [c for c, _ in ANALYSIS_TABLES["km_summary_by_definition"]]
    rules = pfs[["psa_progression_rule", "is_selected"]].drop_duplicates().sort_values("psa_progression_rule")
    groups = {key: g for key, g in pfs.groupby(["cohort", "psa_progression_rule"], sort=False)}
    rows = []
    for cohort in cohorts:
        for rule, selected in rules.itertuples(index=False):
            g = groups.get((cohort, rule))
            durations = g["time_months"].to_numpy(dtype=float) if g is not None else np.empty(0)
            events = g["event"].to_numpy(dtype=bool) if g is not None else np.empty(0, dtype=bool)
            summary = _km_summary(g, kaplan_meier(durations, events))
            rows.append(
                {"cohort": cohort, "endpoint": "pfs", "psa_progression_rule": rule,
                 "is_selected": bool(selected), **summary}
            )
    return pd.DataFrame(rows, columns=columns)


def cohort_comparison(
    pairs: list[tuple[str, str]], survival: pd.DataFrame, members: dict[str, set[object]]
) -> pd.DataFrame:
    """Per pair of the seed cohort_comparisons and endpoint: log-rank, and the Cox hazard ratio of
    cohort_a relative to cohort_b (Efron, Wald CI and p). Pairs that share patients get no statistics
    and a note (the tests assume independent groups)."""
    groups = {key: g for key, g in survival.groupby(["cohort", "endpoint"], sort=False)}
    empty = survival.iloc[0:0]
    rows = []
    for a, b in pairs:
        overlap = bool(members.get(a, set()) & members.get(b, set()))
        for endpoint in ENDPOINTS:
            ga, gb = groups.get((a, endpoint), empty), groups.get((b, endpoint), empty)
            arrays = (
                ga["time_months"].to_numpy(float),
                ga["event"].to_numpy(bool),
                gb["time_months"].to_numpy(float),
                gb["event"].to_numpy(bool),
            )
            row: dict[str, object] = {"cohort_a": a, "cohort_b": b, "endpoint": endpoint}
            if overlap:
                row.update(logrank_statistic=None, p_logrank=None, hazard_ratio=None, hr_ci_lower=None,
                           hr_ci_upper=None, p_wald=None, hr_note="the cohorts share patients")
            else:
                stat, p = logrank(*arrays)
                hr = hazard_ratio(*arrays)
                row.update(logrank_statistic=stat, p_logrank=p, hazard_ratio=hr.hazard_ratio,
                           hr_ci_lower=hr.ci_lower, hr_ci_upper=hr.ci_upper, p_wald=hr.p_wald,
                           hr_note=hr.note)
            rows.append(row)
    return pd.DataFrame(rows, columns=[c for c, _ in ANALYSIS_TABLES["cohort_comparison"]])


# measure -> its categories, in row order: the PR/SD/PD distribution, and PSA50 (yes against no)
RESPONSE_COMPARISON_MEASURES = {"response": ("PR", "SD", "PD"), "psa50": ("PSA50",)}


def response_comparison(
    pairs: list[tuple[str, str]], responses: pd.DataFrame, members: dict[str, set[object]]
) -> pd.DataFrame:
    """Per pair of the seed cohort_comparisons: PR / SD / PD and PSA50 among the evaluable patients
    (PR + SD + PD on the selected basis) of each cohort, with the test Table 1 uses for a category
    (`group_tests.categorical_test`: a 2 x 2 table by Fisher, a 2 x 3 by chi-square unless an expected
    count is < 5). The test and p stand on every row of their measure. Pairs that share patients get
    counts but no test, as in cohort_comparison.

    `responses`: cohort, response_category, psa50 (fct_psa_response).
    """
    groups = {c: g for c, g in responses.groupby("cohort", sort=False)}
    empty = responses.iloc[0:0]
    rows = []
    for a, b in pairs:
        overlap = bool(members.get(a, set()) & members.get(b, set()))
        counts = {}
        for cohort in (a, b):
            g = groups.get(cohort, empty)
            evaluable = g[g["response_category"].isin(RESPONSE_COMPARISON_MEASURES["response"])]
            categories = evaluable["response_category"].value_counts()
            counts[cohort] = {
                **{c: int(categories.get(c, 0)) for c in RESPONSE_COMPARISON_MEASURES["response"]},
                "PSA50": int(evaluable["psa50"].astype("boolean").fillna(False).sum()),
                "evaluable": len(evaluable),
            }
        ca, cb = counts[a], counts[b]
        order = 0
        for measure, categories in RESPONSE_COMPARISON_MEASURES.items():
            if measure == "psa50":
                table = [[x["PSA50"], x["evaluable"] - x["PSA50"]] for x in (ca, cb)]
            else:
                table = [[ca[c] for c in categories], [cb[c] for c in categories]]
            test, p, note = None, None, None
            if overlap:
                note = "the cohorts share patients"
            elif min(ca["evaluable"], cb["evaluable"]) == 0:
                note = "a cohort has no evaluable patient"
            else:
                test, p = categorical_test(np.array(table))
                if test is None:
                    note = "only one category occurs"
            for category in categories:
                order += 1
                rows.append(
                    {"cohort_a": a, "cohort_b": b, "row_order": order, "measure": measure,
                     "category": category, "n_a": ca[category], "n_b": cb[category],
                     "n_evaluable_a": ca["evaluable"], "n_evaluable_b": cb["evaluable"],
                     "test": test, "p_value": p, "note": note}
                )
    return pd.DataFrame(rows, columns=[c for c, _ in ANALYSIS_TABLES["response_comparison"]])


def psa_response_by_basis(cohorts: list[str], responses: pd.DataFrame) -> pd.DataFrame:
    """Response counts per cohort on every basis (fct_psa_response_by_basis); n_evaluable = PR + SD + PD.

    `responses`: cohort, response_basis, is_selected, response_category, psa50, psa90.
    """
    columns = [c for c, _ in ANALYSIS_TABLES["psa_response_by_basis"]]
    bases = responses[["response_basis", "is_selected"]].drop_duplicates().sort_values("response_basis")
    groups = {key: g for key, g in responses.groupby(["cohort", "response_basis"], sort=False)}
    empty = responses.iloc[0:0]
    rows = []
    for cohort in cohorts:
        for basis, selected in bases.itertuples(index=False):
            g = groups.get((cohort, basis), empty)
            categories = g["response_category"].value_counts()
            counts = {c: int(categories.get(c, 0)) for c in RESPONSE_CATEGORIES}
            rows.append(
                {
                    "cohort": cohort,
                    "response_basis": basis,
                    "n": len(g),
                    "n_evaluable": counts["PR"] + counts["SD"] + counts["PD"],
                    "n_pr": counts["PR"],
                    "n_sd": counts["SD"],
                    "n_pd": counts["PD"],
                    "n_not_evaluable": counts["not_evaluable"],
                    "n_psa50": int(g["psa50"].fillna(False).astype(bool).sum()),
                    "n_psa90": int(g["psa90"].fillna(False).astype(bool).sum()),
                    "is_selected": bool(selected),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def psa_response_summary(cohorts: list[str], responses: pd.DataFrame) -> pd.DataFrame:
    """Per cohort: response category counts, PSA50/90, and the PSA change (on the response basis dbt
    used) as mean ± SD (sample SD), median and range over patients with a change.

    `responses`: cohort, response_basis, response_category, psa50, psa90, response_change_pct.
    """
    groups = {c: g for c, g in responses.groupby("cohort", sort=False)}
    rows = []
    for cohort in cohorts:
        g = groups.get(cohort, responses.iloc[0:0])
        change = g["response_change_pct"].dropna().to_numpy(float)
        categories = g["response_category"].value_counts()
        bases = g["response_basis"].dropna().unique()
        rows.append(
            {
                "cohort": cohort,
                "response_basis": str(bases[0]) if len(bases) == 1 else None,
                "n": len(g),
                "n_pr": int(categories.get("PR", 0)),
                "n_sd": int(categories.get("SD", 0)),
                "n_pd": int(categories.get("PD", 0)),
                "n_not_evaluable": int(categories.get("not_evaluable", 0)),
                "n_psa50": int(g["psa50"].fillna(False).astype(bool).sum()),
                "n_psa90": int(g["psa90"].fillna(False).astype(bool).sum()),
                "n_with_change": int(change.size),
                "mean_change_pct": float(change.mean()) if change.size else None,
                "sd_change_pct": float(change.std(ddof=1)) if change.size > 1 else None,
                "median_change_pct": float(np.median(change)) if change.size else None,
                "min_change_pct": float(change.min()) if change.size else None,
                "max_change_pct": float(change.max()) if change.size else None,
            }
        )
    return pd.DataFrame(rows, columns=[c for c, _ in ANALYSIS_TABLES["psa_response_summary"]])


def lab_before_after(cohorts: list[str], pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per cohort × analyte (n_pairs = 0 and NULL statistics when no pair).

    `pairs`: cohort, analyte, baseline_value, post_value_paired, both present.
    """
    groups = {key: g for key, g in pairs.groupby(["cohort", "analyte"], sort=False)}
    rows = []
    for cohort in cohorts:
        for analyte in LAB_ANALYTES:
            g = groups.get((cohort, analyte))
            before = g["baseline_value"].to_numpy(float) if g is not None else np.empty(0)
            after = g["post_value_paired"].to_numpy(float) if g is not None else np.empty(0)
            rows.append({"cohort": cohort, "analyte": analyte, **paired_comparison(before, after)})
    return pd.DataFrame(rows, columns=[c for c, _ in ANALYSIS_TABLES["lab_before_after"]])


def table1(cohorts: list[str], patients: pd.DataFrame, cycles: pd.DataFrame) -> pd.DataFrame:
    """Table 1 rows of every cohort. `patients`: cohort + PATIENT_COLUMNS; `cycles`: cohort, activity_gbq."""
    by_cohort = {c: g for c, g in patients.groupby("cohort", sort=False)}
    activity = {c: g["activity_gbq"] for c, g in cycles.groupby("cohort", sort=False)}
    empty_patients = patients.iloc[0:0]
    no_cycles = pd.Series(dtype=float)
    frames = [
        table1_rows(by_cohort.get(c, empty_patients), activity.get(c, no_cycles)).assign(cohort=c)
        for c in cohorts
    ]
    return _concat(frames, ["cohort", *TABLE1_COLUMNS])


def table1_comparison(
    pairs: list[tuple[str, str]], patients: pd.DataFrame, cycles: pd.DataFrame
) -> pd.DataFrame:
    """Table 1 of both cohorts of every pair side by side with a test per characteristic (table1.py)."""
    by_cohort = {c: g for c, g in patients.groupby("cohort", sort=False)}
    activity = {c: g["activity_gbq"] for c, g in cycles.groupby("cohort", sort=False)}
    empty_patients = patients.iloc[0:0]
    no_cycles = pd.Series(dtype=float)
    frames = [
        table1_comparison_rows(
            by_cohort.get(a, empty_patients), activity.get(a, no_cycles),
            by_cohort.get(b, empty_patients), activity.get(b, no_cycles),
        ).assign(cohort_a=a, cohort_b=b)
        for a, b in pairs
    ]
    return _concat(frames, [c for c, _ in ANALYSIS_TABLES["table1_comparison"]])


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _survival(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # Negative or missing times cannot enter a KM fit; the marts' tests are where they get caught.
    return con.execute(
        """
        select m.cohort, s.endpoint, s.time_days / ? as time_months, s.event, s.event_type
        from marts.cohort_membership m join marts.fct_survival s using (patient_id)
        where s.time_days >= 0 and s.event is not null
        order by m.cohort, s.endpoint, s.patient_id
        """,
        [DAYS_PER_MONTH],
    ).df()


def _pfs_by_rule(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        select m.cohort, s.psa_progression_rule, s.is_selected, s.time_days / ? as time_months, s.event,
               s.event_type
        from marts.cohort_membership m join marts.fct_pfs_by_rule s using (patient_id)
        where s.time_days >= 0 and s.event is not null
        order by m.cohort, s.psa_progression_rule, s.patient_id
        """,
        [DAYS_PER_MONTH],
    ).df()


def _comparisons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The cohort pairs of the seed cohort_comparisons (cohort_a compared with cohort_b)."""
    rows = con.sql("select cohort_a, cohort_b from seeds.cohort_comparisons order by all").fetchall()
    return [(str(a), str(b)) for a, b in rows]


def _psa_responses_by_basis(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.sql(
        """
        select m.cohort, r.response_basis, r.is_selected, r.response_category, r.psa50, r.psa90
        from marts.cohort_membership m join marts.fct_psa_response_by_basis r using (patient_id)
        order by m.cohort, r.response_basis, r.patient_id
        """
    ).df()


def _members(con: duckdb.DuckDBPyConnection) -> dict[str, set[object]]:
    rows = con.sql("select cohort, patient_id from marts.cohort_membership").df()
    return {c: set(g["patient_id"]) for c, g in rows.groupby("cohort", sort=False)}


def _lab_pairs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    analytes = ", ".join(f"'{a}'" for a in LAB_ANALYTES)
    return con.sql(
        f"""
        select distinct m.cohort, t.analyte, t.patient_id, t.baseline_value, t.post_value_paired
        from marts.cohort_membership m join marts.fct_toxicity t using (patient_id)
        where t.source = 'lab' and t.analyte in ({analytes})
          and t.baseline_value is not null and t.post_value_paired is not null
        order by m.cohort, t.analyte, t.patient_id
        """
    ).df()


def _patients(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    present = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'dim_patient'"
        ).fetchall()
    }
    missing = [c for c in PATIENT_COLUMNS if c not in present]
    if missing:
        raise KeyError(f"marts.dim_patient lacks Table 1 columns: {', '.join(missing)}")
    columns = ", ".join(f"p.{c}" for c in PATIENT_COLUMNS)
    return con.sql(
        f"select m.cohort, {columns}"
        " from marts.cohort_membership m join marts.dim_patient p using (patient_id)"
        " order by m.cohort, p.patient_id"
    ).df()


def _psa_responses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.sql(
        """
        select m.cohort, r.response_basis, r.response_category, r.psa50, r.psa90, r.response_change_pct
        from marts.cohort_membership m join marts.fct_psa_response r using (patient_id)
        order by m.cohort, r.patient_id
        """
    ).df()


def _cycles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.sql(
        """
        select m.cohort, c.activity_gbq
        from marts.cohort_membership m join marts.fct_rlt_cycle c using (patient_id)
        where c.activity_gbq is not null and c.radioligand like '177Lu%'
        order by m.cohort, c.patient_id, c.cycle_number
        """
    ).df()


def _write(
    con: duckdb.DuckDBPyConnection, name: str, columns: list[tuple[str, str]], frame: pd.DataFrame
) -> int:
    ddl = ", ".join(f"{c} {t}" for c, t in columns)
    con.execute(f"create or replace table analysis.{name} ({ddl})")
    if frame.empty:
        return 0
    names = ", ".join(c for c, _ in columns)
    view = f"_analysis_{name}_frame"
    con.register(view, frame[[c for c, _ in columns]])
    try:
        con.execute(f"insert into analysis.{name} ({names}) select {names} from {view}")
    finally:
        con.unregister(view)
    return len(frame)
