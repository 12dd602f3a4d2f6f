"""No mart or analysis value changes when the SQL is made faster (issue 10).

REFERENCE holds `table_checksums` (tests/dbt/table_checksums.py) of every `marts.*` and `analysis.*` table,
recorded from the code *before* the lab models were rewritten for speed: commit d91b423 (main, 2026-12-02),
by `uv run python -P -m tests.dbt.table_checksums` (it builds the three cases below with that checkout's
ingestion, dbt project and statistics, without Dagster). A change of any value, row count, column name or
type's text form changes a checksum and fails this test. When a value is *meant* to change (a clinical-rule
fix), re-record with the same command and say why in the commit.
"""

from __future__ import annotations

REFERENCE = {
    "handmade_default": {
        "analysis.cohort_comparison": "2:0e15f597c1033ad8f2c62a051a2f1e8e",
        "analysis.km_curve": "36:d5216458ba5f49a3666c98452005d24e",
        "analysis.km_risk_table": "26:ec6c071e76af58e3262d72c408de10cd",
        "analysis.km_summary": "6:7c25a9eaafd0a062230e80f56b933707",
        "analysis.lab_before_after": "12:06d9a4010e8b164f1e442b9c4237aa26",
        "analysis.psa_response_summary": "3:4caa0037ca76e28da2cac24973f83dfd",
        "analysis.table1": "114:646cc9a6c64b2a74e1a825e168790339",
        "marts.cohort_membership": "15:987f0886492dd8d7f0b878e69f6878a5",
        "marts.cohorts": "3:67d67980eba56a933d366870e1223968",
        "marts.dim_patient": "8:853e6494e1492d0ef3e468fcf5decd7a",
        "marts.fct_lab_result": "41:258290f41b4324ee3b3869918e298863",
        "marts.fct_psa_response": "8:897166aca3bece26e072773bc1a2f273",
        "marts.fct_rlt_cycle": "14:95a0ef52954dd1e42607b4072834a8d0",
        "marts.fct_survival": "16:ecf0e2b69d32ec116d453839ba35253e",
        "marts.fct_toxicity": "112:a9695d78ae7948093bba34b4c2ab4a80",
    },
    "handmade_alternate": {
        "analysis.cohort_comparison": "2:3084ed4a2d042bfe069720cdcfe51904",
        "analysis.km_curve": "36:757516df05a5d9254b1f82c86bfa83b2",
        "analysis.km_risk_table": "28:f5dbabcf21ccbe6fffd93f101293e0d7",
        "analysis.km_summary": "6:c1ae6384c180f2e138d74b1d00f80136",
        "analysis.lab_before_after": "12:7b5ba6fc5fbd01c5a5c312a88242c221",
        "analysis.psa_response_summary": "3:4de4dbc866cbd128b9af1733de9b6029",
        "analysis.table1": "114:ba9ecc2e6299385748b7782ce9b59bb9",
        "marts.cohort_membership": "15:987f0886492dd8d7f0b878e69f6878a5",
        "marts.cohorts": "3:67d67980eba56a933d366870e1223968",
        "marts.dim_patient": "8:7fb1ff1098a7f74afecf7c224da4517d",
        "marts.fct_lab_result": "41:485b4b85456d8b5ea4a8d935c7108fef",
        "marts.fct_psa_response": "8:48792d058cfd9120009b19d2236baa15",
        "marts.fct_rlt_cycle": "14:95a0ef52954dd1e42607b4072834a8d0",
        "marts.fct_survival": "16:36157bcff7b762b08dbf75d63922196d",
        "marts.fct_toxicity": "112:b9ee0a82c869f04aeac372e3fe7b983b",
    },
    "generated_default": {
        "analysis.cohort_comparison": "2:fdb0dcd7caa514256301d2f9bd4c3d50",
        "analysis.km_curve": "478:1a029972d9140423b26a2c86f6f65e61",
        "analysis.km_risk_table": "90:da11ee559f1496d3e9266954d156e5a3",
        "analysis.km_summary": "6:3f41f899e128655efe7e6d0c3e6f45b4",
        "analysis.lab_before_after": "12:f54f8a4cf5bc4dd4a63962502b4c350d",
        "analysis.psa_response_summary": "3:d1da4655fb4721423cc36a55fd44c536",
        "analysis.table1": "113:c1947cc6a355063cf5aeab7b83cd840b",
        "marts.cohort_membership": "290:f5b2a18b7b4ed786c09583f350932e0d",
        "marts.cohorts": "3:e57b24dd96175af9fa3ff35e8324ae19",
        "marts.dim_patient": "145:e94bb6ca7ed04ebe165270d60ad31201",
        "marts.fct_lab_result": "10792:b26fc39c6086f8e2827c25c090c75ebe",
        "marts.fct_psa_response": "145:efa79e8c987dd8effc46045b06476563",
        "marts.fct_rlt_cycle": "454:bc03374d008b696f13cbfdb76bcd34c3",
        "marts.fct_survival": "290:5843ce44138d3f381761d9e374dc9b50",
        "marts.fct_toxicity": "2030:9772a6deef459c176f68fd97eda46174",
    },
}
