"""End-to-end: the hand-made export (tests/fixtures/handmade_export, cut-off 2024-09-15) through dbt build.

Every expected value below was worked out by hand from the CSVs and clinical-rules.md; the comments say how.
"""

from __future__ import annotations

from datetime import date

import pytest


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_dim_patient_population(marts) -> None:
    # P05 refused consent, P06 has no cycle; P07's cycle of 2024-09-20 lies after the cut-off.
    ids = [r[0] for r in rows(marts, "select patient_id from marts.dim_patient order by 1")]
    assert ids == ["P01", "P02", "P03", "P04", "P07", "P08", "P09", "P10"]
    cols = [
        r[0]
        for r in rows(
            marts,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_patient'",
        )
    ]
    assert "birth_date" not in cols


@pytest.mark.parametrize(
    ("patient", "t0", "age", "ecog", "psa", "alp", "hb"),
    [
        # born 1958-06-15, t0 2023-01-10: birthday not yet reached -> 64; ECOG 2022-12-01 (40 d) beats the
        # 2022-09-01 one (131 d, outside 90); PSA/Hb of 2023-01-05.
        ("P01", date(2023, 1, 10), 64, 1, 10.0, None, 14.0),
        # ECOG on t0 itself counts; the only PSA (2022-11-01) is 120 days before t0 -> no baseline.
        ("P02", date(2023, 3, 1), 73, 3, None, None, None),
        # born 1958-09-01, t0 on the 65th birthday; ECOG at t0-90 and PSA at t0-60 are in,
        # PSA 999 at t0-61 is out.
        ("P04", date(2023, 9, 1), 65, 2, 20.0, None, None),
        # Hb 128 g/L -> 12.8 g/dL; no ECOG at all.
        ("P07", date(2024, 6, 1), 72, None, 50.0, None, 12.8),
        ("P08", date(2023, 2, 10), 73, 0, 30.0, 260.0, None),
        # ECOG 3 on 2023-05-20; the ECOG 1 of 2023-01-01 is 151 days before t0.
        ("P09", date(2023, 6, 1), 61, 3, None, None, None),
    ],
)
def test_dim_patient_baseline(marts, patient, t0, age, ecog, psa, alp, hb) -> None:
    got = rows(
        marts,
        "select t0_date, age_at_t0, baseline_ecog, baseline_psa, baseline_alp, baseline_hemoglobin "
        f"from marts.dim_patient where patient_id = '{patient}'",
    )
    assert got == [(t0, age, ecog, psa, alp, pytest.approx(hb) if hb else None)]


def test_dim_patient_treatment_and_history(marts) -> None:
    got = {
        r[0]: r[1:]
        for r in rows(
            marts,
            "select patient_id, n_cycles, n_series, round(cumulative_activity_gbq, 6), "
            "round(mean_activity_per_cycle_gbq, 6), prior_naad, prior_chemotherapy, "
            "prior_cabazitaxel_2nd_line, "
            "met_bone, met_bone_diffuse, met_liver, met_lymph_node, last_contact_date from marts.dim_patient",
        )
    }
    # 7.4 GBq + 7400 MBq + 200 mCi (x 0.037) = 3 x 7.4; enzalutamide (NAAD), docetaxel 2021 then cabazitaxel
    # 2022 (2nd line); bone diffuse 2022-12-15 before t0, liver 2023-03-01 after t0 (not baseline).
    assert got["P01"] == (3, 1, 22.2, 7.4, True, True, True, True, True, False, False, date(2024, 9, 1))
    # series 1 and 2; death 2024-09-16 (the export day) after the cut-off -> alive at the cut-off -> last
    # contact 2024-09-15. (A death after exported_at would be implausible: quarantined.)
    assert got["P03"] == (2, 2, 14.8, 7.4, False, False, False, False, False, False, False, date(2024, 9, 15))
    # 7.0 + 7.5 + 8.0; last contact from the AE assessment of 2024-08-20 (vital status says 2024-08-01).
    assert got["P04"][:4] == (3, 1, 22.5, 7.5) and got["P04"][-1] == date(2024, 8, 20)
    # cycle and PSA of 2024-09-20 after the cut-off ignored; abiraterone without dates is prior (NAAD).
    assert got["P07"] == (1, 1, 7.4, 7.4, True, False, False, True, False, False, True, date(2024, 9, 14))
    # docetaxel only: chemotherapy, no 2nd-line cabazitaxel.
    assert got["P09"][4:7] == (False, True, False)
    # P10's only cycle is 8 MBq of 225Ac: no lutetium GBq to sum, one actinium cycle of 8 MBq.
    assert got["P10"][:4] == (1, 1, None, None)
    actinium = marts.execute(
        "select n_actinium_cycles, cumulative_activity_225ac_mbq from marts.dim_patient "
        "where patient_id = 'P10'"
    ).fetchone()
    assert actinium[0] == 1 and actinium[1] == pytest.approx(8.0)


