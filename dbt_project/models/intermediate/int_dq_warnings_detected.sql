-- Data-quality warnings: loaded rows (or patients) that the treating centre should look at. One row per
-- warning; which rules exist and their thresholds are the dq_rules seed. `key_values` (JSON list) holds
-- the values that identify the problem in the next export, never a line number: the patient for
-- patient-level rules, the row's contract values for row-level rules. Python (orchestration.feedback)
-- turns these into audit.dq_findings with fingerprints and statuses.
with rules as (
    select rule_id, threshold_days from {{ ref('dq_rules') }} where severity = 'warning'
),

patients as (
    select * from {{ ref('int_patients_indexed') }}
),

psa_after_t0 as (
    select distinct patient_id
    from {{ ref('int_lab_results_normalised') }}
    where analyte = 'psa' and days_from_t0 > 0
),

patient_level as (
    select 'missing_baseline_psa' as rule_id, p.patient_id, p.site_id, null::varchar as column_name,
        null::varchar as value
    from patients as p
    left join {{ ref('int_lab_baselines_selected') }} as b on b.patient_id = p.patient_id and b.analyte = 'psa'
    where b.patient_id is null
    union all
    select 'missing_baseline_ecog', p.patient_id, p.site_id, null, null
    from patients as p
    left join {{ ref('int_performance_status_baselined') }} as e on e.patient_id = p.patient_id
    where e.patient_id is null
    union all
    select 'no_psa_after_first_cycle', p.patient_id, p.site_id, null, null
    from patients as p
    where p.patient_id not in (select patient_id from psa_after_t0)
    union all
    select 'follow_up_overdue', p.patient_id, p.site_id, 'last_known_alive_date', strftime(c.last_contact_date, '%Y-%m-%d')
    from patients as p
    inner join {{ ref('int_patients_last_contact') }} as c on c.patient_id = p.patient_id
    inner join {{ ref('stg_registry__vital_status') }} as v on v.patient_id = p.patient_id
    cross join (select threshold_days from rules where rule_id = 'follow_up_overdue') as r
    where v.death_date is null and c.last_contact_date < p.data_cutoff - r.threshold_days
),

short_intervals as (
    select
        'cycle_interval_short' as rule_id,
        'rlt_cycles' as table_name,
        c.source_file,
        c.line_number,
        c.patient_id,
        p.site_id,
        'administration_date' as column_name,
        strftime(c.administration_date, '%Y-%m-%d') as value,
        to_json([
            c.patient_id, strftime(s.administration_date, '%Y-%m-%d'), s.radioligand,
            s.activity_exported::varchar, s.activity_unit_exported, s.series_number::varchar
        ])::varchar as key_values
    from {{ ref('int_rlt_cycles_numbered') }} as c
    inner join {{ ref('stg_registry__rlt_cycles') }} as s
        on s.source_file = c.source_file and s.line_number = c.line_number
    inner join patients as p on p.patient_id = c.patient_id
    cross join (select threshold_days from rules where rule_id = 'cycle_interval_short') as r
    where c.days_since_previous_cycle < r.threshold_days
),

assay_range as (
    select
        'lab_outside_assay_range' as rule_id,
        'lab_results' as table_name,
        l.source_file,
        l.line_number,
        l.patient_id,
        p.site_id,
        'value' as column_name,
        l.value_text as value,
        to_json([
            l.patient_id, strftime(l.sample_date, '%Y-%m-%d'), l.analyte, l.value_text, l.unit_exported,
            l.ref_low::varchar, l.ref_high::varchar
        ])::varchar as key_values
    from {{ ref('stg_registry__lab_results') }} as l
    inner join {{ ref('stg_registry__patients') }} as p on p.patient_id = l.patient_id
    where l.range_flag is not null
),

all_warnings as (
    select
        w.rule_id,
        s.table_name,
        null::varchar as source_file,
        null::bigint as line_number,
        w.patient_id,
        w.site_id,
        w.column_name,
        w.value,
        to_json([w.patient_id])::varchar as key_values
    from patient_level as w
    inner join {{ ref('dq_rules') }} as s on s.rule_id = w.rule_id
    union all
    select * from short_intervals
    union all
    select * from assay_range
)

-- a rule removed from the seed (or turned into an error) yields no warnings
select w.*
from all_warnings as w
where w.rule_id in (select rule_id from rules)
