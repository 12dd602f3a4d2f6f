"""A small hand-written warehouse with the tables the cohort report reads.

Values are chosen by hand so that the tests can check the report against numbers worked out here:
- cohorts: `all` (P1-P4), `ecog_3` (P3, P4), `ecog_0_2` (P1, P2, no survival events), `empty` (0 patients).
- P2's site id and one AE term are `<script>alert(1)</script>` to check escaping.
- cycles per patient 1, 2, 4, 3 -> median 2.5 (1-4); activity per cycle over 10 cycles: mean 6.60,
  SD sqrt(0.9/9) = 0.32 (6.00-7.00); cumulative 7, 13.5, 26, 19.5 -> mean 16.50, SD sqrt(198.5/3) = 8.13.
- best PSA change P1 -80 (PR), P2 -10 (SD), P3 +150 (PD, capped in the waterfall), P4 none (not evaluable):
  mean 20.0, SD sqrt(27800/2) = 117.9, median -10.0.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SCRIPT = "<script>alert(1)</script>"
EXPORT_ID = "EXP-2025-06-30"
SETTINGS_JSON = (
    '{"baseline_window_days": 60, "ecog_baseline_window_days": 90, "paired_post_value": "last", '
    '"post_grade_basis": "worst", "post_window_days": 84, "psa_progression_rule": "pcwg3", '
    '"psa_response_basis": "best"}'
)

DDL_AND_ROWS = f"""
create schema raw; create schema marts; create schema analysis; create schema audit; create schema seeds;

create table seeds.cohort_comparisons (cohort_a varchar, cohort_b varchar);
insert into seeds.cohort_comparisons values ('ecog_3', 'ecog_0_2');

create table analysis.table1_comparison (cohort_a varchar, cohort_b varchar, row_order integer,
    section varchar, characteristic varchar, statistic_a varchar, statistic_b varchar, test varchar,
    p_value double);
insert into analysis.table1_comparison values
    ('ecog_3', 'ecog_0_2', 1, 'Age', 'Median [years], (range)', '69.5 (58–81)', '69 (66–72)',
     'Wilcoxon rank-sum', 0.6667),
    ('ecog_3', 'ecog_0_2', 2, 'Sites', '{SCRIPT}', '0 (0)', '1 (50)', 'Fisher''s exact', 1.0);

create table raw.export_manifest (export_id varchar, registry varchar, schema_version varchar,
    exported_at timestamp, data_cutoff date);
insert into raw.export_manifest values
    ('{EXPORT_ID}', 'REALITY test registry', '1.0', '2025-07-01 02:00:00', '2025-06-30');

create table audit.runs (export_id varchar, data_cutoff date, started_at timestamp, finished_at timestamp,
    code_version varchar, settings json);
insert into audit.runs values
    ('EXP-OLD', '2025-05-31', '2025-06-01 02:00', '2025-06-01 02:10', 'old0000', '{{}}'),
    ('{EXPORT_ID}', '2025-06-30', '2025-07-01 02:00', '2025-07-01 02:12', 'abc1234', '{SETTINGS_JSON}');

create table marts.cohorts (cohort varchar, description varchar, definition varchar, n_patients integer);
insert into marts.cohorts values
    ('all', 'Every consenting patient with at least one RLT cycle', 'true', 4),
    ('ecog_3', 'Baseline ECOG performance status 3', 'baseline_ecog = 3', 2),
    ('ecog_0_2', 'Baseline ECOG performance status 0-2', 'baseline_ecog between 0 and 2', 2),
    ('empty', 'Nobody (ECOG 4)', 'baseline_ecog = 4', 0);

create table marts.cohort_membership (cohort varchar, patient_id varchar);
insert into marts.cohort_membership values
    ('all', 'P1'), ('all', 'P2'), ('all', 'P3'), ('all', 'P4'),
    ('ecog_3', 'P3'), ('ecog_3', 'P4'), ('ecog_0_2', 'P1'), ('ecog_0_2', 'P2');