def test_rlt_cycles(marts) -> None:
    got = rows(
        marts,
        "select cycle_number, administration_date, days_since_previous_cycle from marts.fct_rlt_cycle "
        "where patient_id = 'P04' order by cycle_number",
    )
    assert got == [(1, date(2023, 9, 1), None), (2, date(2023, 10, 13), 42), (3, date(2023, 11, 24), 42)]


def test_psa_response(marts) -> None:
    got = {
        r[0]: r[1:]
        for r in rows(
            marts,
            "select patient_id, nadir_psa, best_psa_change_pct, last_psa_change_pct, psa_change_12w_pct, "
            "response_category, psa50, psa90 from marts.fct_psa_response",
        )
    }
    # baseline 10; post window to 2023-04-04 + 84 = 2023-06-27: nadir 2 (-80 %), last 3 (-70 %);
    # 12 weeks = 2023-04-04, the PSA of 2023-04-03 (day 83) is 2 -> -80 %.
    assert got["P01"] == (2.0, -80.0, -70.0, -80.0, "PR", True, False)
    # no baseline PSA -> not evaluable.
    assert got["P02"][4] == "not_evaluable"
    # baseline 8 -> 10 is +25 % exactly -> PD; last 12 (+50 %) is also the 12-week value (day 102, 18 d off).
    assert got["P03"] == (10.0, 25.0, 50.0, 50.0, "PD", False, False)
    # baseline 20 (t0-60): nadir 9 (-55 %), last 10 (-50 % exactly), 12-week 12 at day 84 (-40 %).
    assert got["P04"] == (9.0, -55.0, -50.0, -40.0, "PR", True, False)
    # '<0.1' taken as 0.1: (0.1 - 50) / 50 = -99.8 %; no PSA within 84 +/- 21 days.
    assert got["P07"] == (0.1, -99.8, -99.8, None, "PR", True, True)


def test_survival(marts) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            marts, "select patient_id, endpoint, time_days, event, event_type from marts.fct_survival"
        )
    }
    assert len(got) == 16
    # P01 nadir 2 (2023-04-03); 3 on 06-20 is +50 % but only +1 ng/mL; 5 on 08-01 is >= 2.5 and >= 4,
    # confirmed by 6 on 09-01 (31 d later): 2023-01-10 -> 2023-08-01 = 203 d. OS censored 2024-09-01: 600 d.
    assert got[("P01", "pfs")] == (203, True, "psa_progression")
    assert got[("P01", "os")] == (600, False, "censored")
    # P02 no baseline PSA -> PFS ends at death 2023-08-15: 167 d.
    assert got[("P02", "pfs")] == (167, True, "death")
    assert got[("P02", "os")] == (167, True, "death")
    # P03 never fell: 10 on day 31 ignored (12-week rule); 12 on day 102 (>= 10 and >= 10), last PSA,
    # unconfirmed but counts. Death after cut-off -> OS censored at 2024-09-15: 494 d.
    assert got[("P03", "pfs")] == (102, True, "psa_progression")
    assert got[("P03", "os")] == (494, False, "censored")
    # P04 12 on 2023-11-24 qualifies vs nadir 9 but 10 on 2024-02-10 does not confirm; 15 on 2024-05-01,
    # the last PSA, counts: 243 d.
    assert got[("P04", "pfs")] == (243, True, "psa_progression")
    assert got[("P04", "os")] == (354, False, "censored")
    # P08 45 on day 50 is before week 12 with no fall; 50 on day 111 confirmed by 60 on 2023-07-15
    # (the 40 of 06-10 is only 9 days later). Death 2023-12-01: 294 d.
    assert got[("P08", "pfs")] == (111, True, "psa_progression")
    assert got[("P08", "os")] == (294, True, "death")
    # P07 censored at the last contact 2024-09-14: 105 d; P10 at the cut-off: 249 d.
    assert got[("P07", "pfs")] == (105, False, "censored")
    assert got[("P10", "os")] == (249, False, "censored")


