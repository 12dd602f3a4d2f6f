"""build_analysis_tables on the hand-built marts of marts_fixture.py; expected values by hand or R."""

from __future__ import annotations

import pytest

from orchestration.analysis import ANALYSIS_TABLES, build_analysis_tables

from .marts_fixture import tiny_marts


@pytest.fixture(scope="module")
def built():
    con = tiny_marts()
    counts = build_analysis_tables(con)
    yield con, counts
    con.close()


@pytest.fixture
def con(built):
    return built[0]


def _one(con, sql: str, params=None):
    rows = con.execute(sql, params or []).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_row_counts(built):
    con, counts = built
    # 4 cohorts × 2 endpoints; 4 cohorts × 4 analytes; 3 seed pairs × 2 endpoints;
    # km_curve: distinct times + time 0: all 7 + 7, ecog_3 4 + 4, ecog_0_2 4 + 4, empty none;
    # risk grid to max follow-up (600 d = 19.7 mo -> 7 points, 300 d -> 4, 183 d -> 3, 91 d -> 1);
    # table1: 35 fixed rows per cohort + ECOG rows (all 4, ecog_3 1, ecog_0_2 3, empty 0);
    # table1_comparison: 35 + the union of ECOG rows per pair (4, 4, 1); 4 cohorts × 2 rules; 4 × 3 bases.
    expected = {
        "km_summary": 8,
        "km_summary_by_definition": 8,
        "psa_response_summary": 4,
        "psa_response_by_basis": 12,
        "lab_before_after": 16,
        "cohort_comparison": 6,
        # 3 seed pairs × (PR, SD, PD, PSA50)
        "response_comparison": 12,
        # + an 'Unknown, n (%)' row for ALP (P4 has none) and PSA (P6) in the pairs with all, ecog_0_2
        "table1_comparison": 39 + 2 + 39 + 2 + 36,
        "km_curve": 30,
        "km_risk_table": 7 + 4 + 3 + 1 + 7 + 4,
        # + 'Unknown, n (%)' rows: ALP (P4) and PSA (P6) in 'all' and 'ecog_0_2'
        "table1": 4 * 35 + 4 + 1 + 3 + 4,
    }
    assert counts == expected
    for table, n in expected.items():
        assert con.execute(f"select count(*) from analysis.{table}").fetchone()[0] == n


def test_columns_are_the_contract_ones(con):
    for table, columns in ANALYSIS_TABLES.items():
        got = [r[0] for r in con.execute(f"describe analysis.{table}").fetchall()]
        assert got == [c for c, _ in columns]
    # every column warehouse-contract.md names (more columns are welcome)
    contract = {
        "km_summary": "cohort endpoint n events median_months median_ci_lower median_ci_upper ci_method",
        "cohort_comparison": "cohort_a cohort_b endpoint logrank_statistic p_logrank hazard_ratio"
        " hr_ci_lower hr_ci_upper p_wald hr_note",
        "table1_comparison": "cohort_a cohort_b section characteristic statistic_a statistic_b test p_value",
        "km_summary_by_definition": "cohort endpoint psa_progression_rule n events events_psa_progression"
        " events_death median_months median_ci_lower median_ci_upper is_selected",
        "psa_response_by_basis": "cohort response_basis n n_evaluable n_pr n_sd n_pd n_not_evaluable n_psa50"
        " n_psa90 is_selected",
    }
    for table, names in contract.items():
        columns = [c for c, _ in ANALYSIS_TABLES[table]]
        assert [c for c in columns if c in names.split()] == names.split(), table


