select
    s.patient_id,
    s.assessment_date,
    s.term,
    s.grade
from {{ source('raw', 'adverse_events') }} as s
cross join {{ ref('stg_registry__export_manifest') }} as m
where not coalesce(s.after_cutoff, false) and s.assessment_date <= m.data_cutoff