def test_pfs_by_rule(marts) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            marts,
            "select patient_id, psa_progression_rule, is_selected, time_days, event_type "
            "from marts.fct_pfs_by_rule",
        )
    }
    # every patient under both rules, pcwg3 (the default setting) selected
    assert len(got) == 8 * 2
    assert {k[1] for k, v in got.items() if v[0]} == {"pcwg3"}
    # P01 nadir 2 (2023-04-03); 3 on 06-20 is >= 1.25 x 2: rise25 needs no +2 ng/mL -> 161 d (pcwg3 203 d).
    assert got[("P01", "rise25")] == (False, 161, "psa_progression")
    assert got[("P01", "pcwg3")] == (True, 203, "psa_progression")
    # P03 baseline 8 -> 10 on day 31 is +25 % exactly: rise25 has no 12-week rule -> 31 d (pcwg3 102 d).
    assert got[("P03", "rise25")] == (False, 31, "psa_progression")
    # P04 nadir 9 -> 12 on 2023-11-24 (day 84) needs no confirmation under rise25 (pcwg3 243 d).
    assert got[("P04", "rise25")] == (False, 84, "psa_progression")
    # P08 45 on day 50 (+50 % over baseline 30) counts under rise25 (pcwg3 111 d).
    assert got[("P08", "rise25")] == (False, 50, "psa_progression")
    # P02 has no baseline PSA: death under both rules; P07 censored under both.
    assert got[("P02", "rise25")] == (False, 167, "death")
    assert got[("P07", "rise25")] == (False, 105, "censored")


def test_psa_response_by_basis(marts) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            marts,
            "select patient_id, response_basis, is_selected, psa_change_pct, response_category, psa50 "
            "from marts.fct_psa_response_by_basis",
        )
    }
    assert len(got) == 8 * 3
    assert {k[1] for k, v in got.items() if v[0]} == {"best"}
    # values of test_psa_response: P04 best -55 %, last -50 % exactly (PR), 12-week -40 % (SD).
    assert got[("P04", "best")] == (True, -55.0, "PR", True)
    assert got[("P04", "last")] == (False, -50.0, "PR", True)
    assert got[("P04", "week12")] == (False, -40.0, "SD", False)
    # P03 +25 % (best), +50 % (last, 12-week): PD on every basis.
    assert [got[("P03", b)][2] for b in ("best", "last", "week12")] == ["PD", "PD", "PD"]
    # P07 has no PSA within 84 +/- 21 days: not evaluable on week12 only.
    assert got[("P07", "week12")] == (False, None, "not_evaluable", None)
    assert got[("P07", "last")][2] == "PR"


