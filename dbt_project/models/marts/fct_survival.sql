-- Two rows per patient: PFS under var psa_progression_rule (the selected rows of fct_pfs_by_rule, where the
-- PFS rule lives) and OS (death), censored at the last contact otherwise. Deaths after the cut-off are
-- already censored at the cut-off in staging.
with pfs as (
    select patient_id, 'pfs' as endpoint, start_date, end_date, time_days, time_months, event, event_type
    from {{ ref('fct_pfs_by_rule') }}
    where is_selected
),

os as (
    select
        patient_id,
        'os' as endpoint,
        t0_date as start_date,
        coalesce(death_date, last_contact_date) as end_date,
        case when death_date is not null then 'death' else 'censored' end as event_type
    from {{ ref('dim_patient') }}
)

select * from pfs
union all
select
    patient_id,
    endpoint,
    start_date,
    end_date,
    {{ survival_time_columns('start_date', 'end_date', 'event_type') }}
from os