create table marts.dim_patient (patient_id varchar, site_id varchar, age_at_t0 integer, t0_date date,
    baseline_ecog integer, baseline_psa double, baseline_alp double, baseline_hemoglobin double,
    prior_naad boolean, prior_chemotherapy boolean, met_bone boolean, met_bone_diffuse boolean,
    n_cycles integer, n_series integer, cumulative_activity_gbq double, mean_activity_per_cycle_gbq double,
    last_contact_date date);
insert into marts.dim_patient values
    ('P1', 'HOM', 66, '2024-01-10', 1, 120.0, 200, 11.0, true, true, true, false, 1, 1, 7.0, 7.0,
     '2025-06-01'),
    ('P2', '{SCRIPT}', 72, '2024-02-10', 2, 300.0, 150, 12.0, true, false, true, true, 2, 1, 13.5, 6.75,
     '2025-06-01'),
    ('P3', 'HOM', 58, '2024-03-10', 3, 900.0, 500, 9.0, true, true, true, true, 4, 2, 26.0, 6.5,
     '2025-05-01'),
    ('P4', 'MUC', 81, '2024-04-10', 3, null, 80, 10.0, true, true, true, false, 3, 1, 19.5, 6.5,
     '2025-04-01');

create table marts.fct_rlt_cycle (patient_id varchar, series_number integer, cycle_number integer,
    administration_date date, radioligand varchar, activity_gbq double, days_since_previous_cycle integer);
insert into marts.fct_rlt_cycle values
    ('P1', 1, 1, '2024-01-10', 'Lu-PSMA-617', 7.0, null),
    ('P2', 1, 1, '2024-02-10', 'Lu-PSMA-617', 6.5, null), ('P2', 1, 2, '2024-04-10', 'Lu-PSMA-617', 7.0, 60),
    ('P3', 1, 1, '2024-03-10', 'Lu-PSMA-617', 6.0, null), ('P3', 1, 2, '2024-05-10', 'Lu-PSMA-617', 6.5, 61),
    ('P3', 2, 3, '2024-10-10', 'Lu-PSMA-617', 6.5, 153), ('P3', 2, 4, '2024-12-10', 'Lu-PSMA-617', 7.0, 61),
    ('P4', 1, 1, '2024-04-10', 'Lu-PSMA-617', 6.5, null), ('P4', 1, 2, '2024-06-10', 'Lu-PSMA-617', 6.5, 61),
    ('P4', 1, 3, '2024-08-10', 'Lu-PSMA-617', 6.5, 61);

create table analysis.table1 (cohort varchar, section varchar, characteristic varchar, statistic varchar,
    value_numeric double, n integer, row_order integer, indent integer);
insert into analysis.table1 values
    ('all', 'Age', 'Median [years], (range)', '69 (58–81)', 69, 4, 1, 0),
    ('all', 'Age', 'Age ≥ 65 years, n (%)', '3 (75)', 3, 4, 2, 0),
    ('all', 'ECOG performance status, n (%)', '3', '2 (50)', 2, 4, 4, 0),
    ('all', 'ECOG performance status, n (%)', '1', '1 (25)', 1, 4, 3, 0),
    ('all', 'Metastases', 'Bone', '4 (100)', 4, 4, 5, 0),
    ('all', 'Metastases', '– diffuse', '2 (50)', 2, 4, 6, 1),
    -- the Treatment section prints these rows as stored (deliberately not what the marts would give for
    -- 'all', so a report recomputing them would fail the test)
    ('all', 'Treatment', 'Cycles per patient, median (range)', '2.5 (1–4)', 2.5, 4, 7, 0),
    ('all', 'Treatment', '1 cycle, n (%)', '1 (25)', 1, 4, 8, 1),
    ('all', 'Treatment', '2 cycles, n (%)', '1 (25)', 1, 4, 9, 1),
    ('all', 'Treatment', '3 cycles, n (%)', '1 (25)', 1, 4, 10, 1),
    ('all', 'Treatment', '≥ 4 cycles, n (%)', '1 (25)', 1, 4, 11, 1),
    ('all', 'Treatment', 'Activity per cycle [GBq], mean ± SD (range)', '6.6 ± 0.3 (6.0–7.0)', 6.6, 10,
     12, 0),
    ('all', 'Treatment', 'Cumulative activity [GBq], mean ± SD (range)', '16.5 ± 8.1 (7.0–26.0)', 16.5, 4,
     13, 0),
    ('all', 'Treatment', '> 1 series, n (%)', '9 (99)', 9, 4, 14, 0),
    ('ecog_3', 'Age', 'Median [years], (range)', '69.5 (58–81)', 69.5, 2, 1, 0),
    ('ecog_3', 'Treatment', 'Cycles per patient, median (range)', '3.5 (3–4)', 3.5, 2, 2, 0),
    ('ecog_0_2', 'Age', 'Median [years], (range)', '69 (66–72)', 69, 2, 1, 0);