def test_km_summary(con):
    # R: survfit(Surv(c(61,122,183)/30.4375, c(1,1,0)) ~ 1, conf.type="log-log"); quantile(f, .5)
    # -> 4.0082135523614 (= 122 / 30.4375), lower 2.0041067761807, upper NA.
    row = _one(
        con,
        "select n, events, median_months, median_ci_lower, median_ci_upper, ci_method"
        " from analysis.km_summary where cohort = 'ecog_3' and endpoint = 'os'",
    )
    assert row[:2] == (3, 2)
    assert row[2] == pytest.approx(122 / 30.4375)
    assert row[3] == pytest.approx(61 / 30.4375)
    assert row[4] is None and row[5] == "log-log"
    # PFS of ecog_3: all three progress (30, 61, 91 d); R: median 61/30.4375, lower 0.985626283367556.
    row = _one(
        con,
        "select median_months, median_ci_lower, median_ci_upper from analysis.km_summary"
        " where cohort = 'ecog_3' and endpoint = 'pfs'",
    )
    assert row[0] == pytest.approx(61 / 30.4375) and row[1] == pytest.approx(30 / 30.4375)
    assert row[2] is None
    # No death among ecog_0_2; nobody in `empty`.
    assert _one(
        con,
        "select n, events, median_months, median_ci_lower, median_ci_upper"
        " from analysis.km_summary where cohort = 'ecog_0_2' and endpoint = 'os'",
    ) == (3, 0, None, None, None)
    assert _one(
        con,
        "select n, events, median_months from analysis.km_summary"
        " where cohort = 'empty' and endpoint = 'pfs'",
    ) == (0, 0, None)


def test_km_curve_and_risk_table(con):
    rows = con.execute(
        "select time_months * 30.4375, survival, at_risk, events, censored"
        " from analysis.km_curve where cohort = 'ecog_3' and endpoint = 'os'"
        " order by time_months"
    ).fetchall()
    assert [round(r[0], 6) for r in rows] == [0, 61, 122, 183]
    assert [r[1] for r in rows] == pytest.approx([1, 2 / 3, 1 / 3, 1 / 3])
    assert [r[2:] for r in rows] == [(3, 0, 0), (3, 1, 0), (2, 1, 0), (1, 0, 1)]
    # Grid 0, 3, 6 months (91.3 d, 182.6 d): at risk #(T >= t) = 3, 2, 1; events <= t: 0, 1, 2.
    risk = con.execute(
        "select time_months, at_risk, cum_events, cum_censored from analysis.km_risk_table"
        " where cohort = 'ecog_3' and endpoint = 'os' order by time_months"
    ).fetchall()
    assert risk == [(0.0, 3, 0, 0), (3.0, 2, 1, 0), (6.0, 1, 2, 0)]
    assert con.execute("select count(*) from analysis.km_curve where cohort = 'empty'").fetchone()[0] == 0


def test_cohort_comparison(con):
    # Pairs in the seed's terms (cohort_a, cohort_b). OS by hand: events at 61 d (6 at risk, 3 per group,
    # E = 0.5, V = 0.25) and 122 d (5 at risk, 3 in ecog_0_2, E = 0.6, V = 0.24): (0 - 1.1)^2 / 0.49 =
    # 2.469387755; R survdiff agrees, p = 0.116083133738655. PFS from R survdiff: 5.05166051660517,
    # p = 0.0246023499536417.
    rows = con.execute(
        "select cohort_a, cohort_b, endpoint, logrank_statistic, p_logrank, hazard_ratio, hr_ci_lower,"
        " hr_ci_upper, p_wald, hr_note from analysis.cohort_comparison where cohort_b = 'ecog_0_2'"
        " order by endpoint"
    ).fetchall()
    assert [r[:3] for r in rows] == [("ecog_3", "ecog_0_2", "os"), ("ecog_3", "ecog_0_2", "pfs")]
    assert rows[0][3] == pytest.approx(1.21 / 0.49, rel=1e-9)
    assert rows[0][4] == pytest.approx(0.116083133738655, rel=1e-9)
    assert rows[1][3] == pytest.approx(5.05166051660517, rel=1e-9)
    assert rows[1][4] == pytest.approx(0.0246023499536417, rel=1e-9)
    # Both likelihoods are monotone: no OS event in ecog_0_2; every PFS event of ecog_3 (30, 61, 91 d)
    # comes before ecog_0_2's first (100 d) and no ecog_3 patient is at risk after 91 d. R coxph gives
    # HR ~ 1e9 with a warning here; the table says why there is none.
    for row in rows:
        assert row[5:9] == (None, None, None, None)
        assert "monotone likelihood" in row[9]


