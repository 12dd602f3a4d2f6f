"""A tiny hand-built `marts` schema (6 patients) in an in-memory DuckDB, for build_analysis_tables.

P1–P3 have baseline ECOG 3, P4–P6 ECOG 0/1/2; cohort `empty` has no patient.
"""

from __future__ import annotations

import duckdb

PRIORS = [
    "prostatectomy",
    "radiotherapy",
    "adt",
    "abiraterone",
    "enzalutamide",
    "apalutamide",
    "darolutamide",
    "docetaxel",
    "cabazitaxel",
    "radium223",
    "parp_inhibitor",
    "other",
    "naad",
    "chemotherapy",
    "cabazitaxel_2nd_line",
]
METS = ["bone", "bone_diffuse", "lymph_node", "liver", "lung", "brain", "spinal", "other_visceral", "other"]

# patient, age, alp, hb, psa, ecog, n_cycles, n_series, cumulative GBq, true priors, true metastases
PATIENTS = [
    (
        "P1",
        70,
        273.0,
        9.1,
        305.0,
        3,
        2,
        1,
        14.0,
        {"prostatectomy", "adt", "naad", "abiraterone"},
        {"bone", "bone_diffuse", "lymph_node"},
    ),
    (
        "P2",
        47,
        77.0,
        14.0,
        3.21,
        3,
        1,
        1,
        6.0,
        {"adt", "naad", "enzalutamide", "chemotherapy", "docetaxel"},
        {"bone", "liver", "spinal"},
    ),
    (
        "P3",
        84,
        1576.0,
        5.0,
        5683.0,
        3,
        5,
        2,
        37.5,
        {"adt", "chemotherapy", "docetaxel", "cabazitaxel", "cabazitaxel_2nd_line"},
        {"bone", "bone_diffuse", "lung"},
    ),
    ("P4", 60, None, 13.5, 10.0, 0, 4, 1, 28.0, {"adt"}, {"lymph_node"}),
    ("P5", 65, 100.0, 12.0, 20.0, 1, 3, 1, 21.0, set(), {"bone"}),
    ("P6", 66, 120.0, 15.0, None, 2, 2, 1, 14.0, set(), set()),
]
CYCLES = {"P1": [7.0, 7.0], "P2": [6.0], "P3": [7.5] * 5, "P4": [7.0] * 4, "P5": [7.0] * 3, "P6": [7.0] * 2}
# PFS events that are PSA progressions (the other events are deaths)
PFS_PROGRESSIONS = {"P1", "P3", "P4"}
# patient, endpoint, days, event (PFS: under pcwg3, the selected rule)
SURVIVAL = [
    ("P1", "os", 61, True),
    ("P2", "os", 122, True),
    ("P3", "os", 183, False),
    ("P4", "os", 400, False),
    ("P5", "os", 500, False),
    ("P6", "os", 600, False),
    ("P1", "pfs", 30, True),
    ("P2", "pfs", 61, True),
    ("P3", "pfs", 91, True),
    ("P4", "pfs", 100, True),
    ("P5", "pfs", 200, False),
    ("P6", "pfs", 300, True),
]
# patient, term, source, analyte, baseline_value, post_value_paired
TOXICITY = [
    ("P1", "Anemia", "lab", "hemoglobin", 9.0, 8.0),
    ("P2", "Anemia", "lab", "hemoglobin", 10.0, 9.5),
    ("P3", "Anemia", "lab", "hemoglobin", 11.0, 11.5),
    ("P4", "Anemia", "lab", "hemoglobin", 13.0, None),
    ("P1", "Fatigue", "clinical", None, 1.0, 0.0),
    ("P1", "Creatinine increased", "lab", "creatinine", 1.0, 1.4),
    ("P5", "Platelet count decreased", "lab", "platelets", 200.0, 150.0),
]
# patient, response_category, psa50, psa90, response_change_pct (best basis); P6 has no baseline PSA
PSA_RESPONSES = [
    ("P1", "PR", True, False, -60.0),
    ("P2", "PD", False, False, 40.0),
    ("P3", "SD", False, False, 10.0),
    ("P4", "PR", True, True, -95.0),
    ("P5", "SD", False, False, -20.0),
    ("P6", "not_evaluable", None, None, None),
]
# PFS under rise25 (not selected): patient, days, event_type
PFS_RISE25 = [
    ("P1", 20, "psa_progression"),
    ("P2", 45, "psa_progression"),
    ("P3", 91, "psa_progression"),
    ("P4", 60, "psa_progression"),
    ("P5", 150, "psa_progression"),
    ("P6", 300, "death"),
]
# response on the last and week12 bases: patient, basis, category, psa50, psa90, change
PSA_RESPONSES_OTHER_BASES = [
    ("P1", "last", "SD", False, False, -40.0),
    ("P2", "last", "PD", False, False, 60.0),
    ("P3", "last", "PD", False, False, 30.0),
    ("P4", "last", "PR", True, True, -92.0),
    ("P5", "last", "PR", True, False, -55.0),
    ("P6", "last", "not_evaluable", None, None, None),
    ("P1", "week12", "PR", True, False, -55.0),
    ("P2", "week12", "not_evaluable", None, None, None),
    ("P3", "week12", "SD", False, False, 5.0),
    ("P4", "week12", "PR", True, False, -80.0),
    ("P5", "week12", "SD", False, False, -20.0),
    ("P6", "week12", "not_evaluable", None, None, None),
]
# seed cohort_comparisons: the disjoint pair, a pair that shares patients, a pair with an empty cohort
COMPARISONS = [("ecog_3", "ecog_0_2"), ("all", "ecog_3"), ("ecog_3", "empty")]
COHORTS = {
    "all": ["P1", "P2", "P3", "P4", "P5", "P6"],
    "ecog_3": ["P1", "P2", "P3"],
    "ecog_0_2": ["P4", "P5", "P6"],
    "empty": [],
}