create table marts.fct_psa_response (patient_id varchar, baseline_psa double, nadir_psa double,
    nadir_date date,
    best_psa_change_pct double, last_psa_change_pct double, psa_change_12w_pct double, response_basis varchar,
    response_category varchar, psa50 boolean, psa90 boolean, response_change_pct double);
insert into marts.fct_psa_response values
    ('P1', 120, 24, '2024-03-01', -80, -70, -75, 'best', 'PR', true, false, -80),
    ('P2', 300, 270, '2024-04-01', -10, 5, -5, 'best', 'SD', false, false, -10),
    ('P3', 900, 900, '2024-03-10', 150, 180, 120, 'best', 'PD', false, false, 150),
    ('P4', null, null, null, null, null, null, 'best', 'not_evaluable', false, false, null);

-- by hand from the rows above: all = changes -80, -10, 150 -> mean 20, SD 117.898, median -10;
-- ecog_0_2 (P1, P2) = -80, -10 -> mean -45, SD 49.497; ecog_3 (P3, P4) = 150 alone
create table analysis.psa_response_summary (cohort varchar, response_basis varchar, n integer,
    n_pr integer, n_sd integer, n_pd integer, n_not_evaluable integer, n_psa50 integer, n_psa90 integer,
    n_with_change integer, mean_change_pct double, sd_change_pct double, median_change_pct double,
    min_change_pct double, max_change_pct double);
insert into analysis.psa_response_summary values
    ('all', 'best', 4, 1, 1, 1, 1, 1, 0, 3, 20.0, 117.898, -10.0, -80.0, 150.0),
    ('ecog_3', 'best', 2, 0, 0, 1, 1, 0, 0, 1, 150.0, null, 150.0, 150.0, 150.0),
    ('ecog_0_2', 'best', 2, 1, 1, 0, 0, 1, 0, 2, -45.0, 49.497, -45.0, -80.0, -10.0),
    ('empty', null, 0, 0, 0, 0, 0, 0, 0, 0, null, null, null, null, null);

create table marts.fct_survival (patient_id varchar, endpoint varchar, start_date date, end_date date,
    time_days integer, time_months double, event boolean, event_type varchar);

create table analysis.km_summary (cohort varchar, endpoint varchar, n integer, events integer,
    median_months double, median_ci_lower double, median_ci_upper double, ci_method varchar);
insert into analysis.km_summary values
    ('all', 'pfs', 4, 3, 5.2, 2.1, null, 'log-log'),
    ('all', 'os', 4, 2, 9.8, 4.0, 12.5, 'log-log'),
    ('ecog_3', 'pfs', 2, 2, 3.1, 2.1, null, 'log-log'),
    ('ecog_3', 'os', 2, 2, 6.0, 4.0, null, 'log-log'),
    ('ecog_0_2', 'pfs', 2, 0, null, null, null, 'log-log'),
    ('ecog_0_2', 'os', 2, 0, null, null, null, 'log-log');

