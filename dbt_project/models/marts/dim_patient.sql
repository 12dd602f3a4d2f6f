-- One row per consenting patient with at least one RLT cycle. Never the birth date.
with cycles as (
    select
        patient_id,
        count(*) as n_cycles,
        count(distinct series_number) as n_series,
        -- activities in GBq are summed over lutetium cycles only: adding actinium's MBq-scale doses to
        -- them would describe no patient; actinium gets its own count and MBq sum
        sum(activity_gbq) filter (where radioligand like '177Lu%') as cumulative_activity_gbq,
        avg(activity_gbq) filter (where radioligand like '177Lu%') as mean_activity_per_cycle_gbq,
        count(*) filter (where radioligand like '225Ac%') as n_actinium_cycles,
        sum(activity_gbq * 1000) filter (where radioligand like '225Ac%') as cumulative_activity_225ac_mbq
    from {{ ref('int_rlt_cycles_numbered') }}
    group by patient_id
),

baseline_labs as (
    select
        patient_id,
        max(baseline_value) filter (where analyte = 'psa') as baseline_psa,
        max(baseline_value) filter (where analyte = 'alp') as baseline_alp,
        max(baseline_value) filter (where analyte = 'hemoglobin') as baseline_hemoglobin,
        max(baseline_value) filter (where analyte = 'ldh') as baseline_ldh,
        max(baseline_value) filter (where analyte = 'egfr') as baseline_egfr
    from {{ ref('int_lab_baselines_selected') }}
    group by patient_id
)

select
    p.patient_id,
    p.site_id,
    p.sex,
    p.diagnosis_date,
    p.gleason_score,
    p.t0_date,
    p.age_at_t0,
    p.last_cycle_date,
    e.baseline_ecog,
    b.baseline_psa,
    b.baseline_alp,
    b.baseline_hemoglobin,
    b.baseline_ldh,
    b.baseline_egfr,
    t.* exclude (patient_id),
    m.* exclude (patient_id),
    c.n_cycles,
    c.n_series,
    c.cumulative_activity_gbq,
    c.mean_activity_per_cycle_gbq,
    c.n_actinium_cycles,
    c.cumulative_activity_225ac_mbq,
    lc.last_contact_date,
    v.death_date,
    p.data_cutoff
from {{ ref('int_patients_indexed') }} as p
inner join cycles as c on c.patient_id = p.patient_id
left join baseline_labs as b on b.patient_id = p.patient_id
left join {{ ref('int_performance_status_baselined') }} as e on e.patient_id = p.patient_id
left join {{ ref('int_prior_therapies_pivoted') }} as t on t.patient_id = p.patient_id
left join {{ ref('int_metastases_pivoted') }} as m on m.patient_id = p.patient_id
left join {{ ref('int_patients_last_contact') }} as lc on lc.patient_id = p.patient_id
left join {{ ref('stg_registry__vital_status') }} as v on v.patient_id = p.patient_id
