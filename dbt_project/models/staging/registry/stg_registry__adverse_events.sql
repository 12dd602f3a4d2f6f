select
    s.patient_id,
    s.assessment_date,
    s.term,
    s.grade
from {{ source('raw', 'adverse_events') }} as s
where not coalesce(s.after_cutoff, false)