create table analysis.km_curve (cohort varchar, endpoint varchar, time_months double, survival double,
    ci_lower double, ci_upper double, at_risk integer, events integer, censored integer);
insert into analysis.km_curve values
    ('all', 'pfs', 0, 1, 1, 1, 4, 0, 0), ('all', 'pfs', 2.1, 0.75, 0.13, 0.96, 4, 1, 0),
    ('all', 'pfs', 5.2, 0.5, 0.06, 0.84, 3, 1, 0), ('all', 'pfs', 8.0, 0.25, 0.01, 0.66, 2, 1, 0),
    ('all', 'pfs', 14.0, 0.25, 0.01, 0.66, 1, 0, 1),
    ('all', 'os', 0, 1, 1, 1, 4, 0, 0), ('all', 'os', 4.0, 0.75, 0.13, 0.96, 4, 1, 0),
    ('all', 'os', 9.8, 0.5, 0.06, 0.84, 3, 1, 0), ('all', 'os', 12.0, 0.5, 0.06, 0.84, 2, 0, 1),
    ('all', 'os', 16.0, 0.5, 0.06, 0.84, 1, 0, 1),
    ('ecog_3', 'pfs', 0, 1, 1, 1, 2, 0, 0), ('ecog_3', 'pfs', 2.1, 0.5, 0.01, 0.91, 2, 1, 0),
    ('ecog_3', 'pfs', 3.1, 0.0, null, null, 1, 1, 0),
    ('ecog_3', 'os', 0, 1, 1, 1, 2, 0, 0), ('ecog_3', 'os', 4.0, 0.5, 0.01, 0.91, 2, 1, 0),
    ('ecog_3', 'os', 6.0, 0.0, null, null, 1, 1, 0),
    ('ecog_0_2', 'pfs', 0, 1, 1, 1, 2, 0, 0), ('ecog_0_2', 'pfs', 14.0, 1, 1, 1, 2, 0, 1),
    ('ecog_0_2', 'pfs', 16.0, 1, 1, 1, 1, 0, 1),
    ('ecog_0_2', 'os', 0, 1, 1, 1, 2, 0, 0), ('ecog_0_2', 'os', 16.0, 1, 1, 1, 2, 0, 1),
    ('ecog_0_2', 'os', 17.0, 1, 1, 1, 1, 0, 1);

create table analysis.km_risk_table (cohort varchar, endpoint varchar, time_months double, at_risk integer,
    cum_events integer, cum_censored integer);
-- cumulative censored: PFS censored at 14 months (all, ecog_0_2), OS at 12 (all)
insert into analysis.km_risk_table
    select c.cohort, e.endpoint, t.m, greatest(c.n - (t.m / 3)::integer, 0), 0,
           case when e.endpoint = 'pfs' and c.cohort <> 'ecog_3' and t.m >= 14 then 1
                when e.endpoint = 'os' and c.cohort = 'all' and t.m >= 12 then 1 else 0 end
    from (values ('all', 4), ('ecog_3', 2), ('ecog_0_2', 2)) c(cohort, n),
         (values ('pfs'), ('os')) e(endpoint), (values (0), (3), (6), (9), (12), (15)) t(m);

create table analysis.cohort_comparison (cohort_a varchar, cohort_b varchar, endpoint varchar,
    logrank_statistic double, p_logrank double, hazard_ratio double, hr_ci_lower double, hr_ci_upper double,
    p_wald double, hr_note varchar);
-- ecog_0_2 has no event: the Cox likelihood is monotone, so the HR is not estimable
insert into analysis.cohort_comparison values
    ('ecog_3', 'ecog_0_2', 'pfs', 4.13, 0.0421, null, null, null, null,
     'not estimable: one cohort has no event (monotone likelihood)'),
    ('ecog_3', 'ecog_0_2', 'os', 2.37, 0.1234, null, null, null, null,
     'not estimable: one cohort has no event (monotone likelihood)');

