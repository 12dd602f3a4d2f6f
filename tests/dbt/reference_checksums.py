"""No mart or analysis value changes when the SQL is made faster (issue 10).

REFERENCE holds `table_checksums` (tests/dbt/table_checksums.py) of every `marts.*` and `analysis.*` table,
recorded from code *without* the speed work's SQL changes: `main` at 8428e9c (2026-12-02; first recorded
at d91b423, re-recorded after merging main because other work added tables and columns), built by that
checkout's own ingestion, dbt project and statistics (`git archive main` into a folder, this module's
first version beside it, run with `python -P -m tests.dbt.table_checksums`; it builds the three cases
below without Dagster). A change of any value, row count, column name or type's text form changes a
checksum and fails tests/dbt/test_values_unchanged.py. When a value is *meant* to change (a clinical-rule
fix, a new column), re-record with `uv run python -P -m tests.dbt.table_checksums` and say why in the commit.

Re-recorded on purpose: `analysis.table1` and `analysis.table1_comparison` (issue 12: "Unknown" rows for
missing age, Hb, ALP and PSA; percentages with one decimal throughout). Every other table is unchanged.
Added, not re-recorded: `analysis.response_comparison` (issue 12: PR/SD/PD and PSA50 with p), recorded from
the reports3 branch; every table already here had the same checksum in that run.
"""

from __future__ import annotations

REFERENCE = {
    "handmade_default": {
        "analysis.cohort_comparison": "2:cceea12c68e374fba36380b1012bcdf5",
        "analysis.km_curve": "36:d5216458ba5f49a3666c98452005d24e",
        "analysis.km_risk_table": "26:ec6c071e76af58e3262d72c408de10cd",
        "analysis.km_summary": "6:fbca25609e5ab2f05eafdd4704050ada",
        "analysis.km_summary_by_definition": "6:32cdf10c8647de3a7b0182c19b368bc4",
        "analysis.lab_before_after": "12:06d9a4010e8b164f1e442b9c4237aa26",
        "analysis.psa_response_by_basis": "9:ff13507226ab2bf9f7729ea8ef887c65",
        "analysis.psa_response_summary": "3:4caa0037ca76e28da2cac24973f83dfd",
        "analysis.response_comparison": "4:e570620532b92e6ff5eebcdf8cac3053",
        "analysis.table1": "123:6c5297c4adfce81fc10c461c49b01a9a",
        "analysis.table1_comparison": "42:b90e94d9cd9625d4c1d82b4183c1dbff",
        "marts.cohort_membership": "15:987f0886492dd8d7f0b878e69f6878a5",
        "marts.cohorts": "3:67d67980eba56a933d366870e1223968",
        "marts.dim_patient": "8:853e6494e1492d0ef3e468fcf5decd7a",
        "marts.fct_lab_result": "41:258290f41b4324ee3b3869918e298863",
        "marts.fct_pfs_by_rule": "16:7471c5c81c636e55b453c5dfb7081cb6",
        "marts.fct_psa_response": "8:897166aca3bece26e072773bc1a2f273",
        "marts.fct_psa_response_by_basis": "24:927c5bc3dbd5e84c3598001080731be8",
        "marts.fct_rlt_cycle": "14:95a0ef52954dd1e42607b4072834a8d0",
        "marts.fct_survival": "16:ecf0e2b69d32ec116d453839ba35253e",
        "marts.fct_toxicity": "112:a9695d78ae7948093bba34b4c2ab4a80",
    },
    "handmade_alternate": {
        "analysis.cohort_comparison": "2:574f3be56db0fd060623f95b69c49a30",
        "analysis.km_curve": "36:757516df05a5d9254b1f82c86bfa83b2",
        "analysis.km_risk_table": "28:f5dbabcf21ccbe6fffd93f101293e0d7",
        "analysis.km_summary": "6:388e7e1842e7c6a68299d8262d884c30",
        "analysis.km_summary_by_definition": "6:77e588d630acf77ebb2106f96848828c",
        "analysis.lab_before_after": "12:7b5ba6fc5fbd01c5a5c312a88242c221",
        "analysis.psa_response_by_basis": "9:7c2eebc47280e516908f1ff822122192",
        "analysis.psa_response_summary": "3:4de4dbc866cbd128b9af1733de9b6029",
        "analysis.response_comparison": "4:f564cb60fb608073b2d4847dbd103152",
        "analysis.table1": "123:6e95ebc91bf539ea9d713b52c439bcf5",
        "analysis.table1_comparison": "42:12cd75d12fa5f209f598e6e0ad167c90",
        "marts.cohort_membership": "15:987f0886492dd8d7f0b878e69f6878a5",
        "marts.cohorts": "3:67d67980eba56a933d366870e1223968",
        "marts.dim_patient": "8:7fb1ff1098a7f74afecf7c224da4517d",
        "marts.fct_lab_result": "41:485b4b85456d8b5ea4a8d935c7108fef",
        "marts.fct_pfs_by_rule": "16:8fdb8b481abf89e9c8e426fce5a83d99",
        "marts.fct_psa_response": "8:48792d058cfd9120009b19d2236baa15",
        "marts.fct_psa_response_by_basis": "24:15136a2ea27386b09658a77e10e24353",
        "marts.fct_rlt_cycle": "14:95a0ef52954dd1e42607b4072834a8d0",
        "marts.fct_survival": "16:36157bcff7b762b08dbf75d63922196d",
        "marts.fct_toxicity": "112:b9ee0a82c869f04aeac372e3fe7b983b",
    },
    "generated_default": {
        "analysis.cohort_comparison": "2:123d83142dec8584618d80453bb614c7",
        "analysis.km_curve": "478:1a029972d9140423b26a2c86f6f65e61",
        "analysis.km_risk_table": "90:da11ee559f1496d3e9266954d156e5a3",
        "analysis.km_summary": "6:fa9e06e79576bd2c240417bf953dd421",
        "analysis.km_summary_by_definition": "6:7edc8c09331e49fb50dce44334b5f48d",
        "analysis.lab_before_after": "12:f54f8a4cf5bc4dd4a63962502b4c350d",
        "analysis.psa_response_by_basis": "9:37a28a28f5583d2052ce00c3d0193f98",
        "analysis.psa_response_summary": "3:d1da4655fb4721423cc36a55fd44c536",
        "analysis.response_comparison": "4:3180c7ef3b91b8532b08e9bf69bbec13",
        "analysis.table1": "119:cd858389989150d4610c062d16de2081",
        "analysis.table1_comparison": "42:6ecd081092c39e927ceb996dd3f9b6c4",
        "marts.cohort_membership": "290:f5b2a18b7b4ed786c09583f350932e0d",
        "marts.cohorts": "3:e57b24dd96175af9fa3ff35e8324ae19",
        "marts.dim_patient": "145:e94bb6ca7ed04ebe165270d60ad31201",
        "marts.fct_lab_result": "10792:b26fc39c6086f8e2827c25c090c75ebe",
        "marts.fct_pfs_by_rule": "290:313b5da4ec56708a0cbd9461f2392c43",
        "marts.fct_psa_response": "145:efa79e8c987dd8effc46045b06476563",
        "marts.fct_psa_response_by_basis": "435:c9ce35d95541c041af6c3473be9c26b4",
        "marts.fct_rlt_cycle": "454:bc03374d008b696f13cbfdb76bcd34c3",
        "marts.fct_survival": "290:5843ce44138d3f381761d9e374dc9b50",
        "marts.fct_toxicity": "2030:9772a6deef459c176f68fd97eda46174",
    },
}