def test_cohort_comparison_pairs_that_cannot_be_compared(con):
    rows = dict(
        con.execute(
            "select cohort_b, hr_note from analysis.cohort_comparison"
            " where cohort_b <> 'ecog_0_2' and endpoint = 'os' and hazard_ratio is null"
            " and logrank_statistic is null"
        ).fetchall()
    )
    assert rows == {"ecog_3": "the cohorts share patients", "empty": "a cohort has no patient"}


def test_km_summary_events_by_type(con):
    rows = con.execute(
        "select cohort, endpoint, events, events_psa_progression, events_death from analysis.km_summary"
        " where cohort in ('all', 'ecog_3') order by cohort, endpoint"
    ).fetchall()
    # PFS: progressions P1, P3, P4, deaths P2, P6; OS: deaths only.
    assert rows == [
        ("all", "os", 2, 0, 2),
        ("all", "pfs", 5, 3, 2),
        ("ecog_3", "os", 2, 0, 2),
        ("ecog_3", "pfs", 3, 2, 1),
    ]


def test_km_summary_by_definition(con):
    rows = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select cohort, psa_progression_rule, endpoint, is_selected, n, events, events_psa_progression,"
            " events_death, median_months * 30.4375 from analysis.km_summary_by_definition"
        ).fetchall()
    }
    assert len(rows) == 8
    # pcwg3 is fct_survival's PFS: the same as km_summary's row (median 91 d: S = 0.5 after 3 of 6 events
    # in `all` at 30, 61, 91 d, then 0.5 until 100 d -> R's midpoint (91 + 100) / 2 = 95.5 d).
    assert rows[("all", "pcwg3")][:5] == ("pfs", True, 6, 5, 3)
    assert rows[("all", "pcwg3")][5] == 2
    summary = con.execute(
        "select median_months * 30.4375 from analysis.km_summary where cohort = 'all' and endpoint = 'pfs'"
    ).fetchone()[0]
    assert rows[("all", "pcwg3")][6] == pytest.approx(summary)
    assert rows[("all", "pcwg3")][6] == pytest.approx(95.5)
    # rise25: 20, 45, 60, 91, 150 progressions, 300 death: 6 events, S = 0.5 from 60 d to 91 d -> 75.5 d.
    assert rows[("all", "rise25")][:6] == ("pfs", False, 6, 6, 5, 1)
    assert rows[("all", "rise25")][6] == pytest.approx(75.5)
    # the empty cohort: n = 0, no median
    assert rows[("empty", "rise25")] == ("pfs", False, 0, 0, 0, 0, None)


def test_psa_response_by_basis(con):
    rows = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select cohort, response_basis, n, n_evaluable, n_pr, n_sd, n_pd, n_not_evaluable, n_psa50,"
            " n_psa90, is_selected from analysis.psa_response_by_basis"
        ).fetchall()
    }
    # best: PR P1 P4, PD P2, SD P3 P5, P6 not evaluable; psa90 P4
    assert rows[("all", "best")] == (6, 5, 2, 2, 1, 1, 2, 1, True)
    # last: PR P4 P5, PD P2 P3, SD P1; week12: PR P1 P4, SD P3 P5, P2 P6 not evaluable
    assert rows[("all", "last")] == (6, 5, 2, 1, 2, 1, 2, 1, False)
    assert rows[("all", "week12")] == (6, 4, 2, 2, 0, 2, 2, 0, False)
    assert rows[("ecog_3", "week12")] == (3, 2, 1, 1, 0, 1, 1, 0, False)
    assert rows[("empty", "best")] == (0, 0, 0, 0, 0, 0, 0, 0, True)