create table marts.fct_toxicity (patient_id varchar, ctcae_term varchar, source varchar, analyte varchar,
    baseline_value double, baseline_grade integer, post_value_worst double, post_value_last double,
    post_value_paired double, post_grade integer, shift varchar, newly_occurred boolean,
    treatment_emergent_grade3plus boolean);
insert into marts.fct_toxicity values
    ('P1', 'Anemia', 'lab', 'hemoglobin', 12.0, 1, 9.5, 10.0, 10.0, 2, 'worsened', false, false),
    ('P2', 'Anemia', 'lab', 'hemoglobin', 14.0, 0, 12.5, 12.5, 12.5, 1, 'worsened', true, false),
    ('P3', 'Anemia', 'lab', 'hemoglobin', 9.0, 2, 7.5, 8.0, 8.0, 3, 'worsened', false, true),
    ('P4', 'Anemia', 'lab', 'hemoglobin', 11.0, 1, 10.5, 10.5, 10.5, 1, 'unchanged', false, false),
    ('P1', 'White blood cell decreased', 'lab', 'wbc', 6.0, 0, 5.0, 5.0, 5.0, 0, 'unchanged', false, false),
    ('P2', 'White blood cell decreased', 'lab', 'wbc', 5.0, 0, 1.5, 2.0, 2.0, 3, 'worsened', true, true),
    ('P3', 'White blood cell decreased', 'lab', 'wbc', 3.5, 1, 4.5, 4.5, 4.5, 0, 'improved', false, false),
    ('P4', 'White blood cell decreased', 'lab', 'wbc', null, null, 3.5, 3.5, 3.5, 1, 'not_evaluable', false,
     false),
    ('P1', 'Platelet count decreased', 'lab', 'platelets', 200, 0, 180, 180, 180, 0, 'unchanged', false,
     false),
    ('P2', 'Platelet count decreased', 'lab', 'platelets', 250, 0, 160, 160, 160, 0, 'unchanged', false,
     false),
    ('P3', 'Platelet count decreased', 'lab', 'platelets', 120, 1, 100, 110, 110, 1, 'unchanged', false,
     false),
    ('P4', 'Platelet count decreased', 'lab', 'platelets', 170, 0, null, null, null, null, 'not_evaluable',
     false, false),
    ('P1', 'Chronic kidney disease', 'lab', 'egfr', 80, 1, 78, 78, 78, 1, 'unchanged', false, false),
    ('P2', 'Chronic kidney disease', 'lab', 'egfr', 50, 2, 65, 65, 65, 1, 'improved', false, false),
    ('P3', 'Chronic kidney disease', 'lab', 'egfr', 95, 0, 92, 92, 92, 0, 'unchanged', false, false),
    ('P4', 'Chronic kidney disease', 'lab', 'egfr', 12, 4, 11, 11, 11, 4, 'unchanged', false, false),
    ('P1', 'Fatigue', 'clinical', null, null, 1, null, null, null, 2, 'worsened', false, false),
    ('P2', 'Fatigue', 'clinical', null, null, 0, null, null, null, 0, 'unchanged', false, false),
    ('P3', 'Fatigue', 'clinical', null, null, 2, null, null, null, 2, 'unchanged', false, false),
    ('P4', 'Fatigue', 'clinical', null, null, 1, null, null, null, 1, 'unchanged', false, false),
    ('P1', 'Dry mouth', 'clinical', null, null, 0, null, null, null, 1, 'worsened', true, false),
    ('P2', 'Dry mouth', 'clinical', null, null, 0, null, null, null, 0, 'unchanged', false, false),
    ('P3', 'Dry mouth', 'clinical', null, null, 1, null, null, null, 1, 'unchanged', false, false),
    ('P4', 'Dry mouth', 'clinical', null, null, 0, null, null, null, 0, 'unchanged', false, false),
    ('P3', '{SCRIPT}', 'clinical', null, null, 0, null, null, null, 3, 'worsened', true, true);