def test_toxicity(marts) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            marts,
            "select patient_id, ctcae_term, source, baseline_grade, round(post_value_worst, 4), "
            "post_value_paired, "
            "post_grade, shift, newly_occurred, treatment_emergent_grade3plus from marts.fct_toxicity",
        )
    }
    # 8 patients x (8 reported lab terms: 5 blood counts, CKD, creatinine, ALP + 6 clinical terms).
    assert len(got) == 8 * 14
    # Hb 14.0 (G0) -> worst 9.99 (G2), last 12.0.
    assert got[("P01", "Anemia")] == ("lab", 0, 9.99, 12.0, 2, "worsened", True, False)
    # creatinine 1.09 (G0) -> 176.84 umol/L = 2.0 mg/dL > 1.5 x ULN 1.2 (G2).
    assert got[("P03", "Creatinine increased")] == ("lab", 0, 2.0, 2.0, 2, "worsened", True, False)
    # derived eGFR 80.15 (< LLN 90: G1) -> reported 35 (G2) on a day without a derived value.
    assert got[("P03", "Chronic kidney disease")][:5] == ("lab", 1, 35.0, 35.0, 2)
    # ALP baseline 260 > ULN 130 (abnormal): 520 = 2.0 x baseline -> G1; baseline itself G0.
    assert got[("P08", "Alkaline phosphatase increased")] == (
        "lab",
        0,
        520.0,
        520.0,
        1,
        "worsened",
        True,
        False,
    )
    # platelets 200 -> 49.9 (G3, < 50): treatment-emergent grade >= 3; WBC 5500/uL -> 2500/uL = 2.5 (G2).
    assert got[("P09", "Platelet count decreased")] == ("lab", 0, 49.9, 49.9, 3, "worsened", True, True)
    assert got[("P09", "White blood cell decreased")][4] == 2
    # lymphocytes 0.7 (G2) -> 0.9 (G1): improved.
    assert got[("P10", "Lymphocyte count decreased")][4:6] == (1, "improved")
    # fatigue: baseline G1 (2023-08-15), post window to 2024-02-16: G3 then G2 (last); the G1 of 2024-08-20
    # lies outside. Worst 3 > 1 -> treatment-emergent.
    assert got[("P04", "Fatigue")] == ("clinical", 1, 3.0, 2.0, 3, "worsened", False, True)
    # Hb of P07 with its own range 120-160 g/L -> LLN 12.0: 12.8 is G0; no post value -> not evaluable.
    assert got[("P07", "Anemia")][1] == 0 and got[("P07", "Anemia")][5] == "not_evaluable"


def test_lab_results(marts) -> None:
    got = rows(
        marts,
        "select sample_date, analyte, round(value, 2), is_derived, period from marts.fct_lab_result "
        "where patient_id = 'P03' and analyte in ('egfr', 'creatinine') order by 1, 2",
    )
    # CKD-EPI 2021 check value: 1.09 mg/dL, 55 y (born 1968-03-01), male -> 80.15; on 2023-06-10 the reported
    # eGFR 35 wins, so no derived value.
    assert got == [
        (date(2023, 5, 1), "creatinine", 1.09, False, "baseline"),
        (date(2023, 5, 1), "egfr", 80.15, True, "baseline"),
        (date(2023, 6, 10), "creatinine", 2.0, False, "post"),
        (date(2023, 6, 10), "egfr", 35.0, False, "post"),
    ]
    flag = rows(
        marts,
        "select range_flag, ctcae_term, ctcae_grade from marts.fct_lab_result "
        "where patient_id = 'P07' and analyte = 'psa' and sample_date = '2024-07-01'",
    )
    assert flag == [("below_range", None, None)]
    anemia = rows(
        marts,
        "select ctcae_term, ctcae_grade from marts.fct_lab_result "
        "where patient_id = 'P01' and analyte = 'hemoglobin' order by sample_date",
    )
    assert anemia == [("Anemia", 0), ("Anemia", 2), ("Anemia", 1), ("Anemia", 1)]


def test_cohorts(marts) -> None:
    membership = rows(
        marts,
        "select cohort, list(patient_id order by patient_id) from marts.cohort_membership "
        "group by cohort order by cohort",
    )
    assert membership == [
        ("all", ["P01", "P02", "P03", "P04", "P07", "P08", "P09", "P10"]),
        ("ecog_0_2", ["P01", "P03", "P04", "P08", "P10"]),
        ("ecog_3", ["P02", "P09"]),
    ]
    assert rows(marts, "select cohort, n_patients from marts.cohorts order by cohort") == [
        ("all", 8),
        ("ecog_0_2", 5),
        ("ecog_3", 2),
    ]