def test_response_comparison(con):
    rows = con.execute(
        "select cohort_b, measure, category, n_a, n_b, n_evaluable_a, n_evaluable_b, test, p_value, note"
        " from analysis.response_comparison order by cohort_b, row_order"
    ).fetchall()
    # ecog_3 (P1 PR, P2 PD, P3 SD) vs ecog_0_2 (P4 PR, P5 SD; P6 not evaluable, left out):
    # fisher.test(matrix(c(1, 1, 1, 1, 1, 0), 2))$p.value = 1; PSA50 1 of 3 vs 1 of 2:
    # fisher.test(matrix(c(1, 1, 2, 1), 2))$p.value = 1
    disjoint = [r for r in rows if r[0] == "ecog_0_2"]
    assert [r[1:8] for r in disjoint] == [
        ("response", "PR", 1, 1, 3, 2, "Fisher's exact"),
        ("response", "SD", 1, 1, 3, 2, "Fisher's exact"),
        ("response", "PD", 1, 0, 3, 2, "Fisher's exact"),
        ("psa50", "PSA50", 1, 1, 3, 2, "Fisher's exact"),
    ]
    assert all(r[8] == pytest.approx(1.0) and r[9] is None for r in disjoint)
    notes = {r[0]: r[7:] for r in rows if r[0] != "ecog_0_2"}
    assert notes == {"ecog_3": (None, None, "the cohorts share patients"),
                     "empty": (None, None, "a cohort has no evaluable patient")}


def test_table1_comparison(con):
    rows = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select section, characteristic, statistic_a, statistic_b, test, p_value"
            " from analysis.table1_comparison where cohort_a = 'ecog_3' and cohort_b = 'ecog_0_2'"
        ).fetchall()
    }
    # R: wilcox.test(c(70, 47, 84), c(60, 65, 66))$p.value = 0.7 (exact, no ties)
    age = rows[("Age", "Median [years], (range)")]
    assert age[:3] == ("70 (47–84)", "65 (60–66)", "Wilcoxon rank-sum")
    assert age[3] == pytest.approx(0.7, rel=1e-12)
    # >= 65: 2 of 3 in both -> fisher.test(matrix(c(2, 2, 1, 1), 2))$p.value = 1
    assert rows[("Age", "Age ≥ 65 years, n (%)")][2:] == ("Fisher's exact", pytest.approx(1.0))
    # PSA: P6 has none -> wilcox.test(c(305, 3.21, 5683), c(10, 20))$p.value = 0.8
    assert rows[("PSA at baseline [ng/mL]", "Median (range)")][3] == pytest.approx(0.8, rel=1e-12)
    # ECOG 0/1/2/3: [0 0 0 3; 1 1 1 0]: expected counts < 5 -> fisher.test(...)$p.value = 0.1, on the
    # section's first row only; a level a cohort lacks prints 0 (0).
    ecog = [(k[1], v) for k, v in rows.items() if k[0] == "ECOG performance status, n (%)"]
    assert [k for k, _ in ecog] == ["0", "1", "2", "3"]
    assert ecog[0][1][:2] == ("0 (0.0)", "1 (33.3)")
    assert ecog[0][1][2] == "Fisher's exact" and ecog[0][1][3] == pytest.approx(0.1, rel=1e-9)
    assert all(v[2:] == (None, None) for _, v in ecog[1:])
    # a missing value is counted as unknown, not tested: P4 has no ALP (1 of 3 in ecog_0_2)
    assert rows[("ALP [U/L]", "Unknown, n (%)")] == ("0 (0.0)", "1 (33.3)", None, None)
    # no test over cycles of one patient
    assert rows[("Treatment", "Activity per cycle [GBq], mean ± SD (range)")][2:] == (None, None)