alter table marts.fct_toxicity add column post_grade_basis varchar default 'worst';

create table marts.fct_lab_result (patient_id varchar, sample_date date, analyte varchar, value double,
    unit varchar, lln double, uln double, range_flag varchar, is_derived boolean, days_from_t0 integer,
    period varchar, ctcae_term varchar, ctcae_grade integer);
insert into marts.fct_lab_result
    select p, date '2024-01-01', a, 1.0, 'u', null, null, null, false, -5, 'baseline', null, null
    from (values ('P1'), ('P2'), ('P3')) ps(p),
         (values ('hemoglobin'), ('wbc'), ('platelets'), ('neutrophils'), ('lymphocytes'), ('creatinine'),
                 ('egfr'), ('alp'), ('psa')) an(a);
insert into marts.fct_lab_result values
    ('P4', '2024-04-01', 'hemoglobin', 11.0, 'g/dL', 13.5, 17.5, 'low', false, -9, 'baseline', 'Anemia', 1),
    ('P4', '2024-04-01', 'platelets', 170, '10^9/L', 150, 400, 'normal', false, -9, 'baseline', null, 0),
    ('P4', '2024-05-01', 'wbc', 3.5, '10^9/L', 4, 10, 'low', false, 21, 'post', null, 1),
    -- P3's worst post Hb (fct_toxicity.post_value_worst 7.5): day 71, after cycle 2 (2024-05-10)
    ('P3', '2024-05-20', 'hemoglobin', 7.5, 'g/dL', 13.5, 17.5, 'low', false, 71, 'post', 'Anemia', 3);

create table analysis.lab_before_after (cohort varchar, analyte varchar, n_pairs integer, mean_before double,
    sd_before double, min_before double, max_before double, mean_after double, sd_after double,
    min_after double, max_after double, t_statistic double, p_paired_t double, p_shapiro_diff double,
    p_wilcoxon double);
insert into analysis.lab_before_after values
    ('all', 'hemoglobin', 4, 11.5, 2.08, 9.0, 14.0, 10.25, 1.94, 8.0, 12.5, 3.2, 0.0089, 0.512, 0.125),
    ('all', 'wbc', 3, 4.83, 1.26, 3.5, 6.0, 3.83, 1.61, 2.0, 5.0, 1.1, 0.3521, 0.843, 0.5),
    ('all', 'platelets', 3, 190.0, 65.57, 120.0, 250.0, 150.0, 36.06, 110.0, 180.0, 2.0, 0.1835, null, 0.25),
    ('all', 'egfr', 4, 59.25, 36.05, 12.0, 95.0, 61.5, 34.75, 11.0, 92.0, -0.3, 0.7803, 0.2, 0.875),
    ('ecog_0_2', 'hemoglobin', 2, 13.0, 1.41, 12.0, 14.0, 11.25, 1.77, 10.0, 12.5, 7.0, 0.0903, null, 0.5);

create table audit.export_loads (export_id varchar, file varchar, sha256 varchar, rows_read integer,
    rows_loaded integer, rows_quarantined integer, rows_duplicate integer, rows_excluded_consent integer,
    rows_after_cutoff integer, loaded_at timestamp);
insert into audit.export_loads values
    ('{EXPORT_ID}', 'patients.csv', 'aa', 6, 4, 0, 0, 2, 0, '2025-07-01 02:01'),
    ('{EXPORT_ID}', 'rlt_cycles.csv', 'bb', 13, 10, 2, 1, 0, 0, '2025-07-01 02:01'),
    ('{EXPORT_ID}', 'lab_results.csv', 'cc', 61, 57, 3, 0, 1, 2, '2025-07-01 02:01'),
    ('EXP-OLD', 'patients.csv', 'dd', 99, 99, 0, 0, 7, 0, '2025-06-01 02:01');

