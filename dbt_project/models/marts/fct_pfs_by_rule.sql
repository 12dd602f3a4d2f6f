-- One row per patient x PSA progression rule (every rule of the seed psa_thresholds): PFS from t0 to the
-- earliest of PSA progression under that rule or death, censored at the last contact otherwise. Deaths
-- after the cut-off are already censored at the cut-off in staging. Progression and death on the same day
-- count as progression. is_selected marks var psa_progression_rule: fct_survival's PFS rows are those.
with patients as (
    select patient_id, t0_date, last_contact_date, death_date from {{ ref('dim_patient') }}
),

progression as (
    select patient_id, psa_progression_rule, is_selected, progression_date
    from {{ ref('int_psa_progression_assessed') }}
),

ended as (
    select
        p.patient_id,
        pr.psa_progression_rule,
        pr.is_selected,
        pr.progression_date,
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
    inner join progression as pr on pr.patient_id = p.patient_id
)

select
    patient_id,
    psa_progression_rule,
    is_selected,
    progression_date,
    start_date,
    end_date,
    {{ survival_time_columns('start_date', 'end_date', 'event_type') }}
from ended