def test_lab_before_after(con):
    # Hemoglobin pairs 9 -> 8, 10 -> 9.5, 11 -> 11.5 (P4 has no post value, Fatigue/creatinine are not
    # compared). Differences -1, -0.5, 0.5: t = -2/sqrt(7) = -0.755928946018454
    # (R t.test p 0.528595479208968), R shapiro.test p 0.636886845028963; Wilcoxon with tied |0.5|:
    # sign-flip enumeration of ranks {3, 1.5, 1.5}, T+ = 1.5, P(T <= 1.5) = 3/8 -> p = 0.75.
    row = _one(
        con,
        "select n_pairs, mean_before, sd_before, min_before, max_before, mean_after, min_after,"
        " max_after, t_statistic, p_paired_t, p_shapiro_diff, p_wilcoxon"
        " from analysis.lab_before_after where cohort = 'ecog_3' and analyte = 'hemoglobin'",
    )
    assert row[:5] == (3, 10.0, 1.0, 9.0, 11.0)
    assert row[5] == pytest.approx(29 / 3) and row[6:8] == (8.0, 11.5)
    assert row[8] == pytest.approx(-0.755928946018454, rel=1e-9)
    assert row[9] == pytest.approx(0.528595479208968, rel=1e-9)
    assert row[10] == pytest.approx(0.636886845028963, rel=1e-6)
    assert row[11] == pytest.approx(0.75)
    assert _one(
        con,
        "select n_pairs, mean_before, p_paired_t, p_wilcoxon from analysis.lab_before_after"
        " where cohort = 'ecog_3' and analyte = 'wbc'",
    ) == (0, None, None, None)
    # One platelet pair in ecog_0_2: means only; Wilcoxon of one non-zero difference is 1.
    assert _one(
        con,
        "select n_pairs, mean_after, sd_after, p_paired_t, p_wilcoxon"
        " from analysis.lab_before_after where cohort = 'ecog_0_2' and analyte = 'platelets'",
    ) == (1, 150.0, None, None, 1.0)


