-- One row per consenting patient with at least one RLT cycle (on or before the cut-off): t0 (first cycle
-- of the first series) and the windows of clinical-rules.md.
with cycles as (
    select * from {{ ref('stg_registry__rlt_cycles') }}
),

first_series as (
    select patient_id, min(series_number) as first_series from cycles group by patient_id
),

per_patient as (
    select
        c.patient_id,
        min(c.administration_date) filter (where c.series_number = f.first_series) as t0_date,
        max(c.administration_date) as last_cycle_date,
        -- age in full years on t0 (every cycle of that date carries the same age; no birth date is stored)
        arg_min(c.age_at_administration, c.administration_date) filter (where c.series_number = f.first_series)
            as age_at_t0
    from cycles as c
    inner join first_series as f on f.patient_id = c.patient_id
    group by c.patient_id
)

select
    p.patient_id,
    p.site_id,
    p.sex,
    p.diagnosis_date,
    p.gleason_score,
    pp.t0_date,
    pp.last_cycle_date,
    pp.age_at_t0,
    cast(pp.t0_date - {{ var('baseline_window_days') }} as date) as baseline_window_start,
    cast(pp.t0_date - {{ var('ecog_baseline_window_days') }} as date) as ecog_baseline_window_start,
    least(cast(pp.last_cycle_date + {{ var('post_window_days') }} as date), m.data_cutoff) as post_window_end,
    m.data_cutoff
from per_patient as pp
inner join {{ ref('stg_registry__patients') }} as p on p.patient_id = pp.patient_id
cross join {{ ref('stg_registry__export_manifest') }} as m
