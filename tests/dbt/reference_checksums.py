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

Re-recorded on 2026-12-02 (session 4) from `main` at 6f4ae96 with doubles counted to 12 significant digits
(`table_checksums`): on a new machine `analysis.km_curve` differed from the bit-exact reference in its last
bits only (lifelines/numpy on a CPU without AVX-512); every other table had the same bit-exact checksum.
"""

from __future__ import annotations

REFERENCE = {
    'handmade_default': {
        'analysis.cohort_comparison': '2:0427848bf0946cebc8814a663c9b3b5e',
        'analysis.km_curve': '36:43bc95660c6689e5b87f01024d54bf22',
        'analysis.km_risk_table': '26:40ce68981a3a6d52aa3df7e88666f6fd',
        'analysis.km_summary': '6:ec34f8626ac3d434c7cde2f730798e49',
        'analysis.km_summary_by_definition': '6:926369ddd331999380781bdc62013589',
        'analysis.lab_before_after': '12:57861d22f0cddf4ec2c294c321769cda',
        'analysis.psa_response_by_basis': '9:ff13507226ab2bf9f7729ea8ef887c65',
        'analysis.psa_response_summary': '3:130c2aa1290e12e3a1ebb40b0fb82d9d',
        'analysis.response_comparison': '4:e570620532b92e6ff5eebcdf8cac3053',
        'analysis.table1': '123:9125247148ff926fb2bd56554301587e',
        'analysis.table1_comparison': '42:7c1ca5d5fcca0329960877508a12ac37',
        'marts.cohort_membership': '15:987f0886492dd8d7f0b878e69f6878a5',
        'marts.cohorts': '3:67d67980eba56a933d366870e1223968',
        'marts.dim_patient': '8:2d8d477b8ccb2b4c40771d137855cf5c',
        'marts.fct_lab_result': '41:841e0f1912552fbb2ac16cdde1163b0f',
        'marts.fct_pfs_by_rule': '16:40b52f8bd60837e1d97a08b5c3835d69',
        'marts.fct_psa_response': '8:b73fa588983017c453e6125e14996a19',
        'marts.fct_psa_response_by_basis': '24:bc2fde01d57e8821020382230405d649',
        'marts.fct_rlt_cycle': '14:153619a4b7dc06e427650aa3a4d1efef',
        'marts.fct_survival': '16:d0ca3b141331eb8bba6839fc35b4b3c5',
        'marts.fct_toxicity': '112:cfcfd84f0664aca5f610bffab7f51749',
    },
    'handmade_alternate': {
        'analysis.cohort_comparison': '2:e8ab597693de82d25fd171f19d855dc1',
        'analysis.km_curve': '36:1b75005568e4d881a5e2015fb9e1dbbe',
        'analysis.km_risk_table': '28:d78593d1e6b134e6cbd82bb860587bd9',
        'analysis.km_summary': '6:89ff5269a492daf6b7b560fe2845472b',
        'analysis.km_summary_by_definition': '6:6d841adf31780a68169d15196af728f4',
        'analysis.lab_before_after': '12:bc03325d05d4cf38800254b1741cd0a3',
        'analysis.psa_response_by_basis': '9:7c2eebc47280e516908f1ff822122192',
        'analysis.psa_response_summary': '3:cc68a309ae507779180ff43ded52b1f3',
        'analysis.response_comparison': '4:f564cb60fb608073b2d4847dbd103152',
        'analysis.table1': '123:318741e63d8a281b2481971b5f34ed67',
        'analysis.table1_comparison': '42:69fa2a5fbaf130870815ed78c827f326',
        'marts.cohort_membership': '15:987f0886492dd8d7f0b878e69f6878a5',
        'marts.cohorts': '3:67d67980eba56a933d366870e1223968',
        'marts.dim_patient': '8:3e7556ff85d46e9eb9bcea71798c9742',
        'marts.fct_lab_result': '41:061d1e7f99b37a7a8331b35e5bf09b64',
        'marts.fct_pfs_by_rule': '16:bb379fa3d514686d74a62f8a3ea2adea',
        'marts.fct_psa_response': '8:bd9c57c3c4f0c96f78af26b98702ac8d',
        'marts.fct_psa_response_by_basis': '24:6157d2c40c336cd5f13fc55f5246bb1b',
        'marts.fct_rlt_cycle': '14:153619a4b7dc06e427650aa3a4d1efef',
        'marts.fct_survival': '16:9bae3a780e2ccf88f3819c66c17e2909',
        'marts.fct_toxicity': '112:a1f070a342ff40fdff5866daf4c477a8',
    },
    'generated_default': {
        'analysis.cohort_comparison': '2:ca9deac161b61b906c6c0bca3183b309',
        'analysis.km_curve': '478:f8644bd2b059b050f173edd035457acb',
        'analysis.km_risk_table': '90:f212bb960b5958b277bafdaf6507fe0d',
        'analysis.km_summary': '6:98a74188bfc6a24871b7a878c69ab495',
        'analysis.km_summary_by_definition': '6:27161fca4274ffddca299a66c11cb568',
        'analysis.lab_before_after': '12:380d387a8b7ba3fac2de8eaf16ea2f6b',
        'analysis.psa_response_by_basis': '9:37a28a28f5583d2052ce00c3d0193f98',
        'analysis.psa_response_summary': '3:3d2564f50b03638d8010646c6d603b92',
        'analysis.response_comparison': '4:d63a068238409f0cba4438411894728a',
        'analysis.table1': '119:306490c31eaf3920d397d464e62ea8f2',
        'analysis.table1_comparison': '42:d6e096f92ac01081b49426396163dc7a',
        'marts.cohort_membership': '290:f5b2a18b7b4ed786c09583f350932e0d',
        'marts.cohorts': '3:e57b24dd96175af9fa3ff35e8324ae19',
        'marts.dim_patient': '145:824e6acb59dde6c2ee21289b03be4276',
        'marts.fct_lab_result': '10792:958d754a4a53b75fafc6bdbf8ae8d59f',
        'marts.fct_pfs_by_rule': '290:fcc9b06827471a935591b7a5bd768dcc',
        'marts.fct_psa_response': '145:e2feb0c44c1fc44332b6948ab48ee535',
        'marts.fct_psa_response_by_basis': '435:c9ce35d95541c041af6c3473be9c26b4',
        'marts.fct_rlt_cycle': '454:9b750b5dfe02588c6c55d1fd1f15e50f',
        'marts.fct_survival': '290:0840a04d05334b5fb7bdb3e7d89d529a',
        'marts.fct_toxicity': '2030:e388226b33e2ef4c657c40d217671ac2',
    },
}