def _table1(con, cohort: str) -> dict[str, tuple]:
    rows = con.execute(
        "select characteristic, statistic, value_numeric, n, section from analysis.table1"
        " where cohort = ? order by row_order",
        [cohort],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_table1_ecog_3_by_hand(con):
    t = _table1(con, "ecog_3")
    assert t["Median [years], (range)"][:3] == ("70 (47–84)", 70.0, 3)
    assert t["Age ≥ 65 years, n (%)"][:3] == ("2 (66.7)", 2.0, 3)
    assert t["< 13.5 g/dL, n (%)"][0] == "2 (66.7)"
    assert t["3"][0] == "3 (100.0)" and "0" not in t
    assert t["Prostatectomy"][0] == "1 (33.3)"
    assert t["ADT"][0] == "3 (100.0)"
    assert t["NAAD"][0] == "2 (66.7)"
    assert t["Chemotherapy"][0] == "2 (66.7)"
    assert t["2nd line cabazitaxel"][0] == "1 (33.3)"
    assert t["Darolutamide"][0] == "0 (0.0)"
    assert t["Bone"][0] == "3 (100.0)" and t["– diffuse"][0] == "2 (66.7)"
    assert t["Other (cerebral, spinal, other visceral)"][0] == "1 (33.3)"  # P2 spinal; P3 NULL = no
    assert t["Cycles per patient, median (range)"][0] == "2 (1–5)"
    assert t["≥ 4 cycles, n (%)"][0] == "1 (33.3)" and t["3 cycles, n (%)"][0] == "0 (0.0)"
    # Cycles 7, 7, 6, 7.5 × 5: mean 57.5 / 8 = 7.1875, SD sqrt(1.96875 / 7) = 0.530.
    assert t["Activity per cycle [GBq], mean ± SD (range)"][:3] == ("7.2 ± 0.5 (6.0–7.5)", 7.1875, 8)
    # 14, 6, 37.5: mean 19.1667, SD sqrt(536.1667 / 2) = 16.37.
    assert t["Cumulative activity [GBq], mean ± SD (range)"][0] == "19.2 ± 16.4 (6.0–37.5)"
    assert t["> 1 series, n (%)"][0] == "1 (33.3)"
    sections = con.execute(
        "select section from analysis.table1 where cohort = 'ecog_3' order by row_order"
    ).fetchall()
    order = list(dict.fromkeys(s[0] for s in sections))
    assert order == [
        "Age",
        "ALP [U/L]",
        "Hemoglobin [g/dL]",
        "ECOG performance status, n (%)",
        "Prior therapies, n (%)",
        "PSA at baseline [ng/mL]",
        "Metastases, n (%)",
        "Treatment",
    ]
    # Paper's PSA row format from P1–P3.
    assert _one(
        con,
        "select statistic from analysis.table1 where cohort = 'ecog_3'"
        " and section = 'PSA at baseline [ng/mL]'",
    ) == ("305 (3.21–5683)",)


def test_table1_missing_values_and_ecog_rows(con):
    t = _table1(con, "ecog_0_2")
    # ALP: P4 has none, so the median of 100 and 120 over n = 2.
    assert _one(
        con,
        "select statistic, value_numeric, n from analysis.table1 where cohort = 'ecog_0_2'"
        " and section = 'ALP [U/L]' and characteristic = 'Median (range)'",
    ) == ("110 (100–120)", 110.0, 2)
    # ... and the patient without a value counted as unknown, of the cohort's 3 (ALP: P4; PSA: P6)
    assert t["Unknown, n (%)"][:3] == ("1 (33.3)", 1.0, 3)
    assert [t[v][0] for v in ("0", "1", "2")] == ["1 (33.3)"] * 3
    assert _one(
        con,
        "select statistic, n from analysis.table1 where cohort = 'ecog_0_2'"
        " and section = 'PSA at baseline [ng/mL]' and characteristic = 'Median (range)'",
    ) == ("15 (10–20)", 2)


def test_empty_cohort_prints_dashes(con):
    rows = con.execute(
        "select statistic, value_numeric, n from analysis.table1 where cohort = 'empty'"
    ).fetchall()
    assert len(rows) == 35
    assert {r[0] for r in rows} == {"–"} and {r[1] for r in rows} == {None} and {r[2] for r in rows} == {0}


def test_rebuild_replaces_tables():
    con = tiny_marts()
    first = build_analysis_tables(con)
    con.execute("delete from marts.cohort_membership where cohort = 'all'")
    second = build_analysis_tables(con)
    assert first["km_summary"] == second["km_summary"] == 8
    n_all = con.execute(
        "select n from analysis.km_summary where cohort = 'all' and endpoint = 'os'"
    ).fetchone()
    assert n_all == (0,)
    con.close()


def test_missing_dim_patient_column_is_named_in_the_error():
    con = tiny_marts()
    con.execute("alter table marts.dim_patient drop column prior_darolutamide")
    with pytest.raises(KeyError, match="prior_darolutamide"):
        build_analysis_tables(con)
    con.close()


def test_psa_response_summary_by_hand(built):
    con, _ = built
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select cohort, response_basis, n, n_pr, n_sd, n_pd, n_not_evaluable, n_psa50, n_psa90,"
            " n_with_change, mean_change_pct, sd_change_pct, median_change_pct, min_change_pct,"
            " max_change_pct"
            " from analysis.psa_response_summary"
        ).fetchall()
    }
    # ecog_3: changes -60, +40, +10 -> mean -10/3 = -3.333, median 10,
    # SD = sqrt(((-56.667)^2 + 43.333^2 + 13.333^2) / 2) = sqrt((3211.1 + 1877.8 + 177.8) / 2) = 51.316
    basis, n, pr, sd_, pd_, ne, p50, p90, n_change, mean, sd, median, lo, hi = rows["ecog_3"]
    assert (basis, n, pr, sd_, pd_, ne, p50, p90, n_change) == ("best", 3, 1, 1, 1, 0, 1, 0, 3)
    assert mean == pytest.approx(-10 / 3)
    assert sd == pytest.approx(51.316, abs=1e-3)
    assert (median, lo, hi) == (10.0, -60.0, 40.0)
    # all: P6 is not evaluable and has no change; changes -60, 40, 10, -95, -20 -> median -20
    assert rows["all"][1:9] == (6, 2, 2, 1, 1, 2, 1, 5)
    assert rows["all"][11] == -20.0
    # the empty cohort: counts 0, statistics NULL
    assert rows["empty"][1:] == (0, 0, 0, 0, 0, 0, 0, 0, None, None, None, None, None)