def tiny_marts() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("create schema marts")
    bools = ", ".join([f"prior_{p} boolean" for p in PRIORS] + [f"met_{m} boolean" for m in METS])
    con.execute(
        "create table marts.dim_patient (patient_id varchar, site_id varchar, age_at_t0 integer,"
        " baseline_alp double, baseline_hemoglobin double, baseline_psa double, baseline_ecog integer,"
        f" n_cycles integer, n_series integer, cumulative_activity_gbq double,"
        f" mean_activity_per_cycle_gbq double, {bools})"
    )
    for pid, age, alp, hb, psa, ecog, cycles, series, cum, priors, mets in PATIENTS:
        flags = [p in priors for p in PRIORS] + [m in mets for m in METS]
        # P3's met_other is unknown (NULL): counted as "no".
        if pid == "P3":
            flags[-1] = None
        con.execute(
            f"insert into marts.dim_patient values ({', '.join(['?'] * (11 + len(flags)))})",
            [pid, "S1", age, alp, hb, psa, ecog, cycles, series, cum, cum / cycles, *flags],
        )
    con.execute(
        "create table marts.fct_rlt_cycle (patient_id varchar, cycle_number integer, activity_gbq double,"
        " radioligand varchar)"
    )
    for pid, activities in CYCLES.items():
        for i, a in enumerate(activities, start=1):
            con.execute("insert into marts.fct_rlt_cycle values (?, ?, ?, '177Lu-PSMA-617')", [pid, i, a])
    # an actinium cycle (8 MBq) is not a lutetium activity: Table 1's GBq rows must not include it
    con.execute("insert into marts.fct_rlt_cycle values ('P1', 99, 0.008, '225Ac-PSMA-617')")
    con.execute(
        "create table marts.fct_survival (patient_id varchar, endpoint varchar, time_days integer,"
        " time_months double, event boolean, event_type varchar)"
    )
    con.execute(
        "create table marts.fct_pfs_by_rule (patient_id varchar, psa_progression_rule varchar,"
        " is_selected boolean, time_days integer, time_months double, event boolean, event_type varchar)"
    )
    for pid, endpoint, days, event in SURVIVAL:
        kind = "censored" if not event else "psa_progression" if (
            endpoint == "pfs" and pid in PFS_PROGRESSIONS) else "death"
        con.execute(
            "insert into marts.fct_survival values (?, ?, ?, ?, ?, ?)",
            [pid, endpoint, days, days / 30.4375, event, kind],
        )
        if endpoint == "pfs":
            con.execute(
                "insert into marts.fct_pfs_by_rule values (?, 'pcwg3', true, ?, ?, ?, ?)",
                [pid, days, days / 30.4375, event, kind],
            )
    for pid, days, kind in PFS_RISE25:
        con.execute(
            "insert into marts.fct_pfs_by_rule values (?, 'rise25', false, ?, ?, ?, ?)",
            [pid, days, days / 30.4375, kind != "censored", kind],
        )
    con.execute(
        "create table marts.fct_toxicity (patient_id varchar, ctcae_term varchar, source varchar,"
        " analyte varchar, baseline_value double, post_value_paired double)"
    )
    con.executemany("insert into marts.fct_toxicity values (?, ?, ?, ?, ?, ?)", TOXICITY)
    con.execute(
        "create table marts.fct_psa_response (patient_id varchar, response_category varchar, psa50 boolean,"
        " psa90 boolean, response_change_pct double, response_basis varchar)"
    )
    con.executemany("insert into marts.fct_psa_response values (?, ?, ?, ?, ?, 'best')", PSA_RESPONSES)
    con.execute(
        "create table marts.fct_psa_response_by_basis (patient_id varchar, response_basis varchar,"
        " is_selected boolean, psa_change_pct double, response_category varchar, psa50 boolean,"
        " psa90 boolean)"
    )
    for pid, category, psa50, psa90, change in PSA_RESPONSES:
        con.execute(
            "insert into marts.fct_psa_response_by_basis values (?, 'best', true, ?, ?, ?, ?)",
            [pid, change, category, psa50, psa90],
        )
    for pid, basis, category, psa50, psa90, change in PSA_RESPONSES_OTHER_BASES:
        con.execute(
            "insert into marts.fct_psa_response_by_basis values (?, ?, false, ?, ?, ?, ?)",
            [pid, basis, change, category, psa50, psa90],
        )
    con.execute("create schema seeds")
    con.execute("create table seeds.cohort_comparisons (cohort_a varchar, cohort_b varchar)")
    con.executemany("insert into seeds.cohort_comparisons values (?, ?)", COMPARISONS)
    con.execute(
        "create table marts.cohorts"
        " (cohort varchar, description varchar, definition varchar, n_patients integer)"
    )
    con.execute("create table marts.cohort_membership (cohort varchar, patient_id varchar)")
    for cohort, ids in COHORTS.items():
        con.execute("insert into marts.cohorts values (?, ?, ?, ?)", [cohort, cohort, "true", len(ids)])
        for pid in ids:
            con.execute("insert into marts.cohort_membership values (?, ?)", [cohort, pid])
    return con
