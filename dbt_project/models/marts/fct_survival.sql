-- Two rows per patient: PFS (PSA progression under var psa_progression_rule, or death) and OS (death),
-- censored at the last contact otherwise. Deaths after the cut-off are already censored at the cut-off in
-- staging. Progression and death on the same day count as progression.
with patients as (
    select patient_id, t0_date, last_contact_date, death_date from {{ ref('dim_patient') }}
),

pfs as (
    select
        p.patient_id,
        'pfs' as endpoint,
        p.t0_date as start_date,
        case
            when pr.progression_date is not null and (p.death_date is null or pr.progression_date <= p.death_date)
                then pr.progression_date
            when p.death_date is not null then p.death_date
            else p.last_contact_date
        end as end_date,
        case
            when pr.progression_date is not null and (p.death_date is null or pr.progression_date <= p.death_date)
                then 'psa_progression'
            when p.death_date is not null then 'death'
            else 'censored'
        end as event_type
    from patients as p
    left join {{ ref('int_psa_progression_assessed') }} as pr on pr.patient_id = p.patient_id
),

os as (
    select
        patient_id,
        'os' as endpoint,
        t0_date as start_date,
        coalesce(death_date, last_contact_date) as end_date,
        case when death_date is not null then 'death' else 'censored' end as event_type
    from patients
),

combined as (
    select * from pfs
    union all
    select * from os
)

select
    patient_id,
    endpoint,
    start_date,
    end_date,
    date_diff('day', start_date, end_date) as time_days,
    date_diff('day', start_date, end_date) / 30.4375 as time_months,
    event_type <> 'censored' as event,
    event_type
from combined
