-- Last contact per indexed patient: the latest of last_known_alive_date, any cycle, lab sample, ECOG or AE
-- assessment date, capped at the cut-off (staging already drops rows after it).
with contacts as (
    select patient_id, last_known_alive_date as contact_date from {{ ref('stg_registry__vital_status') }}
    union all
    select patient_id, administration_date from {{ ref('stg_registry__rlt_cycles') }}
    union all
    select patient_id, sample_date from {{ ref('stg_registry__lab_results') }}
    union all
    select patient_id, assessment_date from {{ ref('stg_registry__performance_status') }}
    union all
    select patient_id, assessment_date from {{ ref('stg_registry__adverse_events') }}
),

latest as (
    select patient_id, max(contact_date) as contact_date from contacts group by patient_id
)

select
    p.patient_id,
    least(l.contact_date, p.data_cutoff) as last_contact_date
from {{ ref('int_patients_indexed') }} as p
inner join latest as l on l.patient_id = p.patient_id