create table audit.quarantine_summary (export_id varchar, file varchar, reason varchar, n_rows integer);
insert into audit.quarantine_summary values
    ('{EXPORT_ID}', 'lab_results.csv', 'value outside plausible range', 3),
    ('{EXPORT_ID}', 'rlt_cycles.csv', 'unknown unit', 2),
    ('EXP-OLD', 'patients.csv', 'old reason never shown', 50);

-- response among the evaluable: ecog_3 PD 1 of 1, ecog_0_2 PR 1 SD 1 of 2;
-- R fisher.test(matrix(c(0, 1, 0, 1, 1, 0), 2))$p.value = 1,
--   fisher.test(matrix(c(0, 1, 1, 1), 2))$p.value = 1
create table analysis.response_comparison (cohort_a varchar, cohort_b varchar, row_order integer,
    measure varchar, category varchar, n_a integer, n_b integer, n_evaluable_a integer, n_evaluable_b integer,
    test varchar, p_value double, note varchar);
insert into analysis.response_comparison values
    ('ecog_3', 'ecog_0_2', 1, 'response', 'PR', 0, 1, 1, 2, 'Fisher''s exact', 1.0, null),
    ('ecog_3', 'ecog_0_2', 2, 'response', 'SD', 0, 1, 1, 2, 'Fisher''s exact', 1.0, null),
    ('ecog_3', 'ecog_0_2', 3, 'response', 'PD', 1, 0, 1, 2, 'Fisher''s exact', 1.0, null),
    ('ecog_3', 'ecog_0_2', 4, 'psa50', 'PSA50', 0, 1, 1, 2, 'Fisher''s exact', 1.0, null);

-- findings still to correct: HOM 1 new + 2 open, the script site 1 open, one without a site; resolved ones
-- and MUC's resolved finding are not counted
create table audit.dq_findings (export_id varchar, site_id varchar, patient_id varchar, source_file varchar,
    line_number bigint, table_name varchar, column_name varchar, rule_id varchar, severity varchar,
    message varchar, value varchar, fingerprint varchar, status varchar, first_seen_export_id varchar);
insert into audit.dq_findings values
    ('{EXPORT_ID}', 'HOM', 'P1', 'lab_results.csv', 5, 'lab_results', 'value', 'r1', 'error', 'm', '1', 'f1',
     'new', '{EXPORT_ID}'),
    ('{EXPORT_ID}', 'HOM', 'P1', 'lab_results.csv', 6, 'lab_results', 'value', 'r1', 'error', 'm', '1', 'f2',
     'open', 'EXP-OLD'),
    ('{EXPORT_ID}', 'HOM', 'P3', 'rlt_cycles.csv', 2, 'rlt_cycles', 'activity_gbq', 'r2', 'error', 'm', '1',
     'f3', 'open', 'EXP-OLD'),
    ('{EXPORT_ID}', 'HOM', 'P3', 'rlt_cycles.csv', 3, 'rlt_cycles', 'activity_gbq', 'r2', 'error', 'm', '1',
     'f4', 'resolved', 'EXP-OLD'),
    ('{EXPORT_ID}', '{SCRIPT}', 'P2', 'patients.csv', 3, 'patients', 'site_id', 'r3', 'warning', 'm', '1',
     'f5', 'open', 'EXP-OLD'),
    ('{EXPORT_ID}', 'MUC', 'P4', 'patients.csv', 4, 'patients', 'site_id', 'r3', 'warning', 'm', '1',
     'f6', 'resolved', 'EXP-OLD'),
    ('{EXPORT_ID}', null, null, 'lab_results.csv', 9, 'lab_results', 'patient_id', 'orphan', 'error', 'm',
     'X9', 'f7', 'new', '{EXPORT_ID}');

create table audit.unknown_columns (export_id varchar, file varchar, column_name varchar);
insert into audit.unknown_columns values ('{EXPORT_ID}', 'patients.csv', 'favourite_colour');
"""


def build_fake_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(DDL_AND_ROWS)
        con.execute("checkpoint")
    finally:
        con.close()
    return path
